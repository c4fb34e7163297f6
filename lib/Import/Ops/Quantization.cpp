//===- Quantization.cpp - QuantizeLinear, DequantizeLinear and friends ----===//
//
// Linear (de)quantization with per-tensor, per-axis and blocked scales, the
// dynamic variant, and the integer matrix products (MatMulInteger,
// QLinearMatMul). 8- and 16-bit integer types; float8/4-bit types are not
// representable in Cambrian's tensors and are refused by the importer.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"
#include "lib/Import/SmallTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// Range of an integer quantized type, or nullopt.
std::optional<std::pair<double, double>> quantRange(int32_t type) {
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

/// Input `i` (a scale or zero point) shaped to broadcast against `xs`:
/// per-tensor (one element), per-axis (1-D along `axis`) or blocked (same
/// rank, `block` elements of x per entry along `axis`).
FailureOr<Value> paramFor(NodeContext &nc, unsigned i, ArrayRef<int64_t> xs,
                          int64_t rawAxis, int64_t block) {
  TensorBuilder tb = nc.tb();
  ArrayRef<int64_t> ps = nc.inputShape(i);
  Value p = nc.operand(i);
  int64_t rank = xs.size();
  if (numElements(ps) == 1 && block == 0)
    return tb.reshape(p, SmallVector<int64_t>(rank, 1));
  // The axis matters only for per-axis and blocked parameters.
  auto normalized = nc.normalizeAxis(rawAxis, rank);
  if (failed(normalized))
    return failure();
  int64_t axis = *normalized;
  if (ps.size() == 1 && block == 0) {
    if (ps[0] != xs[axis])
      return nc.emitError() << "input " << i << " has " << ps[0]
                            << " values for an axis of extent " << xs[axis];
    SmallVector<int64_t> s(rank, 1);
    s[axis] = ps[0];
    return tb.reshape(p, s);
  }
  if ((int64_t)ps.size() != rank || block <= 0)
    return nc.emitError() << "input " << i << " must be a scalar, 1-D along "
                          << "the axis, or blocked with block_size";
  for (int64_t d = 0; d < rank; ++d) {
    int64_t want = d == axis ? (xs[d] + block - 1) / block : xs[d];
    if (ps[d] != want)
      return nc.emitError() << "input " << i << " has extent " << ps[d]
                            << " in dimension " << d << ", expected " << want;
  }
  // Spread each block's parameter over its elements.
  return tb.elementwiseIndexed(
      {}, xs, TensorBuilder::elementTypeOf(p),
      [&](OpBuilder &b, Location loc, ValueRange idx) -> Value {
        SmallVector<Value> c(idx.begin(), idx.end());
        c[axis] = arith::DivUIOp::create(
            b, loc, idx[axis], arith::ConstantIndexOp::create(b, loc, block));
        return tensor::ExtractOp::create(b, loc, p, c);
      });
}

/// round-half-even(v), clamped to the range of `type`, converted to it.
Value saturateToInt(OpBuilder &b, Location loc, Value v, int32_t type) {
  auto [lo, hi] = *quantRange(type);
  Value r = math::RoundEvenOp::create(b, loc, v);
  r = arith::MaximumFOp::create(b, loc, r, floatLike(b, loc, r, lo));
  r = arith::MinimumFOp::create(b, loc, r, floatLike(b, loc, r, hi));
  // 4- and 2-bit integers are stored in a byte, sign- or zero-extended.
  int32_t storage = type == kInt4 || type == kInt2     ? int32_t(kInt8)
                    : type == kUInt4 || type == kUInt2 ? int32_t(kUInt8)
                                                       : type;
  return TensorBuilder::castScalar(b, loc, r, kFloat, storage);
}

/// A quantized scalar of ONNX type `type` (its storage value) as f32.
Value smallAwareToFloat(OpBuilder &b, Location loc, Value v, int32_t type) {
  if (isSmallFloat(type))
    return emitDecodeSmallFloat(b, loc, v, type);
  int32_t storage = type == kInt4 || type == kInt2     ? int32_t(kInt8)
                    : type == kUInt4 || type == kUInt2 ? int32_t(kUInt8)
                                                       : type;
  return TensorBuilder::castScalar(b, loc, v, storage, kFloat);
}

/// The `!quant.uniform` element type of a QuantizeLinear/DequantizeLinear
/// node whose parameters the dialect can carry: int8 or uint8 over f32,
/// constant positive scales and zero points, per tensor or per axis (no
/// blocks). Null otherwise: the node is then spelled out below.
quant::QuantizedType quantizedType(NodeContext &nc, int32_t qt,
                                   ArrayRef<int64_t> xs) {
  if ((qt != kInt8 && qt != kUInt8) || nc.attrInt("block_size", 0) != 0 ||
      nc.inputType(1) != kFloat)
    return nullptr;
  const HostTensor *scale = nc.constantInput(1);
  const HostTensor *zp = nc.hasInput(2) ? nc.constantInput(2) : nullptr;
  if (!scale || (nc.hasInput(2) && (!zp || nc.inputType(2) != qt)))
    return nullptr;
  int64_t n = scale->size();
  ArrayRef<int64_t> ss = scale->shape();
  bool perAxis = !(n == 1 && ss.size() <= 1);
  FailureOr<int64_t> axis = perAxis ? nc.normalizeAxis(nc.attrInt("axis", 1),
                                                       xs.size())
                                    : FailureOr<int64_t>(0);
  if (failed(axis) || (perAxis && (ss.size() != 1 || ss[0] != xs[*axis])) ||
      (zp && zp->size() != n))
    return nullptr;
  auto [lo, hi] = *quantRange(qt);
  SmallVector<double> scales;
  SmallVector<int64_t> zps;
  for (int64_t i = 0; i < n; ++i) {
    double sc = scale->getDouble(i);
    int64_t z = zp ? (int64_t)zp->getDouble(i) : 0;
    if (!std::isfinite(sc) || sc <= 0)
      return nullptr;
    scales.push_back(sc);
    zps.push_back(z);
  }
  MLIRContext *ctx = nc.context();
  unsigned flags = qt == kInt8 ? quant::QuantizationFlags::Signed : 0;
  auto storage = IntegerType::get(ctx, 8);
  auto f32 = Float32Type::get(ctx);
  if (!perAxis)
    return quant::UniformQuantizedType::get(flags, storage, f32, scales[0],
                                            zps[0], (int64_t)lo, (int64_t)hi);
  return quant::UniformQuantizedPerAxisType::get(
      flags, storage, f32, scales, zps, *axis, (int64_t)lo, (int64_t)hi);
}

/// QuantizeLinear (10, 13, 19, 21, 23, 24, 25).
LogicalResult importQuantizeLinear(NodeContext &nc) {
  int32_t xt = nc.inputType(0);
  if (!isFloatType(xt) && xt != kInt32)
    return nc.emitError() << "expects a float or int32 input";
  int32_t qt = nc.hasInput(2) ? nc.inputType(2)
                              : (int32_t)nc.attrInt("output_dtype", kUInt8);
  if (qt == 0)
    qt = kUInt8;
  bool toFloat8 = isSmallFloat(qt) && qt != kFloat8E8M0;
  if (!quantRange(qt) && !toFloat8)
    return nc.emitError() << "quantizing to " << onnxTypeName(qt)
                          << " is not supported";
  bool saturate = nc.attrInt("saturate", 1) != 0;
  ArrayRef<int64_t> xs = nc.inputShape(0);
  // One cambrian.quantize; its storage (i8) is what flows on.
  if (quant::QuantizedType type = quantizedType(nc, qt, xs);
      type && xt == kFloat) {
    Value q = cmb::QuantizeOp::create(nc.builder(), nc.loc(),
                                      RankedTensorType::get(xs, type),
                                      nc.operand(0));
    nc.setResult(0,
                 quant::StorageCastOp::create(
                     nc.builder(), nc.loc(),
                     RankedTensorType::get(xs, type.getStorageType()), q),
                 qt);
    return success();
  }
  int64_t axis = nc.attrInt("axis", 1);
  int64_t block = nc.attrInt("block_size", 0);
  auto scale = paramFor(nc, 1, xs, axis, block);
  if (failed(scale))
    return failure();
  SmallVector<Value> ops = {nc.tb().convert(nc.operand(0), xt, kFloat),
                            nc.tb().convert(*scale, nc.inputType(1), kFloat)};
  if (nc.hasInput(2)) {
    auto zp = paramFor(nc, 2, xs, axis, block);
    if (failed(zp))
      return failure();
    ops.push_back(*zp);
  }
  Value y = nc.tb().elementwise(
      ops, xs, mlirElementType(nc.context(), qt),
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        Value q = arith::DivFOp::create(b, loc, v[0], v[1]);
        Value zp = v.size() > 2 ? smallAwareToFloat(b, loc, v[2], qt) : Value();
        if (toFloat8) {
          // Float8 targets round once, in the format itself.
          if (zp)
            q = arith::AddFOp::create(b, loc, q, zp);
          return emitEncodeSmallFloat(b, loc, q, qt, saturate);
        }
        q = math::RoundEvenOp::create(b, loc, q);
        if (zp)
          q = arith::AddFOp::create(b, loc, q, zp);
        return saturateToInt(b, loc, q, qt);
      });
  nc.setResult(0, y, qt);
  return success();
}

