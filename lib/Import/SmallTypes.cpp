//===- SmallTypes.cpp - 8-, 4- and 2-bit element types --------------------===//

#include "lib/Import/SmallTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// Layout of a small float: sign bit on top (when present), then
/// `ebits` exponent bits and `mbits` mantissa bits.
struct FloatFormat {
  int ebits, mbits, bias;
  bool hasInf;     ///< all-ones exponent with zero mantissa is infinity
  bool fnuz;       ///< one NaN at 0x80, no negative zero, no infinity
  bool ieeeNaN;    ///< all-ones exponent with non-zero mantissa is NaN
  bool allOnesNaN; ///< only the all-ones code (per sign) is NaN (E4M3FN)
  int width() const { return 1 + ebits + mbits; }
  int emin() const { return 1 - bias; }
};

FloatFormat formatOf(int32_t type) {
  switch (type) {
  case kFloat8E4M3FN: return {4, 3, 7, false, false, false, true};
  case kFloat8E4M3FNUZ: return {4, 3, 8, false, true, false, false};
  case kFloat8E5M2: return {5, 2, 15, true, false, true, false};
  case kFloat8E5M2FNUZ: return {5, 2, 16, false, true, false, false};
  case kFloat4E2M1: return {2, 1, 1, false, false, false, false};
  default: llvm_unreachable("not a sign-exponent-mantissa small float");
  }
}

/// The largest finite value of a format.
double maxFinite(const FloatFormat &f) {
  int topExp = (1 << f.ebits) - 1;
  int topMant = (1 << f.mbits) - 1;
  if (f.hasInf || f.ieeeNaN)
    topExp -= 1; // the all-ones exponent is reserved
  else if (f.allOnesNaN)
    topMant -= 1; // only S.1111.111 is NaN
  return std::ldexp(1.0 + topMant / double(1 << f.mbits), topExp - f.bias);
}

uint8_t nanCode(int32_t type, bool negative) {
  switch (type) {
  case kFloat8E4M3FN: return negative ? 0xFF : 0x7F;
  case kFloat8E5M2: return negative ? 0xFE : 0x7E;
  case kFloat8E4M3FNUZ: case kFloat8E5M2FNUZ: return 0x80;
  case kFloat8E8M0: return 0xFF;
  default: return 0; // float4 has no NaN
  }
}

} // namespace

bool cambrian::onnx_import::isSmallType(int32_t t) { return t >= 17 && t <= 26; }

bool cambrian::onnx_import::isSmallFloat(int32_t t) {
  return (t >= kFloat8E4M3FN && t <= kFloat8E5M2FNUZ) || t == kFloat4E2M1 ||
         t == kFloat8E8M0;
}

int cambrian::onnx_import::smallTypeBits(int32_t t) {
  switch (t) {
  case kUInt4: case kInt4: case kFloat4E2M1: return 4;
  case kUInt2: case kInt2: return 2;
  default: return 8;
  }
}

double cambrian::onnx_import::decodeSmallFloat(int32_t type, uint8_t code) {
  if (type == kFloat8E8M0)
    return code == 0xFF ? std::numeric_limits<double>::quiet_NaN()
                        : std::ldexp(1.0, int(code) - 127);
  FloatFormat f = formatOf(type);
  int w = f.width();
  code &= (1u << w) - 1;
  bool neg = code >> (w - 1);
  int e = (code >> f.mbits) & ((1 << f.ebits) - 1);
  int m = code & ((1 << f.mbits) - 1);
  int topExp = (1 << f.ebits) - 1;
  if (f.fnuz && code == 0x80)
    return std::numeric_limits<double>::quiet_NaN();
  if (f.allOnesNaN && e == topExp && m == (1 << f.mbits) - 1)
    return std::numeric_limits<double>::quiet_NaN();
  if ((f.hasInf || f.ieeeNaN) && e == topExp)
    return m ? std::numeric_limits<double>::quiet_NaN()
             : (neg ? -INFINITY : INFINITY);
  double v = e == 0 ? std::ldexp(m / double(1 << f.mbits), f.emin())
                    : std::ldexp(1.0 + m / double(1 << f.mbits), e - f.bias);
  return neg ? -v : v;
}

