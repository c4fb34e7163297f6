//===- DepthwiseConv.c - Direct depthwise convolution ---------------------===//
//
// With one input and one output channel per group, im2col + GEMM would be a
// GEMM with M = 1 and K = KH*KW: all copying, no reuse. The direct loop
// below computes each output row a few vectors at a time with the sums in
// registers: per tap, one broadcast weight and one load per vector.
//
// To make every tap's load a plain contiguous vector load, the input rows a
// task needs are first copied into a scratch buffer, zero-padded and split
// into SW "phases" (phase r holds padded columns r, r + SW, r + 2 SW, ...):
// tap kw of output column ow then reads phase (kw*DW) % SW at index
// ow + (kw*DW) / SW, for any stride. Rows outside the input are skipped
// (their taps contribute zero). Each phase row has slack past the last
// output, so the final partial vector can be computed in full and only its
// valid lanes stored.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Conv2d.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <string.h>

/// Output vectors computed together (accumulators in registers).
#if defined(__AVX512F__)
enum { kMaxVectors = 8 };
#else
enum { kMaxVectors = 4 }; // 16 vector registers
#endif

typedef struct DepthwiseJob {
  const float *x, *w, *bias;
  float *y;
  const cmb_conv_shape *s;
  int64_t rowsPerTask, tasksPerPlane;
  int64_t phaseWidth; ///< floats per phase row
} DepthwiseJob;

/// One tap of the current output row: where its inputs start, its weight.
typedef struct Tap {
  const float *src;
  float weight;
} Tap;

/// Copies input row `xRow` into its SW phase rows of `width` floats.
static void buildPhases(const cmb_conv_shape *s, const float *xRow,
                        int64_t width, float *dst) {
  const int64_t SW = s->SW, PL = s->PL, W = s->W;
  for (int64_t r = 0; r < SW; ++r, dst += width) {
    // Phase column q holds input column q*SW + r - PL; valid q in [lo, hi).
    // (cmb_ceil_div is exact for the non-negative values that survive the
    // clamping.)
    const int64_t lo =
        cmb_min64(width, cmb_max64(0, cmb_ceil_div(PL - r, SW)));
    const int64_t hi =
        cmb_max64(lo, cmb_min64(width, cmb_ceil_div(W + PL - r, SW)));
    const float *src = xRow + r - PL;
    memset(dst, 0, (size_t)lo * sizeof(float));
    if (SW == 1) {
      memcpy(dst + lo, src + lo, (size_t)(hi - lo) * sizeof(float));
    } else if (SW == 2) {
      for (int64_t q = lo; q < hi; ++q)
        dst[q] = src[2 * q];
    } else {
      for (int64_t q = lo; q < hi; ++q)
        dst[q] = src[q * SW];
    }
    memset(dst + hi, 0, (size_t)(width - hi) * sizeof(float));
  }
}

/// Computes `count` (<= kMaxVectors) vectors of outputs at `out` from the
/// taps' inputs at offset `ow`. Taps alternate over `sets` partial sums so
/// that at least 8 independent FMA chains hide the FMA latency.
CMB_INLINE void outputVectors(const int count, const Tap *taps, int numTaps,
                              int64_t ow, float *out, float bias, int acc,
                              int relu) {
  const int sets = count >= 8 ? 1 : count >= 3 ? 2 : 4;
  vec_t sum[4][kMaxVectors];
  _Pragma("GCC unroll 4") for (int s = 0; s < sets; ++s)
      _Pragma("GCC unroll 8") for (int u = 0; u < count; ++u)
          sum[s][u] = V_ZERO();
  int t = 0;
  for (; t + sets <= numTaps; t += sets) {
    _Pragma("GCC unroll 4") for (int s = 0; s < sets; ++s) {
      const vec_t wv = V_SET1(taps[t + s].weight);
      const float *src = taps[t + s].src + ow;
      // Keeps the compiler from hoisting (ow + u*VLEN) into one register
      // per vector, which runs out of registers; u*VLEN then becomes an
      // immediate displacement.
      __asm__("" : "+r"(src));
      _Pragma("GCC unroll 8") for (int u = 0; u < count; ++u)
          sum[s][u] = V_FMA(wv, V_LOAD(src + u * VLEN), sum[s][u]);
    }
  }
  for (; t < numTaps; ++t) {
    const vec_t wv = V_SET1(taps[t].weight);
    const float *src = taps[t].src + ow;
    __asm__("" : "+r"(src));
    _Pragma("GCC unroll 8") for (int u = 0; u < count; ++u)
        sum[0][u] = V_FMA(wv, V_LOAD(src + u * VLEN), sum[0][u]);
  }
  const vec_t bv = V_SET1(bias);
  _Pragma("GCC unroll 8") for (int u = 0; u < count; ++u) {
    vec_t v = V_ADD(sum[0][u], bv);
    _Pragma("GCC unroll 4") for (int s = 1; s < sets; ++s) v =
        V_ADD(v, sum[s][u]);
    if (acc)
      v = V_ADD(v, V_LOAD(out + u * VLEN));
    if (relu)
      v = V_MAX(v, V_ZERO());
    V_STORE(out + u * VLEN, v);
  }
}

