//===- ConvPacked.h - Choosing the channels-in-lanes convolution -*- C++ -*-===//
//
// cmb_x86_conv2d_packed computes a convolution with output channels, not
// pixels, in the vector lanes, from weights packed at compile time. The
// helpers here decide whether that pays for a convolution's geometry and
// make the packed weights a constant of the module.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_CONVPACKED_H
#define CAMBRIAN_TARGETS_X86_CONVPACKED_H

#include "mlir/IR/PatternMatch.h"

namespace cambrian::x86 {

/// Whether a convolution with the parameter block `params` (CMB_CONV_*) is
/// expected to run faster with output channels in the lanes: an ungrouped
/// one on a small output map, where the channels fill the lanes better than
/// the pixels do.
bool preferPackedConv(llvm::ArrayRef<int64_t> params);

/// The weights of `conv` (F x C x KH x KW, read from a constant
/// memref.global) packed by cmb_conv_pack_weights into a new constant
/// global read before `conv`; null when they are not such a constant.
mlir::Value packConvWeights(mlir::Operation *conv, mlir::Value weights,
                            mlir::PatternRewriter &rewriter);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_CONVPACKED_H
