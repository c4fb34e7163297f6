//===- Conv2dTest.cpp - cmb_x86_conv2d against a double reference ---------===//
//
// Covers the three strategies (1x1 direct GEMM, depthwise loop, im2col +
// GEMM) and their parameters: groups, strides, dilations, asymmetric
// padding, bias, accumulate, relu, narrow outputs, deep reductions and
// several output-column tiles.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/ConvPackedWeights.h"
#include "targets/x86/runtime/WinogradWeights.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <initializer_list>
#include <cmath>
#include <cstring>
#include <sstream>

namespace {

struct ConvCase {
  int64_t N, C, H, W, F, KH, KW;
  int64_t SH, SW, DH, DW;
  int64_t PT, PL, PB, PR; // padding top, left, bottom, right
  int64_t G;
  bool bias;
  int act, accumulate; // a CMB_CONV_ACT_*
  float alpha = 0.0f, beta = 0.0f; // the activation's parameters
  bool winograd = false; // through cmb_x86_conv2d_winograd
  bool packed = false;   // through cmb_x86_conv2d_packed

  int64_t OH() const { return (H + PT + PB - (DH * (KH - 1) + 1)) / SH + 1; }
  int64_t OW() const { return (W + PL + PR - (DW * (KW - 1) + 1)) / SW + 1; }
};

int64_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

/// The activation of the case, in double.
double activate(double v, const ConvCase &c) {
  return activationReference(c.act, v, c.alpha, c.beta);
}

std::string describe(const ConvCase &c) {
  std::ostringstream os;
  os << "N" << c.N << " C" << c.C << " " << c.H << "x" << c.W << " F" << c.F
     << " k" << c.KH << "x" << c.KW << " s" << c.SH << "," << c.SW << " d"
     << c.DH << "," << c.DW << " p" << c.PT << "," << c.PL << "," << c.PB << ","
     << c.PR << " g" << c.G << " bias" << c.bias << " act" << c.act << "(" << c.alpha << "," << c.beta << ") acc"
     << c.accumulate << (c.winograd ? " winograd" : "")
     << (c.packed ? " packed" : "");
  return os.str();
}

void runCase(const ConvCase &c, std::mt19937 &rng, Checker &chk) {
  const int64_t OH = c.OH(), OW = c.OW(), Cg = c.C / c.G, Fg = c.F / c.G;
  std::vector<float> x = randomFloats(rng, (size_t)(c.N * c.C * c.H * c.W));
  std::vector<float> w = randomFloats(rng, (size_t)(c.F * Cg * c.KH * c.KW));
  std::vector<float> bias = randomFloats(rng, (size_t)c.F);
  std::vector<float> y = randomFloats(rng, (size_t)(c.N * c.F * OH * OW));
  std::vector<float> y0 = y;

  int64_t p[CMB_CONV_NUM_PARAMS];
  p[CMB_CONV_N] = c.N;
  p[CMB_CONV_C] = c.C;
  p[CMB_CONV_H] = c.H;
  p[CMB_CONV_W] = c.W;
  p[CMB_CONV_F] = c.F;
  p[CMB_CONV_KH] = c.KH;
  p[CMB_CONV_KW] = c.KW;
  p[CMB_CONV_OH] = OH;
  p[CMB_CONV_OW] = OW;
  p[CMB_CONV_STRIDE_H] = c.SH;
  p[CMB_CONV_STRIDE_W] = c.SW;
  p[CMB_CONV_DILATION_H] = c.DH;
  p[CMB_CONV_DILATION_W] = c.DW;
  p[CMB_CONV_PAD_TOP] = c.PT;
  p[CMB_CONV_PAD_LEFT] = c.PL;
  p[CMB_CONV_GROUPS] = c.G;
  p[CMB_CONV_ACCUMULATE] = c.accumulate;
  p[CMB_CONV_ACTIVATION] = c.act;
  p[CMB_CONV_ACT_ALPHA] = floatBits(c.alpha);
  p[CMB_CONV_ACT_BETA] = floatBits(c.beta);
  if (c.winograd) {
    std::vector<float> u((size_t)(CMB_WINOGRAD_POINTS * c.F * c.C));
    cmb_winograd_f43_weights(w.data(), u.data(), c.F, c.C);
    cmb_x86_conv2d_winograd(x.data(), u.data(), c.bias ? bias.data() : nullptr,
                            y.data(), p);
  } else if (c.packed) {
    const int64_t K = c.C * c.KH * c.KW;
    std::vector<float> wp((size_t)cmb_conv_packed_floats(c.F, K), -1.0f);
    cmb_conv_pack_weights(w.data(), wp.data(), c.F, K);
    cmb_x86_conv2d_packed(x.data(), wp.data(), c.bias ? bias.data() : nullptr,
                          y.data(), p);
  } else {
    cmb_x86_conv2d(x.data(), w.data(), c.bias ? bias.data() : nullptr,
                   y.data(), p);
  }

  const std::string where = describe(c);
  for (int64_t n = 0; n < c.N; ++n)
    for (int64_t f = 0; f < c.F; ++f) {
      const int64_t g = f / Fg;
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const size_t o = (size_t)(((n * c.F + f) * OH + oh) * OW + ow);
          double s = c.bias ? bias[f] : 0.0, m = std::fabs(s);
          if (c.accumulate) {
            s += y0[o];
            m += std::fabs(y0[o]);
          }
          for (int64_t ci = 0; ci < Cg; ++ci)
            for (int64_t kh = 0; kh < c.KH; ++kh) {
              const int64_t ih = oh * c.SH - c.PT + kh * c.DH;
              if (ih < 0 || ih >= c.H)
                continue;
              for (int64_t kw = 0; kw < c.KW; ++kw) {
                const int64_t iw = ow * c.SW - c.PL + kw * c.DW;
                if (iw < 0 || iw >= c.W)
                  continue;
                double t =
                    (double)
                        x[(size_t)(((n * c.C + g * Cg + ci) * c.H + ih) * c.W +
                                   iw)] *
                    (double)
                        w[(size_t)(((f * Cg + ci) * c.KH + kh) * c.KW + kw)];
                s += t;
                m += std::fabs(t);
              }
            }
          // The activations' slopes are at most about 1.13 (GELU).
          s = activate(s, c);
          m *= 1.2;
          chk.check(y[o], s, m,
                    where + " at n" + std::to_string(n) + " f" +
                        std::to_string(f) + " (" + std::to_string(oh) + "," +
                        std::to_string(ow) + ")");
        }
    }
}

