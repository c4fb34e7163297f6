//===- ConvFusion.h - Folding neighbours into a convolution call -*- C++ -*-===//
//
// The convolution kernel (runtime/Kernels.h) pads its input implicitly and
// applies a per-channel bias and an activation while it stores the output.
// After bufferization those steps are separate ops around the linalg
// convolution: a zero-filled buffer with the input copied into its middle,
// and an elementwise linalg.generic that reads the result. The helpers here
// find them and fold them into the call's operands.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_CONVFUSION_H
#define CAMBRIAN_TARGETS_X86_CONVFUSION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace cambrian::x86 {

/// An activation recognised in an elementwise body: a CMB_CONV_ACT_* with
/// its parameters, applied to `input`.
struct ActivationMatch {
  int64_t kind;
  float alpha, beta;
  mlir::Value input;
};

/// Recognises `v`, a value of `g`'s body, as one of the kernel's
/// activations of some other body value (as the importer and the elementwise
/// fusion write Relu, Clip(0, 6), LeakyRelu, HardSigmoid, HardSwish, Sigmoid,
/// x * Sigmoid(x), Tanh and both GELUs, including torch's decomposed GELU).
/// Without a match, the kind is CMB_CONV_ACT_NONE and `input` is `v`.
ActivationMatch matchActivation(mlir::Value v, mlir::linalg::GenericOp g);

/// The operands of one cmb_x86_conv2d call, before it is emitted.
struct ConvCall {
  mlir::Value x, w, y;
  /// A dense buffer of F floats, or null.
  mlir::Value bias;
  /// The parameter block (CMB_CONV_*).
  llvm::SmallVector<int64_t> params;
  /// Ops that become dead once the convolution op is replaced, in the order
  /// they can be erased.
  llvm::SmallVector<mlir::Operation *> deadAfter;
};

/// A buffer that only serves as the padded copy of a dense NCHW buffer for
/// one consumer: a constant fill, then a copy of `src` into its interior.
struct PaddedInput {
  mlir::Value src;
  int64_t padTop, padLeft;
  /// The copy, subview, fill and allocation, in the order they can go.
  llvm::SmallVector<mlir::Operation *, 4> deadAfter;
};

/// Matches `x`, read by `consumer`, as such a padded copy whose fill value
/// `padValue` accepts.
std::optional<PaddedInput>
matchPaddedInput(mlir::Operation *consumer, mlir::Value x,
                 llvm::function_ref<bool(const llvm::APFloat &)> padValue);

/// If `call.x` is a zero-filled buffer that only serves as the padded copy
/// of a dense buffer for `conv`, reads that buffer instead and sets the
/// padding parameters. The fill, copy and buffer are queued in `deadAfter`.
void foldInputPadding(mlir::Operation *conv, ConvCall &call);

/// Folds the elementwise linalg.generics that read `call.y` next (in place,
/// or into a buffer of their own while y dies), computing act(y + bias[f]
/// + residual) with each term optional and act none, relu or clip(0, 6),
/// into the call: bias pointer, activation, and accumulation into the
/// residual's buffer when it dies there. The generics and dead buffers are
/// queued in `deadAfter`.
void foldEpilogue(mlir::Operation *conv, ConvCall &call,
                  mlir::PatternRewriter &rewriter);

/// Whether some op strictly between `from` and `to` (same block) may write
/// memory that `buffer` views.
bool mayBeWrittenBetween(mlir::Operation *from, mlir::Operation *to,
                         mlir::Value buffer);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_CONVFUSION_H
