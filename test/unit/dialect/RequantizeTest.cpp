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

/// What a float32 multiply gives (ONNX Runtime's int8 requantization):
/// round_half_even(float(float(acc) * M)).
static int64_t float32Requantize(int64_t acc, FixedPointScale s) {
  volatile float product = (float)acc * s.toFloat();
  return (int64_t)std::nearbyint(product);
}

TEST_CASE("a scale's fixed-point form is its float32 value", "[requantize]") {
  for (double scale : {1e-9, 3.7e-5, 0.0031250000465661287, 0.04, 0.5,
                       0.75, 0.9999999, 1.0, 1.5, 123.25, 1e6}) {
    auto fp = toFixedPoint(scale);
    REQUIRE(fp);
    CHECK(fp->shift >= 1);
    CHECK(fp->shift <= 62);
    double back = fp->multiplier * std::ldexp(1.0, -fp->shift);
    CHECK(back == (double)(float)scale);
    CHECK(fp->toFloat() == (float)scale);
    if (scale > std::ldexp(1.0, -32)) {
      CHECK(fp->multiplier >= (1 << 30));
      CHECK((fp->multiplier & 0x7f) == 0); // 24 significant bits
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

TEST_CASE("applying it with integers matches float32 arithmetic",
          "[requantize]") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> acc(INT32_MIN, INT32_MAX);
  std::uniform_real_distribution<double> logScale(-30, 20);
  for (int i = 0; i < 2000; ++i) {
    auto fp = toFixedPoint(std::exp2(logScale(rng)));
    REQUIRE(fp);
    for (int j = 0; j < 50; ++j) {
      int64_t a = acc(rng);
      REQUIRE(applyFixedPoint(a, *fp) == float32Requantize(a, *fp));
    }
    for (int64_t a : {int64_t(INT32_MIN), int64_t(INT32_MAX), int64_t(0),
                      int64_t(1), int64_t(-1)})
      REQUIRE(applyFixedPoint(a, *fp) == float32Requantize(a, *fp));
  }
}

TEST_CASE("the accumulator and product round as float32 does",
          "[requantize]") {
  // 3 * 2^24 + 2 is a tie between two float32 values: it becomes the even
  // 3 * 2^24, and 0.75 of that is 37748736, where exact arithmetic would
  // give 37748737.5 -> 37748738.
  FixedPointScale threeQuarters = *toFixedPoint(0.75);
  CHECK(applyFixedPoint(50331650, threeQuarters) == 37748736);
  CHECK(float32Requantize(50331650, threeQuarters) == 37748736);
  CHECK(applyFixedPoint(-50331650, threeQuarters) == -37748736);
  // A product with more than 24 significant bits (2^23 + 1 times
  // 0.5 + 2^-24) is rounded to float32 first.
  FixedPointScale m = *toFixedPoint(0.5 + std::ldexp(1.0, -24));
  CHECK(applyFixedPoint(8388609, m) == float32Requantize(8388609, m));
  CHECK(applyFixedPoint(-8388609, m) == float32Requantize(-8388609, m));
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
