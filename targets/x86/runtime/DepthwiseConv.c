//===- DepthwiseConv.c - Direct depthwise convolution ---------------------===//
//
// With one input and one output channel per group, im2col + GEMM would be a
// GEMM with M = 1 and K = KH*KW: all copying, no reuse. Three loops share
// the work instead (cmb_conv_depthwise picks one):
//
//  - Undilated 3x3 and 5x5 windows at stride 1 or 2 read the input rows in
//    place (directRowsKS, AVX-512): a vector of 16 output columns at a
//    time, several output rows together so that each input row is loaded
//    once and feeds every output row it reaches; at stride 2 a pair of
//    loads gives two taps as its even and odd lanes. Loads at a row's ends
//    are masked (masks computed once per plane), the others plain.
//  - Narrow maps go to the channel-blocked kernel (DepthwiseBlocked.c).
//  - Everything else runs over "phase planes", a block of output rows of
//    one plane at a time:
//
//  1. The input rows the block needs are copied into SH*SW zero-padded
//     "phase planes": phase (rh, rw) holds padded pixel (R*SH + rh,
//     j*SW + rw) at row R, column j, all rows Wq = OW + ((KW-1)*DW)/SW
//     floats long. Tap (kh, kw) of output (oh, ow) then reads phase
//     ((kh*DH) % SH, (kw*DW) % SW) at row oh + (kh*DH)/SH, column
//     ow + (kw*DW)/SW: for any stride and dilation, a fixed offset from the
//     output's position in a plane of the same pitch.
//  2. So the block is computed as one flat run of positions oh*Wq + ow,
//     full vectors throughout, each tap one broadcast weight and one
//     contiguous load per vector, the sums in registers. The Wq - OW extra
//     columns per row are computed and dropped; on small maps (7x7, 14x14)
//     this wastes far fewer lanes than a vector per output row would.
//  3. The valid columns are copied out with bias, accumulation and the
//     activation.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Conv2d.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <stdlib.h>

#ifndef CMB_DW_BLOCKED_MAX_OUTPUTS
#define CMB_DW_BLOCKED_MAX_OUTPUTS (32 * 32)
#endif

/// Column vectors of a row that the direct paths handle, and the masks
/// kept per column vector (stride 1: one per tap column, stride 2: a pair of
/// loads at tap columns 0, 2, 4; then a flag).
enum { kMaxColumnVectors = 64, kMasksPerVector = 7 };

/// Output vectors computed together (accumulators in registers).
#if defined(__AVX512F__)
enum { kMaxVectors = 8 };
#else
enum { kMaxVectors = 4 }; // 16 vector registers
#endif

/// Phase planes and the flat result of a block stay within about this many
/// floats (L1).
enum { kBlockFloats = 8192 };

typedef struct DepthwiseJob {
  const float *x, *w, *bias;
  float *y;
  const cmb_conv_shape *s;
  int64_t planesPerTask;  ///< whole planes per task (tasksPerPlane == 1), or
  int64_t tasksPerPlane;  ///< row ranges per plane (planesPerTask == 1)
  int64_t rowsPerTask;    ///< output rows per task
  int64_t blockRows;      ///< output rows per block (<= rowsPerTask)
  int64_t pitch;          ///< Wq, floats per phase row and per result row
  int64_t phaseRows;      ///< rows per phase plane: blockRows + max row offset
  int64_t phaseFloats;    ///< SH * SW * phaseRows * pitch
  int64_t slack;          ///< floats read past the last phase plane
  const int64_t *offset;  ///< [KH*KW] tap offsets into the phase planes
  const int64_t *lo, *hi; ///< [SW] phase columns that hold input
  int direct;             ///< DirectMode: how directRows computes, if at all
} DepthwiseJob;

/// Which loop computes a depthwise convolution.
enum DirectMode {
  kPhases = 0,        ///< phase planes (any stride and dilation)
  kDirectStride2 = 1, ///< directRowsKS, stride 2
  kDirectStride1 = 2, ///< directRowsKS, stride 1
};

