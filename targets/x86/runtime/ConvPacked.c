//===- ConvPacked.c - Convolution with output channels in vector lanes ----===//
//
// The GEMM of an im2col convolution, Y[F][P] = W[F][K] X'[K][P] (P output
// pixels), puts the pixels in the micro-kernel's vector lanes. On the small
// maps of late CNN stages (7x7: P = 49, 14x14: P = 196) a 32-lane tile then
// runs a quarter or an eighth empty, and the weights, the large operand, are
// packed on every call. This kernel computes the transpose instead,
//
//   Y^T[P][F] = X'^T[P][K] W^T[K][F],
//
// with output channels in the lanes, so only the ragged pixel rows cost (the
// micro-kernels handle any row count without waste), and W^T is packed once,
// by the compiler (ConvPackedWeights.h):
//
//  1. the input becomes X' in place (a 1x1 stride-1 convolution: its planes
//     are X' already, read column by column) or as im2col rows [K][P];
//  2. per panel of CMB_CONV_PANEL output channels (a task), the micro-kernel
//     accumulates Y^T over K blocks into a P x PANEL scratch tile;
//  3. the tile is transposed in registers into the NCHW output, with bias,
//     accumulation and the activation on the way.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Conv2d.h"
#include "targets/x86/runtime/ConvPackedWeights.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Scratch.h"
#include "targets/x86/runtime/SgemmMicrokernel.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <immintrin.h>
#include <string.h>

_Static_assert(CMB_CONV_PANEL % CMB_NR == 0,
               "a weight panel must hold whole micro-kernel panels");

typedef struct PackedJob {
  const float *wp, *bias;
  float *y;          ///< this image's output planes
  const float *a;    ///< X' of this image: a[k * P + p]
  const cmb_conv_shape *s;
  int64_t P;         ///< output pixels per image
  int64_t pixParts;  ///< pixel ranges per panel (tasks = panels * pixParts)
} PackedJob;

//===----------------------------------------------------------------------===//
// Step 1: im2col rows
//===----------------------------------------------------------------------===//

typedef struct Im2colJob {
  const float *x; ///< this image's input planes
  float *a;
  const cmb_conv_shape *s;
  int64_t parts;
} Im2colJob;

/// Rows k = (c, kh, kw) of X' for the channels of part `task`: row k holds
/// x[c, oh*SH - PT + kh*DH, ow*SW - PL + kw*DW] for every (oh, ow), or 0
/// outside the input.
static void im2colTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const Im2colJob *job = (const Im2colJob *)ctxPtr;
  const cmb_conv_shape *s = job->s;
  const int64_t c0 = task * s->C / job->parts;
  const int64_t c1 = (task + 1) * s->C / job->parts;
  const int64_t P = s->OH * s->OW;
  for (int64_t c = c0; c < c1; ++c) {
    const float *plane = job->x + c * s->H * s->W;
    for (int64_t kh = 0; kh < s->KH; ++kh)
      for (int64_t kw = 0; kw < s->KW; ++kw) {
        float *row = job->a + ((c * s->KH + kh) * s->KW + kw) * P;
        // Output columns whose input column is inside the plane:
        // 0 <= ow*SW + off < W.
        const int64_t off = kw * s->DW - s->PL;
        const int64_t owLo =
            cmb_min64(s->OW, off >= 0 ? 0 : cmb_ceil_div(-off, s->SW));
        const int64_t owHi = cmb_max64(
            owLo, cmb_min64(s->OW, s->W - off > 0
                                       ? cmb_ceil_div(s->W - off, s->SW)
                                       : 0));
        for (int64_t oh = 0; oh < s->OH; ++oh, row += s->OW) {
          const int64_t ih = oh * s->SH - s->PT + kh * s->DH;
          if (ih < 0 || ih >= s->H) {
            memset(row, 0, (size_t)s->OW * sizeof(float));
            continue;
          }
          const float *src = plane + ih * s->W + off;
          for (int64_t ow = 0; ow < owLo; ++ow)
            row[ow] = 0.0f;
          if (s->SW == 1)
            memcpy(row + owLo, src + owLo, (size_t)(owHi - owLo) * sizeof(float));
          else
            for (int64_t ow = owLo; ow < owHi; ++ow)
              row[ow] = src[ow * s->SW];
          for (int64_t ow = owHi; ow < s->OW; ++ow)
            row[ow] = 0.0f;
        }
      }
  }
}

