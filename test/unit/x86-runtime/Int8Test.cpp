//===- Int8Test.cpp - The int8 kernels against a scalar reference ---------===//
//
// cmb_x86_qgemm, cmb_x86_qconv2d and cmb_x86_qconv2d_depthwise must match,
// bit for bit, the contract of Int8Kernels.h computed here the plain way:
// int64 sums of (x - zx) * w, the rounding written as the contract states
// it (remainder against half), padding skipped rather than read. Sizes are
// off the tile grid, activations are signed and unsigned with nonzero zero
// points, values include the extremes (to catch 16-bit saturation), and
// channels include multipliers with many exact ties (negative accumulators
// included). Each case runs with VNNI and with the exact fallback, at 1, 2
// and 3 threads.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Int8Kernels.h"
#include "targets/x86/runtime/Int8Packing.h"
#include "targets/x86/runtime/Kernels.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

namespace {

/// How a case fills a tensor.
enum class Fill { Random, Extreme, NearZeroPoint };

struct Stage {
  int mode = CMB_Q_OUT_U8;
  int32_t zy = 0, lo = 0, hi = 255;
};

struct Channels {
  std::vector<int32_t> bias, mult, shift;
  std::vector<float> scale;
};

/// `v` rounded to 24 significant bits, ties to even: what float32 keeps.
int64_t roundTo24Bits(int64_t v) {
  uint64_t a = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  int width = 0;
  while (width < 64 && (a >> width))
    ++width;
  if (width <= 24)
    return v;
  const int drop = width - 24;
  uint64_t q = a >> drop;
  const uint64_t rem = a & ((1ull << drop) - 1), half = 1ull << (drop - 1);
  q += rem > half || (rem == half && (q & 1));
  a = q << drop;
  return v < 0 ? -(int64_t)a : (int64_t)a;
}

/// The contract's requantization, in integers: float(acc), the product
/// rounded to float32, then round half to even of p / 2^n.
int64_t requantRef(int64_t acc, int32_t m, int32_t n) {
  const int64_t p = roundTo24Bits(roundTo24Bits(acc) * m);
  int64_t q = p >> n;
  const int64_t rem = p - (q << n), half = (int64_t)1 << (n - 1);
  q += rem > half || (rem == half && (q & 1));
  return q;
}

std::vector<int32_t> activations(std::mt19937 &rng, size_t n, bool isSigned,
                                 int32_t zx, Fill fill) {
  const int32_t lo = isSigned ? -128 : 0, hi = isSigned ? 127 : 255;
  std::uniform_int_distribution<int32_t> any(lo, hi), coin(0, 1),
      near(-3, 3);
  std::vector<int32_t> v(n);
  for (int32_t &x : v) {
    if (fill == Fill::Random)
      x = any(rng);
    else if (fill == Fill::Extreme)
      x = coin(rng) ? hi : lo;
    else
      x = std::min(hi, std::max(lo, zx + near(rng)));
  }
  return v;
}

std::vector<int8_t> weights(std::mt19937 &rng, size_t n, Fill fill) {
  std::uniform_int_distribution<int32_t> any(-128, 127), coin(0, 1),
      small(-2, 2);
  std::vector<int8_t> v(n);
  for (int8_t &w : v)
    w = (int8_t)(fill == Fill::Random    ? any(rng)
                 : fill == Fill::Extreme ? (coin(rng) ? 127 : -128)
                                         : small(rng));
  return v;
}

/// Per-channel numbers for accumulators of about `accScale`: most channels
/// map that to about +-100 with a random multiplier; every third uses
/// 3 * 2^29 (exact ties whenever acc * 3 hits a half), and with tiny scales
/// mult = 2^30, shift = 31 (acc / 2: every odd acc is a tie).
Channels channels(std::mt19937 &rng, int64_t F, double accScale) {
  Channels ch;
  std::uniform_int_distribution<int32_t> bias(-3000, 3000), jitter(-1, 1);
  std::uniform_int_distribution<int64_t> mult((int64_t)1 << 30,
                                              ((int64_t)1 << 31) - 1);
  std::uniform_real_distribution<float> scale(-0.01f, 0.01f);
  const int base = (int)std::lround(30.5 + std::log2(std::max(1.0, accScale / 100.0)));
  for (int64_t f = 0; f < F; ++f) {
    ch.bias.push_back(bias(rng));
    ch.scale.push_back(scale(rng));
    int32_t m = (int32_t)mult(rng), n = base + jitter(rng);
    if (f % 3 == 1)
      m = 3 << 29;
    if (accScale < 300 && f % 2 == 0) {
      m = 1 << 30;
      n = 31;
    }
    if (f == 5) // the extremes of the multiplier's range
      m = INT32_MAX;
    // A float32 factor's 24 significant bits.
    m &= ~0x7f;
    ch.mult.push_back(m);
    ch.shift.push_back(std::min(62, std::max(31, n)));
  }
  return ch;
}

std::vector<int32_t> table(const Channels &ch, int64_t F, int64_t K,
                           const int8_t *w, int64_t strideF, int64_t strideK,
                           int32_t zxU8, int mode) {
  std::vector<int32_t> t((size_t)(3 * cmb_q_channels_padded(F)));
  if (mode == CMB_Q_OUT_F32)
    cmb_q_channels_f32(F, K, w, strideF, strideK, zxU8, ch.bias.data(),
                       ch.scale.data(), t.data());
  else
    cmb_q_channels(F, K, w, strideF, strideK, zxU8, ch.bias.data(),
                   ch.mult.data(), ch.shift.data(), t.data());
  return t;
}

/// Output buffer of `n` elements of the stage's type, pre-filled with a
/// canary past the end.
struct Output {
  int mode;
  std::vector<uint8_t> bytes;
  size_t n;
  Output(int mode, size_t n)
      : mode(mode), bytes(elemBytes(mode) * n + 64, 0xA5), n(n) {}
  static size_t elemBytes(int mode) {
    return mode == CMB_Q_OUT_U8 || mode == CMB_Q_OUT_S8 ? 1 : 4;
  }
  void *data() { return bytes.data(); }
  /// Element i as a comparable value: an integer, or float bits.
  int64_t at(size_t i) const {
    switch (mode) {
    case CMB_Q_OUT_U8:
      return bytes[i];
    case CMB_Q_OUT_S8:
      return (int8_t)bytes[i];
    default: {
      int32_t v;
      std::memcpy(&v, &bytes[4 * i], 4);
      return v;
    }
    }
  }
  bool canaryIntact() const {
    for (size_t i = elemBytes(mode) * n; i < bytes.size(); ++i)
      if (bytes[i] != 0xA5)
        return false;
    return true;
  }
};

/// The reference's output value of acc for channel f, comparable with
/// Output::at.
int64_t finishRef(int64_t acc, const Channels &ch, int64_t f,
                  const Stage &st) {
  REQUIRE(acc >= INT32_MIN);
  REQUIRE(acc <= INT32_MAX);
  if (st.mode == CMB_Q_OUT_I32)
    return acc;
  if (st.mode == CMB_Q_OUT_F32) {
    float v = (float)(int32_t)acc * ch.scale[f];
    int32_t bits;
    std::memcpy(&bits, &v, 4);
    return bits;
  }
  int64_t q = requantRef(acc, ch.mult[f], ch.shift[f]) + st.zy;
  return std::min<int64_t>(st.hi, std::max<int64_t>(st.lo, q));
}

/// A stage of each mode, with a nonzero output zero point and (for the
/// requantized ones) a clamp: plain, Relu (lo = zy), or a Clip.
Stage stageOf(int mode, int variant) {
  Stage st;
  st.mode = mode;
  const bool s8 = mode == CMB_Q_OUT_S8;
  st.zy = s8 ? -7 : 131;
  st.lo = s8 ? -128 : 0;
  st.hi = s8 ? 127 : 255;
  if (variant == 1)
    st.lo = st.zy;
  if (variant == 2) {
    st.lo = st.zy - 20;
    st.hi = st.zy + 90;
  }
  return st;
}

/// Runs `body` with VNNI (where the CPU has it) and without, at 1, 2 and 3
/// threads.
template <typename F> void forEachConfig(F body) {
  for (int vnni : {1, 0}) {
    const int on = cmb_x86_int8_use_vnni(vnni);
    if (vnni && !on)
      WARN("no VNNI on this CPU for the " << cmbTestIsa << " archive");
    for (int threads : {1, 2, 3}) {
      cambrian_module_set_threads(threads);
      body(on, threads);
    }
  }
  cambrian_module_set_threads(1);
  cmb_x86_int8_use_vnni(1);
}

//===----------------------------------------------------------------------===//
// GEMM
//===----------------------------------------------------------------------===//

struct GemmCase {
  int64_t M, N, K;
  bool xSigned;
  int32_t zx;
  Stage st;
  Fill fill;
  int64_t padA = 0, padC = 0; // extra row length of A and C
};

std::string describe(const GemmCase &c) {
  std::ostringstream os;
  os << "M" << c.M << " N" << c.N << " K" << c.K << " signed" << c.xSigned
     << " zx" << c.zx << " mode" << c.st.mode << " zy" << c.st.zy << " ["
     << c.st.lo << "," << c.st.hi << "] fill" << (int)c.fill;
  return os.str();
}

/// The number of mismatches of one case (reporting the first).
int runGemm(const GemmCase &c, std::mt19937 &rng) {
  const int64_t lda = c.K + c.padA, ldc = c.N + c.padC;
  std::vector<int32_t> x =
      activations(rng, (size_t)(c.M * lda), c.xSigned, c.zx, c.fill);
  std::vector<uint8_t> a(x.size() + 1);
  for (size_t i = 0; i < x.size(); ++i)
    a[i] = (uint8_t)x[i];
  std::vector<int8_t> b = weights(rng, (size_t)(c.K * c.N), c.fill);
  std::vector<int8_t> bp((size_t)cmb_q_gemm_weights_bytes(c.K, c.N) + 1);
  cmb_q_pack_gemm_weights(b.data(), c.N, 1, c.K, c.N, bp.data());
  Channels ch = channels(rng, c.N,
                         c.fill == Fill::NearZeroPoint ? 10.0
                                                       : 5500.0 * std::sqrt((double)c.K));
  std::vector<int32_t> tb =
      table(ch, c.N, c.K, b.data(), 1, c.N,
            cmb_q_zero_point_u8(c.zx, c.xSigned), c.st.mode);

  Output out(c.st.mode, (size_t)(c.M * ldc));
  int64_t p[CMB_QGEMM_NUM_PARAMS];
  p[CMB_QGEMM_M] = c.M;
  p[CMB_QGEMM_N] = c.N;
  p[CMB_QGEMM_K] = c.K;
  p[CMB_QGEMM_LDA] = lda;
  p[CMB_QGEMM_LDC] = ldc;
  p[CMB_QGEMM_X_SIGNED] = c.xSigned;
  p[CMB_QGEMM_OUT] = c.st.mode;
  p[CMB_QGEMM_ZY] = c.st.zy;
  p[CMB_QGEMM_LO] = c.st.lo;
  p[CMB_QGEMM_HI] = c.st.hi;
  cmb_x86_qgemm(a.data(), bp.data(), tb.data(), out.data(), p);

  int bad = 0;
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t n = 0; n < c.N; ++n) {
      int64_t acc = ch.bias[n];
      for (int64_t k = 0; k < c.K; ++k)
        acc += (int64_t)(x[i * lda + k] - c.zx) * b[k * c.N + n];
      const int64_t want = finishRef(acc, ch, n, c.st);
      const int64_t got = out.at((size_t)(i * ldc + n));
      if (got != want && bad++ == 0)
        UNSCOPED_INFO(describe(c) << ": C[" << i << "][" << n << "] = " << got
                                  << ", want " << want << " (acc " << acc
                                  << ")");
    }
  if (!out.canaryIntact() && bad++ == 0)
    UNSCOPED_INFO(describe(c) << ": wrote past the output");
  return bad;
}

} // namespace

