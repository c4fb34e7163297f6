//===- KernelCall.h - Building calls of the x86 kernel library -*- C++ -*-===//
//
// Shared by the patterns of cambrian-x86-lower-to-kernels (LowerToKernels.cpp
// and the Lower*.cpp files beside it): how a memref is passed to a kernel
// (a pointer to its first element, static strides), constant parameter
// blocks, kernel declarations, and folding the fill an op starts from.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_KERNELCALL_H
#define CAMBRIAN_TARGETS_X86_KERNELCALL_H

#include "dialects/Cambrian/CambrianDialect.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace cambrian::x86 {

/// Static strides of `v`, a statically shaped f32 memref, or failure for
/// other types and dynamic layouts.
mlir::FailureOr<llvm::SmallVector<int64_t>> staticStrides(mlir::Value v);

/// Whether `v` is a dense row-major f32 memref (unit dimensions aside).
bool isDenseRowMajor(mlir::Value v);

/// The buffer `v` is a view of (through subviews, reshapes, casts).
mlir::Value rootBuffer(mlir::Value v);

/// Whether `op` sets every element of `buffer` to one float constant that
/// `accept`s (a linalg.fill, or a linalg.map that yields a constant).
bool isConstantInit(mlir::Operation *op, mlir::Value buffer,
                    llvm::function_ref<bool(const llvm::APFloat &)> accept);

/// The static shape of the memref `v`.
llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);

/// `!llvm.ptr` to the first element of `v` (offset applied).
mlir::Value elementPointer(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v);

/// An i64 constant.
mlir::Value i64Const(mlir::OpBuilder &b, mlir::Location loc, int64_t v);

/// Declares `name` with `argTypes` and no results if the module lacks it.
void declareKernel(mlir::Operation *anchor, llvm::StringRef name,
                   mlir::TypeRange argTypes);

/// If a `linalg.fill` of `out` with a value `accept`s precedes `op` with no
/// other use of `out` in between, erases it and returns true: the kernel
/// starts from that value instead.
bool foldFill(mlir::Operation *op, mlir::Value out,
              mlir::PatternRewriter &rewriter,
              llvm::function_ref<bool(const llvm::APFloat &)> accept);

/// foldFill for a zero fill: the kernel overwrites instead.
bool foldZeroFill(mlir::Operation *op, mlir::Value out,
                  mlir::PatternRewriter &rewriter);

/// A pointer to `params` as a constant i64 global named from `prefix` and
/// the values, one per distinct block.
mlir::Value parameterBlock(mlir::Operation *op, llvm::StringRef prefix,
                           llvm::ArrayRef<int64_t> params,
                           mlir::PatternRewriter &rewriter);

/// The operands of a kernel that addresses dense row-major buffers, at the
/// builder's insertion point: an input with another layout is copied into a
/// new dense buffer before the call, an output with another layout is
/// written through one and copied out by `finish` after the call.
class DenseOperands {
public:
  DenseOperands(mlir::OpBuilder &b, mlir::Location loc, mlir::Value output);
  /// `v`, or a dense copy of it.
  mlir::Value input(mlir::Value v);
  /// What the kernel writes.
  mlir::Value output() const { return dense; }
  /// Copies the output back where it belongs, if it was written elsewhere.
  void finish();

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
  mlir::Value original, dense;
};

/// An activation as the kernels take it: a CMB_CONV_ACT_* and its
/// parameters.
struct KernelActivation {
  int64_t kind = 0;
  float alpha = 0.0f, beta = 0.0f;
};

/// `act` (null for none) as the kernels apply it, or none when they have no
/// such activation (Elu, a Clip other than (0, 6)).
std::optional<KernelActivation> kernelActivation(cmb::ActivationAttr act);

/// The patterns of the kernel calls beyond matmul and convolution.
void populateLowerPoolingPatterns(mlir::RewritePatternSet &patterns);
void populateLowerNormalizationPatterns(mlir::RewritePatternSet &patterns);
void populateLowerTransposePatterns(mlir::RewritePatternSet &patterns);
/// Applied after all the others: their generics may belong to a chain that
/// another pattern lowers whole.
void populateLowerPlanePatterns(mlir::RewritePatternSet &patterns);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_KERNELCALL_H
