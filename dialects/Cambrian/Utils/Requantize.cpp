//===- Requantize.cpp - Integer requantization of an accumulator ----------===//

#include "dialects/Cambrian/Utils/Requantize.h"
#include "dialects/Cambrian/Utils/Activation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"

#include <cmath>

using namespace mlir;
using namespace cambrian;
using namespace cambrian::cmb;

float FixedPointScale::toFloat() const {
  return std::ldexp((float)multiplier, -shift);
}

std::optional<FixedPointScale> cambrian::cmb::toFixedPoint(double scale) {
  if (!std::isfinite(scale) || scale <= 0)
    return std::nullopt;
  int exp;
  // The mantissa of the float32 factor, in [0.5, 1): 24 significant bits,
  // so the multiplier below holds it exactly.
  double mantissa = std::frexp((double)(float)scale, &exp);
  int64_t m = std::llround(mantissa * (double)(1ll << 31));
  int64_t shift = 31 - exp;
  if (shift < 1)
    return std::nullopt;
  if (shift > 62) {
    // Factors below 2^-32 keep what precision a shift of 62 leaves.
    int64_t drop = shift - 62;
    m = drop >= 32 ? 0 : m >> drop;
    shift = 62;
  }
  return FixedPointScale{(int32_t)m, (int32_t)shift};
}

/// `v` rounded to `bits` significant bits, ties to even (what converting
/// it to a float with a `bits`-bit significand does).
static int64_t roundToSignificantBits(int64_t v, int bits) {
  uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  int width = 64 - __builtin_clzll(a | 1);
  if (width <= bits)
    return v;
  int drop = width - bits;
  uint64_t q = a >> drop, rem = a & ((uint64_t(1) << drop) - 1),
           half = uint64_t(1) << (drop - 1);
  if (rem > half || (rem == half && (q & 1)))
    ++q;
  a = q << drop;
  return v < 0 ? -(int64_t)a : (int64_t)a;
}

int64_t cambrian::cmb::applyFixedPoint(int64_t acc, FixedPointScale s) {
  // float32(acc), then the float32 product scaled by 2^shift: at most 2^31
  // times a multiplier below 2^31, so it fits.
  int64_t a = roundToSignificantBits(acc, 24);
  int64_t p = roundToSignificantBits(a * (int64_t)s.multiplier, 24);
  int64_t q = p >> s.shift; // floor
  int64_t rem = p - (q << s.shift);
  int64_t half = int64_t(1) << (s.shift - 1);
  if (rem > half || (rem == half && (q & 1)))
    ++q;
  return q;
}

SmallVector<double> cambrian::cmb::quantizedScales(quant::QuantizedType t) {
  if (auto u = dyn_cast<quant::UniformQuantizedType>(t))
    return {u.getScale()};
  auto a = cast<quant::UniformQuantizedPerAxisType>(t);
  return SmallVector<double>(a.getScales());
}

SmallVector<int64_t>
cambrian::cmb::quantizedZeroPoints(quant::QuantizedType t) {
  if (auto u = dyn_cast<quant::UniformQuantizedType>(t))
    return {u.getZeroPoint()};
  auto a = cast<quant::UniformQuantizedPerAxisType>(t);
  return SmallVector<int64_t>(a.getZeroPoints());
}