/// dst[q] = src[q * SW] for q in [0, n); `avail` floats are readable at
/// src.
static void copyStrided(float *restrict dst, const float *restrict src,
                        int64_t n, int64_t SW, int64_t avail) {
  int64_t q = 0;
  if (SW == 1) {
    for (; q + VLEN <= n; q += VLEN)
      V_STORE(dst + q, V_LOAD(src + q));
    if (q < n)
      V_STORE_PART(dst + q, V_LOAD_PART(src + q, (int)(n - q)), (int)(n - q));
    return;
  }
  if (SW == 2) {
#if defined(__AVX512F__)
    for (; q + VLEN <= n && 2 * q + 2 * VLEN <= avail; q += VLEN)
      V_STORE(dst + q, cmb_even_lanes(V_LOAD(src + 2 * q),
                                      V_LOAD(src + 2 * q + VLEN)));
#elif defined(__AVX2__)
    for (; q + VLEN <= n && 2 * q + 2 * VLEN <= avail; q += VLEN) {
      // [a0 a2 b0 b2 | a4 a6 b4 b6], then the 64-bit pairs in order.
      __m256 m = _mm256_shuffle_ps(V_LOAD(src + 2 * q),
                                   V_LOAD(src + 2 * q + VLEN),
                                   _MM_SHUFFLE(2, 0, 2, 0));
      V_STORE(dst + q, _mm256_castpd_ps(_mm256_permute4x64_pd(
                           _mm256_castps_pd(m), _MM_SHUFFLE(3, 1, 2, 0))));
    }
#endif
  }
  for (; q < n; ++q)
    dst[q] = src[q * SW];
}

/// Fills the phase planes for output rows starting at `oh0` of the plane at
/// `xPlane`.
static void buildPhases(const DepthwiseJob *job, const float *xPlane,
                        int64_t oh0, float *phases) {
  const cmb_conv_shape *s = job->s;
  const int64_t SH = s->SH, SW = s->SW, pitch = job->pitch;
  float *dst = phases;
  for (int64_t rh = 0; rh < SH; ++rh)
    for (int64_t rw = 0; rw < SW; ++rw) {
      const int64_t lo = job->lo[rw], hi = job->hi[rw];
      for (int64_t i = 0; i < job->phaseRows; ++i, dst += pitch) {
        const int64_t ih = (oh0 + i) * SH + rh - s->PT;
        if (ih < 0 || ih >= s->H || lo >= hi) {
          for (int64_t j = 0; j < pitch; ++j)
            dst[j] = 0.0f;
          continue;
        }
        for (int64_t j = 0; j < lo; ++j)
          dst[j] = 0.0f;
        // Input column of phase column lo (>= 0 by the choice of lo).
        const int64_t iw = lo * SW + rw - s->PL;
        copyStrided(dst + lo, xPlane + ih * s->W + iw, hi - lo, SW,
                    s->W - iw);
        for (int64_t j = hi; j < pitch; ++j)
          dst[j] = 0.0f;
      }
    }
}

