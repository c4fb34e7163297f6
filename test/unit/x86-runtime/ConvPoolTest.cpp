//===- ConvPoolTest.cpp - cmb_x86_conv2d_maxpool against the two kernels --===//
//
// The fused kernel must give exactly what cmb_x86_conv2d followed by
// cmb_x86_maxpool2d gives (each checked against references in its own
// test): the same GEMM computes every convolution output whatever band it
// lands in, and max is exact. The cases cover the stems it exists for,
// several bands per range (rows carried from band to band), windows that do
// not overlap, padding on both sides, ceil-mode rows past the map, two
// images, accumulation into the pooled output, and 1 or 2 threads.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct ConvPoolCase {
  int64_t N, C, H, W, F, K, S, P; // square convolution, symmetric padding
  int64_t PK, PS, PP;             // square pooling window, stride, padding
  bool ceilMode, accumulate;
  int act;
  int64_t OH() const { return (H + 2 * P - K) / S + 1; }
  int64_t OW() const { return (W + 2 * P - K) / S + 1; }
  int64_t pooled(int64_t in) const {
    const int64_t span = in + 2 * PP - PK;
    return (ceilMode ? (span + PS - 1) / PS : span / PS) + 1;
  }
};

std::string describe(const ConvPoolCase &c, int threads) {
  return "N" + std::to_string(c.N) + " C" + std::to_string(c.C) + " " +
         std::to_string(c.H) + "x" + std::to_string(c.W) + " F" +
         std::to_string(c.F) + " k" + std::to_string(c.K) + " s" +
         std::to_string(c.S) + " p" + std::to_string(c.P) + ", pool " +
         std::to_string(c.PK) + "/" + std::to_string(c.PS) + " p" +
         std::to_string(c.PP) + (c.ceilMode ? " ceil" : "") +
         (c.accumulate ? " accumulate" : "") + ", " +
         std::to_string(threads) + " thread(s)";
}

/// Outputs of the fused kernel that differ from the two kernels' (NaN
/// matches NaN).
int64_t mismatches(const ConvPoolCase &c, int threads, std::mt19937 &rng) {
  const int64_t OH = c.OH(), OW = c.OW();
  const int64_t POH = c.pooled(OH), POW = c.pooled(OW);
  std::vector<float> x = randomFloats(rng, (size_t)(c.N * c.C * c.H * c.W));
  std::vector<float> w = randomFloats(rng, (size_t)(c.F * c.C * c.K * c.K));
  std::vector<float> bias = randomFloats(rng, (size_t)c.F);
  std::vector<float> yFused =
      randomFloats(rng, (size_t)(c.N * c.F * POH * POW));
  std::vector<float> ySplit = yFused;
  std::vector<float> map((size_t)(c.N * c.F * OH * OW));

  int64_t conv[CMB_CONV_NUM_PARAMS] = {0};
  conv[CMB_CONV_N] = c.N;
  conv[CMB_CONV_C] = c.C;
  conv[CMB_CONV_H] = c.H;
  conv[CMB_CONV_W] = c.W;
  conv[CMB_CONV_F] = c.F;
  conv[CMB_CONV_KH] = conv[CMB_CONV_KW] = c.K;
  conv[CMB_CONV_OH] = OH;
  conv[CMB_CONV_OW] = OW;
  conv[CMB_CONV_STRIDE_H] = conv[CMB_CONV_STRIDE_W] = c.S;
  conv[CMB_CONV_DILATION_H] = conv[CMB_CONV_DILATION_W] = 1;
  conv[CMB_CONV_PAD_TOP] = conv[CMB_CONV_PAD_LEFT] = c.P;
  conv[CMB_CONV_GROUPS] = 1;
  conv[CMB_CONV_ACTIVATION] = c.act;

  int64_t pool[CMB_POOL_NUM_PARAMS] = {0};
  pool[CMB_POOL_PLANES] = c.N * c.F;
  pool[CMB_POOL_H] = OH;
  pool[CMB_POOL_W] = OW;
  pool[CMB_POOL_OH] = POH;
  pool[CMB_POOL_OW] = POW;
  pool[CMB_POOL_KH] = pool[CMB_POOL_KW] = c.PK;
  pool[CMB_POOL_STRIDE_H] = pool[CMB_POOL_STRIDE_W] = c.PS;
  pool[CMB_POOL_DILATION_H] = pool[CMB_POOL_DILATION_W] = 1;
  pool[CMB_POOL_ACCUMULATE] = c.accumulate;
  pool[CMB_POOL_PAD_TOP] = pool[CMB_POOL_PAD_LEFT] = c.PP;

  cambrian_module_set_threads(threads);
  cmb_x86_conv2d(x.data(), w.data(), bias.data(), map.data(), conv);
  cmb_x86_maxpool2d(map.data(), ySplit.data(), pool);
  cmb_x86_conv2d_maxpool(x.data(), w.data(), bias.data(), yFused.data(),
                         conv, pool);
  cambrian_module_set_threads(1);

  int64_t bad = 0;
  for (size_t i = 0; i < yFused.size(); ++i)
    bad += std::isnan(ySplit[i]) ? !std::isnan(yFused[i])
                                 : yFused[i] != ySplit[i];
  return bad;
}

} // namespace

TEST_CASE("conv2d_maxpool: equals the convolution, then the pooling",
          "[conv2d][pool]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(29);
  const ConvPoolCase cases[] = {
      // ResNet's stem, smaller: 7x7/2 then 3x3/2 padded; 96 channels of 60
      // columns give bands of 4 pooled rows, 8 bands per image.
      {1, 3, 120, 120, 96, 7, 2, 3, 3, 2, 1, false, false, CMB_CONV_ACT_RELU},
      // SqueezeNet's: 3x3/2 unpadded, pooling in ceil mode past the map.
      {1, 3, 64, 62, 64, 3, 2, 0, 3, 2, 0, true, false, CMB_CONV_ACT_RELU},
      // 2x2/2 windows do not overlap: nothing carried between bands.
      {2, 5, 50, 70, 40, 3, 1, 1, 2, 2, 0, false, false, CMB_CONV_ACT_NONE},
      // Channels not a multiple of the micro-kernel's rows, a window taller
      // than twice the stride, accumulation into the output.
      {2, 4, 41, 37, 23, 5, 1, 2, 5, 2, 2, false, true, CMB_CONV_ACT_RELU6},
      // More images than threads; a map narrower than a vector.
      {3, 2, 18, 9, 17, 3, 1, 1, 3, 2, 1, true, false, CMB_CONV_ACT_RELU},
  };
  for (const ConvPoolCase &c : cases)
    for (int threads : {1, 2}) {
      INFO(describe(c, threads));
      CHECK(mismatches(c, threads, rng) == 0);
    }
}