FailureOr<Requantization>
cambrian::cmb::getRequantization(quant::UniformQuantizedType input,
                                 quant::QuantizedType filter,
                                 quant::UniformQuantizedType result,
                                 ActivationAttr activation) {
  Requantization r;
  for (double ws : quantizedScales(filter)) {
    // The factor as ONNX Runtime forms it, in float32 (x_scale * w_scale /
    // y_scale): models are quantized and checked against that runtime, and
    // a factor a few ulps apart flips results that sit on a tie.
    float factor = (float)input.getScale() * (float)ws;
    factor /= (float)result.getScale();
    auto fp = toFixedPoint(factor);
    if (!fp)
      return failure();
    r.scales.push_back(*fp);
  }
  r.zeroPoint = result.getZeroPoint();
  r.lo = result.getStorageTypeMin();
  r.hi = result.getStorageTypeMax();
  // Quantizing is monotonic and maps 0 to the zero point exactly, so a
  // clamp on the real value is the same clamp on the quantized one.
  auto quantize = [&](double v) {
    double q = std::nearbyint(v / result.getScale()) + r.zeroPoint;
    return (int64_t)std::clamp(q, (double)r.lo, (double)r.hi);
  };
  if (activation && activation.getKind() == ActivationKind::Relu) {
    r.lo = std::max(r.lo, r.zeroPoint);
  } else if (activation && activation.getKind() == ActivationKind::Clip) {
    r.lo = std::max(r.lo, quantize(activation.getAlphaF32()));
    r.hi = std::min(r.hi, quantize(activation.getBetaF32()));
  }
  return r;
}

/// Values along `dim` of a rank-`rank` tensor, as a [n, 1, ..] constant
/// that broadcasts from the right (or a rank-0 one for a single value).
static Value perChannel(TensorBuilder &tb, ArrayRef<int64_t> values,
                        int64_t dim, int64_t rank) {
  OpBuilder &b = tb.builder();
  SmallVector<int64_t> shape;
  if (values.size() > 1) {
    shape.assign(rank - dim, 1);
    shape[0] = values.size();
  }
  auto type = RankedTensorType::get(shape, b.getI32Type());
  SmallVector<int32_t> v(values.begin(), values.end());
  return arith::ConstantOp::create(
      b, tb.location(), DenseElementsAttr::get(type, ArrayRef<int32_t>(v)));
}

Value cambrian::cmb::emitCenteredInt32(TensorBuilder &tb, Value quantized) {
  OpBuilder &b = tb.builder();
  auto type = cast<RankedTensorType>(quantized.getType());
  auto qt = cast<quant::QuantizedType>(type.getElementType());
  Value stored = quant::StorageCastOp::create(
      b, tb.location(), type.clone(qt.getStorageType()), quantized);
  int64_t axis = -1;
  if (auto a = dyn_cast<quant::UniformQuantizedPerAxisType>(qt))
    axis = a.getQuantizedDimension();
  SmallVector<int64_t> zps = quantizedZeroPoints(qt);
  Value zp = perChannel(tb, zps, std::max<int64_t>(axis, 0), type.getRank());
  bool isSigned = qt.isSigned();
  Type i32 = b.getI32Type();
  return tb.elementwise({stored, zp}, type.getShape(), i32,
                        [&](OpBuilder &bb, Location l, ValueRange v) -> Value {
                          Value x = v[0];
                          if (x.getType() != i32)
                            x = isSigned
                                    ? arith::ExtSIOp::create(bb, l, i32, x)
                                          .getResult()
                                    : arith::ExtUIOp::create(bb, l, i32, x)
                                          .getResult();
                          return arith::SubIOp::create(bb, l, x, v[1]);
                        });
}

