//===- QuantParams.cpp - Scales and zero points of quantized inputs -------===//

#include "lib/Import/Ops/QuantParams.h"
#include "lib/Import/SmallTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <cstdio>
#include <limits>

using namespace mlir;
using namespace cambrian::onnx_import;

std::optional<std::pair<double, double>>
cambrian::onnx_import::quantRange(int32_t type) {
  switch (type) {
  case kUInt8: return std::pair(0.0, 255.0);
  case kInt8: return std::pair(-128.0, 127.0);
  case kUInt16: return std::pair(0.0, 65535.0);
  case kInt16: return std::pair(-32768.0, 32767.0);
  case kUInt4: return std::pair(0.0, 15.0);
  case kInt4: return std::pair(-8.0, 7.0);
  case kUInt2: return std::pair(0.0, 3.0);
  case kInt2: return std::pair(-2.0, 1.0);
  default: return std::nullopt;
  }
}

namespace {

std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// `v` as a person writes it (0, -0.5, nan, inf), not in %e notation.
std::string numberString(double v) {
  if (std::isnan(v))
    return "nan";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

/// `name`, or `name[i]` when the parameter has several values.
std::string elementName(StringRef name, int64_t i, int64_t n) {
  return n == 1 ? name.str() : (name + "[" + std::to_string(i) + "]").str();
}

bool hasZeroPoint(NodeContext &nc, const QuantParamInputs &p) {
  return p.zeroPoint >= 0 && nc.hasInput(p.zeroPoint);
}

/// 4- and 2-bit integers are stored in a byte, sign- or zero-extended.
int32_t storageOf(int32_t type) {
  if (type == kInt4 || type == kInt2)
    return kInt8;
  if (type == kUInt4 || type == kUInt2)
    return kUInt8;
  return type;
}

} // namespace

LogicalResult cambrian::onnx_import::checkQuantParams(
    NodeContext &nc, const QuantParamInputs &p, ArrayRef<int64_t> xs,
    int32_t qt) {
  bool hasScale = p.scale >= 0, hasZp = hasZeroPoint(nc, p);
  if (hasScale && !nc.hasInput(p.scale))
    return nc.emitError() << p.scaleName << " is missing";
  if (!hasScale && !hasZp)
    return success();
  if (hasScale && !isFloatType(nc.inputType(p.scale)))
    return nc.emitError() << p.scaleName << " has element type "
                          << onnxTypeName(nc.inputType(p.scale))
                          << "; scales are floating point";
  if (hasZp && nc.inputType(p.zeroPoint) != qt)
    return nc.emitError() << p.zeroPointName << " has element type "
                          << onnxTypeName(nc.inputType(p.zeroPoint))
                          << " but the quantized tensor is "
                          << onnxTypeName(qt) << "; they must match";
  ArrayRef<int64_t> ps =
      hasScale ? nc.inputShape(p.scale) : nc.inputShape(p.zeroPoint);
  StringRef name = hasScale ? p.scaleName : p.zeroPointName;
  if (hasScale && hasZp) {
    ArrayRef<int64_t> zs = nc.inputShape(p.zeroPoint);
    bool bothOne = numElements(ps) == 1 && numElements(zs) == 1;
    if (!bothOne && ps != zs)
      return nc.emitError() << p.scaleName << " has shape " << shapeString(ps)
                            << " but " << p.zeroPointName << " has shape "
                            << shapeString(zs) << "; they must match";
  }

  // Shapes: one value, one per slice of the axis, or one per block.
  int64_t n = numElements(ps), rank = xs.size();
  if (n != 1 || p.blockSize != 0) {
    if (!p.axis)
      return nc.emitError() << name << " has shape " << shapeString(ps)
                            << "; it must hold one value (per tensor)";
    FailureOr<int64_t> axis = nc.normalizeAxis(*p.axis, rank);
    if (failed(axis))
      return failure();
    if (p.blockSize == 0) {
      if (ps.size() != 1)
        return nc.emitError() << name << " has shape " << shapeString(ps)
                              << "; it must be a scalar or 1-D along axis "
                              << *axis;
      if (ps[0] != xs[*axis])
        return nc.emitError() << name << " has " << ps[0]
                              << " values for axis " << *axis
                              << " of extent " << xs[*axis];
    } else {
      if (p.blockSize < 0)
        return nc.emitError() << "block_size " << p.blockSize
                              << " is negative";
      if ((int64_t)ps.size() != rank)
        return nc.emitError() << name << " has rank " << ps.size()
                              << "; blocked parameters have the input's rank "
                              << rank;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t want =
            d == *axis ? (xs[d] + p.blockSize - 1) / p.blockSize : xs[d];
        if (ps[d] != want)
          return nc.emitError() << name << " has extent " << ps[d]
                                << " in dimension " << d << ", expected "
                                << want;
      }
    }
  }

