//===- DepthwiseBlocked.c - Depthwise convolution, channels in lanes ------===//
//
// On the small maps of late MobileNet/EfficientNet stages (7x7, 14x14) a
// plane is a few vectors wide, so vectorizing along a row (DepthwiseConv.c)
// spends most of its time on per-plane setup and on loads that straddle
// cache lines. Here a block of VLEN channels is computed together instead,
// one channel per lane, as a channels-last (NHWC-blocked) kernel would:
//
//  1. the block's input planes are transposed into a zero-padded buffer
//     P[Hp][Wp][VLEN] (one vector per pixel);
//  2. each output pixel is the sum over taps of an aligned vector load of
//     P times the vector of the VLEN channels' weights for that tap, a row
//     of outputs at a time with the sums in registers;
//  3. the results are transposed back into the NCHW planes, with
//     accumulation and the activation on the way.
//
// The transposes are register shuffles of VLEN x VLEN blocks (AVX2 and
// AVX-512 only); DepthwiseConv.c decides when to use it.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Conv2d.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#if defined(__AVX512F__) || defined(__AVX2__)

#if defined(__AVX512F__)
/// Output pixels computed together per row.
#define kRowOutputs 8
#else
#define kRowOutputs 4
#endif

typedef struct BlockedJob {
  const float *x, *w, *bias;
  float *y;
  const cmb_conv_shape *s;
  int64_t blocks; ///< channel blocks per image
  int64_t Hp, Wp; ///< padded extent the taps read
} BlockedJob;

