//===- Conv2d.c - NCHW convolution entry point ----------------------------===//
//
// Chooses the strategy (see Conv2d.h) and splits the work over the pool.
// Every path applies bias, accumulation and the activation while it writes the output
// (the GEMM paths in the micro-kernel's store), never in a separate sweep.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Conv2d.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Sgemm.h"
#include "targets/x86/runtime/SgemmMicrokernel.h"
#include "targets/x86/runtime/ThreadPool.h"

void cmb_conv_unpack(const int64_t *p, cmb_conv_shape *s) {
  s->N = p[CMB_CONV_N];
  s->C = p[CMB_CONV_C];
  s->H = p[CMB_CONV_H];
  s->W = p[CMB_CONV_W];
  s->F = p[CMB_CONV_F];
  s->KH = p[CMB_CONV_KH];
  s->KW = p[CMB_CONV_KW];
  s->OH = p[CMB_CONV_OH];
  s->OW = p[CMB_CONV_OW];
  // Strides and dilations below 1 are invalid; reading them as 1 keeps a
  // malformed call from dividing by zero.
  s->SH = cmb_max64(1, p[CMB_CONV_STRIDE_H]);
  s->SW = cmb_max64(1, p[CMB_CONV_STRIDE_W]);
  s->DH = cmb_max64(1, p[CMB_CONV_DILATION_H]);
  s->DW = cmb_max64(1, p[CMB_CONV_DILATION_W]);
  s->PT = p[CMB_CONV_PAD_TOP];
  s->PL = p[CMB_CONV_PAD_LEFT];
  s->G = p[CMB_CONV_GROUPS] > 0 ? p[CMB_CONV_GROUPS] : 1;
  s->Cg = s->C / s->G;
  s->Fg = s->F / s->G;
  s->K = s->Cg * s->KH * s->KW;
  s->accumulate = p[CMB_CONV_ACCUMULATE] != 0;
  s->act.kind = (int)p[CMB_CONV_ACTIVATION];
  if (s->act.kind < 0 || s->act.kind > CMB_CONV_ACT_LAST)
    cmb_fatal("conv2d: unknown activation");
  s->act.alpha = cmb_float_from_bits(p[CMB_CONV_ACT_ALPHA]);
  s->act.beta = cmb_float_from_bits(p[CMB_CONV_ACT_BETA]);
}

void cmb_conv_no_taps(const float *bias, float *y, const cmb_conv_shape *s) {
  const int64_t ohw = s->OH * s->OW;
  for (int64_t n = 0; n < s->N; ++n)
    for (int64_t f = 0; f < s->F; ++f) {
      float *out = y + (n * s->F + f) * ohw;
      const float b = bias ? bias[f] : 0.0f;
      for (int64_t j = 0; j < ohw; ++j) {
        float v = (s->accumulate ? out[j] : 0.0f) + b;
        out[j] = cmb_activate(v, &s->act);
      }
    }
}

//===----------------------------------------------------------------------===//
// 1x1, stride 1, no padding: the input planes are the GEMM's B as they are
//===----------------------------------------------------------------------===//

typedef struct ConvArgs {
  const float *x, *w, *bias;
  float *y;
  const cmb_conv_shape *s;
} ConvArgs;

static void pointwiseItem(const void *ctxPtr, int64_t b, cmb_gemm_desc *d) {
  const ConvArgs *a = (const ConvArgs *)ctxPtr;
  const cmb_conv_shape *s = a->s;
  const int64_t n = b / s->G, g = b % s->G, hw = s->H * s->W;
  cmb_gemm_desc r = {s->Fg,
                     hw,
                     s->Cg,
                     a->w + g * s->Fg * s->Cg,
                     s->Cg,
                     a->x + (n * s->C + g * s->Cg) * hw,
                     hw,
                     NULL,
                     a->y + (n * s->F + g * s->Fg) * hw,
                     hw,
                     a->bias ? a->bias + g * s->Fg : NULL,
                     s->accumulate,
                     s->act};
  *d = r;
}

//===----------------------------------------------------------------------===//
// General case: im2col tiles into packed panels, then the GEMM core
//===----------------------------------------------------------------------===//

typedef struct ConvJob {
  ConvArgs args;
  int64_t tileCols; ///< output columns per tile (multiple of NR)
  int64_t numTiles; ///< tiles per output plane
  int64_t mBlocks;  ///< blocks of output channels per group
  int64_t mTiles;   ///< ceil(Fg / MR)
} ConvJob;

