//===- MaxPool.h - x86kernel.max_pool2d to kernel calls ---------*- C++ -*-===//
//
// x86kernel.max_pool2d (cambrian.pool max, mapped before bufferization)
// becomes a cmb_x86_maxpool2d call (LowerPooling.cpp), or, when it is the
// only reader of a convolution's output, part of one cmb_x86_conv2d_maxpool
// call (LowerToKernels.cpp). Both start from the parameters below.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_MAXPOOL_H
#define CAMBRIAN_TARGETS_X86_MAXPOOL_H

#include "targets/x86/X86KernelOps.h"

#include <optional>

namespace cambrian::x86 {

/// A max pooling on buffers the kernel can address as they are.
struct MaxPoolMatch {
  MaxPool2dOp op;
  /// The buffer pooled and the output, both dense.
  mlir::Value x, y;
  /// The CMB_POOL_* parameter block.
  llvm::SmallVector<int64_t> params;
};

/// The CMB_POOL_* parameter block of `op` (which overwrites its output).
llvm::SmallVector<int64_t> maxPoolParams(MaxPool2dOp op);

/// `op` on memrefs whose input and output are dense, as the fused kernel
/// reads and writes them.
std::optional<MaxPoolMatch> matchMaxPool(MaxPool2dOp op);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_MAXPOOL_H
