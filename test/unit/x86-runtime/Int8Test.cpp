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

/// The contract's requantization, literally.
int64_t requantRef(int64_t acc, int32_t m, int32_t n) {
  const int64_t p = acc * m;
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
    for (int64_t M : {1, 3, 8, 9, 30})
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
