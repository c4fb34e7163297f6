//===- LayerNormTest.cpp - cmb_x86_layernorm against a double reference ----===//
//
// Row lengths below, at and past a vector, with and without beta, rows
// far from zero with a small spread (where a one-pass variance would lose
// its digits), a constant row (variance 0: epsilon decides), 1 or 2 threads.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <vector>

namespace {

int64_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

/// Outputs off the reference by more than 1e-4 relative to the scale of
/// the normalized value (|gamma| * (1 + |z|)) plus |beta|.
int64_t mismatches(int64_t rows, int64_t cols, const std::vector<float> &x,
                   bool withBeta, float eps, std::mt19937 &rng) {
  std::vector<float> g = randomFloats(rng, (size_t)cols);
  std::vector<float> b = randomFloats(rng, (size_t)cols);
  std::vector<float> y(x.size(), NAN);
  cmb_x86_layernorm(x.data(), g.data(), withBeta ? b.data() : nullptr,
                    y.data(), rows, cols, floatBits(eps));
  int64_t bad = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float *row = &x[(size_t)(r * cols)];
    double mean = 0, var = 0;
    for (int64_t j = 0; j < cols; ++j)
      mean += row[j];
    mean /= cols;
    for (int64_t j = 0; j < cols; ++j)
      var += (row[j] - mean) * (row[j] - mean);
    var /= cols;
    for (int64_t j = 0; j < cols; ++j) {
      const double z = (row[j] - mean) / std::sqrt(var + eps);
      const double want = z * g[j] + (withBeta ? b[j] : 0.0);
      const double tol = 1e-4 * (std::fabs(g[j]) * (1 + std::fabs(z)) +
                                 (withBeta ? std::fabs(b[j]) : 0.0));
      bad += !(std::fabs(y[(size_t)(r * cols + j)] - want) <= tol);
    }
  }
  return bad;
}

} // namespace

TEST_CASE("layernorm: rows of every length, offsets, threads", "[layernorm]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(43);
  for (int threads : {1, 2}) {
    cambrian_module_set_threads(threads);
    for (int64_t cols : {1, 7, 16, 45, 384, 768}) {
      const int64_t rows = 70;
      std::vector<float> x = randomFloats(rng, (size_t)(rows * cols));
      INFO("threads " << threads << " cols " << cols);
      CHECK(mismatches(rows, cols, x, true, 1e-5f, rng) == 0);
      CHECK(mismatches(rows, cols, x, false, 1e-12f, rng) == 0);
      // Far from zero, small spread.
      for (float &v : x)
        v = 1000.0f + 0.01f * v;
      CHECK(mismatches(rows, cols, x, true, 1e-5f, rng) == 0);
    }
  }
  cambrian_module_set_threads(1);
  std::vector<float> flat(3 * 20, 2.5f); // variance 0
  CHECK(mismatches(3, 20, flat, true, 1e-3f, rng) == 0);
}
