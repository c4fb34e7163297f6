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

#include <stdlib.h>
#include <string.h>

/// Output vectors computed together (accumulators in registers).
#if defined(__AVX512F__)
enum { kMaxVectors = 8 };
#define kMaxVectorsIs8 1
#else
enum { kMaxVectors = 4 }; // 16 vector registers
#define kMaxVectorsIs8 0
#endif

typedef struct DepthwiseJob {
  const float *x, *w, *bias;
  float *y;
  const cmb_conv_shape *s;
  int64_t planesPerTask; ///< whole planes per task (rowsPerTask == OH), or
  int64_t tasksPerPlane; ///< row blocks per plane (planesPerTask == 1)
  int64_t rowsPerTask;
  int64_t width;          ///< floats per phase row, a multiple of VLEN
  const int64_t *offset;  ///< [KH*KW]: tap (kh, kw) reads the phase rows of
                          ///< its output row's kh = 0 input row at offset[t]
  const int64_t *lo, *hi; ///< [SW]: the columns of phase r that hold input
} DepthwiseJob;

/// Copies input row `xRow` into its SW phase rows of `width` floats. The
/// padding is written with whole vectors that may run up to VLEN - 1 floats
/// past a row: into the next row, which is written afterwards, or into the
/// buffer's slack.
static void buildPhases(const DepthwiseJob *job, const float *restrict xRow,
                        float *restrict dst) {
  const int64_t SW = job->s->SW, PL = job->s->PL, width = job->width;
  const vec_t zero = V_ZERO();
  for (int64_t r = 0; r < SW; ++r, dst += width) {
    const int64_t lo = job->lo[r], hi = job->hi[r];
    for (int64_t q = 0; q < lo; q += VLEN)
      V_STORE(dst + q, zero);
    if (lo < hi) {
      // Input column of phase column lo (>= 0 by the choice of lo).
      const float *restrict src = xRow + (lo * SW + r - PL);
      float *restrict d = dst + lo;
      const int64_t n = hi - lo;
      if (SW == 1) {
        int64_t q = 0;
        for (; q + VLEN <= n; q += VLEN)
          V_STORE(d + q, V_LOAD(src + q));
        if (q < n)
          V_STORE_PART(d + q, V_LOAD_PART(src + q, (int)(n - q)), (int)(n - q));
      } else if (SW == 2) {
        for (int64_t q = 0; q < n; ++q)
          d[q] = src[2 * q];
      } else {
        for (int64_t q = 0; q < n; ++q)
          d[q] = src[q * SW];
      }
    }
    for (int64_t q = hi; q < width; q += VLEN)
      V_STORE(dst + q, zero);
  }
}

/// Computes `count` (<= kMaxVectors) vectors of outputs at `out`, the last
/// one only its first `lastLanes` lanes (VLEN: all). Tap t multiplies
/// weight[t] with the vectors at in + offset[t]. Taps alternate over `sets`
/// partial sums so that at least 8 independent FMA chains hide the FMA
/// latency.
CMB_INLINE void outputVectors(const int count, const float *in,
                              const int64_t *offset, const float *weight,
                              int numTaps, float *out, int lastLanes,
                              float bias, int acc, int act) {
  const int sets = count >= 8 ? 1 : count >= 3 ? 2 : 4;
  vec_t sum[4][kMaxVectors];
#pragma GCC unroll 4
  for (int s = 0; s < sets; ++s)
#pragma GCC unroll 8
    for (int u = 0; u < count; ++u)
      sum[s][u] = V_ZERO();
  int t = 0;
  for (; t + sets <= numTaps; t += sets) {
#pragma GCC unroll 4
    for (int s = 0; s < sets; ++s) {
      const vec_t wv = V_SET1(weight[t + s]);
      const float *src = in + offset[t + s];
#pragma GCC unroll 8
      for (int u = 0; u < count; ++u)
        sum[s][u] = V_FMA(wv, V_LOAD(src + u * VLEN), sum[s][u]);
    }
  }
  for (; t < numTaps; ++t) {
    const vec_t wv = V_SET1(weight[t]);
    const float *src = in + offset[t];
#pragma GCC unroll 8
    for (int u = 0; u < count; ++u)
      sum[0][u] = V_FMA(wv, V_LOAD(src + u * VLEN), sum[0][u]);
  }
  const vec_t bv = V_SET1(bias);
#pragma GCC unroll 8
  for (int u = 0; u < count; ++u) {
    vec_t v = V_ADD(sum[0][u], bv);
#pragma GCC unroll 4
    for (int s = 1; s < sets; ++s)
      v = V_ADD(v, sum[s][u]);
    const int full = u + 1 < count || lastLanes == VLEN;
    if (acc)
      v = V_ADD(v, full ? V_LOAD(out + u * VLEN)
                        : V_LOAD_PART(out + u * VLEN, lastLanes));
    v = V_ACTIVATE(v, act);
    if (full)
      V_STORE(out + u * VLEN, v);
    else
      V_STORE_PART(out + u * VLEN, v, lastLanes);
  }
}

