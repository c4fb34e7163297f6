//===- sgemm_bench.c - Throughput of the x86 kernel library ---------------===//
//
// Prints GFLOP/s of cmb_x86_sgemm and cmb_x86_conv2d on a few typical
// shapes at 1 and 2 threads, next to the machine's FMA peak measured with a
// register-only loop. Each figure is the best of repeated calls over at
// least half a second, after a warm-up call. Not a test; built as
// cambrian-x86-kernel-bench (AVX-512 archive) and -avx2 / -generic.
//
//===----------------------------------------------------------------------===//

#define _POSIX_C_SOURCE 200809L

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"

#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef CMB_BENCH_ISA
#define CMB_BENCH_ISA "unknown"
#endif

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static float *randomBuffer(size_t n) {
  float *p = malloc(n * sizeof(float));
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  unsigned s = 12345u;
  for (size_t i = 0; i < n; ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = (float)((s >> 9) & 0xffff) / 65536.0f - 0.5f;
  }
  return p;
}

typedef void (*BenchFn)(void *ctx);

/// Best seconds per call of fn(ctx).
static double bestTime(BenchFn fn, void *ctx) {
  fn(ctx);
  double best = 1e30, start = now();
  for (int reps = 0; reps < 5 || now() - start < 0.5; ++reps) {
    double t = now();
    fn(ctx);
    t = now() - t;
    if (t < best)
      best = t;
  }
  return best;
}

//===----------------------------------------------------------------------===//
// Peak: independent FMA chains, no memory traffic
//===----------------------------------------------------------------------===//

#if defined(__AVX512F__)
typedef __m512 vec_t;
#define VLEN 16
#define V_SET1 _mm512_set1_ps
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_ADD _mm512_add_ps
#define V_STORE _mm512_storeu_ps
#elif defined(__AVX2__) && defined(__FMA__)
typedef __m256 vec_t;
#define VLEN 8
#define V_SET1 _mm256_set1_ps
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_ADD _mm256_add_ps
#define V_STORE _mm256_storeu_ps
#else
typedef __m128 vec_t;
#define VLEN 4
#define V_SET1 _mm_set1_ps
#define V_FMA(a, b, c) _mm_add_ps(_mm_mul_ps(a, b), c)
#define V_ADD _mm_add_ps
#define V_STORE _mm_storeu_ps
#endif

#if defined(__AVX512F__)
enum { kChains = 16 }; // of 32 registers
#else
enum { kChains = 12 }; // of 16 registers, leaving room for the constants
#endif
static const long kPeakIters = 50 * 1000 * 1000;

static void *peakLoop(void *out) {
  vec_t acc[kChains];
  vec_t x = V_SET1(0.999999f), y = V_SET1(1e-7f);
  for (int i = 0; i < kChains; ++i)
    acc[i] = V_SET1((float)i);
  for (long k = 0; k < kPeakIters; ++k) {
#pragma GCC unroll 16
    for (int i = 0; i < kChains; ++i)
      acc[i] = V_FMA(acc[i], x, y);
  }
  for (int i = 1; i < kChains; ++i)
    acc[0] = V_ADD(acc[0], acc[i]);
  V_STORE((float *)out, acc[0]); // keeps every chain alive
  return NULL;
}

/// FMA peak in GFLOP/s with `threads` threads running the loop at once.
static double measurePeak(int threads) {
  pthread_t tid[8];
  float sink[8][VLEN];
  double t = now();
  for (int i = 1; i < threads; ++i)
    pthread_create(&tid[i], NULL, peakLoop, sink[i]);
  peakLoop(sink[0]);
  for (int i = 1; i < threads; ++i)
    pthread_join(tid[i], NULL);
  t = now() - t;
  // Two flops per lane and step (one FMA, or a mul + add without FMA).
  return threads * (double)kPeakIters * kChains * 2.0 * VLEN / t * 1e-9;
}

//===----------------------------------------------------------------------===//
// Cases
//===----------------------------------------------------------------------===//

typedef struct GemmCase {
  const char *name;
  int64_t M, N, K;
  float *A, *B, *C;
} GemmCase;

static void runGemm(void *p) {
  GemmCase *g = (GemmCase *)p;
  cmb_x86_sgemm(1, g->M, g->N, g->K, g->A, 0, g->K, g->B, 0, g->N, g->C, 0,
                g->N, 0);
}

typedef struct ConvCase {
  const char *name;
  int64_t params[CMB_CONV_NUM_PARAMS];
  float *x, *w, *b, *y;
} ConvCase;