  // Values, where they are known: a zero scale is wrong on every path.
  if (hasScale)
    if (const HostTensor *s = nc.constantInput(p.scale))
      for (int64_t i = 0, e = s->size(); i < e; ++i) {
        double v = s->getDouble(i);
        if (!std::isfinite(v) || v <= 0)
          return nc.emitError() << elementName(p.scaleName, i, e) << " is "
                                << numberString(v)
                                << "; scales must be positive and finite";
      }
  return success();
}

quant::QuantizedType cambrian::onnx_import::quantizedType(
    NodeContext &nc, const QuantParamInputs &p, ArrayRef<int64_t> xs,
    int32_t qt) {
  // int32: a dequantized bias (DequantizeLinear of a QDQ model's int32
  // bias), or the exact result of ConvInteger/MatMulInteger (scale 1).
  bool int32Result = qt == kInt32;
  if ((qt != kInt8 && qt != kUInt8 && !int32Result) || p.blockSize != 0)
    return nullptr;
  const HostTensor *scale = p.scale >= 0 ? nc.constantInput(p.scale) : nullptr;
  const HostTensor *zp =
      hasZeroPoint(nc, p) ? nc.constantInput(p.zeroPoint) : nullptr;
  if ((p.scale >= 0 && !scale) || (hasZeroPoint(nc, p) && !zp))
    return nullptr;
  int64_t n = scale ? scale->size() : zp ? zp->size() : 1;
  SmallVector<double> scales;
  SmallVector<int64_t> zps;
  for (int64_t i = 0; i < n; ++i) {
    scales.push_back(scale ? scale->getDouble(i) : 1.0);
    zps.push_back(zp ? zp->getInt(i) : 0);
  }
  MLIRContext *ctx = nc.context();
  unsigned flags = qt == kUInt8 ? 0 : quant::QuantizationFlags::Signed;
  auto storage = IntegerType::get(ctx, int32Result ? 32 : 8);
  auto f32 = Float32Type::get(ctx);
  int64_t lo = int32Result ? std::numeric_limits<int32_t>::min()
                           : (int64_t)quantRange(qt)->first;
  int64_t hi = int32Result ? std::numeric_limits<int32_t>::max()
                           : (int64_t)quantRange(qt)->second;
  if (n == 1)
    return quant::UniformQuantizedType::get(flags, storage, f32, scales[0],
                                            zps[0], lo, hi);
  int64_t rank = xs.size(), axis = *p.axis < 0 ? *p.axis + rank : *p.axis;
  return quant::UniformQuantizedPerAxisType::get(flags, storage, f32, scales,
                                                 zps, axis, lo, hi);
}

Value cambrian::onnx_import::quantizedToFloat(OpBuilder &b, Location loc,
                                              Value v, int32_t type) {
  if (isSmallFloat(type))
    return emitDecodeSmallFloat(b, loc, v, type);
  return TensorBuilder::castScalar(b, loc, v, storageOf(type), kFloat);
}

Value cambrian::onnx_import::saturateToInt(OpBuilder &b, Location loc,
                                           Value v, int32_t type) {
  auto [lo, hi] = *quantRange(type);
  Value r = math::RoundEvenOp::create(b, loc, v);
  r = arith::MaximumFOp::create(b, loc, r, floatLike(b, loc, r, lo));
  r = arith::MinimumFOp::create(b, loc, r, floatLike(b, loc, r, hi));
  return TensorBuilder::castScalar(b, loc, r, kFloat, storageOf(type));
}