/// outputVectors with `count` (1..kMaxVectors) known at compile time.
static void outputVectorsN(int count, const float *in, const int64_t *offset,
                           const float *weight, int numTaps, float *out,
                           int lastLanes, float bias, int acc, int act) {
  switch (count) {
#define CASE(n)                                                                \
  case n:                                                                      \
    outputVectors(n, in, offset, weight, numTaps, out, lastLanes, bias, acc,   \
                  act);                                                       \
    break;
    CASE(1)
    CASE(2)
    CASE(3)
#if kMaxVectorsIs8
    CASE(4)
    CASE(5)
    CASE(6)
    CASE(7)
#endif
  default: // kMaxVectors
    outputVectors(kMaxVectors, in, offset, weight, numTaps, out, lastLanes,
                  bias, acc, act);
    break;
#undef CASE
  }
}

/// Output rows [ohBegin, ohEnd) of one plane (n * C + c).
static void depthwiseRows(const DepthwiseJob *job, int64_t plane,
                          int64_t ohBegin, int64_t ohEnd, float *phases) {
  const cmb_conv_shape *s = job->s;
  const int64_t c = plane % s->C;
  const int64_t OW = s->OW, KW = s->KW;
  const int64_t rowStride = s->SW * job->width;

  // Input rows [ihFirst, ihFirst + rows) in phase form; rows outside the
  // input are never read (their taps are skipped).
  const int64_t ihFirst = ohBegin * s->SH - s->PT;
  const int64_t rows = (ohEnd - 1 - ohBegin) * s->SH + (s->KH - 1) * s->DH + 1;
  const float *xPlane = job->x + plane * s->H * s->W;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t ih = ihFirst + r;
    if (ih >= 0 && ih < s->H)
      buildPhases(job, xPlane + ih * s->W, phases + r * rowStride);
  }

  const float *wc = job->w + c * s->KH * KW;
  const float b = job->bias ? job->bias[c] : 0.0f;
  const int acc = s->accumulate, act = s->act;
  for (int64_t oh = ohBegin; oh < ohEnd; ++oh) {
    // The taps inside the input: rows kh in [khLo, khHi).
    const int64_t ih0 = oh * s->SH - s->PT;
    int64_t khLo = 0, khHi = s->KH;
    while (khLo < khHi && ih0 + khLo * s->DH < 0)
      ++khLo;
    while (khHi > khLo && ih0 + (khHi - 1) * s->DH >= s->H)
      --khHi;
    const int numTaps = (int)((khHi - khLo) * KW);
    const int64_t t0 = khLo * KW;
    // Row ih0 - ihFirst >= 0 of the buffer, even when it is padding.
    const float *in = phases + (ih0 - ihFirst) * rowStride;
    const int64_t *off = job->offset + t0;
    const float *wt = wc + t0;

    float *out = job->y + (plane * s->OH + oh) * OW;
    int64_t ow = 0;
    for (; ow + kMaxVectors * VLEN <= OW; ow += kMaxVectors * VLEN)
      outputVectors(kMaxVectors, in + ow, off, wt, numTaps, out + ow, VLEN, b,
                    acc, act);
    if (ow < OW) {
      // The rest, the last vector possibly partial (its loads read the
      // phase rows' slack, its store is masked).
      const int64_t left = OW - ow;
      const int count = (int)cmb_ceil_div(left, VLEN);
      const int lastLanes = (int)(left - (count - 1) * VLEN);
      outputVectorsN(count, in + ow, off, wt, numTaps, out + ow, lastLanes, b,
                     acc, act);
    }
  }
}