static void runConv(void *p) {
  ConvCase *c = (ConvCase *)p;
  cmb_x86_conv2d(c->x, c->w, c->b, c->y, c->params);
}

static void benchGemm(const char *name, int64_t M, int64_t N, int64_t K) {
  GemmCase g = {name,
                M,
                N,
                K,
                randomBuffer((size_t)(M * K)),
                randomBuffer((size_t)(K * N)),
                randomBuffer((size_t)(M * N))};
  double flops = 2.0 * (double)M * (double)N * (double)K;
  printf("%-34s", name);
  for (int t = 1; t <= 2; ++t) {
    cambrian_module_set_threads(t);
    printf("  %8.1f", flops / bestTime(runGemm, &g) * 1e-9);
  }
  printf("\n");
  free(g.A);
  free(g.B);
  free(g.C);
}

/// Square kernel, same padding on all sides, symmetric strides.
static void benchConv(const char *name, int64_t n, int64_t c, int64_t h,
                      int64_t f, int64_t k, int64_t stride, int64_t pad,
                      int64_t groups) {
  int64_t oh = (h + 2 * pad - k) / stride + 1;
  ConvCase cc;
  memset(&cc, 0, sizeof(cc));
  cc.name = name;
  int64_t *p = cc.params;
  p[CMB_CONV_N] = n;
  p[CMB_CONV_C] = c;
  p[CMB_CONV_H] = h;
  p[CMB_CONV_W] = h;
  p[CMB_CONV_F] = f;
  p[CMB_CONV_KH] = k;
  p[CMB_CONV_KW] = k;
  p[CMB_CONV_OH] = oh;
  p[CMB_CONV_OW] = oh;
  p[CMB_CONV_STRIDE_H] = stride;
  p[CMB_CONV_STRIDE_W] = stride;
  p[CMB_CONV_DILATION_H] = 1;
  p[CMB_CONV_DILATION_W] = 1;
  p[CMB_CONV_PAD_TOP] = pad;
  p[CMB_CONV_PAD_LEFT] = pad;
  p[CMB_CONV_GROUPS] = groups;
  p[CMB_CONV_ACCUMULATE] = 0;
  p[CMB_CONV_ACTIVATION] = 1;
  cc.x = randomBuffer((size_t)(n * c * h * h));
  cc.w = randomBuffer((size_t)(f * (c / groups) * k * k));
  cc.b = randomBuffer((size_t)f);
  cc.y = randomBuffer((size_t)(n * f * oh * oh));
  double flops = 2.0 * (double)(n * f * oh * oh) * (double)(c / groups * k * k);
  printf("%-34s", name);
  for (int t = 1; t <= 2; ++t) {
    cambrian_module_set_threads(t);
    printf("  %8.1f", flops / bestTime(runConv, &cc) * 1e-9);
  }
  printf("\n");
  free(cc.x);
  free(cc.w);
  free(cc.b);
  free(cc.y);
}

static int isaSupported(void) {
  __builtin_cpu_init();
  if (strcmp(CMB_BENCH_ISA, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl");
  if (strcmp(CMB_BENCH_ISA, "avx2") == 0)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return 1;
}

int main(void) {
  if (!isaSupported()) {
    printf("this CPU lacks the %s instructions; nothing to measure\n",
           CMB_BENCH_ISA);
    return 0;
  }
  printf("cambrian x86 kernels, %s archive\n", CMB_BENCH_ISA);
  printf("%-34s  %8s  %8s\n", "GFLOP/s", "1 thr", "2 thr");
  printf("%-34s  %8.1f  %8.1f\n", "peak (FMA loop)", measurePeak(1),
         measurePeak(2));
  benchGemm("sgemm 1024x1024x1024", 1024, 1024, 1024);
  benchGemm("sgemm 256x256x256", 256, 256, 256);
  benchGemm("sgemm M=1 N=1000 K=2048 (fc)", 1, 1000, 2048);
  benchConv("conv 3x3 64->64 56x56 p1", 1, 64, 56, 64, 3, 1, 1, 1);
  benchConv("conv 1x1 256->64 56x56", 1, 256, 56, 64, 1, 1, 0, 1);
  benchConv("conv 3x3 512->512 7x7 p1", 1, 512, 7, 512, 3, 1, 1, 1);
  benchConv("conv 7x7/2 3->64 224x224 p3", 1, 3, 224, 64, 7, 2, 3, 1);
  benchConv("dwconv 3x3 32ch 112x112 p1", 1, 32, 112, 32, 3, 1, 1, 32);
  return 0;
}