//===----------------------------------------------------------------------===//
// Step 3: the transposed store
//===----------------------------------------------------------------------===//

/// One output value: bias, accumulation, activation (scalar fallback).
static float finish(float v, const float *out, float bias,
                    const cmb_conv_shape *s) {
  v += bias + (s->accumulate ? *out : 0.0f);
  return cmb_act_in_register(s->act.kind) ? cmb_activate(v, &s->act) : v;
}

/// Writes tile[p][j] (ld CMB_CONV_PANEL; pixels p0 + [0, np), channels
/// f0 + [0, nf)) to y[f][p] with the epilogue.
static void storeTransposed(const float *tile, int64_t p0, int64_t np,
                            int64_t f0, int64_t nf, const PackedJob *job) {
  const cmb_conv_shape *s = job->s;
  const int64_t P = job->P;
  int64_t jDone = 0;
#if defined(CMB_HAVE_VTRANSPOSE)
  const int kind = s->act.kind;
  const int inRegister = cmb_act_in_register(kind);
  for (; jDone + VLEN <= nf; jDone += VLEN) {
    for (int64_t p = 0; p < np; p += VLEN) {
      const int lanes = (int)cmb_min64(VLEN, np - p);
      vec_t r[VLEN];
      for (int i = 0; i < VLEN; ++i)
        r[i] = i < lanes ? V_LOAD(tile + (p + i) * CMB_CONV_PANEL + jDone)
                         : V_ZERO();
      cmb_vtranspose(r);
      for (int j = 0; j < VLEN; ++j) {
        const int64_t f = f0 + jDone + j;
        float *out = job->y + f * P + p0 + p;
        vec_t v = V_ADD(r[j], V_SET1(job->bias ? job->bias[f] : 0.0f));
        if (s->accumulate)
          v = V_ADD(v, V_LOAD_PART(out, lanes));
        if (inRegister)
          v = V_ACTIVATE(v, kind);
        V_STORE_PART(out, v, lanes);
      }
    }
  }
#endif
  for (int64_t j = jDone; j < nf; ++j) {
    const int64_t f = f0 + j;
    float *out = job->y + f * P + p0;
    const float b = job->bias ? job->bias[f] : 0.0f;
    for (int64_t p = 0; p < np; ++p)
      out[p] = finish(tile[p * CMB_CONV_PANEL + j], out + p, b, s);
  }
  if (!cmb_act_in_register(s->act.kind))
    cmb_act_apply_rows(job->y + f0 * P + p0, nf, np, P, &s->act);
}

//===----------------------------------------------------------------------===//
// Step 2: one panel of output channels over a range of pixels
//===----------------------------------------------------------------------===//

