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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define ISA "avx512"
#define NFLOATS 16
#define NACC 16
typedef __m512 vec;
static inline vec vset(float x) { return _mm512_set1_ps(x); }
static inline vec vfma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
static inline vec vadd(vec a, vec b) { return _mm512_add_ps(a, b); }
static inline float vfirst(vec a) { return _mm512_cvtss_f32(a); }
#define FLOPS_PER_LANE 2.0
#elif defined(__AVX2__) && defined(__FMA__)
#define ISA "avx2"
#define NFLOATS 8
#define NACC 12
typedef __m256 vec;
static inline vec vset(float x) { return _mm256_set1_ps(x); }
static inline vec vfma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
static inline vec vadd(vec a, vec b) { return _mm256_add_ps(a, b); }
static inline float vfirst(vec a) { return _mm256_cvtss_f32(a); }
#define FLOPS_PER_LANE 2.0
#else
#define ISA "sse"
#define NFLOATS 4
#define NACC 12
typedef __m128 vec;
static inline vec vset(float x) { return _mm_set1_ps(x); }
/* No FMA: a multiply and an add, still two flops per lane. */
static inline vec vfma(vec a, vec b, vec c) { return _mm_add_ps(_mm_mul_ps(a, b), c); }
static inline vec vadd(vec a, vec b) { return _mm_add_ps(a, b); }
static inline float vfirst(vec a) { return _mm_cvtss_f32(a); }
#define FLOPS_PER_LANE 2.0
#endif

/* Steps of the inner loop per call: NACC * NFLOATS * 2 flops each. With 16
 * zmm chains that is 512 flops a step, ~0.1 s at 100-200 GFLOP/s. */
#define STEPS 40000000L
#define REPEATS 5
#define MAX_THREADS 64

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The per-thread loop. The result goes to *sink so the chains stay live. */
static void *fma_loop(void *sink) {
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

/* GFLOP/s of `threads` threads running fma_loop at once (one repetition). */
static double run_once(int threads) {
  pthread_t tid[MAX_THREADS];
  float sink[MAX_THREADS];
  double t0 = now();
  for (int i = 1; i < threads; ++i)
    if (pthread_create(&tid[i], NULL, fma_loop, &sink[i]) != 0) {
      fprintf(stderr, "peak_fma: pthread_create failed\n");
      exit(1);
    }
  fma_loop(&sink[0]);
  for (int i = 1; i < threads; ++i)
    pthread_join(tid[i], NULL);
  double secs = now() - t0;
  double flops = (double)threads * STEPS * NACC * NFLOATS * FLOPS_PER_LANE;
  return flops / secs * 1e-9;
}

int main(int argc, char **argv) {
  int counts[MAX_THREADS], n = 0;
  for (int i = 1; i < argc && n < MAX_THREADS; ++i) {
    int t = atoi(argv[i]);
    if (t < 1 || t > MAX_THREADS) {
      fprintf(stderr, "peak_fma: thread count must be 1..%d\n", MAX_THREADS);
      return 2;
    }
    counts[n++] = t;
  }
  if (n == 0) {
    counts[n++] = 1;
    counts[n++] = 2;
  }
  for (int k = 0; k < n; ++k) {
    double best = 0.0;
    run_once(counts[k]); /* warm-up: lets the clock ramp up */
    for (int r = 0; r < REPEATS; ++r) {
      double g = run_once(counts[k]);
      if (g > best)
        best = g;
    }
    printf("{\"threads\": %d, \"gflops\": %.2f, \"isa\": \"%s\", "
           "\"vector_floats\": %d, \"accumulators\": %d, \"repeats\": %d}\n",
           counts[k], best, ISA, NFLOATS, NACC, REPEATS);
  }
  return 0;
}