/// `count` full vectors with `count` known at compile time.
static void outputVectorsN(int count, const Tap *taps, int numTaps,
                           int64_t ow, float *out, float bias, int acc,
                           int relu) {
  switch (count) {
#define CASE(n)                                                              \
  case n:                                                                    \
    outputVectors(n, taps, numTaps, ow, out, bias, acc, relu);               \
    break;
    CASE(1)
    CASE(2)
    CASE(3)
#if defined(__AVX512F__)
    CASE(5)
    CASE(6)
    CASE(7)
    CASE(8)
#endif
  default:
    outputVectors(4, taps, numTaps, ow, out, bias, acc, relu);
    break;
#undef CASE
  }
}

static void depthwiseTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  const DepthwiseJob *job = (const DepthwiseJob *)ctxPtr;
  const cmb_conv_shape *s = job->s;
  const int64_t plane = task / job->tasksPerPlane; // n * C + c
  const int64_t c = plane % s->C;
  const int64_t ohBegin = (task % job->tasksPerPlane) * job->rowsPerTask;
  const int64_t ohEnd = cmb_min64(s->OH, ohBegin + job->rowsPerTask);
  if (ohBegin >= ohEnd)
    return;
  const int64_t OW = s->OW, SW = s->SW, KW = s->KW;
  const int64_t width = job->phaseWidth;
  const int64_t numTapsMax = s->KH * KW;

  // Input rows [ihFirst, ihFirst + rows) in phase form, then the tap table.
  const int64_t ihFirst = ohBegin * s->SH - s->PT;
  const int64_t rows = (ohEnd - 1 - ohBegin) * s->SH + (s->KH - 1) * s->DH + 1;
  const size_t rowsBytes =
      cmb_align_bytes((size_t)(rows * SW * width) * sizeof(float));
  const size_t tapBytes = cmb_align_bytes((size_t)numTapsMax * sizeof(Tap));
  char *buf = cmb_scratch_reserve(
      scratch, rowsBytes + tapBytes + (size_t)KW * sizeof(int64_t));
  if (!buf)
    cmb_fatal("out of memory (depthwise scratch)");
  float *phases = (float *)buf;
  Tap *taps = (Tap *)(buf + rowsBytes);
  int64_t *kwOffset = (int64_t *)(buf + rowsBytes + tapBytes);

  const float *xPlane = job->x + plane * s->H * s->W;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t ih = ihFirst + r;
    if (ih >= 0 && ih < s->H) // rows outside the input are never read
      buildPhases(s, xPlane + ih * s->W, width, phases + r * SW * width);
  }

  // Phase row and offset of each kw, once per task (no division per row).
  for (int64_t kw = 0; kw < KW; ++kw) {
    const int64_t col = kw * s->DW;
    kwOffset[kw] = (col % SW) * width + col / SW;
  }

  const float *wc = job->w + c * s->KH * KW;
  const float b = job->bias ? job->bias[c] : 0.0f;
  const int acc = s->accumulate, relu = s->relu;
  for (int64_t oh = ohBegin; oh < ohEnd; ++oh) {
    int numTaps = 0;
    for (int64_t kh = 0; kh < s->KH; ++kh) {
      const int64_t ih = oh * s->SH - s->PT + kh * s->DH;
      if (ih < 0 || ih >= s->H)
        continue;
      const float *rowPhases = phases + (ih - ihFirst) * SW * width;
      for (int64_t kw = 0; kw < KW; ++kw) {
        taps[numTaps].src = rowPhases + kwOffset[kw];
        taps[numTaps].weight = wc[kh * KW + kw];
        ++numTaps;
      }
    }

    float *out = job->y + (plane * s->OH + oh) * OW;
    int64_t ow = 0;
    for (; ow + kMaxVectors * VLEN <= OW; ow += kMaxVectors * VLEN)
      outputVectors(kMaxVectors, taps, numTaps, ow, out + ow, b, acc, relu);
    if (ow + VLEN <= OW) {
      const int count = (int)((OW - ow) / VLEN);
      outputVectorsN(count, taps, numTaps, ow, out + ow, b, acc, relu);
      ow += count * VLEN;
    }
    if (ow < OW) {
      // The last partial vector: full width in a local buffer (the phase
      // rows have the slack), then only the valid lanes.
      float tail[VLEN] __attribute__((aligned(CMB_ALIGN)));
      const int64_t n = OW - ow;
      memset(tail, 0, sizeof(tail));
      if (acc)
        memcpy(tail, out + ow, (size_t)n * sizeof(float));
      outputVectors(1, taps, numTaps, ow, tail, b, acc, relu);
      memcpy(out + ow, tail, (size_t)n * sizeof(float));
    }
  }
}

void cmb_conv_depthwise(const float *x, const float *w, const float *bias,
                        float *y, const cmb_conv_shape *s) {
  const int64_t planes = s->N * s->C;
  const int threads = cmb_pool_size();
  // Whole planes per task unless there are too few planes to go around.
  int64_t tasksPerPlane = 1;
  if (threads > 1 && planes < 4 * threads)
    tasksPerPlane = cmb_min64(s->OH, cmb_ceil_div(4 * threads, planes));
  DepthwiseJob job = {x, w, bias, y, s, cmb_ceil_div(s->OH, tasksPerPlane),
                      0, 0};
  job.tasksPerPlane = cmb_ceil_div(s->OH, job.rowsPerTask);
  // Every tap reads up to the last output vector, rounded up to a vector.
  job.phaseWidth = cmb_round_up(s->OW, VLEN) + (s->KW - 1) * s->DW / s->SW;
  cmb_parallel_for(planes * job.tasksPerPlane, depthwiseTask, &job);
}
