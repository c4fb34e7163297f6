//===- Vector.h - The SIMD vector of the ISA being compiled -*- C -*-===//
//
// The handful of vector operations the kernels are written in, mapped to the
// intrinsics of the ISA level this translation unit is compiled for: zmm
// with AVX-512, ymm with AVX2+FMA, xmm with baseline SSE (no FMA: a multiply
// and an add). Loads and stores are unaligned; on aligned addresses they
// cost the same as aligned ones.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_VECTOR_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_VECTOR_H

#include <immintrin.h>

#include "targets/x86/runtime/Kernels.h"

// V_LOAD_PART(p, n) / V_STORE_PART(p, v, n) touch only lanes [0, n),
// 0 <= n <= VLEN (masked with AVX-512 and AVX2, element-wise with SSE).

#if defined(__AVX512F__)
typedef __m512 vec_t;
#define VLEN 16
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps((p), (v))
#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(x) _mm512_set1_ps(x)
#define V_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define V_ADD(a, b) _mm512_add_ps((a), (b))
#define V_MAX(a, b) _mm512_max_ps((a), (b))
#define V_MIN(a, b) _mm512_min_ps((a), (b))
#define V_LOAD_PART(p, n) _mm512_maskz_loadu_ps(cmb_lane_mask(n), (p))
#define V_STORE_PART(p, v, n) _mm512_mask_storeu_ps((p), cmb_lane_mask(n), (v))
static inline __mmask16 cmb_lane_mask(int n) {
  return (__mmask16)((1u << n) - 1u);
}
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 vec_t;
#define VLEN 8
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps((p), (v))
#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(x) _mm256_set1_ps(x)
#define V_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define V_ADD(a, b) _mm256_add_ps((a), (b))
#define V_MAX(a, b) _mm256_max_ps((a), (b))
#define V_MIN(a, b) _mm256_min_ps((a), (b))
#define V_LOAD_PART(p, n) _mm256_maskload_ps((p), cmb_lane_mask(n))
#define V_STORE_PART(p, v, n) _mm256_maskstore_ps((p), cmb_lane_mask(n), (v))
static inline __m256i cmb_lane_mask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#else
typedef __m128 vec_t;
#define VLEN 4
#define V_LOAD(p) _mm_loadu_ps(p)
#define V_STORE(p, v) _mm_storeu_ps((p), (v))
#define V_ZERO() _mm_setzero_ps()
#define V_SET1(x) _mm_set1_ps(x)
#define V_FMA(a, b, c) _mm_add_ps(_mm_mul_ps((a), (b)), (c))
#define V_ADD(a, b) _mm_add_ps((a), (b))
#define V_MAX(a, b) _mm_max_ps((a), (b))
#define V_MIN(a, b) _mm_min_ps((a), (b))
#define V_LOAD_PART(p, n) cmb_load_part((p), (n))
#define V_STORE_PART(p, v, n) cmb_store_part((p), (v), (n))
static inline __m128 cmb_load_part(const float *p, int n) {
  float t[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  for (int i = 0; i < n; ++i)
    t[i] = p[i];
  return _mm_loadu_ps(t);
}
static inline void cmb_store_part(float *p, __m128 v, int n) {
  float t[4];
  _mm_storeu_ps(t, v);
  for (int i = 0; i < n; ++i)
    p[i] = t[i];
}
#endif

/// The activation `act` (a CMB_CONV_ACT_* of Kernels.h) of a vector. `act`
/// is uniform per call, so the branches predict well.
#define V_ACTIVATE(v, act)                                                     \
  ((act) == CMB_CONV_ACT_NONE ? (v)                                            \
   : (act) == CMB_CONV_ACT_RELU                                                \
       ? V_MAX((v), V_ZERO())                                                  \
       : V_MIN(V_MAX((v), V_ZERO()), V_SET1(6.0f)))

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_VECTOR_H
