//===- SmallTypes.h - 8-, 4- and 2-bit element types ------------*- C++ -*-===//
//
// ONNX's float8 (E4M3FN, E4M3FNUZ, E5M2, E5M2FNUZ, E8M0), float4 (E2M1),
// int4/uint4 and int2/uint2 types are storage formats: Cambrian keeps them
// one element per byte (the 4- and 2-bit integers sign- or zero-extended) in
// i8 tensors, and only moves them or converts them. Conversions are defined
// here once, for the host (constant folding) and as IR (run time).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_LIB_IMPORT_SMALLTYPES_H
#define CAMBRIAN_LIB_IMPORT_SMALLTYPES_H

#include "mlir/IR/Builders.h"

#include <cstdint>
#include <string>

namespace cambrian::onnx_import {

enum SmallType : int32_t {
  kFloat8E4M3FN = 17,
  kFloat8E4M3FNUZ = 18,
  kFloat8E5M2 = 19,
  kFloat8E5M2FNUZ = 20,
  kUInt4 = 21,
  kInt4 = 22,
  kFloat4E2M1 = 23,
  kFloat8E8M0 = 24,
  kUInt2 = 25,
  kInt2 = 26,
};

/// Whether `type` is one of the byte-stored small types above.
bool isSmallType(int32_t type);
/// The small floats (float8 and float4 formats).
bool isSmallFloat(int32_t type);
/// Bits per element in ONNX's packed storage (8, 4 or 2).
int smallTypeBits(int32_t type);

/// How a value is rounded into float8e8m0 (Cast's round_mode).
enum class E8M0Rounding { Up, Down, Nearest };

/// Host conversions. `saturate` clamps out-of-range values to the largest
/// finite one instead of producing infinity/NaN.
double decodeSmallFloat(int32_t type, uint8_t code);
uint8_t encodeSmallFloat(int32_t type, double v, bool saturate,
                         E8M0Rounding rounding = E8M0Rounding::Up);
/// int4/uint4/int2/uint2 from an integer: wraps modulo 2^bits, then sign-
/// or zero-extends (as numpy's conversions do).
int64_t wrapSmallInt(int32_t type, int64_t v);

/// IR conversions on scalars: a small float's byte (i8) to f32, and an f32
/// to a small float's byte.
mlir::Value emitDecodeSmallFloat(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value code, int32_t type);
mlir::Value emitEncodeSmallFloat(mlir::OpBuilder &b, mlir::Location loc,
                                 mlir::Value f32, int32_t type, bool saturate,
                                 E8M0Rounding rounding = E8M0Rounding::Up);
/// An integer (any width, signedness per `isUnsigned`) or float scalar to
/// int4/uint4/int2/uint2 stored in i8 (floats truncate toward zero, NaN and
/// infinities give 0, then the value wraps).
mlir::Value emitToSmallInt(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v, bool isFloat, bool isUnsigned,
                           int32_t type);

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_SMALLTYPES_H
