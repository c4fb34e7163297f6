//===- RangeEstimatorsTest.cpp - Range estimators on known distributions --===//
//
// Each estimator on samples whose right answer is known in closed form: the
// extremes of a uniform distribution, quantiles of uniform and normal
// distributions, and the entropy threshold of a bulk with a few far
// outliers (which must clip the outliers and keep the bulk). Samples come
// from a seeded generator.
//
//===----------------------------------------------------------------------===//

#include "cambrian/Quantize/RangeEstimators.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

using namespace cambrian::quant;
using Catch::Matchers::WithinAbs;

namespace {

std::vector<float> uniform(float lo, float hi, size_t n, unsigned seed = 1) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(gen);
  return v;
}

std::vector<float> normal(size_t n, unsigned seed = 2) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = d(gen);
  return v;
}

/// Both passes of calibration over `v`, split into samples of `chunk`.
Range calibrate(Calibrator c, const std::vector<float> &v,
                double percentile = 99.999, size_t chunk = 1000) {
  TensorStats s;
  for (size_t i = 0; i < v.size(); i += chunk)
    s.minMax.add(v.data() + i, std::min(chunk, v.size() - i));
  if (needsHistogram(c)) {
    startHistogram(c, s);
    for (size_t i = 0; i < v.size(); i += chunk)
      addToHistogram(c, s, v.data() + i, std::min(chunk, v.size() - i));
  }
  return estimateRange(c, s, percentile);
}

} // namespace

TEST_CASE("minmax gives the extremes and always holds zero", "[range]") {
  std::vector<float> v = uniform(-2, 3, 100000);
  v.push_back(7.5f);
  v.push_back(std::numeric_limits<float>::quiet_NaN());
  Range r = calibrate(Calibrator::MinMax, v);
  CHECK_THAT(r.hi, WithinAbs(7.5, 0));
  CHECK(r.lo >= -2.0);
  CHECK_THAT(r.lo, WithinAbs(-2.0, 1e-3));

  // A positive tensor still maps 0 exactly.
  Range pos = calibrate(Calibrator::MinMax, uniform(1, 2, 1000));
  CHECK(pos.lo == 0.0);
  CHECK_THAT(pos.hi, WithinAbs(2.0, 1e-2));
}

TEST_CASE("percentile gives the quantiles", "[range]") {
  // Uniform on [0, 1]: the 99.9% quantile is 0.999.
  Range u = calibrate(Calibrator::Percentile, uniform(0, 1, 1000000), 99.9);
  CHECK(u.lo == 0.0);
  CHECK_THAT(u.hi, WithinAbs(0.999, 2e-3));

  // Standard normal: Phi(2) = 0.97725, so 97.725% on each side is +-2.
  Range n = calibrate(Calibrator::Percentile, normal(1000000), 97.725);
  CHECK_THAT(n.hi, WithinAbs(2.0, 0.02));
  CHECK_THAT(n.lo, WithinAbs(-2.0, 0.02));

  // Far outliers are cut: 10 of a million at 1000 do not move 99.99%.
  std::vector<float> v = uniform(0, 1, 1000000);
  for (int i = 0; i < 10; ++i)
    v.push_back(1000.0f);
  Range o = calibrate(Calibrator::Percentile, v, 99.99);
  CHECK(o.hi < 1.5);
}

TEST_CASE("histogram quantiles interpolate inside a bin", "[histogram]") {
  Histogram h(0, 4, 4);
  std::vector<float> v = {0.5f, 1.5f, 2.5f, 3.5f};
  h.add(v.data(), v.size());
  CHECK(h.total() == 4);
  CHECK_THAT(histogramQuantile(h, 0.5), WithinAbs(2.0, 1e-12));
  CHECK_THAT(histogramQuantile(h, 0.125), WithinAbs(0.5, 1e-12));
  CHECK_THAT(histogramQuantile(h, 1.0), WithinAbs(4.0, 1e-12));
}