/// `count` outputs of row `oh` from column `ow` on (all taps), into
/// out[0..count) (one vector each).
CMB_INLINE void rowOutputs(const int count, const BlockedJob *job,
                           const float *P, const float *wt, vec_t bias,
                           int64_t oh, int64_t ow, float *out) {
  const cmb_conv_shape *s = job->s;
  vec_t acc[kRowOutputs];
#pragma GCC unroll 8
  for (int r = 0; r < count; ++r)
    acc[r] = bias;
  for (int64_t kh = 0; kh < s->KH; ++kh) {
    const float *row = P + ((oh * s->SH + kh * s->DH) * job->Wp) * VLEN;
    for (int64_t kw = 0; kw < s->KW; ++kw) {
      const vec_t wv = V_LOAD(wt + (kh * s->KW + kw) * VLEN);
      const float *in = row + (ow * s->SW + kw * s->DW) * VLEN;
#pragma GCC unroll 8
      for (int r = 0; r < count; ++r)
        acc[r] = V_FMA(wv, V_LOAD(in + r * s->SW * VLEN), acc[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < count; ++r)
    V_STORE(out + r * VLEN, acc[r]);
}

/// rowOutputs with `count` (1..kRowOutputs) known at compile time.
static void rowOutputsN(int count, const BlockedJob *job, const float *P,
                        const float *wt, vec_t bias, int64_t oh, int64_t ow,
                        float *out) {
  switch (count) {
#define CASE(n)                                                                \
  case n:                                                                      \
    rowOutputs(n, job, P, wt, bias, oh, ow, out);                              \
    break;
    CASE(1)
    CASE(2)
    CASE(3)
#if kRowOutputs == 8
    CASE(4)
    CASE(5)
    CASE(6)
    CASE(7)
#endif
  default:
    rowOutputs(kRowOutputs, job, P, wt, bias, oh, ow, out);
    break;
#undef CASE
  }
}

static void blockTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  const BlockedJob *job = (const BlockedJob *)ctxPtr;
  const cmb_conv_shape *s = job->s;
  const int64_t n = task / job->blocks, c0 = (task % job->blocks) * VLEN;
  const int nc = (int)cmb_min64(VLEN, s->C - c0);
  const int64_t HW = s->H * s->W, OHW = s->OH * s->OW, taps = s->KH * s->KW;
  const int64_t Hp = job->Hp, Wp = job->Wp;

  float *P = cmb_scratch_reserve(
      scratch, (size_t)((Hp * Wp + OHW + taps) * VLEN) * sizeof(float));
  if (!P)
    cmb_fatal("out of memory (depthwise scratch)");
  float *O = P + Hp * Wp * VLEN, *wt = O + OHW * VLEN;

  // Weights: one vector of the block's channels per tap.
  for (int64_t t = 0; t < taps; ++t)
    for (int c = 0; c < VLEN; ++c)
      wt[t * VLEN + c] = c < nc ? job->w[(c0 + c) * taps + t] : 0.0f;

  // 1. The input planes into P: padding rows and columns zero, then the
  // planes VLEN pixels at a time, transposed into one vector per pixel.
  const float *x = job->x + (n * s->C + c0) * HW;
  const vec_t zero = V_ZERO();
  for (int64_t i = 0; i < Hp; ++i) {
    const int64_t ih = i - s->PT;
    const int interior = ih >= 0 && ih < s->H;
    for (int64_t j = 0; j < Wp; ++j)
      if (!interior || j < s->PL || j >= s->PL + s->W)
        V_STORE(P + (i * Wp + j) * VLEN, zero);
  }
  int64_t ih = 0, iw = 0; // pixel p of the planes
  for (int64_t p = 0; p < HW; p += VLEN) {
    const int lanes = (int)cmb_min64(VLEN, HW - p);
    vec_t r[VLEN];
    for (int c = 0; c < VLEN; ++c)
      r[c] = c < nc ? V_LOAD_PART(x + c * HW + p, lanes) : zero;
    cmb_vtranspose(r);
    for (int l = 0; l < lanes; ++l) {
      const int64_t i = ih + s->PT, j = iw + s->PL;
      if (i < Hp && j < Wp)
        V_STORE(P + (i * Wp + j) * VLEN, r[l]);
      if (++iw == s->W) {
        iw = 0;
        ++ih;
      }
    }
  }

  // 2. Every output pixel, channels in lanes.
  const vec_t bias = job->bias ? V_LOAD_PART(job->bias + c0, nc) : zero;
  for (int64_t oh = 0; oh < s->OH; ++oh) {
    float *out = O + oh * s->OW * VLEN;
    int64_t ow = 0;
    for (; ow + kRowOutputs <= s->OW; ow += kRowOutputs)
      rowOutputs(kRowOutputs, job, P, wt, bias, oh, ow, out + ow * VLEN);
    if (ow < s->OW)
      rowOutputsN((int)(s->OW - ow), job, P, wt, bias, oh, ow, out + ow * VLEN);
  }

  // 3. Back to NCHW, VLEN pixels at a time, with accumulation and the
  // activation. Without accumulation, an activation beyond
  // cmb_act_in_register runs over O first: next to the transposes' 16
  // registers it would spill.
  int kind = s->act.kind;
  if (!s->accumulate && !cmb_act_in_register(kind)) {
    cmb_act_apply(O, OHW * VLEN, &s->act);
    kind = CMB_CONV_ACT_NONE;
  }
  const float alpha = s->act.alpha, beta = s->act.beta;
  float *y = job->y + (n * s->C + c0) * OHW;
  for (int64_t p = 0; p < OHW; p += VLEN) {
    const int lanes = (int)cmb_min64(VLEN, OHW - p);
    vec_t r[VLEN];
    for (int l = 0; l < VLEN; ++l)
      r[l] = l < lanes ? V_LOAD(O + (p + l) * VLEN) : zero;
    cmb_vtranspose(r);
    for (int c = 0; c < nc; ++c) {
      float *yc = y + c * OHW + p;
      vec_t v = r[c];
      if (s->accumulate)
        v = V_ADD(v, V_LOAD_PART(yc, lanes));
      V_STORE_PART(yc, cmb_vactivate(v, kind, alpha, beta), lanes);
    }
  }
}

int cmb_conv_depthwise_blocked(const float *x, const float *w,
                               const float *bias, float *y,
                               const cmb_conv_shape *s) {
  BlockedJob job = {x, w, bias, y, s, cmb_ceil_div(s->C, VLEN),
                    (s->OH - 1) * s->SH + (s->KH - 1) * s->DH + 1,
                    (s->OW - 1) * s->SW + (s->KW - 1) * s->DW + 1};
  cmb_parallel_for(s->N * job.blocks, blockTask, &job);
  return 1;
}

#else

int cmb_conv_depthwise_blocked(const float *x, const float *w,
                               const float *bias, float *y,
                               const cmb_conv_shape *s) {
  (void)x, (void)w, (void)bias, (void)y, (void)s;
  return 0; // 4-wide vectors: the caller uses the per-plane kernel
}

#endif