/// DequantizeLinear (10, 13, 19, 21, 23, 24, 25).
LogicalResult importDequantizeLinear(NodeContext &nc) {
  int32_t qt = nc.inputType(0);
  if (!quantRange(qt) && qt != kInt32 &&
      !(isSmallFloat(qt) && qt != kFloat8E8M0))
    return nc.emitError() << "dequantizing " << onnxTypeName(qt)
                          << " is not supported";
  int32_t st = nc.inputType(1);
  int32_t yt = (int32_t)nc.attrInt("output_dtype", 0);
  if (yt == 0)
    yt = st;
  ArrayRef<int64_t> xs = nc.inputShape(0);
  // The storage seen as its quantized type, then one cambrian.dequantize.
  if (quant::QuantizedType type = quantizedType(nc, qt, xs);
      type && yt == kFloat) {
    Value q = quant::StorageCastOp::create(nc.builder(), nc.loc(),
                                           RankedTensorType::get(xs, type),
                                           nc.operand(0));
    nc.setResult(0,
                 cmb::DequantizeOp::create(
                     nc.builder(), nc.loc(),
                     RankedTensorType::get(xs, nc.builder().getF32Type()), q),
                 kFloat);
    return success();
  }
  int64_t axis = nc.attrInt("axis", 1);
  int64_t block = nc.attrInt("block_size", 0);
  auto scale = paramFor(nc, 1, xs, axis, block);
  if (failed(scale))
    return failure();
  TensorBuilder tb = nc.tb();
  // Integers up to 16 bits are exact in float32 (int32 needs double).
  int32_t ct = qt == kInt32 ? int32_t(kDouble) : int32_t(kFloat);
  auto toCompute = [&](Value v, int32_t t) {
    if (!isSmallType(t))
      return tb.convert(v, t, ct);
    return tb.elementwise({v}, TensorBuilder::shapeOf(v),
                          nc.builder().getF32Type(),
                          [t](OpBuilder &b, Location loc, ValueRange x) {
                            return smallAwareToFloat(b, loc, x[0], t);
                          });
  };
  SmallVector<Value> ops = {toCompute(nc.operand(0), qt),
                            tb.convert(*scale, st, ct)};
  if (nc.hasInput(2)) {
    auto zp = paramFor(nc, 2, xs, axis, block);
    if (failed(zp))
      return failure();
    ops.push_back(toCompute(*zp, nc.inputType(2)));
  }
  Value y = tb.elementwise(ops, xs, mlirElementType(nc.context(), ct),
                           [](OpBuilder &b, Location loc, ValueRange v) {
                             Value d = v[0];
                             if (v.size() > 2)
                               d = arith::SubFOp::create(b, loc, d, v[2]);
                             return arith::MulFOp::create(b, loc, d, v[1])
                                 .getResult();
                           });
  nc.setResult(0, tb.convert(y, ct, yt), yt);
  return success();
}

