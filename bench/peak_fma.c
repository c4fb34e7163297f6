/*
 * peak_fma.c - the CPU's single-precision FMA peak, for bench/run_bench.py.
 *
 * Each thread runs NACC independent chains acc[i] = acc[i] * a + b on the
 * widest vector registers that -march=native enables (zmm with AVX-512F,
 * ymm with AVX2+FMA, else xmm with a separate multiply and add). The chains
 * are independent, so with enough of them the FMA units never wait on a
 * result (latency x throughput is at most 4 x 2 = 8 in flight on current
 * x86 cores; NACC is 16 with 32 registers and 12 with 16) and nothing
 * touches memory inside the loop.
 *
 * Build:  cc -O2 -march=native -pthread bench/peak_fma.c -o peak_fma
 * Usage:  peak_fma [THREADS...]   (default: 1 2)
 * Prints one JSON object per line:
 *   {"threads": T, "gflops": G, "isa": "avx512", "vector_floats": 16, ...}
 * Each figure is the best of several repetitions (the machine may be busy).
 */
#define _POSIX_C_SOURCE 200809L

#include <immintrin.h>

#if defined(__AVX512F__)
#define ISA "avx512"
#define LANES 16
#define NACC 16
typedef __m512 vec;
static inline vec vset(float x) { return _mm512_set1_ps(x); }
static inline vec vfma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
static inline vec vadd(vec a, vec b) { return _mm512_add_ps(a, b); }
static inline float vfirst(vec a) { return _mm512_cvtss_f32(a); }
#define FLOPS_PER_LANE 2.0
#elif defined(__AVX2__) && defined(__FMA__)
#define ISA "avx2"
#define LANES 8
#define NACC 12
typedef __m256 vec;
static inline vec vset(float x) { return _mm256_set1_ps(x); }
static inline vec vfma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
static inline vec vadd(vec a, vec b) { return _mm256_add_ps(a, b); }
static inline float vfirst(vec a) { return _mm256_cvtss_f32(a); }
#define FLOPS_PER_LANE 2.0
#else
#define ISA "sse"
#define LANES 4
#define NACC 12
typedef __m128 vec;
static inline vec vset(float x) { return _mm_set1_ps(x); }
/* No FMA: a multiply and an add, still two flops per lane. */
static inline vec vfma(vec a, vec b, vec c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
static inline vec vadd(vec a, vec b) { return _mm_add_ps(a, b); }
static inline float vfirst(vec a) { return _mm_cvtss_f32(a); }
#define FLOPS_PER_LANE 2.0
#endif

/* Steps of the inner loop per call: NACC * LANES * 2 flops each. With 16
 * zmm chains that is 512 flops a step, ~0.1 s at 100-200 GFLOP/s. */
#define STEPS 40000000L

#define PEAK_NAME "peak_fma"
#define PEAK_UNIT "gflops"
#define PEAK_LANES_KEY "vector_floats"
#define PEAK_OPS_PER_CALL ((double)STEPS * NACC * LANES * FLOPS_PER_LANE)
#include "peak_driver.h"

/* The per-thread loop. The result goes to *sink so the chains stay live. */
static void *peak_loop(void *sink) {
  vec acc[NACC];
  /* a slightly below 1 and a tiny b: the values stay finite and normal. */
  const vec a = vset(0.9999999f), b = vset(1e-6f);
  for (int i = 0; i < NACC; ++i)
    acc[i] = vset(1.0f + (float)i);
  for (long s = 0; s < STEPS; ++s) {
#pragma GCC unroll 16
    for (int i = 0; i < NACC; ++i)
      acc[i] = vfma(acc[i], a, b);
  }
  vec total = acc[0];
  for (int i = 1; i < NACC; ++i)
    total = vadd(total, acc[i]);
  *(float *)sink = vfirst(total);
  return NULL;
}
