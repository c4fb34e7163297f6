//===- ConvFusion.h - A convolution call and its fusion -------*- C++ -*-===//
//
// x86kernel.conv2d carries its padding and epilogue (mapped from
// cambrian.conv before bufferization), so nothing is recognised here any
// more: a call's operands, and the memory check that lets a convolution
// join the max pooling after it in one cmb_x86_conv2d_maxpool call.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_CONVFUSION_H
#define CAMBRIAN_TARGETS_X86_CONVFUSION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace cambrian::x86 {

/// The operands of one cmb_x86_conv2d call, before it is emitted.
struct ConvCall {
  mlir::Value x, w, y;
  /// A dense buffer of F floats, or null.
  mlir::Value bias;
  /// The parameter block (CMB_CONV_*).
  llvm::SmallVector<int64_t> params;
};

/// Whether some op strictly between `from` and `to` (same block) may write
/// memory that `buffer` views: a convolution fused into a later max
/// pooling's call reads its operands there.
bool mayBeWrittenBetween(mlir::Operation *from, mlir::Operation *to,
                         mlir::Value buffer);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_CONVFUSION_H
