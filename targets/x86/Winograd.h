//===- Winograd.h - Choosing Winograd for a convolution call ----*- C++ -*-===//
//
// 3x3 stride-1 convolutions can run as Winograd F(4x4, 3x3)
// (cmb_x86_conv2d_winograd), which takes its weights transformed. The
// helpers here decide whether that pays for a convolution's geometry and
// make the transformed weights a constant of the module.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_WINOGRAD_H
#define CAMBRIAN_TARGETS_X86_WINOGRAD_H

#include "mlir/IR/PatternMatch.h"

namespace cambrian::x86 {

/// Whether a convolution with the parameter block `params` (CMB_CONV_*) may
/// run as F(4x4, 3x3) and is expected to run faster so than the direct
/// kernel: enough tiles to fill the GEMMs, few wasted by a ragged edge, and
/// transformed weights that stay in cache.
bool preferWinograd(llvm::ArrayRef<int64_t> params);

/// The transformed weights (36 x F x C) of `weights`, an F x C x 3 x 3
/// buffer read from a constant memref.global, as a new constant global read
/// before `conv`; null when the weights are not such a constant. The
/// original global stays (for other readers or symbol DCE).
mlir::Value transformWinogradWeights(mlir::Operation *conv,
                                     mlir::Value weights,
                                     mlir::PatternRewriter &rewriter);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_WINOGRAD_H