TEST_CASE("int8 gemm: sizes off the tile grid, every output stage",
          "[int8]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(17);
  forEachConfig([&](int vnni, int threads) {
    int bad = 0, cases = 0;
    int variant = 0;
    for (int64_t M : {1, 3, 8, 9, 12, 23, 30}) // tiles of 8 or 12 rows
      for (int64_t N : {1, 5, 16, 33, 70})
        for (int64_t K : {0, 1, 3, 4, 5, 19, 64, 131}) {
          GemmCase c;
          c.M = M;
          c.N = N;
          c.K = K;
          c.xSigned = (M + N + K) % 2;
          c.zx = c.xSigned ? -5 : 121;
          c.st = stageOf((int)((M + 2 * N + K) % 4), variant++ % 3);
          c.fill = Fill::Random;
          c.padA = K % 3;
          c.padC = N % 2;
          bad += runGemm(c, rng);
          ++cases;
        }
    INFO("vnni " << vnni << " threads " << threads << ": " << cases
                 << " cases");
    REQUIRE(bad == 0);
  });
}

TEST_CASE("int8 gemm: extreme values and ties", "[int8]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(18);
  forEachConfig([&](int vnni, int threads) {
    int bad = 0;
    for (bool xSigned : {false, true})
      for (int mode : {CMB_Q_OUT_U8, CMB_Q_OUT_S8, CMB_Q_OUT_I32}) {
        GemmCase c;
        c.M = 11;
        c.N = 37;
        c.K = 515; // long enough to overflow int16 sums many times over
        c.xSigned = xSigned;
        c.zx = xSigned ? 127 : 0; // x - zx down to -255
        c.st = stageOf(mode, 0);
        c.fill = Fill::Extreme;
        bad += runGemm(c, rng);
        c.K = 6; // small accumulators: acc / 2 with ties of both signs
        c.zx = xSigned ? 3 : 100;
        c.fill = Fill::NearZeroPoint;
        bad += runGemm(c, rng);
      }
    INFO("vnni " << vnni << " threads " << threads);
    REQUIRE(bad == 0);
  });
}

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

