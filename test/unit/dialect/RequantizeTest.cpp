//===- RequantizeTest.cpp - fixed-point requantization ---------------------===//
//
// The fixed-point form of a scale and its application against exact
// rational arithmetic: every target requantizes with these, so an
// off-by-one here is an off-by-one everywhere.
//
//===----------------------------------------------------------------------===//

#include "dialects/Cambrian/Utils/Requantize.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <random>

using namespace cambrian::cmb;

/// round_half_even(acc * m / 2^shift) with 128-bit integers.
static int64_t exactRequantize(int64_t acc, FixedPointScale s) {
  __int128 p = (__int128)acc * s.multiplier;
  __int128 d = (__int128)1 << s.shift;
  __int128 q = p >= 0 ? p / d : -((-p + d - 1) / d); // floor
  __int128 rem = p - q * d;
  if (2 * rem > d || (2 * rem == d && (q & 1)))
    ++q;
  return (int64_t)q;
}

TEST_CASE("a scale's fixed-point form is within 2^-31 of it", "[requantize]") {
  for (double scale : {1e-9, 3.7e-5, 0.0031250000465661287, 0.04, 0.5,
                       0.75, 0.9999999, 1.0, 1.5, 123.25, 1e6}) {
    auto fp = toFixedPoint(scale);
    REQUIRE(fp);
    CHECK(fp->shift >= 1);
    CHECK(fp->shift <= 62);
    double back = fp->multiplier * std::ldexp(1.0, -fp->shift);
    CHECK(std::abs(back - scale) <= scale * std::ldexp(1.0, -30));
    if (scale > std::ldexp(1.0, -32)) {
      CHECK(fp->multiplier >= (1 << 30));
    }
  }
}

TEST_CASE("scales without a fixed-point form are refused", "[requantize]") {
  CHECK_FALSE(toFixedPoint(0.0));
  CHECK_FALSE(toFixedPoint(-0.5));
  CHECK_FALSE(toFixedPoint(std::nan("")));
  CHECK_FALSE(toFixedPoint(INFINITY));
  CHECK_FALSE(toFixedPoint(std::ldexp(1.0, 31)));
}

TEST_CASE("applying it rounds half to even", "[requantize]") {
  FixedPointScale half{1 << 30, 31}; // exactly 0.5
  CHECK(applyFixedPoint(1, half) == 0);   // 0.5 -> 0
  CHECK(applyFixedPoint(3, half) == 2);   // 1.5 -> 2
  CHECK(applyFixedPoint(5, half) == 2);   // 2.5 -> 2
  CHECK(applyFixedPoint(-1, half) == 0);  // -0.5 -> 0
  CHECK(applyFixedPoint(-3, half) == -2); // -1.5 -> -2
  CHECK(applyFixedPoint(-5, half) == -2); // -2.5 -> -2
  CHECK(applyFixedPoint(7, half) == 4);   // 3.5 -> 4
  FixedPointScale quarter{1 << 30, 32};   // 0.25
  CHECK(applyFixedPoint(3, quarter) == 1);  // 0.75 -> 1
  CHECK(applyFixedPoint(-3, quarter) == -1);
  CHECK(applyFixedPoint(2, quarter) == 0);  // 0.5 -> 0
  CHECK(applyFixedPoint(6, quarter) == 2);  // 1.5 -> 2
}

TEST_CASE("applying it matches exact arithmetic on int32 accumulators",
          "[requantize]") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> acc(INT32_MIN, INT32_MAX);
  std::uniform_real_distribution<double> logScale(-30, 20);
  for (int i = 0; i < 2000; ++i) {
    auto fp = toFixedPoint(std::exp2(logScale(rng)));
    REQUIRE(fp);
    for (int j = 0; j < 50; ++j) {
      int64_t a = acc(rng);
      REQUIRE(applyFixedPoint(a, *fp) == exactRequantize(a, *fp));
    }
    for (int64_t a : {int64_t(INT32_MIN), int64_t(INT32_MAX), int64_t(0),
                      int64_t(1), int64_t(-1)})
      REQUIRE(applyFixedPoint(a, *fp) == exactRequantize(a, *fp));
  }
}

TEST_CASE("a clamp activation narrows the requantized range",
          "[requantize]") {
  mlir::MLIRContext ctx;
  ctx.loadDialect<mlir::quant::QuantDialect, CambrianDialect>();
  auto f32 = mlir::Float32Type::get(&ctx);
  auto i8 = mlir::IntegerType::get(&ctx, 8);
  auto u8 = [&](double s, int64_t z) {
    return mlir::quant::UniformQuantizedType::get(0, i8, f32, s, z, 0, 255);
  };
  auto x = u8(0.1, 128), y = u8(0.05, 10);
  auto w = mlir::quant::UniformQuantizedType::get(
      mlir::quant::QuantizationFlags::Signed, i8, f32, 0.02, 0, -128, 127);
  auto plain = getRequantization(x, w, y, ActivationAttr());
  REQUIRE(mlir::succeeded(plain));
  CHECK(plain->lo == 0);
  CHECK(plain->hi == 255);
  CHECK(plain->zeroPoint == 10);
  REQUIRE(plain->scales.size() == 1);
  // 0.1f * 0.02f / 0.05f in float32 (as onnxruntime forms it) * 2^35.
  CHECK(plain->scales[0].multiplier == 1374389632);
  CHECK(plain->scales[0].shift == 35);
  auto relu = getRequantization(
      x, w, y, ActivationAttr::get(&ctx, ActivationKind::Relu));
  CHECK(relu->lo == 10);
  CHECK(relu->hi == 255);
  // clip(-1, 6): -1 / 0.05 + 10 = -10 -> 0; 6 / 0.05 + 10 = 130.
  auto clip = getRequantization(
      x, w, y, ActivationAttr::get(&ctx, ActivationKind::Clip, -1.0f, 6.0f));
  CHECK(clip->lo == 0);
  CHECK(clip->hi == 130);
}
