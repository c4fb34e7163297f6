//===- ConstantWeights.h - Weights rearranged at compile time ---*- C++ -*-===//
//
// Some kernels take their weights in a layout of their own (Winograd's
// transformed tiles, packed GEMM panels). When the weights are a constant
// of the module, the compiler rearranges them once, into a new constant
// global, instead of the kernel doing it on every call.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_CONSTANTWEIGHTS_H
#define CAMBRIAN_TARGETS_X86_CONSTANTWEIGHTS_H

#include "mlir/IR/PatternMatch.h"

#include <vector>

namespace cambrian::x86 {

/// Computes the new weights (`out`, already sized) from the old (`in`).
using WeightTransform =
    llvm::function_ref<void(llvm::ArrayRef<float> in, std::vector<float> &out)>;

/// The weights read by `weights` (a memref.get_global of a constant f32
/// global with an initial value, of shape `expectedShape`) rearranged by
/// `transform` into a constant global `<name>_<suffix>` of shape `shape`,
/// read before `user`; null when `weights` is not such a global. Users of the
/// same weights share the new global; the original stays (for other readers
/// or symbol DCE).
mlir::Value transformConstantWeights(mlir::Operation *user, mlir::Value weights,
                                     llvm::ArrayRef<int64_t> expectedShape,
                                     llvm::StringRef suffix,
                                     llvm::ArrayRef<int64_t> shape,
                                     WeightTransform transform,
                                     mlir::PatternRewriter &rewriter);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_CONSTANTWEIGHTS_H