namespace {

struct ConvCase {
  int64_t N, C, H, W, F, KH, KW, SH, SW, DH, DW, PT, PL, PB, PR;
  bool depthwise;
  bool xSigned;
  int32_t zx;
  Stage st;
  Fill fill;

  int64_t OH() const { return (H + PT + PB - (DH * (KH - 1) + 1)) / SH + 1; }
  int64_t OW() const { return (W + PL + PR - (DW * (KW - 1) + 1)) / SW + 1; }
};

std::string describe(const ConvCase &c) {
  std::ostringstream os;
  os << (c.depthwise ? "depthwise " : "") << "N" << c.N << " C" << c.C << " "
     << c.H << "x" << c.W << " F" << c.F << " k" << c.KH << "x" << c.KW
     << " s" << c.SH << "," << c.SW << " d" << c.DH << "," << c.DW << " p"
     << c.PT << "," << c.PL << "," << c.PB << "," << c.PR << " signed"
     << c.xSigned << " zx" << c.zx << " mode" << c.st.mode << " zy" << c.st.zy
     << " [" << c.st.lo << "," << c.st.hi << "] fill" << (int)c.fill;
  return os.str();
}

int runConv(const ConvCase &c, std::mt19937 &rng) {
  const int64_t OH = c.OH(), OW = c.OW();
  const int64_t Cg = c.depthwise ? 1 : c.C;
  const int64_t K = Cg * c.KH * c.KW;
  std::vector<int32_t> x = activations(rng, (size_t)(c.N * c.C * c.H * c.W),
                                       c.xSigned, c.zx, c.fill);
  std::vector<uint8_t> xb(x.size() + 1);
  for (size_t i = 0; i < x.size(); ++i)
    xb[i] = (uint8_t)x[i];
  std::vector<int8_t> w = weights(rng, (size_t)(c.F * K), c.fill);
  Channels ch = channels(rng, c.F,
                         c.fill == Fill::NearZeroPoint
                             ? 10.0
                             : 5500.0 * std::sqrt((double)K));
  const int32_t zxU8 = cmb_q_zero_point_u8(c.zx, c.xSigned);
  std::vector<int32_t> tb = table(ch, c.F, K, c.depthwise ? nullptr : w.data(),
                                  K, 1, zxU8, c.st.mode);

  int64_t p[CMB_QCONV_NUM_PARAMS];
  p[CMB_QCONV_N] = c.N;
  p[CMB_QCONV_C] = c.C;
  p[CMB_QCONV_H] = c.H;
  p[CMB_QCONV_W] = c.W;
  p[CMB_QCONV_F] = c.F;
  p[CMB_QCONV_KH] = c.KH;
  p[CMB_QCONV_KW] = c.KW;
  p[CMB_QCONV_OH] = OH;
  p[CMB_QCONV_OW] = OW;
  p[CMB_QCONV_STRIDE_H] = c.SH;
  p[CMB_QCONV_STRIDE_W] = c.SW;
  p[CMB_QCONV_DILATION_H] = c.DH;
  p[CMB_QCONV_DILATION_W] = c.DW;
  p[CMB_QCONV_PAD_TOP] = c.PT;
  p[CMB_QCONV_PAD_LEFT] = c.PL;
  p[CMB_QCONV_GROUPS] = c.depthwise ? c.C : 1;
  p[CMB_QCONV_X_SIGNED] = c.xSigned;
  p[CMB_QCONV_ZX] = c.zx;
  p[CMB_QCONV_OUT] = c.st.mode;
  p[CMB_QCONV_ZY] = c.st.zy;
  p[CMB_QCONV_LO] = c.st.lo;
  p[CMB_QCONV_HI] = c.st.hi;

  Output out(c.st.mode, (size_t)(c.N * c.F * OH * OW));
  if (c.depthwise) {
    cmb_x86_qconv2d_depthwise(xb.data(), w.data(), tb.data(), out.data(), p);
  } else {
    std::vector<int8_t> wp(
        (size_t)cmb_q_conv_weights_bytes(c.F, c.C, c.KH, c.KW) + 1);
    cmb_q_pack_conv_weights(w.data(), c.F, c.C, c.KH, c.KW, wp.data());
    cmb_x86_qconv2d(xb.data(), wp.data(), tb.data(), out.data(), p);
  }

  int bad = 0;
  for (int64_t n = 0; n < c.N; ++n)
    for (int64_t f = 0; f < c.F; ++f)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          int64_t acc = ch.bias[f];
          for (int64_t cg = 0; cg < Cg; ++cg)
            for (int64_t kh = 0; kh < c.KH; ++kh)
              for (int64_t kw = 0; kw < c.KW; ++kw) {
                const int64_t ih = oh * c.SH - c.PT + kh * c.DH;
                const int64_t iw = ow * c.SW - c.PL + kw * c.DW;
                if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W)
                  continue; // the zero point: a real 0
                const int64_t ci = c.depthwise ? f : cg;
                acc += (int64_t)(x[((n * c.C + ci) * c.H + ih) * c.W + iw] -
                                 c.zx) *
                       w[((f * Cg + cg) * c.KH + kh) * c.KW + kw];
              }
          const int64_t want = finishRef(acc, ch, f, c.st);
          const size_t at = (size_t)(((n * c.F + f) * OH + oh) * OW + ow);
          const int64_t got = out.at(at);
          if (got != want && bad++ == 0)
            UNSCOPED_INFO(describe(c) << ": y[" << n << "][" << f << "][" << oh
                                      << "][" << ow << "] = " << got
                                      << ", want " << want << " (acc " << acc
                                      << ")");
        }
  if (!out.canaryIntact() && bad++ == 0)
    UNSCOPED_INFO(describe(c) << ": wrote past the output");
  return bad;
}

