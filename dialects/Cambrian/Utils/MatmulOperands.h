//===- MatmulOperands.h - A cambrian.matmul as one GEMM or batch -*- C++ -*-===//
//
// How a numpy-broadcasting cambrian.matmul becomes a plain GEMM: shared by
// the decomposition and by targets that call a GEMM kernel, so both cut it
// the same way.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_MATMULOPERANDS_H
#define CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_MATMULOPERANDS_H

#include "dialects/Cambrian/CambrianOps.h"
#include "dialects/Cambrian/Utils/TensorBuilder.h"

namespace cambrian::cmb {

/// The operands of a matmul reshaped for one kernel call, and the shape of
/// its product (before it is reshaped back to the op's result).
struct FlatMatmul {
  mlir::Value lhs, rhs;
  /// [rows, N] for one GEMM, or [B, M, N] for a flat batch.
  llvm::SmallVector<int64_t, 3> shape;
  bool isBatch() const { return shape.size() == 3; }
};

/// Weights shared over the batch (a 2-D rhs) make one GEMM over all rows of
/// the lhs; otherwise both sides are broadcast to one flat batch.
FlatMatmul flattenMatmul(TensorBuilder &tb, MatmulOp op);

/// The same for operands `lhs` and `rhs` standing in for the op's (e.g.
/// their int32 values) and the op's result shape.
FlatMatmul flattenMatmul(TensorBuilder &tb, mlir::Value lhs, mlir::Value rhs,
                         llvm::ArrayRef<int64_t> resultShape);

} // namespace cambrian::cmb

#endif // CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_MATMULOPERANDS_H