void requireClean(const Checker &chk) {
  INFO(chk.report());
  CHECK(chk.checks() > 0);
  REQUIRE(chk.failures() == 0);
}

template <typename F> void withThreadCounts(F body) {
  for (int threads : {1, 2}) {
    cambrian_module_set_threads(threads);
    body(threads);
  }
  cambrian_module_set_threads(1);
}

/// Square kernel k, stride s, dilation d, padding p on every side.
ConvCase conv(int64_t N, int64_t C, int64_t H, int64_t W, int64_t F, int64_t k,
              int64_t s, int64_t d, int64_t p, int64_t G, bool bias, int relu,
              int acc) {
  return {N, C, H, W, F, k, k, s, s, d, d, p, p, p, p, G, bias, relu, acc};
}

/// Runs `base` once per activation in `acts`, with the parameters the
/// activation takes (HardSwish's 1/6 and 1/2, a slope of 0.1 otherwise).
void runActivations(ConvCase base, std::initializer_list<int> acts,
                    std::mt19937 &rng, Checker &chk) {
  for (int act : acts) {
    ConvCase c = base;
    c.act = act;
    c.alpha = act == CMB_CONV_ACT_HARDSWISH ? 1.0f / 6 : 0.1f;
    c.beta = act == CMB_CONV_ACT_HARDSWISH ? 0.5f : 0.0f;
    runCase(c, rng, chk);
  }
}

} // namespace

