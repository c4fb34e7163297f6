//===- TensorBuilder.h - Emitting tensor-level IR for ONNX ops --*- C++ -*-===//
//
// Helpers that emit linalg/tensor/arith IR on ranked, statically shaped
// tensors. The op handlers are written in terms of these, so that
// broadcasting, reshapes and reductions are spelled once.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_LIB_IMPORT_TENSORBUILDER_H
#define CAMBRIAN_LIB_IMPORT_TENSORBUILDER_H

#include "dialects/Cambrian/Utils/TensorBuilder.h"

namespace cambrian::onnx_import {

/// The MLIR element type of an ONNX type: signless integers (signedness is
/// carried by the ONNX type beside the value), i1 for bool. Null if Cambrian
/// cannot represent the type.
mlir::Type mlirElementType(mlir::MLIRContext *ctx, int32_t onnxType);

using cambrian::broadcastShapes;
using cambrian::ScalarFn;

/// The shared tensor builder plus conversions between ONNX element types.
class TensorBuilder : public cambrian::TensorBuilder {
public:
  using cambrian::TensorBuilder::TensorBuilder;

  /// Converts a scalar between ONNX types (with ONNX's semantics: float to
  /// int truncates toward zero, anything to bool is "!= 0").
  static mlir::Value castScalar(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value v, int32_t from, int32_t to);
  /// Elementwise cast of a whole tensor.
  mlir::Value convert(mlir::Value v, int32_t from, int32_t to);

};

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_TENSORBUILDER_H
