//===- MaxPool.h - Recognising max pooling on buffers -----------*- C++ -*-===//
//
// The importer writes MaxPool as a linalg.generic with a window operand;
// LowerPooling.cpp turns it into a cmb_x86_maxpool2d call, and a
// convolution whose output only feeds such a pooling calls the fused
// cmb_x86_conv2d_maxpool instead (LowerToKernels.cpp). Both start from the
// match below.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_MAXPOOL_H
#define CAMBRIAN_TARGETS_X86_MAXPOOL_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace cambrian::x86 {

/// A max pooling the kernel computes, matched without rewriting anything.
struct MaxPoolMatch {
  mlir::linalg::GenericOp op;
  /// The buffer pooled (the source of a -inf padded copy, which the kernel
  /// pads implicitly) and the output.
  mlir::Value x, y;
  /// The CMB_POOL_* parameter block; CMB_POOL_ACCUMULATE is set by
  /// foldMaxPoolFill.
  llvm::SmallVector<int64_t> params;
  /// The padded copy's ops, in the order they can be erased after `op`.
  llvm::SmallVector<mlir::Operation *> deadAfter;
};

/// Matches `op` as a max pooling over (n, c, oh, ow, kh, kw) of a dense
/// NCHW buffer.
std::optional<MaxPoolMatch> matchMaxPool(mlir::linalg::GenericOp op);

/// Erases a -inf fill of the output right before the pooling (the kernel
/// starts from -inf) and sets CMB_POOL_ACCUMULATE to whether there was none.
void foldMaxPoolFill(MaxPoolMatch &m, mlir::PatternRewriter &rewriter);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_MAXPOOL_H
