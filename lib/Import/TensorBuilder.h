//===- TensorBuilder.h - Emitting tensor-level IR for ONNX ops --*- C++ -*-===//
//
// Helpers that emit linalg/tensor/arith IR on ranked, statically shaped
// tensors. The op handlers are written in terms of these, so that
// broadcasting, reshapes and reductions are spelled once.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_LIB_IMPORT_TENSORBUILDER_H
#define CAMBRIAN_LIB_IMPORT_TENSORBUILDER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace cambrian::onnx_import {

/// The MLIR element type of an ONNX type: signless integers (signedness is
/// carried by the ONNX type beside the value), i1 for bool. Null if Cambrian
/// cannot represent the type.
mlir::Type mlirElementType(mlir::MLIRContext *ctx, int32_t onnxType);

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
  /// Constant padding.
  mlir::Value pad(mlir::Value v, llvm::ArrayRef<int64_t> low,
                  llvm::ArrayRef<int64_t> high, double padValue);

  /// Converts a scalar between ONNX types (with ONNX's semantics: float to
  /// int truncates toward zero, anything to bool is "!= 0").
  static mlir::Value castScalar(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value v, int32_t from, int32_t to);
  /// Elementwise cast of a whole tensor.
  mlir::Value convert(mlir::Value v, int32_t from, int32_t to);

private:
  mlir::OpBuilder &b;
  mlir::Location loc;
};

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_TENSORBUILDER_H
