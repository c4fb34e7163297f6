//===- ConvPool.c - A convolution and the max pooling of its output -------===//
//
// The stems of the ResNets and SqueezeNet are a convolution on the image
// (3 input channels: the direct kernel of ConvFewChannels.c, else im2col +
// GEMM) whose 3 MB output map only feeds a 3x3 stride-2 max pooling. Run
// apart, the convolution writes that map to
// memory and the pooling reads it back at L3 or DRAM speed, which took
// longer than the pooling's arithmetic. Here a thread takes a range of
// pooled rows and walks it in bands: the convolution rows a band's windows
// read are computed into a band buffer that stays in L2 (all output
// channels, bias and activation in the store as in Conv2d.c), then
// pooled from there. Rows that two bands share (the window is taller than
// the stride) move to the top of the buffer instead of being computed
// again; only the first band of each range computes them. The convolution's
// map never exists in memory.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Conv2d.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Pool.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Scratch.h"
#include "targets/x86/runtime/Sgemm.h"
#include "targets/x86/runtime/SgemmMicrokernel.h"
#include "targets/x86/runtime/ThreadPool.h"

#include <string.h>

/// Floats of convolution output per band: well inside L2 beside the im2col
/// panels and the packed weights.
static const int64_t kBandFloats = 64 * 1024;

typedef struct ConvPoolJob {
  const float *x, *w, *bias;
  float *y;
  cmb_conv_shape conv;
  cmb_pool_shape pool;
  int64_t bandRows;   ///< pooled rows per band
  int64_t bufferRows; ///< convolution rows the band buffer holds
  int64_t tileCols;   ///< convolution columns per GEMM call
  int64_t ranges;     ///< ranges of pooled rows per image (tasks per image)
  int fewChannels;    ///< the convolution on the direct few-channel path
} ConvPoolJob;

/// Convolution rows [lo, hi) that pooled rows [q0, q1) read.
static void convRowsOf(const ConvPoolJob *job, int64_t q0, int64_t q1,
                       int64_t *lo, int64_t *hi) {
  const cmb_pool_shape *p = &job->pool;
  *lo = cmb_max64(0, cmb_min64(p->H, q0 * p->SH - p->PT));
  *hi = cmb_max64(*lo, cmb_min64(p->H, (q1 - 1) * p->SH - p->PT +
                                           (p->KH - 1) * p->DH + 1));
}

/// Convolution rows [r0, r1) of image `x` into the band buffer, whose
/// planes (one per output channel, `planeFloats` apart) start at row `lo`.
static void convRows(const ConvPoolJob *job, const float *x, int64_t r0,
                     int64_t r1, float *band, int64_t lo, int64_t planeFloats,
                     float *panels, float *slab, void *gemmScratch) {
  const cmb_conv_shape *s = &job->conv;
  if (job->fewChannels) {
    // `gemmScratch` was prepared by cmb_conv_few_channels_prepare.
    cmb_conv_few_channels_rows(s, x, job->bias, r0, r1,
                               band + (r0 - lo) * s->OW, planeFloats,
                               gemmScratch);
    return;
  }
  for (int64_t j = r0 * s->OW; j < r1 * s->OW; j += job->tileCols) {
    const int64_t cols = cmb_min64(job->tileCols, r1 * s->OW - j);
    cmb_im2col_panels(s, x, j, cols, slab, panels);
    cmb_gemm_desc d = {s->F,      cols,
                       s->K,      job->w,
                       s->K,      NULL,
                       0,         panels,
                       band + (j - lo * s->OW), planeFloats,
                       job->bias, 0,
                       s->act};
    cmb_gemm_serial(&d, gemmScratch);
  }
}