uint8_t cambrian::onnx_import::encodeSmallFloat(int32_t type, double v,
                                                bool saturate,
                                                E8M0Rounding rounding) {
  if (type == kFloat8E8M0) {
    // Powers of two only; through float32's exponent field like ONNX.
    float fv = static_cast<float>(v);
    uint32_t bits;
    std::memcpy(&bits, &fv, 4);
    uint32_t exp = (bits >> 23) & 0xFF;
    if (exp == 0xFF)
      return 0xFF;
    bool up = false;
    if (rounding == E8M0Rounding::Up)
      up = (bits & 0x7FFFFF) != 0;
    else if (rounding == E8M0Rounding::Nearest)
      up = (bits & 0x400000) &&
           ((bits & 0x200000) || (bits & 0x1FFFFF) || exp > 0);
    uint32_t r = exp + (up ? 1 : 0);
    if (r > 254)
      return saturate ? 254 : 0xFF;
    return r;
  }
  FloatFormat f = formatOf(type);
  int w = f.width();
  bool neg = std::signbit(v);
  uint8_t sign = neg ? uint8_t(1u << (w - 1)) : 0;
  double maxv = maxFinite(f);
  if (std::isnan(v))
    return type == kFloat4E2M1 ? sign : nanCode(type, neg);
  double a = std::fabs(v);
  // Round to nearest even on the format's grid at a's binade.
  double r = 0;
  if (a != 0 && !std::isinf(a)) {
    int e = std::max(int(std::floor(std::log2(a))), f.emin());
    double q = std::ldexp(1.0, e - f.mbits);
    r = std::nearbyint(a / q) * q;
  }
  if (std::isinf(a) || r > maxv) {
    if (saturate || type == kFloat4E2M1)
      r = maxv;
    else if (f.hasInf)
      return sign | uint8_t(((1 << f.ebits) - 1) << f.mbits);
    else
      return nanCode(type, neg);
  }
  if (r == 0)
    return f.fnuz ? 0 : sign;
  int er = int(std::floor(std::log2(r)));
  uint8_t code;
  if (er < f.emin())
    code = uint8_t(std::lround(r / std::ldexp(1.0, f.emin() - f.mbits)));
  else
    code = uint8_t(((er + f.bias) << f.mbits) |
                   std::lround(r / std::ldexp(1.0, er - f.mbits) -
                               (1 << f.mbits)));
  return sign | code;
}

int64_t cambrian::onnx_import::wrapSmallInt(int32_t type, int64_t v) {
  int bits = smallTypeBits(type);
  uint64_t m = uint64_t(v) & ((1u << bits) - 1);
  if (type == kInt4 || type == kInt2)
    return m >= (1u << (bits - 1)) ? int64_t(m) - (1 << bits) : int64_t(m);
  return int64_t(m);
}

//===----------------------------------------------------------------------===//
// IR
//===----------------------------------------------------------------------===//

Value cambrian::onnx_import::emitDecodeSmallFloat(OpBuilder &b, Location loc,
                                                  Value code, int32_t type) {
  // A 256-entry table: every code's value, exactly.
  SmallVector<float> table(256);
  for (int c = 0; c < 256; ++c)
    table[c] = static_cast<float>(decodeSmallFloat(type, uint8_t(c)));
  auto tableType = RankedTensorType::get({256}, b.getF32Type());
  Value t = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(tableType, ArrayRef<float>(table)));
  Value idx = arith::IndexCastUIOp::create(
      b, loc, b.getIndexType(),
      arith::ExtUIOp::create(b, loc, b.getI32Type(), code));
  return tensor::ExtractOp::create(b, loc, t, ValueRange{idx});
}