TEST_CASE("conv2d: 1x1 stride-1 convolutions (direct GEMM)", "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(11);
  withThreadCounts([&](int threads) {
    Checker chk;
    runCase(conv(2, 16, 7, 7, 24, 1, 1, 1, 0, 1, true, 1, 0), rng, chk);
    runCase(conv(1, 64, 9, 11, 40, 1, 1, 1, 0, 1, false, 0, 1), rng, chk);
    runCase(conv(2, 12, 5, 6, 8, 1, 1, 1, 0, 2, true, 1, 1), rng, chk);
    runCase(conv(1, 3, 20, 20, 1, 1, 1, 1, 0, 1, true, 0, 0), rng, chk);
    runCase(conv(3, 300, 3, 3, 17, 1, 1, 1, 0, 1, true, 1, 0), rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: depthwise convolutions (direct loop)", "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(12);
  withThreadCounts([&](int threads) {
    Checker chk;
    runCase(conv(1, 6, 13, 13, 6, 3, 1, 1, 1, 6, true, 1, 0), rng, chk);
    runCase(conv(2, 5, 12, 9, 5, 3, 2, 1, 1, 5, true, 0, 1), rng, chk);
    runCase(conv(1, 4, 15, 14, 4, 5, 1, 2, 4, 4, false, 1, 1), rng, chk);
    runCase(conv(1, 3, 9, 9, 3, 1, 1, 1, 0, 3, true, 0, 0), rng, chk);
    runCase(conv(1, 2, 40, 3, 2, 3, 3, 1, 2, 2, true, 1, 0), rng, chk);
    // Asymmetric padding and a kernel wider than the input.
    runCase({1, 3, 6, 4, 3, 3, 5, 1, 1, 1, 1, 0, 2, 1, 3, 3, true, 1, 0}, rng,
            chk);
    runCase(conv(1, 1, 30, 30, 1, 3, 1, 1, 1, 1, true, 1, 0), rng, chk);
    // Rows of every vector count of every ISA (up to 8 zmm and a partial
    // one), stride 2 from wide rows.
    for (int64_t w : {16, 31, 33, 47, 60, 64, 100, 127, 128, 130, 150})
      runCase({1, 2, 3, w, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, true, 1, 1}, rng,
              chk);
    runCase(conv(2, 3, 21, 131, 3, 3, 2, 1, 1, 3, true, 0, 0), rng, chk);
    // Small maps as in the late stages of MobileNets, stride 2 from even
    // and odd widths (the vector de-interleave and its tail), stride 2
    // with dilation 2 (every tap in one phase), stride 3, and enough
    // planes for whole-plane tasks.
    runCase(conv(1, 40, 7, 7, 40, 5, 1, 1, 2, 40, true, 2, 0), rng, chk);
    runCase(conv(1, 24, 14, 14, 24, 3, 1, 1, 1, 24, true, 1, 1), rng, chk);
    runCase(conv(1, 8, 112, 112, 8, 3, 2, 1, 1, 8, true, 2, 0), rng, chk);
    runCase(conv(1, 4, 57, 71, 4, 5, 2, 1, 2, 4, false, 0, 1), rng, chk);
    runCase(conv(1, 4, 20, 37, 4, 3, 2, 2, 2, 4, true, 1, 0), rng, chk);
    runCase(conv(1, 3, 17, 19, 3, 3, 3, 1, 0, 3, true, 0, 0), rng, chk);
    // The channel-blocked kernel (small maps, channels in lanes): a batch,
    // stride and dilation 2 with a partial channel block, asymmetric
    // padding with a kernel wider than the map, a map at the size limit.
    runCase(conv(2, 19, 9, 11, 19, 3, 2, 2, 2, 19, true, 1, 1), rng, chk);
    runCase({1, 17, 6, 4, 17, 3, 5, 1, 1, 1, 1, 0, 2, 1, 3, 17, true, 2, 0},
            rng, chk);
    runCase(conv(1, 33, 32, 32, 33, 3, 1, 1, 1, 33, false, 0, 1), rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: general convolutions (im2col + GEMM)", "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(13);
  withThreadCounts([&](int threads) {
    Checker chk;
    runCase(conv(1, 3, 8, 8, 4, 3, 1, 1, 1, 1, false, 0, 0), rng, chk);
    runCase(conv(2, 8, 10, 10, 16, 3, 1, 1, 1, 1, true, 1, 0), rng, chk);
    // Strides, asymmetric padding, dilation.
    runCase({1, 5, 11, 9, 7, 3, 3, 2, 2, 1, 1, 0, 1, 1, 2, 1, true, 0, 1}, rng,
            chk);
    runCase(conv(1, 6, 14, 12, 5, 3, 1, 2, 2, 1, true, 1, 0), rng, chk);
    runCase({1, 4, 13, 17, 6, 2, 3, 3, 2, 2, 1, 1, 0, 2, 1, 1, false, 1, 1},
            rng, chk);
    // Groups, a channel multiplier of 2 (not depthwise), 1x1 that is not
    // the direct case (stride 2, padding).
    runCase(conv(1, 8, 9, 9, 12, 3, 1, 1, 1, 2, true, 1, 0), rng, chk);
    runCase(conv(2, 12, 10, 10, 8, 3, 2, 1, 1, 4, true, 0, 1), rng, chk);
    runCase(conv(1, 4, 7, 7, 8, 3, 1, 1, 1, 4, true, 1, 0), rng, chk);
    runCase(conv(3, 6, 5, 5, 9, 3, 1, 1, 1, 3, false, 0, 0), rng, chk);
    runCase(conv(1, 16, 14, 14, 24, 1, 2, 1, 0, 1, true, 1, 0), rng, chk);
    runCase(conv(1, 5, 6, 6, 7, 1, 1, 1, 1, 1, true, 0, 1), rng, chk);
    // Stem-like 7x7/2, narrow and tiny outputs, padded tiny inputs,
    // rectangular kernels, one output channel.
    runCase(conv(1, 3, 32, 32, 16, 7, 2, 1, 3, 1, true, 1, 0), rng, chk);
    runCase({1, 4, 7, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, true, 0, 0}, rng,
            chk);
    runCase(conv(2, 7, 3, 3, 5, 3, 1, 1, 0, 1, true, 1, 1), rng, chk);
    runCase(conv(1, 3, 2, 2, 4, 3, 1, 1, 1, 1, false, 0, 0), rng, chk);
    runCase({1, 6, 9, 12, 5, 1, 5, 1, 1, 1, 1, 0, 2, 0, 2, 1, true, 0, 0}, rng,
            chk);
    runCase({1, 6, 12, 9, 5, 5, 1, 1, 1, 1, 1, 2, 0, 2, 0, 1, true, 1, 0}, rng,
            chk);
    runCase(conv(1, 9, 11, 11, 1, 3, 1, 1, 1, 1, true, 0, 1), rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: relu6 (Clip(0, 6)) on every path", "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(61);
  withThreadCounts([&](int) {
    Checker chk;
    const int relu6 = CMB_CONV_ACT_RELU6;
    // Deep enough that sums pass 6 as well as 0.
    runCase(conv(1, 200, 6, 7, 24, 1, 1, 1, 0, 1, true, relu6, 0), rng, chk);
    runCase(conv(1, 64, 12, 12, 20, 3, 1, 1, 1, 1, true, relu6, 0), rng, chk);
    runCase(conv(1, 48, 9, 9, 16, 3, 2, 1, 1, 1, false, relu6, 1), rng, chk);
    runCase(conv(1, 32, 15, 17, 32, 3, 1, 1, 1, 32, true, relu6, 0), rng, chk);
    runCase(conv(1, 16, 9, 9, 16, 3, 2, 1, 1, 16, true, relu6, 1), rng, chk);
    runCase(conv(1, 300, 1, 1, 5, 1, 1, 1, 0, 1, true, relu6, 0), rng, chk);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: deep reductions, several tiles, split channels",
          "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(14);
  withThreadCounts([&](int threads) {
    Checker chk;
    // K = 576 > KC: several K blocks.
    runCase(conv(1, 64, 12, 12, 20, 3, 1, 1, 1, 1, true, 1, 0), rng, chk);
    // 1600 output columns: several im2col tiles, runs across rows.
    runCase(conv(1, 16, 40, 40, 24, 3, 1, 1, 1, 1, true, 1, 1), rng, chk);
    // Many output channels, few columns: the channels are split.
    runCase(conv(1, 8, 7, 7, 100, 3, 1, 1, 1, 1, true, 1, 0), rng, chk);
    // Strided, with 2 images and a K block edge.
    runCase(conv(2, 30, 17, 17, 33, 3, 2, 1, 1, 1, true, 0, 0), rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: random geometries", "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(15);
  withThreadCounts([&](int threads) {
    Checker chk;
    std::uniform_int_distribution<int64_t> small(1, 3), img(1, 14), chans(1, 4),
        ker(1, 4), pad(0, 2), coin(0, 1);
    int done = 0;
    while (done < 50) {
      int64_t G = small(rng);
      ConvCase c{small(rng),
                 G * chans(rng),
                 img(rng),
                 img(rng),
                 G * chans(rng),
                 ker(rng),
                 ker(rng),
                 small(rng),
                 small(rng),
                 small(rng) == 1 ? 1 : 2,
                 small(rng) == 1 ? 1 : 2,
                 pad(rng),
                 pad(rng),
                 pad(rng),
                 pad(rng),
                 G,
                 coin(rng) == 1,
                 (int)coin(rng),
                 (int)coin(rng)};
      if (c.OH() < 1 || c.OW() < 1 ||
          c.H + c.PT + c.PB < c.DH * (c.KH - 1) + 1 ||
          c.W + c.PL + c.PR < c.DW * (c.KW - 1) + 1)
        continue;
      runCase(c, rng, chk);
      ++done;
    }
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: fused activations on every path", "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(17);
  struct Act {
    int kind;
    float alpha, beta;
  };
  const Act acts[] = {{CMB_CONV_ACT_LEAKY_RELU, 0.1f, 0.0f},
                      {CMB_CONV_ACT_HARDSIGMOID, 0.2f, 0.5f},
                      {CMB_CONV_ACT_HARDSWISH, 1.0f / 6.0f, 0.5f},
                      {CMB_CONV_ACT_SIGMOID, 0.0f, 0.0f},
                      {CMB_CONV_ACT_SILU, 0.0f, 0.0f},
                      {CMB_CONV_ACT_TANH, 0.0f, 0.0f},
                      {CMB_CONV_ACT_GELU, 0.0f, 0.0f},
                      {CMB_CONV_ACT_GELU_TANH, 0.0f, 0.0f}};
  withThreadCounts([&](int threads) {
    Checker chk;
    for (const Act &a : acts) {
      // Direct GEMM (tiles and an edge), small M, matrix-vector,
      // depthwise (strides 1 and 2), im2col, with and without accumulation.
      ConvCase cases[] = {
          conv(1, 16, 9, 11, 24, 1, 1, 1, 0, 1, true, a.kind, 0),
          conv(1, 8, 6, 6, 3, 1, 1, 1, 0, 1, true, a.kind, 1),
          conv(1, 40, 1, 1, 20, 1, 1, 1, 0, 1, true, a.kind, 0),
          conv(1, 12, 7, 7, 12, 5, 1, 1, 2, 12, true, a.kind, 0),
          conv(1, 6, 14, 14, 6, 3, 2, 1, 1, 6, true, a.kind, 1),
          conv(1, 5, 10, 10, 7, 3, 1, 1, 1, 1, true, a.kind, 0),
      };
      for (ConvCase &c : cases) {
        c.alpha = a.alpha;
        c.beta = a.beta;
        runCase(c, rng, chk);
      }
    }
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: 3x3 stride-1 convolutions by Winograd F(4x4, 3x3)",
          "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(19);
  // The transforms scale terms by up to 8 (and weights by 1/24): the error
  // bound is a few times that of a direct sum.
  auto wino = [](ConvCase c) {
    c.winograd = true;
    return c;
  };
  withThreadCounts([&](int threads) {
    Checker chk(4e-4);
    // Whole tiles; maps not a multiple of 4 (partial last tiles); rows of
    // more than 16 tiles (the permute path) and of one.
    runCase(wino(conv(1, 16, 16, 16, 24, 3, 1, 1, 1, 1, true, 1, 0)), rng, chk);
    runCase(wino(conv(2, 7, 13, 11, 5, 3, 1, 1, 1, 1, true, 0, 1)), rng, chk);
    runCase(wino(conv(1, 8, 70, 75, 9, 3, 1, 1, 1, 1, false, 1, 0)), rng, chk);
    runCase(wino(conv(1, 3, 3, 3, 4, 3, 1, 1, 1, 1, true, 0, 0)), rng, chk);
    runCase(wino(conv(1, 5, 6, 9, 6, 3, 1, 1, 0, 1, true, 0, 1)), rng, chk);
    // Deep reductions and many filters (several GEMM blocks).
    runCase(wino(conv(1, 300, 14, 14, 70, 3, 1, 1, 1, 1, true, 1, 1)), rng, chk);
    // Few tiles and many filters: on two threads each takes a range of
    // output channels (ragged last range) over all tiles; two images.
    runCase(wino(conv(1, 40, 14, 14, 130, 3, 1, 1, 1, 1, true, 1, 1)), rng,
            chk);
    runCase(wino(conv(2, 24, 9, 11, 120, 3, 1, 1, 1, 1, true, 0, 1)), rng,
            chk);
    // Asymmetric padding, and padding wider than the kernel's reach.
    runCase(wino({1, 4, 9, 10, 6, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 1, true, 0, 0}),
            rng, chk);
    runCase(wino({1, 4, 8, 8, 6, 3, 3, 1, 1, 1, 1, 3, 1, 2, 3, 1, true, 1, 1}),
            rng, chk);
    // Every activation of the epilogue.
    runActivations(wino(conv(1, 6, 10, 21, 7, 3, 1, 1, 1, 1, true, 0, 1)),
                   {CMB_CONV_ACT_RELU6, CMB_CONV_ACT_LEAKY_RELU,
                    CMB_CONV_ACT_HARDSWISH, CMB_CONV_ACT_SILU,
                    CMB_CONV_ACT_GELU, CMB_CONV_ACT_TANH},
                   rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: output channels in lanes with packed weights",
          "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(23);
  auto packed = [](ConvCase c) {
    c.packed = true;
    return c;
  };
  withThreadCounts([&](int threads) {
    Checker chk(1e-5);
    // 1x1 stride 1 (the input planes read in place): 7x7 and 14x14 maps
    // (ragged pixel rows), channel counts off the panel width, several K
    // blocks, two images.
    runCase(packed(conv(1, 64, 7, 7, 96, 1, 1, 1, 0, 1, true, 1, 0)), rng, chk);
    runCase(packed(conv(2, 40, 14, 14, 33, 1, 1, 1, 0, 1, true, 0, 1)), rng,
            chk);
    runCase(packed(conv(1, 1100, 7, 7, 70, 1, 1, 1, 0, 1, false, 1, 1)), rng,
            chk);
    runCase(packed(conv(1, 5, 3, 5, 3, 1, 1, 1, 0, 1, true, 0, 0)), rng, chk);
    // No input channels: bias, residual and activation only.
    runCase(packed(conv(1, 0, 7, 7, 40, 1, 1, 1, 0, 1, true, 1, 1)), rng, chk);
    // Through im2col rows: 3x3 with padding, stride 2 (1x1 and 3x3),
    // dilation, asymmetric padding, a padded 1x1.
    runCase(packed(conv(1, 32, 7, 7, 64, 3, 1, 1, 1, 1, true, 1, 0)), rng, chk);
    runCase(packed(conv(1, 48, 14, 14, 40, 1, 2, 1, 0, 1, true, 0, 1)), rng,
            chk);
    runCase(packed(conv(2, 20, 15, 13, 50, 3, 2, 1, 1, 1, false, 1, 0)), rng,
            chk);
    runCase(packed(conv(1, 9, 12, 12, 17, 3, 1, 2, 2, 1, true, 0, 1)), rng,
            chk);
    runCase(packed({1, 6, 9, 10, 40, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 1, true, 1,
                    1}),
            rng, chk);
    runCase(packed(conv(1, 7, 5, 5, 20, 1, 1, 1, 1, 1, true, 0, 0)), rng, chk);
    // Every activation of the epilogue, on full and partial lane groups.
    runActivations(packed(conv(1, 12, 6, 7, 45, 3, 1, 1, 1, 1, true, 0, 1)),
                   {CMB_CONV_ACT_RELU6, CMB_CONV_ACT_LEAKY_RELU,
                    CMB_CONV_ACT_HARDSWISH, CMB_CONV_ACT_SILU,
                    CMB_CONV_ACT_GELU, CMB_CONV_ACT_TANH, CMB_CONV_ACT_SIGMOID,
                    CMB_CONV_ACT_HARDSIGMOID},
                   rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: depthwise on large maps (phase planes, stride 2 direct)",
          "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(29);
  withThreadCounts([&](int threads) {
    Checker chk;
    // MobileNetV2's stride-2 112 -> 56 and stride-1 56x56 layers (fewer
    // channels), rows with a partial last vector, 5x5 and 7x7 kernels.
    runCase(conv(1, 6, 112, 112, 6, 3, 2, 1, 1, 6, true, CMB_CONV_ACT_RELU6, 0),
            rng, chk);
    runCase(conv(1, 5, 56, 56, 5, 3, 1, 1, 1, 5, true, CMB_CONV_ACT_RELU, 1),
            rng, chk);
    runCase(conv(2, 3, 57, 45, 3, 5, 1, 1, 2, 3, false, 0, 0), rng, chk);
    runCase(conv(1, 4, 67, 71, 4, 5, 2, 1, 2, 4, true, CMB_CONV_ACT_RELU, 1),
            rng, chk);
    runCase(conv(1, 2, 40, 40, 2, 7, 1, 1, 3, 2, true, 0, 0), rng, chk);
    // Asymmetric padding (TF "same" at stride 2), no padding, and a map
    // only a few columns wide.
    runCase({1, 3, 90, 90, 3, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 3, true, 1, 0}, rng,
            chk);
    runCase(conv(1, 3, 70, 70, 3, 3, 1, 1, 0, 3, true, 0, 1), rng, chk);
    runCase(conv(1, 2, 300, 5, 2, 3, 1, 1, 1, 2, true, 0, 0), rng, chk);
    // Dilation 2.
    runCase(conv(1, 3, 48, 48, 3, 3, 1, 2, 2, 3, true, 1, 0), rng, chk);
    // Stride 2 read straight from the input (3x3 and 5x5): a map 3 columns
    // wide (both edges masked in every vector), a 5x5 with asymmetric
    // padding, and the activations computed in registers.
    runCase(conv(1, 3, 3000, 3, 3, 3, 2, 1, 1, 3, true, 0, 1), rng, chk);
    runCase({2, 2, 75, 81, 2, 5, 5, 2, 2, 1, 1, 1, 2, 2, 1, 2, true, 1, 0}, rng,
            chk);
    runActivations(conv(1, 3, 80, 70, 3, 3, 2, 1, 1, 3, true, 0, 1),
                   {CMB_CONV_ACT_HARDSWISH, CMB_CONV_ACT_SILU}, rng, chk);
    // Output rows 4 (3x3) or 2 (5x5) at a time: heights that leave a
    // remainder, odd input heights (the last block's bottom row is padding).
    runCase(conv(1, 2, 27, 45, 2, 3, 2, 1, 1, 2, true, CMB_CONV_ACT_RELU6, 1),
            rng, chk);
    runCase(conv(1, 2, 23, 66, 2, 5, 2, 1, 2, 2, true, CMB_CONV_ACT_RELU, 0),
            rng, chk);
    // 64 wide at 5x5: the second vector's pairs at tap columns 0 and 2 lie
    // inside the row, the pair at column 4 reaches past it.
    runCase(conv(1, 2, 20, 64, 2, 5, 2, 1, 2, 2, true, 0, 0), rng, chk);
    // Small maps at least 14 (3x3) or 28 (5x5) outputs wide leave the
    // channel-blocked kernel for the direct loop; 7 wide stays blocked.
    runCase(conv(1, 24, 28, 28, 24, 3, 2, 1, 1, 24, true, CMB_CONV_ACT_SILU, 0),
            rng, chk);
    runCase(conv(1, 16, 56, 56, 16, 5, 2, 1, 2, 16, true, 0, 1), rng, chk);
    runCase(conv(1, 16, 14, 14, 16, 3, 2, 1, 1, 16, true, 0, 0), rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: depthwise stride 1 read directly (rows in blocks)",
          "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(31);
  withThreadCounts([&](int threads) {
    Checker chk;
    // 3x3 takes 8 output rows at a time, then 4, then 1: heights that
    // leave each remainder, and one below a block; rows of 1..4 vectors
    // with partial last vectors.
    for (int64_t h : {3, 13, 29, 56})
      runCase(conv(1, 3, h, 57, 3, 3, 1, 1, 1, 3, true, CMB_CONV_ACT_RELU6, 0),
              rng, chk);
    runCase(conv(1, 4, 40, 40, 4, 3, 1, 1, 1, 4, true, 0, 1), rng, chk);
    // Small maps at least 24 wide go direct, not to the channel-blocked
    // kernel; 23 wide stays blocked.
    runCase(conv(1, 24, 28, 28, 24, 3, 1, 1, 1, 24, true, CMB_CONV_ACT_RELU, 1),
            rng, chk);
    runCase(conv(2, 16, 30, 24, 16, 3, 1, 1, 1, 16, false, 0, 0), rng, chk);
    runCase(conv(1, 16, 23, 23, 16, 3, 1, 1, 1, 16, true, 0, 0), rng, chk);
    // Asymmetric padding: none at the top and left, two at the bottom and
    // right (every tap column of the last vectors masked differently), and
    // no padding at all.
    runCase({1, 3, 37, 50, 3, 3, 3, 1, 1, 1, 1, 0, 0, 2, 2, 3, true, 1, 0}, rng,
            chk);
    runCase({1, 3, 37, 50, 3, 3, 3, 1, 1, 1, 1, 2, 2, 0, 0, 3, true, 0, 1}, rng,
            chk);
    runCase(conv(1, 2, 35, 66, 2, 3, 1, 1, 0, 2, true, 0, 0), rng, chk);
    // 5x5 (4 rows at a time) with padding 2, a map narrower than a vector
    // and one shorter than the window.
    runCase(conv(1, 3, 45, 61, 3, 5, 1, 1, 2, 3, true, CMB_CONV_ACT_RELU, 1),
            rng, chk);
    runCase(conv(1, 2, 70, 9, 2, 5, 1, 1, 2, 2, true, 0, 0), rng, chk);
    runCase(conv(1, 2, 3, 40, 2, 5, 1, 1, 2, 2, false, 0, 0), rng, chk);
    // One plane of many rows: row ranges split over the threads at
    // boundaries that are not multiples of a block.
    runCase(conv(1, 1, 203, 33, 1, 3, 1, 1, 1, 1, true, 0, 0), rng, chk);
    // Wider than the direct loop's mask table: the phase planes.
    runCase(conv(1, 1, 4, 1100, 1, 3, 1, 1, 1, 1, true, 0, 0), rng, chk);
    runActivations(conv(1, 3, 30, 40, 3, 3, 1, 1, 1, 3, true, 0, 1),
                   {CMB_CONV_ACT_HARDSWISH, CMB_CONV_ACT_SILU,
                    CMB_CONV_ACT_LEAKY_RELU},
                   rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: few input channels (an image's first layer)",
          "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(41);
  withThreadCounts([&](int threads) {
    Checker chk;
    // MobileNet/EfficientNet's 3x3 stride 2 (Clip(0, 6), SiLU) and ResNet's
    // 7x7 stride 2, on smaller images.
    runCase(conv(1, 3, 64, 64, 32, 3, 2, 1, 1, 1, true, CMB_CONV_ACT_RELU6, 0),
            rng, chk);
    ConvCase silu = conv(2, 3, 40, 37, 16, 3, 2, 1, 1, 1, true, 0, 0);
    silu.act = CMB_CONV_ACT_SILU;
    runCase(silu, rng, chk);
    runCase(conv(1, 3, 70, 70, 64, 7, 2, 1, 3, 1, false, CMB_CONV_ACT_RELU, 1),
            rng, chk);
    // Stride 1, one and four channels, channel counts off the 16-blocks,
    // dilated rows, asymmetric (TF "same") padding.
    runCase(conv(1, 1, 33, 50, 5, 3, 1, 1, 1, 1, true, 0, 1), rng, chk);
    runCase(conv(1, 4, 21, 45, 24, 5, 1, 1, 2, 1, true, CMB_CONV_ACT_RELU, 0),
            rng, chk);
    // Dilated rows: im2col + GEMM, the others the direct path.
    runCase({1, 3, 30, 40, 17, 3, 3, 2, 1, 2, 1, 1, 0, 2, 1, 1, true, 0, 0},
            rng, chk);
    runCase({1, 3, 36, 36, 8, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1, true, 1, 1}, rng,
            chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("conv2d: few input channels, output columns in the lanes",
          "[conv2d]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(43);
  withThreadCounts([&](int threads) {
    Checker chk;
    // Full-width rows of the real stems: MobileNet's 112 columns (7 AVX-512
    // vectors: tiles of 4 and 3), SqueezeNet's unpadded 111 (a partial last
    // vector), ResNet's 7x7 on 115 columns (8 vectors: 4 and 4).
    runCase(conv(1, 3, 9, 224, 32, 3, 2, 1, 1, 1, true, CMB_CONV_ACT_RELU6, 0),
            rng, chk);
    runCase(conv(1, 3, 11, 223, 64, 3, 2, 1, 0, 1, true, CMB_CONV_ACT_RELU, 0),
            rng, chk);
    runCase(conv(1, 3, 13, 230, 64, 7, 2, 1, 3, 1, false, CMB_CONV_ACT_RELU, 1),
            rng, chk);
    // Output channels off the register tile's blocks (17, and 2 < one
    // block); one, two and four input channels.
    runCase(conv(2, 1, 12, 70, 17, 3, 1, 1, 1, 1, true, 0, 1), rng, chk);
    runCase(conv(1, 2, 15, 66, 2, 5, 2, 1, 2, 1, true, CMB_CONV_ACT_RELU, 0),
            rng, chk);
    runCase(conv(3, 4, 10, 48, 9, 3, 1, 1, 0, 1, false, 0, 0), rng, chk);
    // Stride 3 across (three phases per channel), asymmetric padding, a
    // non-square window.
    runCase({1, 3, 20, 100, 8, 3, 5, 2, 3, 1, 1, 2, 1, 0, 3, 1, true, 0, 1},
            rng, chk);
    // Tall enough for several blocks of rows per band (their halo rows are
    // copied again per block).
    runCase(conv(1, 3, 150, 120, 6, 3, 1, 1, 1, 1, true, 0, 0), rng, chk);
    // Every activation, the ones applied after the row's tiles included.
    runActivations(conv(1, 3, 8, 64, 8, 3, 2, 1, 1, 1, true, 0, 0),
                   {CMB_CONV_ACT_LEAKY_RELU, CMB_CONV_ACT_HARDSIGMOID,
                    CMB_CONV_ACT_HARDSWISH, CMB_CONV_ACT_SIGMOID,
                    CMB_CONV_ACT_SILU, CMB_CONV_ACT_TANH, CMB_CONV_ACT_GELU,
                    CMB_CONV_ACT_GELU_TANH},
                   rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}