/// DynamicQuantizeLinear (11): uint8 with a scale and zero point covering
/// [min(0, x), max(0, x)].
LogicalResult importDynamicQuantizeLinear(NodeContext &nc) {
  if (failed(nc.checkInputType(0, {kFloat})))
    return failure();
  TensorBuilder tb = nc.tb();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  Value x = nc.operand(0);
  Type f32 = nc.builder().getF32Type();
  SmallVector<int64_t> all;
  for (size_t d = 0; d < xs.size(); ++d)
    all.push_back(d);
  auto reduceTo = [&](bool max) {
    return tb.reduce(x, all, false, 0.0, f32,
                     [max](OpBuilder &b, Location loc, ValueRange v) -> Value {
                       if (max)
                         return arith::MaximumFOp::create(b, loc, v[0], v[1]);
                       return arith::MinimumFOp::create(b, loc, v[0], v[1]);
                     });
  };
  // Starting the reductions at 0 includes 0 in the range, as ONNX asks.
  Value mx = reduceTo(true), mn = reduceTo(false);
  Value scale = tb.elementwise(
      {mx, mn}, {}, f32, [](OpBuilder &b, Location loc, ValueRange v) {
        Value range = arith::SubFOp::create(b, loc, v[0], v[1]);
        Value same = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           v[0], v[1]);
        range = arith::SelectOp::create(b, loc, same, floatLike(b, loc, range, 1.0),
                                        range);
        return arith::DivFOp::create(b, loc, range,
                                     floatLike(b, loc, range, 255.0))
            .getResult();
      });
  Value zpF = tb.elementwise(
      {mn, scale}, {}, f32, [](OpBuilder &b, Location loc, ValueRange v) {
        Value z = arith::NegFOp::create(
            b, loc, arith::DivFOp::create(b, loc, v[0], v[1]));
        z = arith::MaximumFOp::create(b, loc, z, floatLike(b, loc, z, 0.0));
        z = arith::MinimumFOp::create(b, loc, z, floatLike(b, loc, z, 255.0));
        return math::RoundEvenOp::create(b, loc, z).getResult();
      });
  Value y = tb.elementwise(
      {x, scale, zpF}, xs, nc.builder().getI8Type(),
      [](OpBuilder &b, Location loc, ValueRange v) {
        Value q = math::RoundEvenOp::create(
            b, loc, arith::DivFOp::create(b, loc, v[0], v[1]));
        return saturateToInt(b, loc, arith::AddFOp::create(b, loc, q, v[2]),
                             kUInt8);
      });
  nc.setResult(0, y, kUInt8);
  nc.setResult(1, scale, kFloat);
  nc.setResult(2, tb.convert(zpF, kFloat, kUInt8), kUInt8);
  return success();
}