static void convPoolTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  const ConvPoolJob *job = (const ConvPoolJob *)ctxPtr;
  const cmb_conv_shape *s = &job->conv;
  const cmb_pool_shape *p = &job->pool;
  const int64_t n = task / job->ranges, range = task % job->ranges;
  const int64_t q0 = range * p->OH / job->ranges;
  const int64_t q1 = (range + 1) * p->OH / job->ranges;
  if (q0 >= q1)
    return;

  const int64_t planeFloats = job->bufferRows * s->OW;
  const size_t bandBytes =
      cmb_align_bytes((size_t)(s->F * planeFloats) * sizeof(float));
  // The im2col path's panels, slab and GEMM scratch, or the few-channel
  // path's scratch in place of the GEMM's.
  const int few = job->fewChannels;
  const size_t panelBytes =
      few ? 0
          : cmb_align_bytes(cmb_im2col_panel_floats(s, job->tileCols) *
                            sizeof(float));
  const size_t slabBytes =
      few ? 0
          : cmb_align_bytes(cmb_im2col_slab_floats(s, job->tileCols) *
                            sizeof(float));
  const size_t gemmBytes = few ? cmb_conv_few_channels_scratch_bytes(s)
                               : cmb_gemm_prepacked_scratch_bytes(s->F, s->K);
  char *buf = cmb_scratch_reserve(scratch, bandBytes + panelBytes +
                                               slabBytes + gemmBytes);
  if (!buf)
    cmb_fatal("out of memory (conv2d_maxpool scratch)");
  float *band = (float *)buf;
  float *panels = (float *)(buf + bandBytes);
  float *slab = (float *)(buf + bandBytes + panelBytes);
  void *gemmScratch = buf + bandBytes + panelBytes + slabBytes;
  if (few)
    cmb_conv_few_channels_prepare(s, job->w, gemmScratch);

  const float *x = job->x + n * s->C * s->H * s->W;
  float *y = job->y + n * s->F * p->OH * p->OW;
  int64_t haveLo = 0, haveHi = 0; // convolution rows in the buffer
  for (int64_t b0 = q0; b0 < q1; b0 += job->bandRows) {
    const int64_t b1 = cmb_min64(q1, b0 + job->bandRows);
    int64_t lo, hi;
    convRowsOf(job, b0, b1, &lo, &hi);
    int64_t from = lo;
    if (haveLo <= lo && lo < haveHi) {
      // Rows [lo, haveHi) were computed for the previous band.
      for (int64_t f = 0; f < s->F; ++f)
        memmove(band + f * planeFloats,
                band + f * planeFloats + (lo - haveLo) * s->OW,
                (size_t)((haveHi - lo) * s->OW) * sizeof(float));
      from = haveHi;
    }
    if (from < hi)
      convRows(job, x, from, hi, band, lo, planeFloats, panels, slab,
               gemmScratch);
    haveLo = lo;
    haveHi = hi;
    for (int64_t f = 0; f < s->F; ++f)
      cmb_maxpool_rows(p, band + f * planeFloats, lo, b0, b1,
                       y + f * p->OH * p->OW);
  }
}

CMB_EXPORT void cmb_x86_conv2d_maxpool(const float *x, const float *w,
                                       const float *bias, float *y,
                                       const int64_t *convParams,
                                       const int64_t *poolParams) {
  ConvPoolJob job = {x, w, bias, y, {0}, {0}, 0, 0, 0, 0, 0};
  cmb_conv_unpack(convParams, &job.conv);
  cmb_pool_unpack(poolParams, &job.pool);
  const cmb_conv_shape *s = &job.conv;
  const cmb_pool_shape *p = &job.pool;
  if (s->G != 1 || s->accumulate)
    cmb_fatal("conv2d_maxpool: needs an ungrouped convolution that "
              "overwrites its output");
  if (p->P != s->N * s->F || p->H != s->OH || p->W != s->OW)
    cmb_fatal("conv2d_maxpool: the pooling's input is not the "
              "convolution's output");
  if (p->P <= 0 || p->OH <= 0 || p->OW <= 0)
    return;
  if (s->K <= 0)
    cmb_fatal("conv2d_maxpool: a convolution without input channels");

  // Pooled rows per band: as many as keep the band's convolution rows
  // within kBandFloats (at least one).
  const int64_t window = (p->KH - 1) * p->DH + 1;
  job.bandRows = 1;
  while (job.bandRows < p->OH &&
         (job.bandRows * p->SH + window) * s->OW * s->F <= kBandFloats)
    ++job.bandRows;
  job.bufferRows = cmb_min64(s->OH, (job.bandRows - 1) * p->SH + window);
  job.fewChannels = cmb_conv_few_channels_fits(s);
  job.tileCols = cmb_round_up(
      cmb_max64(CMB_NR, CMB_IM2COL_TILE_FLOATS / cmb_max64(s->K, 1)), CMB_NR);

  // Ranges of pooled rows when the images are fewer than two per thread:
  // two per thread, so that a thread that starts late (waking up) does not
  // leave the other one a second long task (measured: with one range per
  // thread, SqueezeNet's 2-thread median doubled in some runs). Each range
  // computes its first band's shared rows again (a row in 28 here).
  const int64_t threads = cmb_pool_size();
  job.ranges = s->N >= 2 * threads
                   ? 1
                   : cmb_min64(p->OH, cmb_ceil_div(2 * threads, s->N));
  cmb_parallel_for(s->N * job.ranges, convPoolTask, &job);
}