/// Computes `count` (<= kMaxVectors) full vectors at `out`: the sum over
/// the taps of weight[t] times the vectors at in + offset[t]. Taps
/// alternate over `sets` partial sums so that at least 8 independent FMA
/// chains hide the FMA latency.
CMB_INLINE void tapVectors(const int count, const float *in,
                           const int64_t *offset, const float *weight,
                           int numTaps, float *out) {
  const int sets = count >= 8 ? 1 : count >= 3 ? 2 : 4;
  vec_t sum[4][kMaxVectors];
#pragma GCC unroll 4
  for (int st = 0; st < sets; ++st)
#pragma GCC unroll 8
    for (int u = 0; u < count; ++u)
      sum[st][u] = V_ZERO();
  int t = 0;
  for (; t + sets <= numTaps; t += sets) {
#pragma GCC unroll 4
    for (int st = 0; st < sets; ++st) {
      const vec_t wv = V_SET1(weight[t + st]);
      const float *src = in + offset[t + st];
#pragma GCC unroll 8
      for (int u = 0; u < count; ++u)
        sum[st][u] = V_FMA(wv, V_LOAD(src + u * VLEN), sum[st][u]);
    }
  }
  for (; t < numTaps; ++t) {
    const vec_t wv = V_SET1(weight[t]);
    const float *src = in + offset[t];
#pragma GCC unroll 8
    for (int u = 0; u < count; ++u)
      sum[0][u] = V_FMA(wv, V_LOAD(src + u * VLEN), sum[0][u]);
  }
#pragma GCC unroll 8
  for (int u = 0; u < count; ++u) {
    vec_t v = sum[0][u];
#pragma GCC unroll 4
    for (int st = 1; st < sets; ++st)
      v = V_ADD(v, sum[st][u]);
    V_STORE(out + u * VLEN, v);
  }
}

/// tapVectors with `count` (1..kMaxVectors) known at compile time.
static void tapVectorsN(int count, const float *in, const int64_t *offset,
                        const float *weight, int numTaps, float *out) {
  switch (count) {
#define CASE(n)                                                                \
  case n:                                                                      \
    tapVectors(n, in, offset, weight, numTaps, out);                           \
    break;
    CASE(1)
    CASE(2)
    CASE(3)
#if defined(__AVX512F__)
    CASE(4)
    CASE(5)
    CASE(6)
    CASE(7)
#endif
  default: // kMaxVectors
    tapVectors(kMaxVectors, in, offset, weight, numTaps, out);
    break;
#undef CASE
  }
}

#if defined(__AVX512F__)
/// How directRows computes, if at all: directRowsKS takes undilated square
/// 3x3 and 5x5 windows at stride 1 or 2, on rows whose per-vector masks fit
/// on the stack.
static int directMode(const cmb_conv_shape *s) {
  if (s->DH != 1 || s->DW != 1 || s->KH != s->KW ||
      (s->KW != 3 && s->KW != 5) || s->SH != s->SW ||
      s->OW > kMaxColumnVectors * VLEN)
    return kPhases;
  return s->SW == 1 ? kDirectStride1 : s->SW == 2 ? kDirectStride2 : kPhases;
}

/// R output rows (a constant) of a stride-2 KxK convolution for one
/// vector of columns: `rows` are the 2R + K - 2 input rows they read (NULL:
/// padding, only when `checked`), `base` the input column of lane 0 at tap
/// column 0. A pair of loads of an input row at base + kw gives taps kw and
/// kw + 1 as its even and odd lanes; each input row is loaded once and
/// feeds the (at most two for 3x3, three for 5x5) output rows it reaches.
/// mask[2 * (kw / 2) + h] are the pair's masks (`masked` a constant).
CMB_INLINE void stride2Vector(const float *const *rows, int64_t base,
                              const __mmask16 *mask, const int masked,
                              const int checked, const vec_t *wv, const int K,
                              const int R, vec_t *acc) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                         20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19,
                                        21, 23, 25, 27, 29, 31);
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
    acc[r] = V_ZERO();
#pragma GCC unroll 12
  for (int ir = 0; ir < 2 * R + K - 2; ++ir) {
    if (checked && !rows[ir])
      continue;
#pragma GCC unroll 3
    for (int kw = 0; kw < K; kw += 2) {
      const float *p = rows[ir] + base + kw;
      const __m512 a =
          masked ? _mm512_maskz_loadu_ps(mask[kw], p) : V_LOAD(p);
      const __m512 b =
          masked ? _mm512_maskz_loadu_ps(mask[kw + 1], p + VLEN)
                 : V_LOAD(p + VLEN);
      const vec_t t0 = _mm512_permutex2var_ps(a, even, b);
#pragma GCC unroll 4
      for (int r = 0; r < R; ++r) {
        const int kh = ir - 2 * r;
        if (kh >= 0 && kh < K)
          acc[r] = V_FMA(wv[kh * K + kw], t0, acc[r]);
      }
      if (kw + 1 < K) {
        const vec_t t1 = _mm512_permutex2var_ps(a, odd, b);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const int kh = ir - 2 * r;
          if (kh >= 0 && kh < K)
            acc[r] = V_FMA(wv[kh * K + kw + 1], t1, acc[r]);
        }
      }
    }
  }
}