ConvCase conv(int64_t N, int64_t C, int64_t H, int64_t W, int64_t F,
              int64_t KH, int64_t KW, int64_t S, int64_t D, int64_t P) {
  ConvCase c{N, C, H, W, F, KH, KW, S, S, D, D, P, P, P, P,
             false, false, 0, Stage(), Fill::Random};
  return c;
}

} // namespace

TEST_CASE("int8 conv2d: geometry, padding with the zero point, stages",
          "[int8]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(19);
  std::vector<ConvCase> cases = {
      conv(1, 1, 1, 1, 1, 1, 1, 1, 1, 0),    // one pixel, one channel
      conv(1, 8, 5, 7, 9, 1, 1, 1, 1, 0),    // 1x1 direct, ragged
      conv(2, 13, 9, 11, 17, 1, 1, 1, 1, 0), // 1x1, C not a multiple of 4
      conv(1, 5, 9, 10, 6, 1, 1, 2, 1, 0),   // 1x1 stride 2
      conv(1, 3, 12, 13, 10, 3, 3, 1, 1, 1), // 3x3 pad 1
      conv(2, 7, 11, 9, 19, 3, 3, 2, 1, 1),  // 3x3 stride 2
      conv(1, 4, 13, 14, 8, 3, 3, 1, 2, 2),  // dilated
      conv(1, 3, 17, 15, 5, 7, 7, 2, 1, 3),  // 7x7 stride 2 (a stem)
      conv(1, 9, 6, 5, 33, 3, 1, 1, 1, 0),   // 3x1
      conv(1, 20, 7, 7, 24, 3, 3, 1, 1, 1),  // late stage: weights outside
      conv(1, 16, 40, 40, 12, 3, 3, 1, 1, 1), // large X': pixels outside
      conv(1, 3, 9, 75, 8, 7, 7, 2, 1, 3),   // stride-2 rows in vectors
      conv(1, 5, 6, 70, 9, 3, 3, 2, 1, 1),   //   (a stem), and their tails
  };
  cases[4].PB = 0;               // asymmetric padding
  cases[8].PL = 2;
  cases[8].PR = 1;
  forEachConfig([&](int vnni, int threads) {
    int bad = 0, variant = 0;
    for (ConvCase c : cases)
      for (int mode : {CMB_Q_OUT_U8, CMB_Q_OUT_S8, CMB_Q_OUT_I32,
                       CMB_Q_OUT_F32}) {
        c.xSigned = (variant % 2) != 0;
        c.zx = c.xSigned ? 37 : 200; // padding must read these, not 0
        c.st = stageOf(mode, variant % 3);
        ++variant;
        bad += runConv(c, rng);
      }
    INFO("vnni " << vnni << " threads " << threads);
    REQUIRE(bad == 0);
  });
}