static void depthwiseTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  const DepthwiseJob *job = (const DepthwiseJob *)ctxPtr;
  const cmb_conv_shape *s = job->s;
  const int64_t rows = (job->rowsPerTask - 1) * s->SH + (s->KH - 1) * s->DH + 1;
  // VLEN floats of slack for the padding stores of the last row.
  float *phases = cmb_scratch_reserve(
      scratch, (size_t)(rows * s->SW * job->width + VLEN) * sizeof(float));
  if (!phases)
    cmb_fatal("out of memory (depthwise scratch)");
  if (job->tasksPerPlane > 1) {
    const int64_t plane = task / job->tasksPerPlane;
    const int64_t ohBegin = (task % job->tasksPerPlane) * job->rowsPerTask;
    const int64_t ohEnd = cmb_min64(s->OH, ohBegin + job->rowsPerTask);
    if (ohBegin < ohEnd)
      depthwiseRows(job, plane, ohBegin, ohEnd, phases);
    return;
  }
  const int64_t planes = s->N * s->C;
  const int64_t end = cmb_min64(planes, (task + 1) * job->planesPerTask);
  for (int64_t plane = task * job->planesPerTask; plane < end; ++plane)
    depthwiseRows(job, plane, 0, s->OH, phases);
}

/// Tap tables up to this size live on the stack.
enum { kStackTaps = 64 };

void cmb_conv_depthwise(const float *x, const float *w, const float *bias,
                        float *y, const cmb_conv_shape *s) {
  const int64_t planes = s->N * s->C;
  const int64_t numTaps = s->KH * s->KW, SW = s->SW;
  const int threads = cmb_pool_size();
  DepthwiseJob job = {x, w, bias, y, s, 1, 1, s->OH, 0, NULL, NULL, NULL};
  if (threads > 1 && planes < 4 * threads) {
    // Too few planes to go around: blocks of rows.
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
  // Every tap reads up to the last output vector, rounded up to a vector;
  // the row length is rounded so that phase rows start 64-byte aligned.
  job.width =
      cmb_round_up(cmb_round_up(s->OW, VLEN) + (s->KW - 1) * s->DW / SW, VLEN);

  int64_t stackTable[kStackTaps];
  int64_t *table = stackTable;
  if (numTaps + 2 * SW > kStackTaps) {
    table = malloc((size_t)(numTaps + 2 * SW) * sizeof(int64_t));
    if (!table)
      cmb_fatal("out of memory (depthwise taps)");
  }
  const int64_t rowStride = SW * job.width;
  for (int64_t kh = 0; kh < s->KH; ++kh)
    for (int64_t kw = 0; kw < s->KW; ++kw) {
      const int64_t col = kw * s->DW;
      table[kh * s->KW + kw] =
          kh * s->DH * rowStride + (col % SW) * job.width + col / SW;
    }
  int64_t *lo = table + numTaps, *hi = lo + SW;
  for (int64_t r = 0; r < SW; ++r) {
    // Phase column q holds input column q*SW + r - PL. (cmb_ceil_div is
    // exact for the non-negative values that survive the clamping.)
    lo[r] = cmb_min64(job.width, cmb_max64(0, cmb_ceil_div(s->PL - r, SW)));
    hi[r] = cmb_max64(lo[r],
                      cmb_min64(job.width, cmb_ceil_div(s->W + s->PL - r, SW)));
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
