//===- SoftmaxTest.cpp - cmb_x86_softmax against a double reference -------===//
//
// Row lengths below, at and past a vector (1, 7, 16, 50, 197, 1000), many
// rows split over 1 or 2 threads, large logits (where a naive exp
// overflows), -inf entries, a NaN row, and in place.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

/// Runs rows x cols and returns the number of outputs off the reference by
/// more than 1e-6 absolute + 1e-5 relative (NaN must match NaN).
int64_t mismatches(int64_t rows, int64_t cols, std::vector<float> x,
                   bool inPlace) {
  std::vector<float> y(x.size(), -1.0f);
  float *out = inPlace ? x.data() : y.data();
  const std::vector<float> in = x;
  cmb_x86_softmax(x.data(), out, rows, cols);
  int64_t bad = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = &in[(size_t)(r * cols)];
    double mx = -std::numeric_limits<double>::infinity();
    bool nan = false;
    for (int64_t j = 0; j < cols; ++j) {
      nan |= std::isnan(row[j]);
      mx = std::max(mx, (double)row[j]);
    }
    double sum = 0.0;
    for (int64_t j = 0; j < cols; ++j)
      sum += std::exp((double)row[j] - mx);
    for (int64_t j = 0; j < cols; ++j) {
      const double want = nan ? NAN : std::exp((double)row[j] - mx) / sum;
      const float got = out[r * cols + j];
      const bool ok = std::isnan(want)
                          ? std::isnan(got)
                          : std::fabs(got - want) <= 1e-6 + 1e-5 * want;
      bad += !ok;
    }
  }
  return bad;
}

} // namespace

TEST_CASE("softmax: rows of every length, threads, extremes", "[softmax]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(37);
  for (int threads : {1, 2}) {
    cambrian_module_set_threads(threads);
    for (int64_t cols : {1, 7, 16, 50, 197, 1000}) {
      const int64_t rows = cols == 1000 ? 40 : 300;
      std::vector<float> x = randomFloats(rng, (size_t)(rows * cols));
      for (float &v : x)
        v *= 8.0f;
      INFO("threads " << threads << " rows " << rows << " cols " << cols);
      CHECK(mismatches(rows, cols, x, false) == 0);
      CHECK(mismatches(rows, cols, x, true) == 0);
    }
  }
  cambrian_module_set_threads(1);

  std::vector<float> x = randomFloats(rng, 4 * 37);
  for (int j = 0; j < 37; ++j)
    x[(size_t)j] = 500.0f + (float)j; // exp(500) overflows a float
  x[37 + 5] = -INFINITY;              // exp(-inf) = 0
  x[2 * 37 + 30] = NAN;               // a NaN makes its row NaN
  CHECK(mismatches(4, 37, x, false) == 0);
}