Value cambrian::cmb::emitRequantize(TensorBuilder &tb, Value acc, Value bias,
                                    int64_t channelDim,
                                    const Requantization &r,
                                    RankedTensorType result) {
  OpBuilder &b = tb.builder();
  ArrayRef<int64_t> shape = TensorBuilder::shapeOf(acc);
  int64_t rank = shape.size();
  SmallVector<float> factors;
  for (FixedPointScale s : r.scales)
    factors.push_back(s.toFloat());
  SmallVector<int64_t> fshape;
  if (factors.size() > 1) {
    fshape.assign(rank - channelDim, 1);
    fshape[0] = factors.size();
  }
  Value factor = arith::ConstantOp::create(
      b, tb.location(),
      DenseElementsAttr::get(RankedTensorType::get(fshape, b.getF32Type()),
                             ArrayRef<float>(factors)));
  SmallVector<Value> operands = {acc, factor};
  if (bias) {
    SmallVector<int64_t> bs(rank - channelDim, 1);
    bs[0] = TensorBuilder::shapeOf(bias)[0];
    operands.push_back(tb.reshape(bias, bs));
  }
  auto qt = cast<quant::QuantizedType>(result.getElementType());
  Type storage = qt.getStorageType();
  int64_t zp = r.zeroPoint, lo = r.lo, hi = r.hi;
  // An int32 result at the accumulator's own scale (ConvInteger,
  // MatMulInteger) is the accumulator: nothing to round.
  if (storage.isInteger(32) && zp == 0 &&
      llvm::all_of(factors, [](float f) { return f == 1.0f; })) {
    Value y = acc;
    if (bias)
      y = tb.elementwise({acc, operands[2]}, shape, storage,
                         [](OpBuilder &bb, Location l, ValueRange v) {
                           return arith::AddIOp::create(bb, l, v[0], v[1])
                               .getResult();
                         });
    return quant::StorageCastOp::create(b, tb.location(), result, y);
  }
  Value y = tb.elementwise(
      operands, shape, storage,
      [&](OpBuilder &bb, Location l, ValueRange v) -> Value {
        Value a = v[0];
        if (v.size() > 2)
          a = arith::AddIOp::create(bb, l, a, v[2]);
        // float32(acc) * M rounded half to even, clamped to the range less
        // the zero point (all exact in float32), then the zero point.
        Type f32 = bb.getF32Type();
        Value f = arith::MulFOp::create(
            bb, l, arith::SIToFPOp::create(bb, l, f32, a), v[1]);
        f = math::RoundEvenOp::create(bb, l, f);
        auto cf = [&](double c) {
          return arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(c));
        };
        f = arith::MaximumFOp::create(bb, l, f, cf(double(lo - zp)));
        f = arith::MinimumFOp::create(bb, l, f, cf(double(hi - zp)));
        Value q = arith::FPToSIOp::create(bb, l, bb.getI32Type(), f);
        q = arith::AddIOp::create(
            bb, l, q,
            arith::ConstantOp::create(bb, l, bb.getI32IntegerAttr(zp)));
        return arith::TruncIOp::create(bb, l, storage, q);
      });
  return quant::StorageCastOp::create(b, tb.location(), result, y);
}

SmallVector<float>
cambrian::cmb::accumulatorScales(quant::UniformQuantizedType input,
                                 quant::QuantizedType filter) {
  SmallVector<float> scales;
  for (double ws : quantizedScales(filter))
    scales.push_back((float)input.getScale() * (float)ws);
  return scales;
}

Value cambrian::cmb::emitDequantizedAccumulator(TensorBuilder &tb, Value acc,
                                                Value bias,
                                                int64_t channelDim,
                                                ArrayRef<float> scales,
                                                ActivationAttr act,
                                                RankedTensorType result) {
  OpBuilder &b = tb.builder();
  ArrayRef<int64_t> shape = TensorBuilder::shapeOf(acc);
  int64_t rank = shape.size();
  Type f = result.getElementType();
  SmallVector<int64_t> sshape;
  if (scales.size() > 1) {
    sshape.assign(rank - channelDim, 1);
    sshape[0] = scales.size();
  }
  Value scale = arith::ConstantOp::create(
      b, tb.location(),
      DenseElementsAttr::get(RankedTensorType::get(sshape, b.getF32Type()),
                             scales));
  SmallVector<Value> operands = {acc, scale};
  if (bias) {
    SmallVector<int64_t> bs(rank - channelDim, 1);
    bs[0] = TensorBuilder::shapeOf(bias)[0];
    operands.push_back(tb.reshape(bias, bs));
  }
  return tb.elementwise(
      operands, shape, f, [&](OpBuilder &bb, Location l, ValueRange v) {
        Value a = v[0];
        if (v.size() > 2)
          a = arith::AddIOp::create(bb, l, a, v[2]);
        Value y = arith::MulFOp::create(
            bb, l, arith::SIToFPOp::create(bb, l, bb.getF32Type(), a), v[1]);
        if (f != bb.getF32Type())
          y = arith::TruncFOp::create(bb, l, f, y);
        return emitActivation(bb, l, y, act);
      });
}