Value cambrian::onnx_import::broadcastParam(NodeContext &nc, unsigned i,
                                            ArrayRef<int64_t> xs,
                                            const QuantParamInputs &p) {
  TensorBuilder tb = nc.tb();
  ArrayRef<int64_t> ps = nc.inputShape(i);
  Value v = nc.operand(i);
  int64_t rank = xs.size();
  if (numElements(ps) == 1 && p.blockSize == 0)
    return tb.reshape(v, SmallVector<int64_t>(rank, 1));
  int64_t axis = *p.axis < 0 ? *p.axis + rank : *p.axis;
  if (p.blockSize == 0) {
    SmallVector<int64_t> s(rank, 1);
    s[axis] = ps[0];
    return tb.reshape(v, s);
  }
  // Spread each block's parameter over its elements.
  int64_t block = p.blockSize;
  return tb.elementwiseIndexed(
      {}, xs, TensorBuilder::elementTypeOf(v),
      [&](OpBuilder &b, Location loc, ValueRange idx) -> Value {
        SmallVector<Value> c(idx.begin(), idx.end());
        c[axis] = arith::DivUIOp::create(
            b, loc, idx[axis], arith::ConstantIndexOp::create(b, loc, block));
        return tensor::ExtractOp::create(b, loc, v, c);
      });
}

Value cambrian::onnx_import::dequantizeInput(NodeContext &nc, unsigned i,
                                             const QuantParamInputs &p) {
  int32_t qt = nc.inputType(i);
  ArrayRef<int64_t> xs = nc.inputShape(i);
  OpBuilder &b = nc.builder();
  auto f32Type = RankedTensorType::get(xs, b.getF32Type());
  if (quant::QuantizedType type = quantizedType(nc, p, xs, qt)) {
    Value q = quant::StorageCastOp::create(
        b, nc.loc(), RankedTensorType::get(xs, type), nc.operand(i));
    return cmb::DequantizeOp::create(b, nc.loc(), f32Type, q);
  }
  // Parameters known only at run time.
  TensorBuilder tb = nc.tb();
  SmallVector<Value> ops = {nc.operand(i)};
  bool hasScale = p.scale >= 0, hasZp = hasZeroPoint(nc, p);
  if (hasScale)
    ops.push_back(tb.convert(broadcastParam(nc, p.scale, xs, p),
                             nc.inputType(p.scale), kFloat));
  if (hasZp)
    ops.push_back(broadcastParam(nc, p.zeroPoint, xs, p));
  return tb.elementwise(
      ops, xs, b.getF32Type(),
      [&](OpBuilder &bb, Location loc, ValueRange v) -> Value {
        Value x = quantizedToFloat(bb, loc, v[0], qt);
        if (hasZp)
          x = arith::SubFOp::create(bb, loc, x,
                                    quantizedToFloat(bb, loc, v.back(), qt));
        if (hasScale)
          x = arith::MulFOp::create(bb, loc, x, v[1]);
        return x;
      });
}

Value cambrian::onnx_import::quantizeValue(NodeContext &nc, Value x,
                                           const QuantParamInputs &p,
                                           int32_t qt) {
  ArrayRef<int64_t> xs = TensorBuilder::shapeOf(x);
  OpBuilder &b = nc.builder();
  if (quant::QuantizedType type = quantizedType(nc, p, xs, qt)) {
    Value q = cmb::QuantizeOp::create(b, nc.loc(),
                                      RankedTensorType::get(xs, type), x);
    return quant::StorageCastOp::create(
        b, nc.loc(), RankedTensorType::get(xs, type.getStorageType()), q);
  }
  // Parameters known only at run time.
  TensorBuilder tb = nc.tb();
  SmallVector<Value> ops = {x};
  bool hasScale = p.scale >= 0, hasZp = hasZeroPoint(nc, p);
  if (hasScale)
    ops.push_back(tb.convert(broadcastParam(nc, p.scale, xs, p),
                             nc.inputType(p.scale), kFloat));
  if (hasZp)
    ops.push_back(broadcastParam(nc, p.zeroPoint, xs, p));
  return tb.elementwise(
      ops, xs, mlirElementType(nc.context(), storageOf(qt)),
      [&](OpBuilder &bb, Location loc, ValueRange v) -> Value {
        Value q = v[0];
        if (hasScale)
          q = arith::DivFOp::create(bb, loc, q, v[1]);
        q = math::RoundEvenOp::create(bb, loc, q);
        if (hasZp)
          q = arith::AddFOp::create(bb, loc, q,
                                    quantizedToFloat(bb, loc, v.back(), qt));
        return saturateToInt(bb, loc, q, qt);
      });
}