static void panelTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  const PackedJob *job = (const PackedJob *)ctxPtr;
  const cmb_conv_shape *s = job->s;
  const int64_t P = job->P, K = s->K;
  const int64_t panel = task / job->pixParts, part = task % job->pixParts;
  const int64_t rowTiles = cmb_ceil_div(P, CMB_MR);
  const int64_t p0 = cmb_min64(P, part * rowTiles / job->pixParts * CMB_MR);
  const int64_t p1 =
      cmb_min64(P, (part + 1) * rowTiles / job->pixParts * CMB_MR);
  if (p0 >= p1)
    return;
  const int64_t f0 = panel * CMB_CONV_PANEL;
  const int64_t nf = cmb_min64(CMB_CONV_PANEL, s->F - f0);
  float *tile = (float *)cmb_scratch_reserve(
      scratch, (size_t)((p1 - p0) * CMB_CONV_PANEL) * sizeof(float));
  if (!tile)
    cmb_fatal("out of memory (conv2d_packed scratch)");

  // One panel through all of K, then the next: measured faster than K
  // blocks outside a group of panels (which keeps a block of X' in L2 but
  // interleaves the weight streams), at 1 and 2 threads.
  const float *w = job->wp + f0 * K;
  const cmb_epilogue first = {NULL, 0, {CMB_CONV_ACT_NONE, 0.0f, 0.0f}, NULL,
                              NULL, 0};
  const cmb_epilogue more = {NULL, 1, {CMB_CONV_ACT_NONE, 0.0f, 0.0f}, NULL,
                             NULL, 0};
  for (int64_t pc = 0; pc < K; pc += CMB_KC) {
    const int64_t kc = cmb_min64(CMB_KC, K - pc);
    cmb_epilogue ep = pc == 0 ? first : more;
    // The weights come in one sequential stream: panel after panel, K
    // block after K block. They are usually read from memory, once, and the
    // hardware prefetchers do not run far enough ahead of a micro-kernel
    // that reads them no faster than it computes: while the pixel tiles of
    // this block run, fetch the next block (the next K block, or the next
    // panel's first) into L2, a slice per tile, a line per k step.
    const char *next = (const char *)(w + (pc + kc) * CMB_CONV_PANEL);
    const int64_t nextLines =
        cmb_min64(CMB_KC, K - pc) * CMB_CONV_PANEL * (int64_t)sizeof(float) /
        64;
    const int64_t tiles = cmb_ceil_div(p1 - p0, CMB_MR);
    // Only the micro-kernel panels that hold output channels.
    for (int64_t sp = 0; sp * CMB_NR < nf; ++sp) {
      const float *b = w + pc * CMB_CONV_PANEL + sp * CMB_NR;
      for (int64_t ir = p0; ir < p1; ir += CMB_MR) {
        const int m = (int)cmb_min64(CMB_MR, p1 - ir);
        ep.prefetchLines = 0;
        if (sp == 0) {
          const int64_t t = (ir - p0) / CMB_MR;
          const int64_t lo = t * nextLines / tiles;
          ep.prefetch = next + lo * 64;
          ep.prefetchLines = (t + 1) * nextLines / tiles - lo;
        }
        cmb_ukernels_col_a[m](kc, job->a + pc * P + ir, P, b, CMB_CONV_PANEL,
                              tile + (ir - p0) * CMB_CONV_PANEL + sp * CMB_NR,
                              CMB_CONV_PANEL, &ep);
      }
    }
  }
  storeTransposed(tile, p0, p1 - p0, f0, nf, job);
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

CMB_EXPORT void cmb_x86_conv2d_packed(const float *x, const float *wp,
                                      const float *bias, float *y,
                                      const int64_t *params) {
  cmb_conv_shape s;
  cmb_conv_unpack(params, &s);
  if (s.G != 1)
    cmb_fatal("conv2d_packed: grouped convolution");
  if (s.N <= 0 || s.F <= 0 || s.OH <= 0 || s.OW <= 0)
    return;
  if (s.K <= 0) {
    cmb_conv_no_taps(bias, y, &s);
    return;
  }
  const int64_t P = s.OH * s.OW;
  const int direct = s.KH == 1 && s.KW == 1 && s.SH == 1 && s.SW == 1 &&
                     s.PT == 0 && s.PL == 0 && s.OH == s.H && s.OW == s.W;
  const int64_t threads = cmb_pool_size();
  const int64_t panels = cmb_ceil_div(s.F, CMB_CONV_PANEL);
  // Split the pixels too when there are too few panels to share.
  const int64_t pixParts = cmb_max64(
      1, cmb_min64(cmb_ceil_div(P, CMB_MR), cmb_ceil_div(2 * threads, panels)));

  cmb_scratch rows = {NULL, 0};
  float *a = NULL;
  if (!direct) {
    rows = cmb_scratch_borrow();
    a = (float *)cmb_scratch_reserve(&rows,
                                     (size_t)(s.K * P) * sizeof(float));
    if (!a)
      cmb_fatal("out of memory (conv2d_packed im2col)");
  }
  for (int64_t n = 0; n < s.N; ++n) {
    float *yn = y + n * s.F * P;
    const float *xn = x + n * s.C * s.H * s.W;
    if (!direct) {
      Im2colJob im = {xn, a, &s, cmb_min64(s.C, 4 * threads)};
      cmb_parallel_for(im.parts, im2colTask, &im);
    }
    PackedJob job = {wp, bias, yn, direct ? xn : a, &s, P, pixParts};
    cmb_parallel_for(panels * pixParts, panelTask, &job);
  }
  if (a)
    cmb_scratch_return(rows);
}
