//===- Pool.c - Max pooling over NCHW planes ------------------------------===//
//
// Generated loops vectorize a pooling window along the output row only for
// stride 1; at stride 2 (every MaxPool of the ResNets and SqueezeNet) each
// lane's input is two floats apart and LLVM falls back to scalar code. Here
// a row of outputs is a vector: stride-2 inputs are the even lanes of two
// loads (one permute on AVX-512), other strides and the vectors that reach
// into the padding are gathered, and planes are split over the thread pool.
// Padding is implicit (-inf), so the input is never copied.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <math.h>

typedef struct PoolJob {
  int64_t P, H, W, OH, OW, KH, KW, SH, SW, DH, DW;
  int accumulate;
  int64_t PT, PL;
  const float *x;
  float *y;
} PoolJob;


#if defined(__AVX512F__)
/// Lanes j in [0, 16) with 0 <= start + j < end, as a mask.
static inline __mmask16 lanesWithin(int64_t start, int64_t end) {
  const int64_t lo = cmb_max64(0, -start), hi = cmb_min64(16, end - start);
  if (hi <= lo)
    return 0;
  return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}
#endif

/// row[col0 + i * stride] for the first n <= VLEN lanes (others
/// unspecified), -inf where the column is outside [0, W); reads nothing
/// outside the row.
static inline vec_t loadStrided(const float *row, int64_t col0, int64_t stride,
                                int n, int64_t W) {
  const int64_t last = col0 + (int64_t)(n - 1) * stride;
  if (col0 >= 0 && last < W) {
    const float *p = row + col0;
    if (stride == 1)
      return n == VLEN ? V_LOAD(p) : V_LOAD_PART(p, n);
#if defined(__AVX512F__)
    if (stride == 2) {
      const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16,
                                             18, 20, 22, 24, 26, 28, 30);
      if (n == VLEN && col0 + 32 <= W) // the usual case: whole vectors
        return _mm512_permutex2var_ps(_mm512_loadu_ps(p), even,
                                      _mm512_loadu_ps(p + 16));
      const int span = 2 * n - 1; // floats from p[0] to p[2(n-1)]
      __m512 lo =
          _mm512_maskz_loadu_ps(cmb_lane_mask(span < 16 ? span : 16), p);
      __m512 hi = span > 16
                      ? _mm512_maskz_loadu_ps(cmb_lane_mask(span - 16), p + 16)
                      : _mm512_setzero_ps();
      return _mm512_permutex2var_ps(lo, even, hi);
    }
#endif
  }
#if defined(__AVX512F__)
  if (stride <= 2) {
    // At a row's edge: masked loads of the columns inside, -inf elsewhere
    // (masked-off lanes are not read).
    const __m512 ninf = _mm512_set1_ps(-INFINITY);
    const int64_t span = (int64_t)(n - 1) * stride + 1;
    const int64_t end = cmb_min64(W, col0 + span);
    __m512 lo = _mm512_mask_loadu_ps(ninf, lanesWithin(col0, end), row + col0);
    if (stride == 1)
      return lo;
    __m512 hi = _mm512_mask_loadu_ps(ninf, lanesWithin(col0 + 16, end),
                                     row + col0 + 16);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
    return _mm512_permutex2var_ps(lo, even, hi);
  }
#endif
  float lanes[VLEN];
  for (int i = 0; i < VLEN; ++i) {
    const int64_t c = col0 + i * stride;
    lanes[i] = i < n && c >= 0 && c < W ? row[c] : -INFINITY;
  }
  return V_LOAD(lanes);
}

static void poolPlane(void *ctx, int64_t plane, cmb_scratch *scratch) {
  (void)scratch;
  const PoolJob *s = (const PoolJob *)ctx;
  const float *in = s->x + plane * s->H * s->W;
  float *out = s->y + plane * s->OH * s->OW;
  for (int64_t oh = 0; oh < s->OH; ++oh) {
    float *row = out + oh * s->OW;
    for (int64_t ow = 0; ow < s->OW; ow += VLEN) {
      const int n = (int)cmb_min64(VLEN, s->OW - ow);
      vec_t acc = s->accumulate
                      ? (n == VLEN ? V_LOAD(row + ow) : V_LOAD_PART(row + ow, n))
                      : V_SET1(-INFINITY);
      const int64_t col0 = ow * s->SW - s->PL;
      for (int64_t kh = 0; kh < s->KH; ++kh) {
        const int64_t ih = oh * s->SH - s->PT + kh * s->DH;
        if (ih < 0 || ih >= s->H) // padding rows: -inf
          continue;
        const float *r = in + ih * s->W;
        for (int64_t kw = 0; kw < s->KW; ++kw)
          acc = cmb_vmax_nan(
              acc, loadStrided(r, col0 + kw * s->DW, s->SW, n, s->W));
      }
      if (n == VLEN)
        V_STORE(row + ow, acc);
      else
        V_STORE_PART(row + ow, acc, n);
    }
  }
}

CMB_EXPORT void cmb_x86_maxpool2d(const float *x, float *y,
                                  const int64_t *params) {
  PoolJob s = {params[CMB_POOL_PLANES],     params[CMB_POOL_H],
               params[CMB_POOL_W],          params[CMB_POOL_OH],
               params[CMB_POOL_OW],         params[CMB_POOL_KH],
               params[CMB_POOL_KW],         params[CMB_POOL_STRIDE_H],
               params[CMB_POOL_STRIDE_W],   params[CMB_POOL_DILATION_H],
               params[CMB_POOL_DILATION_W], params[CMB_POOL_ACCUMULATE] != 0,
               params[CMB_POOL_PAD_TOP],    params[CMB_POOL_PAD_LEFT],
               x,                           y};
  if (s.P <= 0 || s.OH <= 0 || s.OW <= 0)
    return;
  if (s.KH <= 0 || s.KW <= 0 || s.SH <= 0 || s.SW <= 0 || s.DH <= 0 ||
      s.DW <= 0 || s.PT < 0 || s.PL < 0)
    cmb_fatal("maxpool2d: invalid window");
  cmb_parallel_for(s.P, poolPlane, &s);
}
