//===- int8_bench.c - Throughput of the x86 int8 kernels ------------------===//
//
// Prints GOP/s of cmb_x86_qgemm, cmb_x86_qconv2d and
// cmb_x86_qconv2d_depthwise (uint8 in, requantized uint8 out) on typical
// shapes at 1 and 2 threads, with VNNI and with the exact fallback, next to
// the float kernels (cmb_x86_sgemm, cmb_x86_conv2d) on the same shapes and
// the machine's VNNI peak (the register-only loop of bench/peak_vnni.c).
// One multiply-add counts as 2 ops, for int8 and float alike. Each figure
// is the best of repeated calls over at least half a second. Not a test;
// built as cambrian-x86-int8-bench (AVX-512 archive) and -avx2 / -generic.
//
//===----------------------------------------------------------------------===//

#define _POSIX_C_SOURCE 200809L

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Int8Kernels.h"
#include "targets/x86/runtime/Int8Packing.h"
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

static void *randomBytes(size_t n) {
  unsigned char *p = malloc(n + 64);
  if (!p) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  unsigned s = 12345u;
  for (size_t i = 0; i < n + 64; ++i) {
    s = s * 1664525u + 1013904223u;
    p[i] = (unsigned char)(s >> 23);
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
// Peak: independent vpdpbusd chains, no memory traffic
//===----------------------------------------------------------------------===//

// The loop is written in assembly, as in bench/peak_vnni.c: through
// intrinsics GCC 12 moves the accumulators through the stack every step.
#if defined(__AVX512F__) || defined(__AVX2__)
static const long kPeakIters = 20 * 1000 * 1000;
#endif

#if defined(__AVX512F__)
#define PEAK_LANES 16
#define PEAK_CHAINS 16
#define DOT(r) "vpdpbusd %2, %1, %%zmm" #r "\n\t"
static void *peakLoop(void *out) {
  long steps = kPeakIters;
  const __m512i a = _mm512_set1_epi32(0x01020304), b = _mm512_set1_epi32(3);
  __asm__ volatile("1:\n\t" DOT(16) DOT(17) DOT(18) DOT(19) DOT(20) DOT(21)
                   DOT(22) DOT(23) DOT(24) DOT(25) DOT(26) DOT(27) DOT(28)
                   DOT(29) DOT(30) DOT(31) "dec %0\n\tjnz 1b"
                   : "+r"(steps)
                   : "v"(a), "v"(b)
                   : "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21",
                     "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27",
                     "xmm28", "xmm29", "xmm30", "xmm31", "cc");
  *(long *)out = steps;
  return NULL;
}
#elif defined(__AVX2__)
#define PEAK_LANES 8
#define PEAK_CHAINS 12
#define DOT(r) "%{vex%} vpdpbusd %2, %1, %%ymm" #r "\n\t"
static void *peakLoop(void *out) {
  long steps = kPeakIters;
  const __m256i a = _mm256_set1_epi32(0x01020304), b = _mm256_set1_epi32(3);
  __asm__ volatile("1:\n\t" DOT(4) DOT(5) DOT(6) DOT(7) DOT(8) DOT(9)
                   DOT(10) DOT(11) DOT(12) DOT(13) DOT(14) DOT(15)
                   "dec %0\n\tjnz 1b"
                   : "+r"(steps)
                   : "x"(a), "x"(b)
                   : "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
                     "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
  *(long *)out = steps;
  return NULL;
}
#endif

#if defined(PEAK_LANES)
/// VNNI peak in GOP/s with `threads` threads running the loop at once.
static double measurePeak(int threads) {
  pthread_t tid[8];
  long sink[8];
  double best = 0.0;
  peakLoop(&sink[0]); // warm-up
  for (int rep = 0; rep < 5; ++rep) {
  double t = now();
  for (int i = 1; i < threads; ++i)
    pthread_create(&tid[i], NULL, peakLoop, &sink[i]);
  peakLoop(&sink[0]);
  for (int i = 1; i < threads; ++i)
    pthread_join(tid[i], NULL);
  t = now() - t;
  const double g =
      threads * (double)kPeakIters * PEAK_CHAINS * PEAK_LANES * 8.0 / t * 1e-9;
  best = g > best ? g : best;
  }
  return best;
}
#endif

//===----------------------------------------------------------------------===//
// Cases
//===----------------------------------------------------------------------===//

typedef struct Case {
  int kind; // 0 qgemm, 1 qconv, 2 depthwise, 3 sgemm, 4 float conv
  int64_t params[CMB_QCONV_NUM_PARAMS + CMB_CONV_NUM_PARAMS];
  int64_t M, N, K;
  void *a, *b, *c;
  int32_t *table;
  float *fa, *fb, *fc, *fbias;
} Case;

static void run(void *p) {
  Case *c = (Case *)p;
  switch (c->kind) {
  case 0:
    cmb_x86_qgemm(c->a, c->b, c->table, c->c, c->params);
    break;
  case 1:
    cmb_x86_qconv2d(c->a, c->b, c->table, c->c, c->params);
    break;
  case 2:
    cmb_x86_qconv2d_depthwise(c->a, c->b, c->table, c->c, c->params);
    break;
  case 3:
    cmb_x86_sgemm(1, c->M, c->N, c->K, c->fa, 0, c->K, c->fb, 0, c->N, c->fc,
                  0, c->N, 0);
    break;
  default:
    cmb_x86_conv2d(c->fa, c->fb, c->fbias, c->fc, c->params);
  }
}

static int haveVnni;

/// Prints GOP/s of `c` at 1 and 2 threads (int8: with VNNI, then without),
/// and the 1-thread VNNI figure as a share of `peak`.
static void report(const char *name, Case *c, double ops, double peak) {
  printf("%-32s", name);
  double first = 0.0;
  const int isInt8 = c->kind <= 2;
  for (int vnni = haveVnni && isInt8 ? 1 : 0; vnni >= 0; --vnni) {
    if (isInt8)
      cmb_x86_int8_use_vnni(vnni);
    for (int t = 1; t <= 2; ++t) {
      cambrian_module_set_threads(t);
      const double g = ops / bestTime(run, c) * 1e-9;
      if (first == 0.0)
        first = g;
      printf("  %8.1f", g);
    }
    if (!(haveVnni && isInt8))
      printf("  %8s  %8s", "", "");
  }
  cmb_x86_int8_use_vnni(1);
  cambrian_module_set_threads(1);
  if (isInt8 && haveVnni && peak > 0)
    printf("  %5.1f%%", 100.0 * first / peak);
  printf("\n");
}

static int32_t *requantTable(int64_t F) {
  int32_t *t = malloc((size_t)(3 * cmb_q_channels_padded(F)) * sizeof(int32_t));
  int32_t *mult = malloc((size_t)F * sizeof(int32_t));
  int32_t *shift = malloc((size_t)F * sizeof(int32_t));
  for (int64_t f = 0; f < F; ++f)
    cmb_q_multiplier(1.0 / 4096.0, &mult[f], &shift[f]);
  cmb_q_channels(F, 0, NULL, 0, 0, 0, NULL, mult, shift, t);
  free(mult);
  free(shift);
  return t;
}

static void benchGemm(const char *name, int64_t M, int64_t N, int64_t K,
                      double peak) {
  Case c;
  memset(&c, 0, sizeof c);
  c.M = M;
  c.N = N;
  c.K = K;
  int8_t *w = randomBytes((size_t)(K * N));
  c.a = randomBytes((size_t)(M * K));
  c.b = malloc((size_t)cmb_q_gemm_weights_bytes(K, N));
  cmb_q_pack_gemm_weights(w, N, 1, K, N, c.b);
  c.c = malloc((size_t)(M * N));
  c.table = requantTable(N);
  int64_t *p = c.params;
  p[CMB_QGEMM_M] = M;
  p[CMB_QGEMM_N] = N;
  p[CMB_QGEMM_K] = K;
  p[CMB_QGEMM_LDA] = K;
  p[CMB_QGEMM_LDC] = N;
  p[CMB_QGEMM_X_SIGNED] = 0;
  p[CMB_QGEMM_OUT] = CMB_Q_OUT_U8;
  p[CMB_QGEMM_ZY] = 128;
  p[CMB_QGEMM_LO] = 0;
  p[CMB_QGEMM_HI] = 255;
  const double ops = 2.0 * (double)M * (double)N * (double)K;
  char label[64];
  snprintf(label, sizeof label, "qgemm %s", name);
  report(label, &c, ops, peak);

  Case f;
  memset(&f, 0, sizeof f);
  f.kind = 3;
  f.M = M;
  f.N = N;
  f.K = K;
  f.fa = randomBytes((size_t)(M * K) * 4);
  f.fb = randomBytes((size_t)(K * N) * 4);
  f.fc = malloc((size_t)(M * N) * 4);
  for (int64_t i = 0; i < M * K; ++i)
    f.fa[i] = 0.5f;
  for (int64_t i = 0; i < K * N; ++i)
    f.fb[i] = 0.25f;
  snprintf(label, sizeof label, "sgemm %s", name);
  report(label, &f, ops, peak);
  free(w);
  free(c.a);
  free(c.b);
  free(c.c);
  free(c.table);
  free(f.fa);
  free(f.fb);
  free(f.fc);
}

/// Square kernel, the same padding on every side, groups 1 or depthwise.
static void benchConv(const char *name, int64_t C, int64_t H, int64_t F,
                      int64_t k, int64_t s, int64_t pad, int depthwise,
                      double peak) {
  const int64_t OH = (H + 2 * pad - k) / s + 1;
  const int64_t Kd = (depthwise ? 1 : C) * k * k;
  Case c;
  memset(&c, 0, sizeof c);
  c.kind = depthwise ? 2 : 1;
  int64_t *p = c.params;
  p[CMB_QCONV_N] = 1;
  p[CMB_QCONV_C] = C;
  p[CMB_QCONV_H] = H;
  p[CMB_QCONV_W] = H;
  p[CMB_QCONV_F] = F;
  p[CMB_QCONV_KH] = k;
  p[CMB_QCONV_KW] = k;
  p[CMB_QCONV_OH] = OH;
  p[CMB_QCONV_OW] = OH;
  p[CMB_QCONV_STRIDE_H] = s;
  p[CMB_QCONV_STRIDE_W] = s;
  p[CMB_QCONV_DILATION_H] = 1;
  p[CMB_QCONV_DILATION_W] = 1;
  p[CMB_QCONV_PAD_TOP] = pad;
  p[CMB_QCONV_PAD_LEFT] = pad;
  p[CMB_QCONV_GROUPS] = depthwise ? C : 1;
  p[CMB_QCONV_X_SIGNED] = 0;
  p[CMB_QCONV_ZX] = 3;
  p[CMB_QCONV_OUT] = CMB_Q_OUT_U8;
  p[CMB_QCONV_ZY] = 0;
  p[CMB_QCONV_LO] = 0; // a fused Relu
  p[CMB_QCONV_HI] = 255;
  int8_t *w = randomBytes((size_t)(F * Kd));
  c.a = randomBytes((size_t)(C * H * H));
  if (depthwise) {
    c.b = w;
  } else {
    c.b = malloc((size_t)cmb_q_conv_weights_bytes(F, C, k, k));
    cmb_q_pack_conv_weights(w, F, C, k, k, c.b);
  }
  c.c = malloc((size_t)(F * OH * OH));
  c.table = requantTable(F);
  const double ops = 2.0 * (double)(F * OH * OH) * (double)Kd;
  char label[64];
  snprintf(label, sizeof label, "q%s", name);
  report(label, &c, ops, depthwise ? 0.0 : peak);

  Case f;
  memset(&f, 0, sizeof f);
  f.kind = 4;
  int64_t *q = f.params;
  q[CMB_CONV_N] = 1;
  q[CMB_CONV_C] = C;
  q[CMB_CONV_H] = H;
  q[CMB_CONV_W] = H;
  q[CMB_CONV_F] = F;
  q[CMB_CONV_KH] = k;
  q[CMB_CONV_KW] = k;
  q[CMB_CONV_OH] = OH;
  q[CMB_CONV_OW] = OH;
  q[CMB_CONV_STRIDE_H] = s;
  q[CMB_CONV_STRIDE_W] = s;
  q[CMB_CONV_DILATION_H] = 1;
  q[CMB_CONV_DILATION_W] = 1;
  q[CMB_CONV_PAD_TOP] = pad;
  q[CMB_CONV_PAD_LEFT] = pad;
  q[CMB_CONV_GROUPS] = depthwise ? C : 1;
  q[CMB_CONV_ACCUMULATE] = 0;
  q[CMB_CONV_ACTIVATION] = CMB_CONV_ACT_RELU;
  f.fa = calloc((size_t)(C * H * H), 4);
  f.fb = calloc((size_t)(F * Kd), 4);
  f.fbias = calloc((size_t)F, 4);
  f.fc = malloc((size_t)(F * OH * OH) * 4);
  snprintf(label, sizeof label, "f%s", name);
  report(label, &f, ops, peak);
  if (!depthwise)
    free(c.b);
  free(w);
  free(c.a);
  free(c.c);
  free(c.table);
  free(f.fa);
  free(f.fb);
  free(f.fbias);
  free(f.fc);
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

/// With the argument "gemm", only the GEMM shapes are measured.
int main(int argc, char **argv) {
  if (!isaSupported()) {
    printf("this CPU lacks the %s instructions; nothing to measure\n",
           CMB_BENCH_ISA);
    return 0;
  }
  haveVnni = cmb_x86_int8_use_vnni(1);
  double peak1 = 0.0, peak2 = 0.0;
#if defined(PEAK_LANES)
  if (haveVnni) {
    peak1 = measurePeak(1);
    peak2 = measurePeak(2);
  }
#endif
  printf("cambrian x86 int8 kernels, %s archive; 1 multiply-add = 2 ops\n",
         CMB_BENCH_ISA);
  printf("%-32s  %8s  %8s  %8s  %8s  %6s\n", "GOP/s", "1 thr", "2 thr",
         "1 exact", "2 exact", "%peak1");
  if (haveVnni)
    printf("%-32s  %8.1f  %8.1f\n", "peak (vpdpbusd loop)", peak1, peak2);
  else
    printf("no VNNI on this CPU: the first columns are the exact fallback\n");
  benchGemm("1024x1024x1024", 1024, 1024, 1024, peak1);
  benchGemm("3136x64x576 (conv-shaped)", 3136, 64, 576, peak1);
  benchGemm("128x768x768 (bert)", 128, 768, 768, peak1);
  if (argc > 1 && strcmp(argv[1], "gemm") == 0)
    return 0;
  benchConv("conv 3x3 64->64 56x56 p1", 64, 56, 64, 3, 1, 1, 0, peak1);
  benchConv("conv 1x1 256->64 56x56", 256, 56, 64, 1, 1, 0, 0, peak1);
  benchConv("conv 3x3 512->512 7x7 p1", 512, 7, 512, 3, 1, 1, 0, peak1);
  benchConv("conv 7x7/2 3->64 224x224 p3", 3, 224, 64, 7, 2, 3, 0, peak1);
  benchConv("dw 3x3 96ch 112x112/2 p1", 96, 112, 96, 3, 2, 1, 1, peak1);
  benchConv("dw 3x3 144ch 56x56 p1", 144, 56, 144, 3, 1, 1, 1, peak1);
  benchConv("dw 5x5 240ch 28x28 p2", 240, 28, 240, 5, 1, 2, 1, peak1);
  benchConv("dw 3x3 576ch 14x14 p1", 576, 14, 576, 3, 1, 1, 1, peak1);
  benchConv("dw 5x5 672ch 14x14/2 p2", 672, 14, 672, 5, 2, 2, 1, peak1);
  benchConv("dw 3x3 960ch 7x7 p1", 960, 7, 960, 3, 1, 1, 1, peak1);
  return 0;
}