/// R output rows (a constant) for one vector of columns: `rows` are the
/// R + K - 1 input rows they read (NULL: padding, only when `checked`),
/// `col` the input column of lane 0 at tap column 0. Each input row is
/// loaded once per tap column and feeds every output row it reaches.
/// `masked` (a constant) selects the masked loads that the vectors at a
/// row's ends need.
CMB_INLINE void stride1Vector(const float *const *rows, int64_t col,
                              const __mmask16 *mask, const int masked,
                              const int checked, const vec_t *wv, const int K,
                              const int R, vec_t *acc) {
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    acc[r] = V_ZERO();
#pragma GCC unroll 12
  for (int ir = 0; ir < R + K - 1; ++ir) {
    if (checked && !rows[ir])
      continue;
#pragma GCC unroll 5
    for (int kw = 0; kw < K; ++kw) {
      const float *p = rows[ir] + col + kw;
      vec_t x = masked ? _mm512_maskz_loadu_ps(mask[kw], p) : V_LOAD(p);
      // One load per vector: folded into each FMA, the load (mostly
      // crossing cache lines) would be repeated for every output row.
      __asm__("" : "+v"(x));
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const int kh = ir - r;
        if (kh >= 0 && kh < K)
          acc[r] = V_FMA(wv[kh * K + kw], x, acc[r]);
      }
    }
  }
}

/// Output rows [oh0, oh0 + R) of one plane at stride S (1 or 2; R, K, S
/// and the in-register activation `kind` are constants), every column
/// vector: the sums, then bias and accumulation. (Masked stores are slow on
/// some cores: only a row's last vector's.)
CMB_INLINE void directRowBlock(const DepthwiseJob *job, int64_t plane,
                               int64_t oh0, const vec_t *wv, vec_t bias,
                               const __mmask16 *masks, const int K,
                               const int S, const int R, const int kind) {
  const cmb_conv_shape *s = job->s;
  const int64_t W = s->W, OW = s->OW;
  const float *xPlane = job->x + plane * s->H * W;
  // The input rows the block reads; NULL in the padding.
  const float *rows[12];
  int checked = 0;
  for (int ir = 0; ir < S * (R - 1) + K; ++ir) {
    const int64_t ih = S * oh0 - s->PT + ir;
    const int inside = ih >= 0 && ih < s->H;
    rows[ir] = inside ? xPlane + ih * W : NULL;
    checked |= !inside;
  }
  float *out = job->y + (plane * s->OH + oh0) * OW;
  const float alpha = s->act.alpha, beta = s->act.beta;
  // At stride 2 the input after this block's rows, as much as the block
  // consumes (the next block's new rows, or the next plane's first ones:
  // planes are contiguous), is prefetched while the block computes, a share
  // per column vector. Inside a model that input comes from L3 or memory
  // (the expanding 1x1 convolution before wrote megabytes, four times the
  // output), and the hardware prefetcher alone left the 112 -> 56 layers
  // waiting on it. (At stride 1 it measured slower.)
  const char *ahead =
      (const char *)(xPlane + (S * oh0 - s->PT + S * (R - 1) + K) * W);
  const int64_t aheadLines =
      S == 2 ? cmb_ceil_div(S * R * W * (int64_t)sizeof(float), 64) : 0;
  const int64_t numVectors = cmb_ceil_div(OW, VLEN);
  for (int64_t ow = 0, v = 0; ow < OW; ow += VLEN, ++v) {
    for (int64_t l = v * aheadLines / numVectors;
         l < (v + 1) * aheadLines / numVectors; ++l)
      _mm_prefetch(ahead + 64 * l, _MM_HINT_T0);
    const __mmask16 *m = masks + v * kMasksPerVector;
    const int64_t col = S * ow - s->PL;
    vec_t sum[8];
    // Interior vectors (every load inside the row) load plainly; blocks
    // clear of the top and bottom padding skip the row checks.
#define CMB_DIRECT_VECTOR(MASKED, CHECKED)                                     \
  if (S == 1)                                                                  \
    stride1Vector(rows, col, m, MASKED, CHECKED, wv, K, R, sum);               \
  else                                                                         \
    stride2Vector(rows, col, m, MASKED, CHECKED, wv, K, R, sum);
    if (m[kMasksPerVector - 1] & 1) {
      if (checked) {
        CMB_DIRECT_VECTOR(1, 1)
      } else {
        CMB_DIRECT_VECTOR(1, 0)
      }
    } else if (checked) {
      CMB_DIRECT_VECTOR(0, 1)
    } else {
      CMB_DIRECT_VECTOR(0, 0)
    }
#undef CMB_DIRECT_VECTOR
    const int lanes = (int)cmb_min64(VLEN, OW - ow);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      float *o = out + r * OW + ow;
      vec_t y = V_ADD(sum[r], bias);
      if (lanes == VLEN) {
        if (s->accumulate)
          y = V_ADD(y, V_LOAD(o));
        V_STORE(o, cmb_vactivate(y, kind, alpha, beta));
      } else {
        if (s->accumulate)
          y = V_ADD(y, V_LOAD_PART(o, lanes));
        V_STORE_PART(o, cmb_vactivate(y, kind, alpha, beta), lanes);
      }
    }
  }
}

