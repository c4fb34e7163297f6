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
#define V_MUL(a, b) _mm512_mul_ps((a), (b))
#define V_SUB(a, b) _mm512_sub_ps((a), (b))
#define V_DIV(a, b) _mm512_div_ps((a), (b))
#define V_AND(a, b) _mm512_and_ps((a), (b))
#define V_XOR(a, b) _mm512_xor_ps((a), (b))
#define V_RCP_APPROX(a) _mm512_rcp14_ps(a) /* 14 bits */
#define V_BLEND_LT0(v, a, b) /* v < 0 ? a : b */                              \
  _mm512_mask_blend_ps(_mm512_cmp_ps_mask((v), _mm512_setzero_ps(), _CMP_LT_OQ), \
                       (b), (a))
/// 2^round(v) and round(v), v in [-126, 127] (round to nearest even).
#define V_ROUND_POW2(v, rounded, pow2)                                         \
  do {                                                                         \
    __m512i n_ = _mm512_cvtps_epi32(v);                                        \
    (rounded) = _mm512_cvtepi32_ps(n_);                                        \
    (pow2) = _mm512_castsi512_ps(                                              \
        _mm512_slli_epi32(_mm512_add_epi32(n_, _mm512_set1_epi32(127)), 23));  \
  } while (0)
#define V_LOAD_PART(p, n) _mm512_maskz_loadu_ps(cmb_lane_mask(n), (p))
#define V_STORE_PART(p, v, n) _mm512_mask_storeu_ps((p), cmb_lane_mask(n), (v))
static inline __mmask16 cmb_lane_mask(int n) {
  return (__mmask16)((1u << n) - 1u);
}
/// The even lanes of the 32 floats lo:hi (lo first), in order: a row's
/// stride-2 columns from two consecutive vectors, by one permute.
static inline __m512 cmb_even_lanes(__m512 lo, __m512 hi) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                         20, 22, 24, 26, 28, 30);
  return _mm512_permutex2var_ps(lo, even, hi);
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
#define V_MUL(a, b) _mm256_mul_ps((a), (b))
#define V_SUB(a, b) _mm256_sub_ps((a), (b))
#define V_DIV(a, b) _mm256_div_ps((a), (b))
#define V_AND(a, b) _mm256_and_ps((a), (b))
#define V_XOR(a, b) _mm256_xor_ps((a), (b))
#define V_RCP_APPROX(a) _mm256_rcp_ps(a) /* 12 bits */
#define V_BLEND_LT0(v, a, b)                                                   \
  _mm256_blendv_ps((b), (a), _mm256_cmp_ps((v), _mm256_setzero_ps(), _CMP_LT_OQ))
#define V_ROUND_POW2(v, rounded, pow2)                                         \
  do {                                                                         \
    __m256i n_ = _mm256_cvtps_epi32(v);                                        \
    (rounded) = _mm256_cvtepi32_ps(n_);                                        \
    (pow2) = _mm256_castsi256_ps(                                              \
        _mm256_slli_epi32(_mm256_add_epi32(n_, _mm256_set1_epi32(127)), 23));  \
  } while (0)
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
#define V_MUL(a, b) _mm_mul_ps((a), (b))
#define V_SUB(a, b) _mm_sub_ps((a), (b))
#define V_DIV(a, b) _mm_div_ps((a), (b))
#define V_AND(a, b) _mm_and_ps((a), (b))
#define V_XOR(a, b) _mm_xor_ps((a), (b))
#define V_RCP_APPROX(a) _mm_rcp_ps(a) /* 12 bits */
#define V_BLEND_LT0(v, a, b) /* SSE2: no blendv */                            \
  cmb_blend_mask(_mm_cmplt_ps((v), _mm_setzero_ps()), (a), (b))
static inline __m128 cmb_blend_mask(__m128 m, __m128 a, __m128 b) {
  return _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b));
}
#define V_ROUND_POW2(v, rounded, pow2)                                         \
  do {                                                                         \
    __m128i n_ = _mm_cvtps_epi32(v);                                           \
    (rounded) = _mm_cvtepi32_ps(n_);                                           \
    (pow2) = _mm_castsi128_ps(                                                 \
        _mm_slli_epi32(_mm_add_epi32(n_, _mm_set1_epi32(127)), 23));           \
  } while (0)
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

/// The in-register activations (cmb_act_in_register) of a vector; others
/// pass through, cmb_act_apply handles them after the store. `kind` is
/// uniform per call, so the branches predict well. The constant comes first:
/// x86 min/max return their second operand when one is NaN, and NaN has to
/// come out (as arith.maximumf gives it).
#define V_ACTIVATE(v, kind)                                                    \
  ((kind) == CMB_CONV_ACT_RELU    ? V_MAX(V_ZERO(), (v))                       \
   : (kind) == CMB_CONV_ACT_RELU6 ? V_MIN(V_SET1(6.0f), V_MAX(V_ZERO(), (v)))  \
                                  : (v))

