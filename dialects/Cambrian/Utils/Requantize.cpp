//===- Requantize.cpp - Integer requantization of an accumulator ----------===//

#include "dialects/Cambrian/Utils/Requantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"

#include <cmath>

using namespace mlir;
using namespace cambrian;
using namespace cambrian::cmb;

std::optional<FixedPointScale> cambrian::cmb::toFixedPoint(double scale) {
  if (!std::isfinite(scale) || scale <= 0)
    return std::nullopt;
  int exp;
  double mantissa = std::frexp(scale, &exp); // in [0.5, 1)
  int64_t m = std::llround(mantissa * (double)(1ll << 31));
  if (m == (1ll << 31)) {
    m >>= 1;
    ++exp;
  }
  int64_t shift = 31 - exp;
  if (shift < 1)
    return std::nullopt;
  if (shift > 62) {
    // Factors below 2^-32 keep what precision a shift of 62 leaves.
    int64_t drop = shift - 62;
    m = drop >= 63 ? 0 : applyFixedPoint(m, {1, (int32_t)drop});
    shift = 62;
  }
  return FixedPointScale{(int32_t)m, (int32_t)shift};
}

int64_t cambrian::cmb::applyFixedPoint(int64_t acc, FixedPointScale s) {
  // acc fits in 32 bits and the multiplier in 31, so the product fits.
  int64_t p = acc * (int64_t)s.multiplier;
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

Value cambrian::cmb::emitFixedPointScale(OpBuilder &b, Location loc,
                                         Value acc, Value multiplier,
                                         Value shift) {
  Type i64 = b.getI64Type();
  auto c64 = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
  };
  Value p = arith::MulIOp::create(b, loc,
                                  arith::ExtSIOp::create(b, loc, i64, acc),
                                  arith::ExtSIOp::create(b, loc, i64,
                                                         multiplier));
  Value n = arith::ExtSIOp::create(b, loc, i64, shift);
  Value q = arith::ShRSIOp::create(b, loc, p, n);
  Value rem = arith::SubIOp::create(b, loc, p,
                                    arith::ShLIOp::create(b, loc, q, n));
  Value half = arith::ShLIOp::create(
      b, loc, c64(1), arith::SubIOp::create(b, loc, n, c64(1)));
  Value above = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, rem,
                                      half);
  Value tie = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, rem,
                                    half);
  Value odd = arith::TruncIOp::create(b, loc, b.getI1Type(), q);
  Value up = arith::OrIOp::create(b, loc, above,
                                  arith::AndIOp::create(b, loc, tie, odd));
  return arith::AddIOp::create(b, loc, q,
                               arith::ExtUIOp::create(b, loc, i64, up));
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
  SmallVector<int64_t> mults, shifts;
  for (FixedPointScale s : r.scales) {
    mults.push_back(s.multiplier);
    shifts.push_back(s.shift);
  }
  SmallVector<Value> operands = {acc, perChannel(tb, mults, channelDim, rank),
                                 perChannel(tb, shifts, channelDim, rank)};
  if (bias) {
    SmallVector<int64_t> bs(rank - channelDim, 1);
    bs[0] = TensorBuilder::shapeOf(bias)[0];
    operands.push_back(tb.reshape(bias, bs));
  }
  auto qt = cast<quant::QuantizedType>(result.getElementType());
  Type storage = qt.getStorageType();
  int64_t zp = r.zeroPoint, lo = r.lo, hi = r.hi;
  Value y = tb.elementwise(
      operands, shape, storage,
      [&](OpBuilder &bb, Location l, ValueRange v) -> Value {
        Value a = v[0];
        if (v.size() > 3)
          a = arith::AddIOp::create(bb, l, a, v[3]);
        Value q = emitFixedPointScale(bb, l, a, v[1], v[2]);
        auto c64 = [&](int64_t c) {
          return arith::ConstantOp::create(bb, l, bb.getI64IntegerAttr(c));
        };
        q = arith::AddIOp::create(bb, l, q, c64(zp));
        q = arith::MaxSIOp::create(bb, l, q, c64(lo));
        q = arith::MinSIOp::create(bb, l, q, c64(hi));
        return arith::TruncIOp::create(bb, l, storage, q);
      });
  return quant::StorageCastOp::create(b, tb.location(), result, y);
}
