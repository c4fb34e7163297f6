//===- Int8Depthwise.c - int8 depthwise convolution -----------------------===//
//
// A depthwise convolution reduces over only KH*KW taps, so the k-quads of
// vpdpbusd would mostly hold padding. It computes in float instead, which is
// exact here: x - zx and w are 9-bit and 8-bit integers, their products
// 16-bit, and a sum of at most 512 of them stays below 2^24, where every
// integer is a float. So the result, converted back, is the int32
// accumulator itself, and the usual requantization follows.
//
// Per plane (a task): the input, minus its zero point, is written as SW
// float "phase planes" (phase r holds padded columns r, r + SW, ...; the
// padding is a real 0, so nothing is read twice or corrected), after which
// tap (kh, kw) of output (oh, ow) is a contiguous load at a fixed offset, for
// any stride and dilation; the output rows are computed a vector at a time.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Int8Gemm.h"
#include "targets/x86/runtime/Int8Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Scratch.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <string.h>

/// Most taps whose sums stay exact in float (see above).
enum { kMaxTaps = 512 };

typedef struct QDepthwiseJob {
  int64_t C, H, W, KH, KW, OH, OW, SH, SW, DH, DW, PT, PL;
  int64_t Hq, Wq, pitch; ///< phase rows, used columns, floats per row
  int xSigned;
  int32_t zx;
  const uint8_t *x;
  const int8_t *w;
  const int32_t *table;
  int64_t Fp, esize;
  char *y;
  qstage stage;
} QDepthwiseJob;

/// The activation at byte b, minus the zero point.
static inline float centered(const QDepthwiseJob *j, uint8_t b) {
  return (float)((j->xSigned ? (int32_t)(int8_t)b : (int32_t)b) - j->zx);
}

/// Fills the SW phase planes of one input plane.
static void buildPhases(const QDepthwiseJob *j, const uint8_t *plane,
                        float *phases) {
  for (int64_t r = 0; r < j->SW; ++r) {
    float *ph = phases + r * j->Hq * j->pitch;
    for (int64_t row = 0; row < j->Hq; ++row) {
      float *dst = ph + row * j->pitch;
      const int64_t ih = row - j->PT;
      memset(dst, 0, (size_t)j->pitch * sizeof(float));
      if (ih < 0 || ih >= j->H)
        continue;
      const uint8_t *src = plane + ih * j->W;
      // iw = q * SW + r - PL inside [0, W).
      const int64_t off = r - j->PL;
      const int64_t qLo = off >= 0 ? 0 : cmb_ceil_div(-off, j->SW);
      const int64_t qHi =
          cmb_min64(j->Wq, j->W - off > 0 ? cmb_ceil_div(j->W - off, j->SW) : 0);
      for (int64_t q = qLo; q < qHi; ++q)
        dst[q] = centered(j, src[q * j->SW + off]);
    }
  }
}

static void planeTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  const QDepthwiseJob *j = (const QDepthwiseJob *)ctx;
  const int64_t c = task % j->C;
  const int64_t taps = j->KH * j->KW;
  float *phases = (float *)cmb_scratch_reserve(
      scratch, (size_t)(j->SW * j->Hq * j->pitch + VLEN) * sizeof(float));
  if (!phases)
    cmb_fatal("out of memory (qconv2d_depthwise)");
  buildPhases(j, j->x + task * j->H * j->W, phases);

  float w[kMaxTaps];
  int64_t offset[kMaxTaps];
  for (int64_t kh = 0; kh < j->KH; ++kh)
    for (int64_t kw = 0; kw < j->KW; ++kw) {
      const int64_t t = kh * j->KW + kw, col = kw * j->DW;
      w[t] = (float)j->w[c * taps + t];
      offset[t] = (col % j->SW) * j->Hq * j->pitch + kh * j->DH * j->pitch +
                  col / j->SW;
    }
  const qchan ch = qChannel(j->table, j->Fp, c);
#if defined(CMB_Q_VECTOR_REQUANT)
  const qvchan vc =
      qVChannels(QV_SET1(ch.bias), QV_SET1(ch.mult), QV_SET1(ch.shift));
  const qfv scale = QF_SET1(ch.scale);