/// exp(v), relative error below 3e-7: a degree-5 polynomial (fitted for
/// relative error, 1.05e-7 in exact arithmetic) on r = v - n ln 2,
/// |r| <= ln(2)/2, times 2^n. Inputs are clamped to the range whose result
/// is a normal float; NaN stays NaN. (The degree-7 Cephes polynomial cost
/// two more FMAs in every sigmoid, SiLU and softmax for accuracy that the
/// float result does not keep.)
static inline vec_t cmb_vexp(vec_t v) {
  v = V_MIN(V_SET1(88.3762626647949f), V_MAX(V_SET1(-87.3365447504f), v));
  const vec_t t = V_MUL(v, V_SET1(1.44269504088896341f));
#if defined(__AVX512F__)
  // Round, then scale by 2^n in one instruction (vscalefps).
  const vec_t n =
      _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
#else
  vec_t n, pow2;
  V_ROUND_POW2(t, n, pow2);
#endif
  // r = v - n ln 2 in two steps (ln 2 = 0.693359375 - 2.12194440e-4).
  vec_t r = V_SUB(v, V_MUL(n, V_SET1(0.693359375f)));
  r = V_FMA(n, V_SET1(2.12194440e-4f), r);
  vec_t p = V_SET1(8.312564343214035e-3f);
  p = V_FMA(p, r, V_SET1(4.189002513885498e-2f));
  p = V_FMA(p, r, V_SET1(1.6667114198207855e-1f));
  p = V_FMA(p, r, V_SET1(4.9999234080314636e-1f));
  p = V_FMA(p, V_MUL(r, r), V_ADD(r, V_SET1(1.0f)));
#if defined(__AVX512F__)
  return _mm512_scalef_ps(p, n);
#else
  return V_MUL(p, pow2);
#endif
}

#if defined(__AVX512F__)
#define CMB_HAVE_VTRANSPOSE 1
/// Transposes the 16x16 matrix whose rows are r[0..16), in place.
static inline void cmb_vtranspose(vec_t r[VLEN]) {
  vec_t t[16], u[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // u[4i + j], 128-bit lane L: column 4L + j of rows 4i..4i+3.
  for (int i = 0; i < 4; ++i) {
#define PD(v) _mm512_castps_pd(v)
    u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(PD(t[4 * i]), PD(t[4 * i + 2])));
    u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(PD(t[4 * i]), PD(t[4 * i + 2])));
    u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(PD(t[4 * i + 1]), PD(t[4 * i + 3])));
    u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(PD(t[4 * i + 1]), PD(t[4 * i + 3])));
#undef PD
  }
  // Row 4L + j is lane L of u[j], u[4 + j], u[8 + j], u[12 + j].
  for (int j = 0; j < 4; ++j) {
    vec_t x0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x44);
    vec_t x1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xEE);
    vec_t x2 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x44);
    vec_t x3 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xEE);
    r[j] = _mm512_shuffle_f32x4(x0, x2, 0x88);
    r[4 + j] = _mm512_shuffle_f32x4(x0, x2, 0xDD);
    r[8 + j] = _mm512_shuffle_f32x4(x1, x3, 0x88);
    r[12 + j] = _mm512_shuffle_f32x4(x1, x3, 0xDD);
  }
}
#elif defined(__AVX2__)
#define CMB_HAVE_VTRANSPOSE 1
/// Transposes the 8x8 matrix whose rows are r[0..8), in place.
static inline void cmb_vtranspose(vec_t r[VLEN]) {
  vec_t t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
#define PD(v) _mm256_castps_pd(v)
    u[4 * i] = _mm256_castpd_ps(_mm256_unpacklo_pd(PD(t[4 * i]), PD(t[4 * i + 2])));
    u[4 * i + 1] = _mm256_castpd_ps(_mm256_unpackhi_pd(PD(t[4 * i]), PD(t[4 * i + 2])));
    u[4 * i + 2] = _mm256_castpd_ps(_mm256_unpacklo_pd(PD(t[4 * i + 1]), PD(t[4 * i + 3])));
    u[4 * i + 3] = _mm256_castpd_ps(_mm256_unpackhi_pd(PD(t[4 * i + 1]), PD(t[4 * i + 3])));
#undef PD
  }
  for (int j = 0; j < 4; ++j) {
    r[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
    r[4 + j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
  }
}
#endif

/// max(a, b), NaN if either is (as arith.maximumf; x86 max returns its
/// second operand when one is NaN).
static inline vec_t cmb_vmax_nan(vec_t a, vec_t b) {
#if defined(__AVX512F__)
  __mmask16 nan = _mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q);
  return _mm512_mask_mov_ps(_mm512_max_ps(b, a), nan, b);
#elif defined(__AVX2__)
  __m256 nan = _mm256_cmp_ps(b, b, _CMP_UNORD_Q);
  return _mm256_blendv_ps(_mm256_max_ps(b, a), b, nan);
#else
  __m128 nan = _mm_cmpunord_ps(b, b);
  return _mm_or_ps(_mm_and_ps(nan, b), _mm_andnot_ps(nan, _mm_max_ps(b, a)));
#endif
}