Value cambrian::onnx_import::emitEncodeSmallFloat(OpBuilder &b, Location loc,
                                                  Value x, int32_t type,
                                                  bool saturate,
                                                  E8M0Rounding rounding) {
  Type i32 = b.getI32Type(), f32 = b.getF32Type(), i8 = b.getI8Type();
  auto ci = [&](int64_t v) {
    return arith::ConstantOp::create(b, loc, b.getIntegerAttr(i32, v)).getResult();
  };
  auto cf = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(f32, v)).getResult();
  };
  using P = arith::CmpIPredicate;
  using FP = arith::CmpFPredicate;
  auto sel = [&](Value c, Value t, Value f) {
    return arith::SelectOp::create(b, loc, c, t, f).getResult();
  };
  Value bits = arith::BitcastOp::create(b, loc, i32, x);
  auto shr = [&](Value v, int s) {
    return arith::ShRUIOp::create(b, loc, v, ci(s)).getResult();
  };
  auto andi = [&](Value v, int64_t m) {
    return arith::AndIOp::create(b, loc, v, ci(m)).getResult();
  };
  auto toI8 = [&](Value v) { return arith::TruncIOp::create(b, loc, i8, v).getResult(); };

  if (type == kFloat8E8M0) {
    Value exp = andi(shr(bits, 23), 0xFF);
    Value up;
    if (rounding == E8M0Rounding::Up)
      up = arith::CmpIOp::create(b, loc, P::ne, andi(bits, 0x7FFFFF), ci(0));
    else if (rounding == E8M0Rounding::Down)
      up = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
    else {
      Value g = arith::CmpIOp::create(b, loc, P::ne, andi(bits, 0x400000), ci(0));
      Value rs = arith::CmpIOp::create(b, loc, P::ne, andi(bits, 0x3FFFFF), ci(0));
      Value lsb = arith::CmpIOp::create(b, loc, P::ugt, exp, ci(0));
      up = arith::AndIOp::create(b, loc, g,
                                 arith::OrIOp::create(b, loc, rs, lsb));
    }
    Value r = arith::AddIOp::create(
        b, loc, exp, arith::ExtUIOp::create(b, loc, i32, up));
    Value over = arith::CmpIOp::create(b, loc, P::ugt, r, ci(254));
    r = sel(over, ci(saturate ? 254 : 0xFF), r);
    Value special = arith::CmpIOp::create(b, loc, P::eq, exp, ci(0xFF));
    return toI8(sel(special, ci(0xFF), r));
  }

  FloatFormat f = formatOf(type);
  int w = f.width();
  double maxv = maxFinite(f);
  Value neg = arith::CmpIOp::create(b, loc, P::ne, shr(bits, 31), ci(0));
  Value sign = sel(neg, ci(1 << (w - 1)), ci(0));
  Value a = math::AbsFOp::create(b, loc, x);
  Value isNaN = arith::CmpFOp::create(b, loc, FP::UNO, x, x);
  // Binade of a (at least the smallest normal one), from float32's exponent.
  Value abits = arith::BitcastOp::create(b, loc, i32, a);
  Value e = arith::SubIOp::create(b, loc, shr(abits, 23), ci(127));
  e = arith::MaxSIOp::create(b, loc, e, ci(f.emin()));
  // q = 2^(e - mbits) and 1/q, built from exponent bits (both normal f32).
  auto pow2 = [&](Value k) {
    Value biased = arith::AddIOp::create(b, loc, k, ci(127));
    return arith::BitcastOp::create(
               b, loc, f32, arith::ShLIOp::create(b, loc, biased, ci(23)))
        .getResult();
  };
  Value k = arith::SubIOp::create(b, loc, e, ci(f.mbits));
  Value q = pow2(k), invQ = pow2(arith::SubIOp::create(b, loc, ci(0), k));
  Value r = arith::MulFOp::create(
      b, loc, math::RoundEvenOp::create(b, loc, arith::MulFOp::create(b, loc, a, invQ)),
      q);
  Value over = arith::CmpFOp::create(b, loc, FP::OGT, r, cf(maxv));
  Value isInf = arith::CmpFOp::create(b, loc, FP::OEQ, a, cf(INFINITY));
  over = arith::OrIOp::create(b, loc, over, isInf);
  bool clampOver = saturate || type == kFloat4E2M1;
  r = sel(over, cf(maxv), r);
  // Encode r: subnormal below the smallest normal binade.
  Value rbits = arith::BitcastOp::create(b, loc, i32, r);
  Value er = arith::SubIOp::create(b, loc, shr(rbits, 23), ci(127));
  Value sub = arith::CmpIOp::create(b, loc, P::slt, er, ci(f.emin()));
  Value subMant = arith::FPToSIOp::create(
      b, loc, i32,
      arith::MulFOp::create(b, loc, r,
                            cf(std::ldexp(1.0, f.mbits - f.emin()))));
  Value normMant = shr(andi(rbits, 0x7FFFFF), 23 - f.mbits);
  Value normExp = arith::ShLIOp::create(
      b, loc, arith::AddIOp::create(b, loc, er, ci(f.bias)), ci(f.mbits));
  Value code = sel(sub, subMant, arith::OrIOp::create(b, loc, normExp, normMant));
  Value isZero = arith::CmpFOp::create(b, loc, FP::OEQ, r, cf(0.0));
  code = sel(isZero, ci(0), code);
  // The sign, except that FNUZ formats have no negative zero.
  Value signed_ = arith::OrIOp::create(b, loc, code, sign);
  if (f.fnuz)
    signed_ = sel(isZero, ci(0), signed_);
  Value result = signed_;
  if (!clampOver) {
    int64_t overCode = f.hasInf ? ((1 << f.ebits) - 1) << f.mbits : -1;
    Value special =
        overCode >= 0
            ? arith::OrIOp::create(b, loc, sign, ci(overCode)).getResult()
            : (f.fnuz ? ci(0x80)
                      : arith::OrIOp::create(b, loc, sign, ci(nanCode(type, false)))
                            .getResult());
    result = sel(over, special, result);
  }
  Value nan = type == kFloat4E2M1
                  ? sign
                  : (f.fnuz ? ci(0x80)
                            : arith::OrIOp::create(b, loc, sign,
                                                   ci(nanCode(type, false)))
                                  .getResult());
  return toI8(sel(isNaN, nan, result));
}