/// (a - a_zero_point) @ (b - b_zero_point) in int32, batched and broadcast
/// like MatMul. Zero points are per tensor, per row of a or per column of b.
FailureOr<Value> integerMatmul(NodeContext &nc, unsigned a, unsigned aZp,
                               unsigned b, unsigned bZp,
                               SmallVectorImpl<int64_t> &outShape) {
  TensorBuilder tb = nc.tb();
  SmallVector<int64_t> as(nc.inputShape(a)), bs(nc.inputShape(b));
  if (as.size() < 2 || bs.size() < 2)
    return nc.emitError() << "inputs must have rank >= 2";
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K)
    return nc.emitError() << "inner dimensions differ (" << K << " vs "
                          << bs[bs.size() - 2] << ")";
  SmallVector<int64_t> batch;
  if (!broadcastShapes(ArrayRef<int64_t>(as).drop_back(2),
                       ArrayRef<int64_t>(bs).drop_back(2), batch))
    return nc.emitError() << "batch dimensions cannot be broadcast";
  Type i32 = nc.builder().getI32Type();
  auto centered = [&](unsigned v, unsigned zp, ArrayRef<int64_t> shape,
                      bool rowWise) -> FailureOr<Value> {
    Value x = tb.convert(nc.operand(v), nc.inputType(v), kInt32);
    if (!nc.hasInput(zp))
      return x;
    Value z = tb.convert(nc.operand(zp), nc.inputType(zp), kInt32);
    ArrayRef<int64_t> zs = nc.inputShape(zp);
    if (numElements(zs) != 1) {
      // One zero point per row of a / column of b.
      SmallVector<int64_t> s(shape.size(), 1);
      int64_t d = rowWise ? shape.size() - 2 : shape.size() - 1;
      if (numElements(zs) != shape[d])
        return nc.emitError() << "zero point has " << numElements(zs)
                              << " values, expected 1 or " << shape[d];
      s[d] = shape[d];
      z = tb.reshape(z, s);
    } else {
      z = tb.reshape(z, SmallVector<int64_t>(shape.size(), 1));
    }
    return tb.elementwise({x, z}, shape, i32,
                          [](OpBuilder &bb, Location loc, ValueRange v) {
                            return arith::SubIOp::create(bb, loc, v[0], v[1])
                                .getResult();
                          });
  };
  auto av = centered(a, aZp, as, true), bv = centered(b, bZp, bs, false);
  if (failed(av) || failed(bv))
    return failure();
  SmallVector<int64_t> aFull(batch), bFull(batch);
  aFull.append({M, K});
  bFull.append({K, N});
  int64_t B = numElements(batch);
  Value a3 = tb.reshape(tb.broadcastTo(*av, aFull), {B, M, K});
  Value b3 = tb.reshape(tb.broadcastTo(*bv, bFull), {B, K, N});
  Value init = tb.splat(tb.scalar(i32, 0.0), {B, M, N});
  Value y = linalg::BatchMatmulOp::create(nc.builder(), nc.loc(),
                                          TypeRange{init.getType()},
                                          ValueRange{a3, b3}, ValueRange{init})
                .getResult(0);
  outShape.assign(batch.begin(), batch.end());
  outShape.append({M, N});
  return tb.reshape(y, outShape);
}