/// 1 / x for x >= 1 (or NaN): the hardware estimate and one Newton step
/// (relative error about 1e-7), several times the throughput of a division.
/// Huge x give 0, as 1 / x rounds to a denormal anyway.
static inline vec_t cmb_vrecip(vec_t x) {
  vec_t r = V_RCP_APPROX(x);
  vec_t e = V_SUB(V_SET1(1.0f), V_MUL(x, r)); // 1 - x r
  return V_FMA(r, e, r);
}

/// 1 / (1 + exp(-v)).
static inline vec_t cmb_vsigmoid(vec_t v) {
  const vec_t one = V_SET1(1.0f);
  return cmb_vrecip(V_ADD(one, cmb_vexp(V_SUB(V_ZERO(), v))));
}

/// tanh(v) = 2 sigmoid(2v) - 1 (absolute error about 2e-7).
static inline vec_t cmb_vtanh(vec_t v) {
  return V_SUB(V_MUL(V_SET1(2.0f), cmb_vsigmoid(V_ADD(v, v))), V_SET1(1.0f));
}

/// erf(v), absolute error below 1.5e-7 (Abramowitz and Stegun 7.1.26).
static inline vec_t cmb_verf(vec_t v) {
  const vec_t signBit = V_SET1(-0.0f);
  const vec_t sign = V_AND(v, signBit);
  const vec_t a = V_XOR(v, sign); // |v|
  const vec_t t = cmb_vrecip(V_FMA(V_SET1(0.3275911f), a, V_SET1(1.0f)));
  vec_t p = V_SET1(1.061405429f);
  p = V_FMA(p, t, V_SET1(-1.453152027f));
  p = V_FMA(p, t, V_SET1(1.421413741f));
  p = V_FMA(p, t, V_SET1(-0.284496736f));
  p = V_FMA(p, t, V_SET1(0.254829592f));
  p = V_MUL(p, t);
  const vec_t e = cmb_vexp(V_SUB(V_ZERO(), V_MUL(a, a)));
  const vec_t r = V_SUB(V_SET1(1.0f), V_MUL(p, e));
  return V_XOR(r, sign);
}

/// Any activation of Kernels.h on a vector (`kind`, `alpha`, `beta` as in
/// cmb_act of Runtime.h).
static inline vec_t cmb_vactivate(vec_t v, int kind, float alpha, float beta) {
  switch (kind) {
  case CMB_CONV_ACT_RELU:
  case CMB_CONV_ACT_RELU6:
    return V_ACTIVATE(v, kind);
  case CMB_CONV_ACT_LEAKY_RELU:
    return V_BLEND_LT0(v, V_MUL(v, V_SET1(alpha)), v);
  case CMB_CONV_ACT_HARDSIGMOID:
  case CMB_CONV_ACT_HARDSWISH: {
    vec_t h = V_FMA(v, V_SET1(alpha), V_SET1(beta));
    h = V_MAX(V_ZERO(), V_MIN(V_SET1(1.0f), h)); // NaN stays NaN
    return kind == CMB_CONV_ACT_HARDSWISH ? V_MUL(v, h) : h;
  }
  case CMB_CONV_ACT_SIGMOID:
    return cmb_vsigmoid(v);
  case CMB_CONV_ACT_SILU:
    return V_MUL(v, cmb_vsigmoid(v));
  case CMB_CONV_ACT_TANH:
    return cmb_vtanh(v);
  case CMB_CONV_ACT_GELU:
    return V_MUL(V_MUL(v, V_SET1(0.5f)),
                 V_ADD(V_SET1(1.0f), cmb_verf(V_MUL(v, V_SET1(0.70710678118654752f)))));
  case CMB_CONV_ACT_GELU_TANH: {
    vec_t inner = V_FMA(V_MUL(V_MUL(v, v), v), V_SET1(0.044715f), v);
    inner = V_MUL(inner, V_SET1(0.79788456080286536f));
    return V_MUL(V_MUL(v, V_SET1(0.5f)), V_ADD(V_SET1(1.0f), cmb_vtanh(inner)));
  }
  default:
    return v;
  }
}

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_VECTOR_H