Value cambrian::onnx_import::emitToSmallInt(OpBuilder &b, Location loc,
                                            Value v, bool isFloat,
                                            bool isUnsigned, int32_t type) {
  Type i64 = b.getI64Type(), i8 = b.getI8Type();
  Value n;
  if (isFloat) {
    // Truncate toward zero; NaN and infinities become 0 (as numpy gives).
    Value f = v.getType().isF64()
                  ? v
                  : arith::ExtFOp::create(b, loc, b.getF64Type(), v).getResult();
    Value finite = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OLT, math::AbsFOp::create(b, loc, f),
        arith::ConstantOp::create(b, loc, b.getF64FloatAttr(9.0e18)));
    Value safe = arith::SelectOp::create(
        b, loc, finite, f,
        arith::ConstantOp::create(b, loc, b.getF64FloatAttr(0.0)));
    n = arith::FPToSIOp::create(b, loc, i64, safe);
  } else if (v.getType().getIntOrFloatBitWidth() < 64) {
    n = isUnsigned ? arith::ExtUIOp::create(b, loc, i64, v).getResult()
                   : arith::ExtSIOp::create(b, loc, i64, v).getResult();
  } else {
    n = v;
  }
  int bits = smallTypeBits(type);
  Value m = arith::AndIOp::create(
      b, loc, n, arith::ConstantOp::create(b, loc, b.getI64IntegerAttr((1 << bits) - 1)));
  if (type == kInt4 || type == kInt2) {
    // Sign-extend from `bits`: shift up to the top and back arithmetically.
    Value sh = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(64 - bits));
    m = arith::ShRSIOp::create(b, loc, arith::ShLIOp::create(b, loc, m, sh), sh);
  }
  return arith::TruncIOp::create(b, loc, i8, m);
}