/// Output rows [ohBegin, ohEnd) of one plane, R rows at a time, then by 4
/// and by 1.
CMB_INLINE void directPlaneRows(const DepthwiseJob *job, int64_t plane,
                                int64_t ohBegin, int64_t ohEnd,
                                const vec_t *wv, vec_t bias,
                                const __mmask16 *masks, const int K,
                                const int S, const int R, const int kind) {
  int64_t oh = ohBegin;
  for (; oh + R <= ohEnd; oh += R)
    directRowBlock(job, plane, oh, wv, bias, masks, K, S, R, kind);
  if (R > 4 && oh + 4 <= ohEnd) {
    directRowBlock(job, plane, oh, wv, bias, masks, K, S, 4, kind);
    oh += 4;
  }
  for (; oh < ohEnd; ++oh)
    directRowBlock(job, plane, oh, wv, bias, masks, K, S, 1, kind);
}

/// Output rows [ohBegin, ohEnd) of one plane of an undilated KxK
/// convolution at stride S, read straight from the input: no copies in or
/// out (for the 112 -> 56 layers of MobileNets those stream megabytes). R
/// output rows are computed together, sharing the loads of their input
/// rows, their R independent sums covering the FMA latency: at stride 1 a
/// vector of outputs costs K*K FMAs and (R + K - 1) * K / R loads.
CMB_INLINE void directRowsKS(const DepthwiseJob *job, int64_t plane,
                             int64_t ohBegin, int64_t ohEnd, const int K,
                             const int S) {
  // Within 32 registers: 3x3 has 9 weights (8 sums at stride 1, 4 at stride
  // 2, whose rows need two permutes each), 5x5 25 weights.
  const int R = K == 3 ? (S == 1 ? 8 : 4) : (S == 1 ? 4 : 2);
  const cmb_conv_shape *s = job->s;
  const int64_t c = plane % s->C, W = s->W, OW = s->OW;
  const float *wc = job->w + c * K * K;
  vec_t wv[25];
  for (int t = 0; t < K * K; ++t)
    wv[t] = V_SET1(wc[t]);
  const vec_t bias = V_SET1(job->bias ? job->bias[c] : 0.0f);
  // Per column vector, the masks (lanes inside the row) of its loads: at
  // stride 1 one per tap column, at stride 2 a pair at tap columns 0, 2, 4;
  // then whether any of them is partial.
  const int loads = S == 1 ? K : 2 * ((K + 1) / 2);
  __mmask16 masks[kMaxColumnVectors * kMasksPerVector];
  int64_t v = 0;
  for (int64_t ow = 0; ow < OW; ow += VLEN, ++v) {
    __mmask16 *m = masks + v * kMasksPerVector, partial = 0;
    for (int i = 0; i < loads; ++i) {
      const int64_t offset = S == 1 ? i : 2 * (i / 2) + VLEN * (i % 2);
      const int64_t c0 = S * ow - s->PL + offset;
      const int64_t lo = cmb_max64(0, -c0), hi = cmb_min64(VLEN, W - c0);
      m[i] = hi <= lo ? 0
                      : (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
      partial |= m[i] != 0xFFFF;
    }
    m[kMasksPerVector - 1] = partial;
  }
  // Activations beyond cmb_act_in_register run over the rows once stored
  // (in registers they would crowd out the sums and weights).
  switch (s->act.kind) {
  case CMB_CONV_ACT_RELU:
    directPlaneRows(job, plane, ohBegin, ohEnd, wv, bias, masks, K, S, R,
                    CMB_CONV_ACT_RELU);
    break;
  case CMB_CONV_ACT_RELU6:
    directPlaneRows(job, plane, ohBegin, ohEnd, wv, bias, masks, K, S, R,
                    CMB_CONV_ACT_RELU6);
    break;
  default:
    // 8 rows at a time (a multiple of every R), so they are still in L1.
    for (int64_t oh = ohBegin; oh < ohEnd; oh += 8) {
      const int64_t end = cmb_min64(ohEnd, oh + 8);
      directPlaneRows(job, plane, oh, end, wv, bias, masks, K, S, R,
                      CMB_CONV_ACT_NONE);
      cmb_act_apply(job->y + (plane * s->OH + oh) * OW, (end - oh) * OW,
                    &s->act);
    }
    break;
  }
}

static void directRows(const DepthwiseJob *job, int64_t plane, int64_t ohBegin,
                       int64_t ohEnd) {
  const int K = (int)job->s->KW;
  if (job->direct == kDirectStride1) {
    if (K == 3)
      directRowsKS(job, plane, ohBegin, ohEnd, 3, 1);
    else
      directRowsKS(job, plane, ohBegin, ohEnd, 5, 1);
  } else if (K == 3) {
    directRowsKS(job, plane, ohBegin, ohEnd, 3, 2);
  } else {
    directRowsKS(job, plane, ohBegin, ohEnd, 5, 2);
  }
}
#else
/// The direct paths need AVX-512's two-vector permutes and masked loads.
static int directMode(const cmb_conv_shape *s) {
  (void)s;
  return kPhases;
}
#endif

/// Output rows [ohBegin, ohEnd) of one plane (n * C + c), block by block.
static void depthwiseRows(const DepthwiseJob *job, int64_t plane,
                          int64_t ohBegin, int64_t ohEnd, float *phases,
                          float *flat) {
  const cmb_conv_shape *s = job->s;
  const int64_t c = plane % s->C, OW = s->OW, pitch = job->pitch;
  const int numTaps = (int)(s->KH * s->KW);
  const float *xPlane = job->x + plane * s->H * s->W;
  const float *wc = job->w + c * numTaps;
  const vec_t bias = V_SET1(job->bias ? job->bias[c] : 0.0f);
  const int acc = s->accumulate, kind = s->act.kind;
  const float alpha = s->act.alpha, beta = s->act.beta;

  for (int64_t oh0 = ohBegin; oh0 < ohEnd; oh0 += job->blockRows) {
    const int64_t rows = cmb_min64(job->blockRows, ohEnd - oh0);
    buildPhases(job, xPlane, oh0, phases);

    const int64_t positions = rows * pitch;
    int64_t q = 0;
    for (; q + kMaxVectors * VLEN <= positions; q += kMaxVectors * VLEN)
      tapVectors(kMaxVectors, phases + q, job->offset, wc, numTaps, flat + q);
    if (q < positions)
      tapVectorsN((int)cmb_ceil_div(positions - q, VLEN), phases + q,
                  job->offset, wc, numTaps, flat + q);

    for (int64_t r = 0; r < rows; ++r) {
      const float *src = flat + r * pitch;
      float *out = job->y + (plane * s->OH + oh0 + r) * OW;
      int64_t ow = 0;
      for (; ow + VLEN <= OW; ow += VLEN) {
        vec_t v = V_ADD(V_LOAD(src + ow), bias);
        if (acc)
          v = V_ADD(v, V_LOAD(out + ow));
        V_STORE(out + ow, cmb_vactivate(v, kind, alpha, beta));
      }
      if (ow < OW) {
        const int lanes = (int)(OW - ow);
        vec_t v = V_ADD(V_LOAD(src + ow), bias);
        if (acc)
          v = V_ADD(v, V_LOAD_PART(out + ow, lanes));
        V_STORE_PART(out + ow, cmb_vactivate(v, kind, alpha, beta), lanes);
      }
    }
  }
}

static void depthwiseTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  const DepthwiseJob *job = (const DepthwiseJob *)ctxPtr;
  const cmb_conv_shape *s = job->s;
  // The task's planes, and its rows of each.
  int64_t planeBegin, planeEnd, ohBegin = 0, ohEnd = s->OH;
  if (job->tasksPerPlane > 1) {
    planeBegin = task / job->tasksPerPlane;
    planeEnd = planeBegin + 1;
    ohBegin = (task % job->tasksPerPlane) * job->rowsPerTask;
    ohEnd = cmb_min64(s->OH, ohBegin + job->rowsPerTask);
  } else {
    planeBegin = task * job->planesPerTask;
    planeEnd = cmb_min64(s->N * s->C, planeBegin + job->planesPerTask);
  }
  if (ohBegin >= ohEnd)
    return;
#if defined(__AVX512F__)
  if (job->direct) {
    // Straight from the input: no phase planes.
    for (int64_t plane = planeBegin; plane < planeEnd; ++plane)
      directRows(job, plane, ohBegin, ohEnd);
    return;
  }
#endif

  // The flat result: whole vectors of the block's positions.
  const int64_t flatFloats =
      cmb_round_up(job->blockRows * job->pitch, kMaxVectors * VLEN);
  const int64_t phaseFloats = cmb_round_up(job->phaseFloats + job->slack, VLEN);
  float *phases = cmb_scratch_reserve(
      scratch, (size_t)(phaseFloats + flatFloats) * sizeof(float));
  if (!phases)
    cmb_fatal("out of memory (depthwise scratch)");
  float *flat = phases + phaseFloats;
  // The slack is only ever read into dropped lanes; zeros keep those lanes
  // free of denormals and NaNs.
  for (int64_t i = job->phaseFloats; i < phaseFloats; ++i)
    phases[i] = 0.0f;
  for (int64_t plane = planeBegin; plane < planeEnd; ++plane)
    depthwiseRows(job, plane, ohBegin, ohEnd, phases, flat);
}