/// MatMulInteger (10).
LogicalResult importMatMulInteger(NodeContext &nc) {
  SmallVector<int64_t> shape;
  auto y = integerMatmul(nc, 0, 2, 1, 3, shape);
  if (failed(y))
    return failure();
  nc.setResult(0, *y, kInt32);
  return success();
}

/// QLinearMatMul (10, 21): requantize the int32 product with
/// a_scale * b_scale / y_scale.
LogicalResult importQLinearMatMul(NodeContext &nc) {
  int32_t yt = nc.inputType(7);
  if (!quantRange(yt))
    return nc.emitError() << "output type " << onnxTypeName(yt)
                          << " is not supported";
  for (unsigned i : {1u, 4u, 6u})
    if (numElements(nc.inputShape(i)) != 1)
      return nc.emitError() << "only per-tensor scales are supported";
  SmallVector<int64_t> shape;
  auto acc = integerMatmul(nc, 0, 2, 3, 5, shape);
  if (failed(acc))
    return failure();
  TensorBuilder tb = nc.tb();
  auto scalar = [&](unsigned i) {
    return tb.reshape(tb.convert(nc.operand(i), nc.inputType(i), kFloat),
                      SmallVector<int64_t>(shape.size(), 1));
  };
  Value y = tb.elementwise(
      {tb.convert(*acc, kInt32, kFloat), scalar(1), scalar(4), scalar(6),
       scalar(7)},
      shape, mlirElementType(nc.context(), yt),
      [&](OpBuilder &b, Location loc, ValueRange v) {
        Value s = arith::DivFOp::create(
            b, loc, arith::MulFOp::create(b, loc, v[1], v[2]), v[3]);
        Value d = arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, v[0], s), v[4]);
        return saturateToInt(b, loc, d, yt);
      });
  nc.setResult(0, y, yt);
  return success();
}

} // namespace

void cambrian::onnx_import::registerQuantization(OpRegistry &r) {
  r.add("", "DequantizeLinear", 10, importDequantizeLinear,
        OpFlag::MovesSmallTypes);
  r.add("", "DynamicQuantizeLinear", 11, importDynamicQuantizeLinear);
  r.add("", "MatMulInteger", 10, importMatMulInteger);
  r.add("", "QLinearMatMul", 10, importQLinearMatMul);
  r.add("", "QuantizeLinear", 10, importQuantizeLinear,
        OpFlag::MovesSmallTypes);
}
