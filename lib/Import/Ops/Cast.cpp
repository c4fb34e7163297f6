//===- Cast.cpp - Cast, CastLike and BitCast ------------------------------===//
//
// Element type conversions, including the byte-stored small types
// (float8, float4, int4, int2) with ONNX's rounding and saturation.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"
#include "lib/Import/SmallTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

using namespace mlir;
using namespace cambrian::onnx_import;

/// Casts from or to the byte-stored small types (float8, float4, int4,
/// int2), with Cast's `saturate` and `round_mode` (float8e8m0).
static LogicalResult importSmallCast(NodeContext &nc, int32_t from,
                                     int32_t to) {
  bool saturate = nc.attrInt("saturate", 1) != 0;
  std::string mode = nc.attrString("round_mode", "up");
  E8M0Rounding rounding = mode == "down"      ? E8M0Rounding::Down
                          : mode == "nearest" ? E8M0Rounding::Nearest
                                              : E8M0Rounding::Up;
  // The wide type a small source is read as.
  int32_t wide = isSmallFloat(from)                   ? int32_t(kFloat)
                 : from == kInt4 || from == kInt2     ? int32_t(kInt8)
                 : from == kUInt4 || from == kUInt2   ? int32_t(kUInt8)
                                                      : from;
  if (const HostTensor *c = nc.constantInput(0);
      c && c->size() <= kHostFoldLimit) {
    HostTensor r(to, c->shape());
    char *out = const_cast<char *>(r.bytes().data());
    for (int64_t i = 0, e = c->size(); i < e; ++i) {
      bool fromFloat = isFloatType(wide);
      double d = fromFloat ? c->getDouble(i) : double(c->getInt(i));
      if (isSmallFloat(to))
        out[i] = static_cast<char>(encodeSmallFloat(to, d, saturate, rounding));
      else if (isSmallType(to))
        r.setInt(i, fromFloat ? (std::isfinite(d) ? int64_t(d) : 0)
                              : c->getInt(i));
      else if (isFloatType(to))
        r.setDouble(i, d);
      else
        r.setInt(i, fromFloat ? int64_t(d) : c->getInt(i));
    }
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  Value y = nc.tb().elementwise(
      {nc.operand(0)}, nc.inputShape(0), mlirElementType(nc.context(), to),
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        Value x = v[0];
        if (isSmallFloat(from))
          x = emitDecodeSmallFloat(b, loc, x, from);
        if (isSmallFloat(to)) {
          Value f = TensorBuilder::castScalar(b, loc, x, wide, kFloat);
          return emitEncodeSmallFloat(b, loc, f, to, saturate, rounding);
        }
        if (isSmallType(to))
          return emitToSmallInt(b, loc, x, isFloatType(wide),
                                isUnsignedType(wide), to);
        return TensorBuilder::castScalar(b, loc, x, wide, to);
      });
  nc.setResult(0, y, to);
  return success();
}

LogicalResult cambrian::onnx_import::importCastTo(NodeContext &nc, int32_t to) {
  int32_t from = nc.inputType(0);
  if ((isSmallType(from) || isSmallType(to)) && from != to)
    return importSmallCast(nc, from, to);
  if (!mlirElementType(nc.context(), to))
    return nc.emitError() << "cast to " << onnxTypeName(to)
                          << " is not supported";
  if (!mlirElementType(nc.context(), from))
    return nc.emitError() << "cast from " << onnxTypeName(from)
                          << " is not supported";
  if (const HostTensor *c = nc.constantInput(0);
      c && c->size() <= kHostFoldLimit) {
    HostTensor r(to, c->shape());
    for (int64_t i = 0, e = c->size(); i < e; ++i) {
      if (isFloatType(from))
        r.setDouble(i, c->getDouble(i));
      else
        r.setInt(i, c->getInt(i));
    }
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  nc.setResult(0, nc.tb().convert(nc.operand(0), from, to), to);
  return success();
}

namespace {

LogicalResult importCast(NodeContext &nc) {
  if (!nc.hasAttr("to"))
    return nc.emitError() << "missing attribute 'to'";
  return importCastTo(nc, nc.attrInt("to", 0));
}

/// CastLike (15): Cast to the element type of input 1.
LogicalResult importCastLike(NodeContext &nc) {
  if (!nc.hasInput(1))
    return nc.emitError() << "missing input 1 (target_type)";
  return importCastTo(nc, nc.inputType(1));
}

/// BitCast (26): the same bits read as another type of the same width.
LogicalResult importBitCast(NodeContext &nc) {
  int32_t from = nc.inputType(0);
  int32_t to = (int32_t)nc.attrInt("to", 0);
  Type toType = mlirElementType(nc.context(), to);
  if (!toType || to == kString)
    return nc.emitError() << "BitCast to " << onnxTypeName(to)
                          << " is not supported";
  if (onnxTypeSize(from) != onnxTypeSize(to) ||
      smallTypeBits(from) != smallTypeBits(to))
    return nc.emitError() << onnxTypeName(from) << " and " << onnxTypeName(to)
                          << " differ in width";
  Value x = nc.operand(0);
  Type fromType = TensorBuilder::elementTypeOf(x);
  if (fromType == toType) {
    nc.setResult(0, x, to); // same storage: only the ONNX type changes
    return success();
  }
  Value y = nc.tb().elementwise(
      {x}, nc.inputShape(0), toType,
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        // Bools are one byte holding 0 or 1.
        if (from == kBool)
          return arith::ExtUIOp::create(b, loc, toType, v[0]);
        if (to == kBool)
          return arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ne, v[0],
              arith::ConstantOp::create(b, loc, b.getIntegerAttr(fromType, 0)));
        return arith::BitcastOp::create(b, loc, toType, v[0]);
      });
  nc.setResult(0, y, to);
  return success();
}

} // namespace

void cambrian::onnx_import::registerCast(OpRegistry &r) {
  r.add("", "BitCast", 26, importBitCast, OpFlag::MovesSmallTypes);
  r.add("", "Cast", 6, importCast, OpFlag::MovesSmallTypes);
  r.add("", "CastLike", 15, importCastLike, OpFlag::MovesSmallTypes);
}
