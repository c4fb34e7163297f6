//===- TensorBuilder.h - Emitting linalg/tensor IR on static tensors -*- C++ -*-===//
//
// Helpers that emit linalg/tensor/arith IR on ranked, statically shaped
// tensors, shared by the importer and the cambrian dialect's
// decompositions, so that broadcasting, reshapes, reductions and padding
// are spelled once.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_TENSORBUILDER_H
#define CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_TENSORBUILDER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace cambrian {

/// Multidirectional (numpy) broadcast of two shapes; false if incompatible.
bool broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b,
                     llvm::SmallVectorImpl<int64_t> &result);

/// Body of an elementwise op: scalar operands in, scalar result out.
using ScalarFn = llvm::function_ref<mlir::Value(
    mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

class TensorBuilder {
public:
  TensorBuilder(mlir::OpBuilder &b, mlir::Location loc) : b(b), loc(loc) {}
  mlir::OpBuilder &builder() { return b; }
  mlir::Location location() const { return loc; }

  static llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);
  static mlir::Type elementTypeOf(mlir::Value v);

  mlir::Value empty(llvm::ArrayRef<int64_t> shape, mlir::Type elemType);
  /// A scalar constant of `type` (float or integer) with value `v`.
  mlir::Value scalar(mlir::Type type, double v);
  /// A tensor of `shape` filled with `scalar`.
  mlir::Value splat(mlir::Value scalar, llvm::ArrayRef<int64_t> shape);

  /// Elementwise op over operands broadcast (numpy rules) to `resultShape`.
  mlir::Value elementwise(mlir::ValueRange operands,
                          llvm::ArrayRef<int64_t> resultShape,
                          mlir::Type resultElemType, ScalarFn body);
  /// Elementwise op whose body also sees the loop indices (as `index`
  /// values, after the scalar operands).
  mlir::Value elementwiseIndexed(mlir::ValueRange operands,
                                 llvm::ArrayRef<int64_t> resultShape,
                                 mlir::Type resultElemType, ScalarFn body);

  /// Same elements, new static shape.
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);
  /// result[i] = v[perm applied]: result dim k is input dim perm[k].
  mlir::Value transpose(mlir::Value v, llvm::ArrayRef<int64_t> perm);
  /// Broadcast `v` to `shape` (numpy rules), materialised.
  mlir::Value broadcastTo(mlir::Value v, llvm::ArrayRef<int64_t> shape);

  /// Reduces `axes` (sorted, unique) of `v` with `combine(acc, x)` starting
  /// from `init`; keeps reduced dims as 1 if `keepDims`.
  mlir::Value reduce(mlir::Value v, llvm::ArrayRef<int64_t> axes,
                     bool keepDims, double init, mlir::Type accType,
                     ScalarFn combine, ScalarFn preMap = nullptr);

  /// Static slice with positive strides.
  mlir::Value slice(mlir::Value v, llvm::ArrayRef<int64_t> offsets,
                    llvm::ArrayRef<int64_t> sizes,
                    llvm::ArrayRef<int64_t> strides);
  /// Concatenation along `axis`.
  mlir::Value concat(mlir::ValueRange values, int64_t axis);
  /// Constant padding, as a tensor.pad.
  mlir::Value pad(mlir::Value v, llvm::ArrayRef<int64_t> low,
                  llvm::ArrayRef<int64_t> high, double padValue);

  /// Reduces every window of an N x C x spatial tensor (already padded)
  /// into `outSpatial` positions: loops n, c, output positions, then the
  /// window, with `combine(acc, x)` from `init`.
  mlir::Value windowReduce(mlir::Value input, llvm::ArrayRef<int64_t> kernel,
                           llvm::ArrayRef<int64_t> strides,
                           llvm::ArrayRef<int64_t> dilations,
                           llvm::ArrayRef<int64_t> outSpatial, double init,
                           ScalarFn combine);

protected:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

/// Mean and reciprocal standard deviation of a float tensor over some
/// axes (kept as 1s), and the centered input.
struct Moments {
  mlir::Value mean, invStdDev, centered;
};

/// The moments of `x` over `axes`, with `eps` added to the variance. Without
/// `center`, the "variance" is the mean square (RMS normalization) and
/// `centered` is `x`.
Moments computeMoments(TensorBuilder &tb, mlir::Value x,
                       llvm::ArrayRef<int64_t> axes, double eps,
                       bool center = true);

/// y = x [* inv] [* scale] [+ bias], each operand broadcast (numpy rules)
/// against x; absent operands are null.
mlir::Value scaleAndShift(TensorBuilder &tb, mlir::Value x, mlir::Value inv,
                          mlir::Value scale, mlir::Value bias);

} // namespace cambrian

#endif // CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_TENSORBUILDER_H
