//===- Pool.c - Max pooling over NCHW planes ------------------------------===//
//
// Generated loops vectorize a pooling window along the output row only for
// stride 1; at stride 2 (every MaxPool of the ResNets and SqueezeNet) each
// lane's input is two floats apart and LLVM falls back to scalar code. Here
// a row of outputs is a vector: stride-2 inputs are the even lanes of two
// loads (one permute on AVX-512), other strides are gathered, and planes
// are split over the thread pool.
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
  const float *x;
  float *y;
} PoolJob;

/// max(acc, v), NaN if either is (as arith.maximumf).
static inline vec_t maxPropagatingNaN(vec_t acc, vec_t v) {
#if defined(__AVX512F__)
  __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_mask_mov_ps(_mm512_max_ps(v, acc), nan, v);
#elif defined(__AVX2__)
  __m256 nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
  return _mm256_blendv_ps(_mm256_max_ps(v, acc), v, nan);
#else
  __m128 nan = _mm_cmpunord_ps(v, v);
  return _mm_or_ps(_mm_and_ps(nan, v), _mm_andnot_ps(nan, _mm_max_ps(v, acc)));
#endif
}

/// p[i * stride] for the first n <= VLEN lanes (others unspecified), reading
/// nothing past p[(n - 1) * stride].
static inline vec_t loadStrided(const float *p, int64_t stride, int n) {
  if (stride == 1)
    return n == VLEN ? V_LOAD(p) : V_LOAD_PART(p, n);
#if defined(__AVX512F__)
  if (stride == 2) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                           20, 22, 24, 26, 28, 30);
    const int span = 2 * n - 1; // floats from p[0] to p[2(n-1)]
    __m512 lo = _mm512_maskz_loadu_ps(cmb_lane_mask(span < 16 ? span : 16), p);
    __m512 hi = span > 16
                    ? _mm512_maskz_loadu_ps(cmb_lane_mask(span - 16), p + 16)
                    : _mm512_setzero_ps();
    return _mm512_permutex2var_ps(lo, even, hi);
  }
#endif
  float lanes[VLEN];
  for (int i = 0; i < VLEN; ++i)
    lanes[i] = i < n ? p[i * stride] : 0.0f;
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
      for (int64_t kh = 0; kh < s->KH; ++kh) {
        const float *r = in + (oh * s->SH + kh * s->DH) * s->W + ow * s->SW;
        for (int64_t kw = 0; kw < s->KW; ++kw)
          acc = maxPropagatingNaN(acc, loadStrided(r + kw * s->DW, s->SW, n));
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
               x,                           y};
  if (s.P <= 0 || s.OH <= 0 || s.OW <= 0)
    return;
  // Every window must lie inside the input (padding is materialized).
  if (s.KH <= 0 || s.KW <= 0 || s.SH <= 0 || s.SW <= 0 || s.DH <= 0 ||
      s.DW <= 0 || (s.OH - 1) * s.SH + (s.KH - 1) * s.DH >= s.H ||
      (s.OW - 1) * s.SW + (s.KW - 1) * s.DW >= s.W)
    cmb_fatal("maxpool2d: a window reaches past the input");
  cmb_parallel_for(s.P, poolPlane, &s);
}