/// Output maps up to this many pixels go to the channel-blocked kernel.
static const int64_t kBlockedMaxOutputs = CMB_DW_BLOCKED_MAX_OUTPUTS;

/// Tap tables up to this size live on the stack.
enum { kStackTaps = 64 };

void cmb_conv_depthwise(const float *x, const float *w, const float *bias,
                        float *y, const cmb_conv_shape *s) {
  // Small maps: channels in lanes (see DepthwiseBlocked.c), except where
  // the rows fill the vectors well enough for the direct loops (measured
  // faster there): 3x3 at least 24 outputs wide at stride 1 and 14 at
  // stride 2, 5x5 at stride 2 at least 28 wide.
  const int mode = directMode(s);
  const int directSmall =
      (mode == kDirectStride1 && s->KW == 3 && s->OW >= 24) ||
      (mode == kDirectStride2 && s->OW >= (s->KW == 3 ? 14 : 28));
  if (s->OH * s->OW <= kBlockedMaxOutputs && s->C >= VLEN / 2 &&
      !directSmall && cmb_conv_depthwise_blocked(x, w, bias, y, s))
    return;
  const int64_t planes = s->N * s->C;
  const int64_t numTaps = s->KH * s->KW, SH = s->SH, SW = s->SW;
  const int threads = cmb_pool_size();
  DepthwiseJob job = {x, w, bias, y, s, 1, 1, s->OH, 0, 0, 0, 0, 0,
                      NULL, NULL, NULL, mode};
  if (threads > 1 && planes < 4 * threads) {
    // Too few planes to go around: ranges of rows.
    job.tasksPerPlane = cmb_min64(s->OH, cmb_ceil_div(4 * threads, planes));
    job.rowsPerTask = cmb_ceil_div(s->OH, job.tasksPerPlane);
    job.tasksPerPlane = cmb_ceil_div(s->OH, job.rowsPerTask);
  } else {
    // Small planes are grouped so that a task has some substance, while
    // leaving several tasks per thread for balance.
    const int64_t outputs = s->OH * s->OW;
    job.planesPerTask = cmb_max64(
        1, cmb_min64(cmb_ceil_div(4096, outputs), planes / (4 * threads)));
  }

  const int64_t maxRowOff = ((s->KH - 1) * s->DH) / SH;
  const int64_t maxColOff = ((s->KW - 1) * s->DW) / SW;
  job.pitch = s->OW + maxColOff;
  // Rows per block: phase planes plus the flat result within kBlockFloats.
  const int64_t perRow = job.pitch * (SH * SW + 1);
  job.blockRows = cmb_max64(
      1, cmb_min64(job.rowsPerTask, kBlockFloats / perRow - maxRowOff));
  job.phaseRows = job.blockRows + maxRowOff;
  job.phaseFloats = SH * SW * job.phaseRows * job.pitch;
  // The last vector of a block reads up to VLEN - 1 positions past its end,
  // at the largest tap offset.
  job.slack = maxColOff + VLEN;

  int64_t stackTable[kStackTaps];
  int64_t *table = stackTable;
  if (numTaps + 2 * SW > kStackTaps) {
    table = malloc((size_t)(numTaps + 2 * SW) * sizeof(int64_t));
    if (!table)
      cmb_fatal("out of memory (depthwise taps)");
  }
  const int64_t planeFloats = job.phaseRows * job.pitch;
  for (int64_t kh = 0; kh < s->KH; ++kh)
    for (int64_t kw = 0; kw < s->KW; ++kw) {
      const int64_t row = kh * s->DH, col = kw * s->DW;
      table[kh * s->KW + kw] = ((row % SH) * SW + col % SW) * planeFloats +
                               (row / SH) * job.pitch + col / SW;
    }
  int64_t *lo = table + numTaps, *hi = lo + SW;
  for (int64_t r = 0; r < SW; ++r) {
    // Phase column j holds input column j*SW + r - PL. (cmb_ceil_div is
    // exact for the non-negative values that survive the clamping.)
    lo[r] = cmb_min64(job.pitch, cmb_max64(0, cmb_ceil_div(s->PL - r, SW)));
    hi[r] = cmb_max64(lo[r],
                      cmb_min64(job.pitch, cmb_ceil_div(s->W + s->PL - r, SW)));
  }
  job.offset = table;
  job.lo = lo;
  job.hi = hi;

  const int64_t tasks = job.tasksPerPlane > 1
                            ? planes * job.tasksPerPlane
                            : cmb_ceil_div(planes, job.planesPerTask);
  cmb_parallel_for(tasks, depthwiseTask, &job);
  if (table != stackTable)
    free(table);
}