static void convTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  const ConvJob *job = (const ConvJob *)ctxPtr;
  const cmb_conv_shape *s = job->args.s;
  const int64_t mb = task % job->mBlocks;
  const int64_t tile = (task / job->mBlocks) % job->numTiles;
  const int64_t ng = task / (job->mBlocks * job->numTiles);
  const int64_t n = ng / s->G, g = ng % s->G;
  const int64_t ohw = s->OH * s->OW;
  const int64_t j0 = tile * job->tileCols;
  const int64_t cols = cmb_min64(job->tileCols, ohw - j0);
  const int64_t m0 =
      cmb_min64(s->Fg, (mb * job->mTiles / job->mBlocks) * CMB_MR);
  const int64_t m1 =
      cmb_min64(s->Fg, ((mb + 1) * job->mTiles / job->mBlocks) * CMB_MR);
  if (cols <= 0 || m0 >= m1)
    return;

  const int64_t f0 = g * s->Fg + m0;
  cmb_gemm_desc d = {m1 - m0,
                     cols,
                     s->K,
                     job->args.w + f0 * s->K,
                     s->K,
                     NULL,
                     0,
                     NULL,
                     job->args.y + (n * s->F + f0) * ohw + j0,
                     ohw,
                     job->args.bias ? job->args.bias + f0 : NULL,
                     s->accumulate,
                     s->act};
  const size_t panelBytes =
      cmb_align_bytes(cmb_im2col_panel_floats(s, job->tileCols) * sizeof(float));
  const size_t slabBytes =
      cmb_align_bytes(cmb_im2col_slab_floats(s, job->tileCols) * sizeof(float));
  const size_t gemmBytes = cmb_gemm_prepacked_scratch_bytes(d.M, d.K);
  char *buf = cmb_scratch_reserve(scratch, panelBytes + slabBytes + gemmBytes);
  if (!buf)
    cmb_fatal("out of memory (conv2d scratch)");
  float *panels = (float *)buf;
  float *slab = (float *)(buf + panelBytes);

  cmb_im2col_panels(s, job->args.x + (n * s->C + g * s->Cg) * s->H * s->W, j0,
                    cols, slab, panels);
  d.Bpacked = panels;
  cmb_gemm_serial(&d, buf + panelBytes + slabBytes);
}

static int64_t gcd64(int64_t a, int64_t b) {
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/// Narrower tiles would re-read the weights (and rebuild the slab's halo
/// rows) too often.
static const int64_t kMinTileCols = 128;

static void convGeneral(const ConvArgs *args) {
  const cmb_conv_shape *s = args->s;
  const int64_t ohw = s->OH * s->OW;
  const int64_t maxTiles = cmb_ceil_div(ohw, CMB_NR);
  int64_t cols =
      cmb_max64(kMinTileCols, CMB_IM2COL_TILE_FLOATS / cmb_max64(s->K, 1));
  int64_t numTiles = cmb_min64(maxTiles, cmb_ceil_div(ohw, cols));
  int64_t mBlocks = 1;
  const int64_t mTiles = cmb_ceil_div(s->Fg, CMB_MR);

  // Give every thread an equal share when the natural task count is small:
  // more column tiles while they stay wide, else blocks of output channels.
  const int64_t threads = cmb_pool_size();
  const int64_t planes = s->N * s->G;
  if (threads > 1 && planes * numTiles < 4 * threads) {
    const int64_t mult = threads / gcd64(planes * numTiles, threads);
    if (mult > 1) {
      if ((ohw / (numTiles * mult) >= 96 || mTiles < mult) &&
          numTiles * mult <= maxTiles)
        numTiles *= mult;
      else if (mTiles >= mult)
        mBlocks = mult;
      else
        numTiles = cmb_min64(maxTiles, numTiles * mult);
    }
  }
  cols = cmb_round_up(cmb_ceil_div(ohw, numTiles), CMB_NR);
  numTiles = cmb_ceil_div(ohw, cols);

  ConvJob job = {*args, cols, numTiles, mBlocks, mTiles};
  cmb_parallel_for(planes * numTiles * mBlocks, convTask, &job);
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

CMB_EXPORT void cmb_x86_conv2d(const float *x, const float *w,
                               const float *bias, float *y,
                               const int64_t *params) {
  cmb_conv_shape s;
  cmb_conv_unpack(params, &s);
  if (s.N <= 0 || s.F <= 0 || s.OH <= 0 || s.OW <= 0)
    return;
  if (s.K <= 0) {
    cmb_conv_no_taps(bias, y, &s);
    return;
  }
  ConvArgs args = {x, w, bias, y, &s};
  if (s.Cg == 1 && s.Fg == 1) {
    cmb_conv_depthwise(x, w, bias, y, &s);
    return;
  }
  if (s.KH == 1 && s.KW == 1 && s.SH == 1 && s.SW == 1 && s.PT == 0 &&
      s.PL == 0 && s.OH == s.H && s.OW == s.W) {
    cmb_gemm_parallel(s.N * s.G, pointwiseItem, &args, 0);
    return;
  }
  if (cmb_conv_few_channels_fits(&s)) {
    cmb_conv_few_channels(x, w, bias, y, &s);
    return;
  }
  convGeneral(&args);
}