#endif
  char *out = j->y + task * j->OH * j->OW * j->esize;
  for (int64_t oh = 0; oh < j->OH; ++oh) {
    const float *base = phases + oh * j->SH * j->pitch;
    char *row = out + oh * j->OW * j->esize;
    for (int64_t ow = 0; ow < j->OW; ow += VLEN) {
      vec_t acc = V_ZERO();
      for (int64_t t = 0; t < taps; ++t)
        acc = V_FMA(V_SET1(w[t]), V_LOAD(base + offset[t] + ow), acc);
      const int n = (int)cmb_min64(VLEN, j->OW - ow);
#if defined(__AVX512F__)
      const qv a = QV_ADD(_mm512_cvtps_epi32(acc), vc.bias);
      qFinish(a, &vc, scale, &j->stage, row + ow * j->esize, n);
#elif defined(__AVX2__)
      const qv a = QV_ADD(_mm256_cvtps_epi32(acc), vc.bias);
      qFinish(a, &vc, scale, &j->stage, row + ow * j->esize, n);
#else
      int32_t lanes[VLEN];
      _mm_storeu_si128((__m128i *)(void *)lanes, _mm_cvtps_epi32(acc));
      for (int i = 0; i < n; ++i)
        qStoreScalar((int32_t)((uint32_t)lanes[i] + (uint32_t)ch.bias), ch,
                     &j->stage, row, ow + i);
#endif
    }
  }
}

CMB_EXPORT void cmb_x86_qconv2d_depthwise(const void *x, const int8_t *w,
                                          const int32_t *channels, void *y,
                                          const int64_t *params) {
  QDepthwiseJob j;
  const int64_t N = params[CMB_QCONV_N];
  j.C = params[CMB_QCONV_C];
  j.H = params[CMB_QCONV_H];
  j.W = params[CMB_QCONV_W];
  j.KH = params[CMB_QCONV_KH];
  j.KW = params[CMB_QCONV_KW];
  j.OH = params[CMB_QCONV_OH];
  j.OW = params[CMB_QCONV_OW];
  j.SH = params[CMB_QCONV_STRIDE_H];
  j.SW = params[CMB_QCONV_STRIDE_W];
  j.DH = params[CMB_QCONV_DILATION_H];
  j.DW = params[CMB_QCONV_DILATION_W];
  j.PT = params[CMB_QCONV_PAD_TOP];
  j.PL = params[CMB_QCONV_PAD_LEFT];
  if (params[CMB_QCONV_GROUPS] != j.C || params[CMB_QCONV_F] != j.C)
    cmb_fatal("qconv2d_depthwise: groups, input and output channels differ");
  if (j.KH * j.KW > kMaxTaps)
    cmb_fatal("qconv2d_depthwise: more than 512 taps");
  if (N <= 0 || j.C <= 0 || j.OH <= 0 || j.OW <= 0)
    return;
  j.xSigned = params[CMB_QCONV_X_SIGNED] != 0;
  j.zx = (int32_t)params[CMB_QCONV_ZX];
  j.stage.mode = (int)params[CMB_QCONV_OUT];
  j.stage.zy = (int32_t)params[CMB_QCONV_ZY];
  j.stage.qlo = (int32_t)(params[CMB_QCONV_LO] - params[CMB_QCONV_ZY]);
  j.stage.qhi = (int32_t)(params[CMB_QCONV_HI] - params[CMB_QCONV_ZY]);
  if (j.stage.mode < CMB_Q_OUT_U8 || j.stage.mode > CMB_Q_OUT_F32)
    cmb_fatal("qconv2d_depthwise: unknown output mode");
  j.esize = cmb_q_out_bytes(j.stage.mode);
  j.Hq = (j.OH - 1) * j.SH + (j.KH - 1) * j.DH + 1;
  j.Wq = j.OW + ((j.KW - 1) * j.DW) / j.SW;
  // Whole vectors past the last output column stay inside the row.
  j.pitch = cmb_round_up(j.Wq + VLEN, VLEN);
  j.x = (const uint8_t *)x;
  j.w = w;
  j.table = channels;
  j.Fp = cmb_q_channels_padded(j.C);
  j.y = (char *)y;
  cmb_parallel_for(N * j.C, planeTask, &j);
}