TEST_CASE("int8 conv2d: extreme values and ties", "[int8]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(20);
  forEachConfig([&](int vnni, int threads) {
    int bad = 0;
    for (bool xSigned : {false, true}) {
      ConvCase c = conv(1, 64, 6, 6, 11, 3, 3, 1, 1, 1); // K = 576
      c.xSigned = xSigned;
      c.zx = xSigned ? 127 : 0;
      c.st = stageOf(CMB_Q_OUT_S8, 0);
      c.fill = Fill::Extreme;
      bad += runConv(c, rng);
      c.st = stageOf(CMB_Q_OUT_I32, 0);
      bad += runConv(c, rng);
      ConvCase t = conv(1, 1, 9, 8, 10, 1, 1, 1, 1, 0);
      t.xSigned = xSigned;
      t.zx = xSigned ? -2 : 50;
      t.st = stageOf(CMB_Q_OUT_U8, 0);
      t.fill = Fill::NearZeroPoint;
      bad += runConv(t, rng);
    }
    INFO("vnni " << vnni << " threads " << threads);
    REQUIRE(bad == 0);
  });
}

TEST_CASE("int8 depthwise: 3x3 and 5x5, strides 1 and 2, padding",
          "[int8]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(21);
  std::vector<ConvCase> cases;
  for (int64_t k : {3, 5})
    for (int64_t s : {1, 2})
      for (int64_t hw : {1, 7, 20}) {
        ConvCase c = conv(2, 5, hw, hw + 3, 5, k, k, s, 1, k / 2);
        c.depthwise = true;
        cases.push_back(c);
      }
  ConvCase odd = conv(1, 3, 9, 12, 3, 3, 3, 2, 2, 2); // dilated, stride 2
  odd.depthwise = true;
  odd.PR = 0;
  cases.push_back(odd);
  // The integer path's rows: several column vectors (whole, and with a
  // tail), row blocks and their remainder, padding on one side only or
  // none, a 1-pixel-wide map, and the float path's other windows.
  for (int64_t k : {3, 5})
    for (int64_t s : {1, 2}) {
      ConvCase wide = conv(1, 3, 11, 16 * s + 64 * s, 3, k, k, s, 1, k / 2);
      wide.depthwise = true;
      cases.push_back(wide);
      ConvCase lop = conv(1, 2, 9, 37, 2, k, k, s, 1, k / 2);
      lop.depthwise = true;
      lop.PT = 0;
      lop.PL = k - 1;
      lop.PB = k - 1;
      lop.PR = 0;
      cases.push_back(lop);
      ConvCase none = conv(1, 2, 6 + k, 33, 2, k, k, s, 1, 0);
      none.depthwise = true;
      cases.push_back(none);
      ConvCase thin = conv(1, 2, 8, 1, 2, k, k, s, 1, k / 2);
      thin.depthwise = true;
      cases.push_back(thin);
    }
  // Narrow maps, two output rows per vector: 7x7 (an odd row count), 14x14
  // down to 7x7, rows of exactly 8 and row blocks of 8.
  for (int64_t k : {3, 5}) {
    ConvCase late = conv(1, 3, 7, 7, 3, k, k, 1, 1, k / 2);
    late.depthwise = true;
    cases.push_back(late);
    ConvCase down = conv(1, 3, 14, 14, 3, k, k, 2, 1, k / 2);
    down.depthwise = true;
    cases.push_back(down);
    ConvCase tall = conv(1, 2, 19, 8, 2, k, k, 1, 1, k / 2);
    tall.depthwise = true;
    cases.push_back(tall);
  }
  ConvCase mixed = conv(1, 4, 10, 19, 4, 3, 3, 1, 1, 1); // stride 1 x 2
  mixed.depthwise = true;
  mixed.SW = 2;
  cases.push_back(mixed);
  ConvCase seven = conv(1, 3, 15, 18, 3, 7, 7, 2, 1, 3);
  seven.depthwise = true;
  cases.push_back(seven);
  forEachConfig([&](int vnni, int threads) {
    int bad = 0, variant = 0;
    for (ConvCase c : cases)
      for (Fill fill : {Fill::Random, Fill::Extreme, Fill::NearZeroPoint}) {
        c.xSigned = (variant % 2) != 0;
        c.zx = fill == Fill::Extreme ? (c.xSigned ? -128 : 255)
                                     : (c.xSigned ? 20 : 90);
        c.st = stageOf(variant % 4, variant % 3);
        c.fill = fill;
        ++variant;
        bad += runConv(c, rng);
      }
    INFO("vnni " << vnni << " threads " << threads);
    REQUIRE(bad == 0);
  });
}