TEST_CASE("entropy keeps a bulk and clips far outliers", "[range]") {
  // A uniform bulk on [0, 20] and five values at 100: the KL-optimal
  // threshold is the bulk's end (clipping the bulk loses mass, going
  // further spends levels on empty bins).
  std::vector<float> v = uniform(0, 20, 1000000);
  for (int i = 0; i < 5; ++i)
    v.push_back(100.0f);
  Range r = calibrate(Calibrator::Entropy, v);
  CHECK(r.lo == 0.0);
  CHECK_THAT(r.hi, WithinAbs(20.0, 0.5));

  // Signed: the same bulk on [-20, 20]; the range is symmetric.
  std::vector<float> s = uniform(-20, 20, 1000000);
  for (int i = 0; i < 5; ++i)
    s.push_back(-100.0f);
  Range rs = calibrate(Calibrator::Entropy, s);
  CHECK_THAT(rs.hi, WithinAbs(20.0, 0.5));
  CHECK_THAT(rs.lo, WithinAbs(-20.0, 0.5));
}

TEST_CASE("entropy does not clip a distribution without outliers", "[range]") {
  Range r = calibrate(Calibrator::Entropy, uniform(-1, 1, 1000000));
  CHECK_THAT(r.hi, WithinAbs(1.0, 0.02));
  CHECK_THAT(r.lo, WithinAbs(-1.0, 0.02));
}

TEST_CASE("entropy ignores a ReLU's spike at zero", "[range]") {
  // Half exact zeros, half uniform on [0, 10]: zeros are exact at any
  // scale, so the threshold is the bulk's end, not a narrow range around 0.
  std::vector<float> v = uniform(0, 10, 500000);
  v.resize(1000000, 0.0f);
  Range r = calibrate(Calibrator::Entropy, v);
  CHECK_THAT(r.hi, WithinAbs(10.0, 0.25));
}

TEST_CASE("int8 parameters", "[params]") {
  // [-1, 3] over 255 steps; -1 lands on -128.
  QuantParams a = asymmetricInt8({-1.0, 3.0});
  CHECK_THAT(a.scale, WithinAbs(4.0 / 255, 1e-7));
  CHECK(a.zeroPoint == -64);
  CHECK(quantizeValue(-1.0f, a) == -128);
  CHECK(quantizeValue(3.0f, a) == 127);
  CHECK(quantizeValue(0.0f, a) == a.zeroPoint);

  // A ReLU range [0, b] uses all 256 levels.
  QuantParams relu = asymmetricInt8({0.0, 2.55});
  CHECK(relu.zeroPoint == -128);

  QuantParams s = symmetricInt8(2.54);
  CHECK_THAT(s.scale, WithinAbs(0.02, 1e-7));
  CHECK(s.zeroPoint == 0);

  // Empty ranges never give a zero scale.
  CHECK(symmetricInt8(0).scale == kTinyScale);
  CHECK(asymmetricInt8({0, 0}).scale == kTinyScale);
  CHECK(asymmetricInt8({0, 0}).zeroPoint == 0);
}

TEST_CASE("quantize rounds half to even and saturates", "[params]") {
  QuantParams p{1.0f, 0};
  CHECK(quantizeValue(0.5f, p) == 0);
  CHECK(quantizeValue(1.5f, p) == 2);
  CHECK(quantizeValue(2.5f, p) == 2);
  CHECK(quantizeValue(-2.5f, p) == -2);
  CHECK(quantizeValue(300.0f, p) == 127);
  CHECK(quantizeValue(-300.0f, p) == -128);
  CHECK(quantizeValue(-300.0f, p, -127, 127) == -127);
  CHECK(fakeQuantize(1.26f, QuantParams{0.5f, 3}) == 1.5f);
}

TEST_CASE("SQNR in dB", "[sqnr]") {
  std::vector<float> ref = {1, -1, 1, -1};
  std::vector<float> approx = {1.1f, -0.9f, 0.9f, -1.1f};
  Sqnr s;
  s.add(ref.data(), approx.data(), ref.size());
  // Signal 4, noise 4 * 0.01: 10 log10(100) = 20 dB.
  CHECK_THAT(s.dB(), WithinAbs(20.0, 1e-4));
  Sqnr exact;
  exact.add(ref.data(), ref.data(), ref.size());
  CHECK(std::isinf(exact.dB()));
}
