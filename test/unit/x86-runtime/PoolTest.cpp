//===- PoolTest.cpp - cmb_x86_maxpool2d against a reference ---------------===//
//
// Strides 1, 2 (the permute path on AVX-512) and 3 (gathered), dilations,
// rows shorter and longer than a vector, windows reaching the last input
// column, implicit padding, accumulation into the output, NaN propagation,
// and 1 or 2 threads.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace {

struct PoolCase {
  int64_t P, H, W, KH, KW, SH, SW, DH, DW;
  bool accumulate;
  int64_t PT = 0, PL = 0, PB = 0, PR = 0; // implicit -inf padding
  int64_t OH() const { return (H + PT + PB - (DH * (KH - 1) + 1)) / SH + 1; }
  int64_t OW() const { return (W + PL + PR - (DW * (KW - 1) + 1)) / SW + 1; }
};

/// Runs `c` and returns the number of outputs that differ from the
/// reference (max is exact, so any difference counts); `nanAt` puts a NaN
/// into that input element first.
int64_t mismatches(const PoolCase &c, std::mt19937 &rng, int64_t nanAt = -1) {
  const int64_t OH = c.OH(), OW = c.OW();
  std::vector<float> x = randomFloats(rng, (size_t)(c.P * c.H * c.W));
  if (nanAt >= 0)
    x[(size_t)nanAt] = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> y = randomFloats(rng, (size_t)(c.P * OH * OW));
  const std::vector<float> y0 = y;
  int64_t p[CMB_POOL_NUM_PARAMS];
  p[CMB_POOL_PLANES] = c.P;
  p[CMB_POOL_H] = c.H;
  p[CMB_POOL_W] = c.W;
  p[CMB_POOL_OH] = OH;
  p[CMB_POOL_OW] = OW;
  p[CMB_POOL_KH] = c.KH;
  p[CMB_POOL_KW] = c.KW;
  p[CMB_POOL_STRIDE_H] = c.SH;
  p[CMB_POOL_STRIDE_W] = c.SW;
  p[CMB_POOL_DILATION_H] = c.DH;
  p[CMB_POOL_DILATION_W] = c.DW;
  p[CMB_POOL_ACCUMULATE] = c.accumulate;
  p[CMB_POOL_PAD_TOP] = c.PT;
  p[CMB_POOL_PAD_LEFT] = c.PL;
  cmb_x86_maxpool2d(x.data(), y.data(), p);

  int64_t bad = 0;
  for (int64_t q = 0; q < c.P; ++q)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        const size_t o = (size_t)((q * OH + oh) * OW + ow);
        float want = c.accumulate ? y0[o] : -INFINITY;
        for (int64_t kh = 0; kh < c.KH; ++kh)
          for (int64_t kw = 0; kw < c.KW; ++kw) {
            const int64_t ih = oh * c.SH - c.PT + kh * c.DH;
            const int64_t iw = ow * c.SW - c.PL + kw * c.DW;
            if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W)
              continue; // -inf
            float v = x[(size_t)((q * c.H + ih) * c.W + iw)];
            want = (std::isnan(v) || std::isnan(want)) ? NAN
                                                        : std::max(want, v);
          }
        const bool same = std::isnan(want) ? std::isnan(y[o]) : y[o] == want;
        bad += !same;
      }
  return bad;
}

} // namespace

TEST_CASE("maxpool2d: strides, dilations, row lengths", "[pool]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(23);
  const PoolCase cases[] = {
      {3, 111, 111, 3, 3, 2, 2, 1, 1, false}, // SqueezeNet: 55 per row
      {2, 10, 10, 3, 3, 2, 2, 1, 1, false},   // a row shorter than a vector
      {2, 114, 114, 3, 3, 2, 2, 1, 1, true},  // ResNet (padded): 56 per row
      {4, 9, 40, 2, 2, 1, 1, 1, 1, false},    // stride 1
      {2, 20, 47, 3, 2, 3, 3, 1, 1, true},    // stride 3: gathered
      {2, 17, 33, 3, 3, 2, 2, 2, 2, false},   // dilation 2
      {1, 4, 4, 4, 4, 1, 1, 1, 1, false},     // the whole plane
      {2, 30, 70, 2, 2, 2, 2, 1, 1, true},    // 2x2 stride 2, inner vectors
      {1, 12, 50, 5, 5, 1, 1, 1, 1, true},    // 5x5 stride 1, inner vectors
      // Implicit padding: ResNet's 112 -> 56 (pad 1), ceil mode (bottom and
      // right only), asymmetric, stride 3 and dilated windows at the edges.
      {2, 112, 112, 3, 3, 2, 2, 1, 1, false, 1, 1, 1, 1},
      {2, 20, 21, 3, 3, 2, 2, 1, 1, false, 0, 0, 1, 1},
      {1, 9, 40, 2, 3, 1, 1, 1, 1, true, 1, 2, 0, 1},
      {1, 17, 35, 3, 3, 3, 3, 1, 1, false, 1, 1, 2, 2},
      {1, 16, 33, 3, 3, 2, 2, 2, 2, false, 2, 2, 2, 2},
      // Rows of 2+ output vectors at stride 2 (reduced to one row first):
      // ceil mode past the right edge, padding on both sides, 2 wide.
      {2, 7, 70, 3, 3, 2, 2, 1, 1, false, 0, 0, 1, 1},
      {1, 8, 99, 3, 3, 2, 2, 1, 1, true, 1, 1, 1, 1},
      {1, 6, 64, 2, 2, 2, 2, 1, 1, false, 0, 1, 0, 1},
  };
  for (int threads : {1, 2}) {
    cambrian_module_set_threads(threads);
    for (const PoolCase &c : cases) {
      INFO("threads " << threads << " P" << c.P << " " << c.H << "x" << c.W
                      << " k" << c.KH << "x" << c.KW << " s" << c.SH << ","
                      << c.SW << " d" << c.DH << "," << c.DW << " acc"
                      << c.accumulate << " pads " << c.PT << "," << c.PL << ","
                      << c.PB << "," << c.PR);
      CHECK(mismatches(c, rng) == 0);
    }
  }
  cambrian_module_set_threads(1);
}

TEST_CASE("maxpool2d: a NaN in a window gives NaN", "[pool]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(24);
  // NaN early in a window (max must keep it) and last.
  for (int64_t at : {0, 2, 40, 41}) {
    INFO("NaN at " << at);
    CHECK(mismatches({1, 9, 41, 3, 3, 2, 2, 1, 1, false}, rng, at) == 0);
  }
  // Rows long enough to be reduced into one row first: the NaN in the
  // first, a middle (a column that two windows share) and the last row and
  // column.
  for (int64_t at : {0, 81 + 32, 4 * 81 + 33, 8 * 81 + 80}) {
    INFO("NaN at " << at << " (81 wide)");
    CHECK(mismatches({1, 9, 81, 3, 3, 2, 2, 1, 1, false}, rng, at) == 0);
  }
}
