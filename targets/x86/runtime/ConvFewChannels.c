//===- ConvFewChannels.c - Direct convolution of an image's first layer ---===//
//
// A model's first convolution reads the 3 channels of the image, so its
// GEMM depth is only C * KH * KW (27 for MobileNet's 3x3, 147 for ResNet's
// 7x7): im2col + GEMM then spends as long writing and re-reading the im2col
// panels as multiplying, and a 27-deep GEMM tile stores C as often as it
// accumulates. Here the output pixels are in the vector lanes instead:
//
//  1. The input rows a block of output rows reads are copied once into SW
//     zero-padded "phase rows" per channel, phase r holding input columns
//     j * SW + r - PL; output column ow then reads tap kw at phase kw % SW,
//     column ow + kw / SW, so every tap is a contiguous vector load even at
//     stride 2 (and the padding needs no tests).
//  2. Per output row, FB output channels x V vectors of columns accumulate
//     in registers over all taps: per tap V loads, FB broadcasts of weights
//     packed per call (a tap's FB adjacent) and FB * V multiply-adds. Bias,
//     accumulation and ReLU(6) are applied before the only store; the other
//     activations run over the row while it is still in L1.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Conv2d.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Scratch.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <string.h>

// Register tile: FB channels x up to VMAX vectors of accumulators, plus FB
// broadcast weights and the loaded input vector.
// (Macros, not enumerators: the tile dispatch tests VMAX with #if.)
#if defined(__AVX512F__)
#define FB 4   // 24 + 4 + 1 of 32 zmm
#define VMAX 6
#elif defined(__AVX2__)
#define FB 2   // 10 + 2 + 1 of 16 ymm
#define VMAX 5
#else
#define FB 2   // 8 + 2 + 1 (+ product temporary) of 16 xmm
#define VMAX 4
#endif

/// Input channels up to which a convolution takes this path; deeper inputs
/// give im2col + GEMM a long enough reduction.
enum { kMaxChannels = 4 };

/// Phase rows of one block stay within about this many floats (L2, beside
/// the weights).
enum { kPhaseFloats = 16 * 1024 };

int cmb_conv_few_channels_fits(const cmb_conv_shape *s) {
  return s->G == 1 && s->C <= kMaxChannels && s->DH == 1 && s->DW == 1 &&
         s->OW >= VLEN && s->K > 0;
}

/// Floats per phase row: every vector of the widest column block, at the
/// largest tap offset, stays inside.
static int64_t phasePitch(const cmb_conv_shape *s) {
  return cmb_round_up(cmb_ceil_div(s->OW, VLEN) * VLEN + (s->KW - 1) / s->SW,
                      VLEN);
}

/// Input rows that `rows` output rows read.
static int64_t inputRows(const cmb_conv_shape *s, int64_t rows) {
  return (rows - 1) * s->SH + s->KH;
}

/// Output rows per block: as many as keep the phase rows in kPhaseFloats.
static int64_t blockRows(const cmb_conv_shape *s) {
  const int64_t perInputRow = s->C * s->SW * phasePitch(s);
  int64_t rows = 1;
  while (rows < s->OH && inputRows(s, rows + 1) * perInputRow <= kPhaseFloats)
    ++rows;
  return rows;
}

/// Where the pieces of the scratch buffer go: packed weights, tap offsets,
/// then the phase rows of one block.
typedef struct Layout {
  int64_t pitch;     ///< floats per phase row
  int64_t blockRows; ///< output rows per block
  int64_t planeRows; ///< phase rows per (channel, phase) plane
  size_t weightBytes, offsetBytes, phaseBytes;
} Layout;

static Layout layoutOf(const cmb_conv_shape *s) {
  Layout l;
  l.pitch = phasePitch(s);
  l.blockRows = blockRows(s);
  l.planeRows = inputRows(s, l.blockRows);
  l.weightBytes = cmb_align_bytes((size_t)(cmb_round_up(s->F, FB) * s->K) *
                                  sizeof(float));
  l.offsetBytes = cmb_align_bytes((size_t)s->K * sizeof(int64_t));
  l.phaseBytes =
      (size_t)(s->C * s->SW * l.planeRows * l.pitch) * sizeof(float);
  return l;
}

size_t cmb_conv_few_channels_scratch_bytes(const cmb_conv_shape *s) {
  const Layout l = layoutOf(s);
  return l.weightBytes + l.offsetBytes + l.phaseBytes;
}

void cmb_conv_few_channels_prepare(const cmb_conv_shape *s, const float *w,
                                   void *scratch) {
  const Layout l = layoutOf(s);
  float *weights = scratch;
  int64_t *offsets = (int64_t *)((char *)scratch + l.weightBytes);
  // Weights as [F/FB][K][FB], channels past F zero: a tap's FB broadcasts
  // are adjacent.
  const int64_t K = s->K;
  for (int64_t f0 = 0; f0 < s->F; f0 += FB)
    for (int64_t t = 0; t < K; ++t)
      for (int64_t f = 0; f < FB; ++f)
        weights[(f0 / FB * K + t) * FB + f] =
            f0 + f < s->F ? w[(f0 + f) * K + t] : 0.0f;
  // Tap (c, kh, kw) of output row 0, column 0: phase kw % SW of channel c,
  // row kh, column kw / SW.
  for (int64_t c = 0; c < s->C; ++c)
    for (int64_t kh = 0; kh < s->KH; ++kh)
      for (int64_t kw = 0; kw < s->KW; ++kw)
        offsets[(c * s->KH + kh) * s->KW + kw] =
            ((c * s->SW + kw % s->SW) * l.planeRows + kh) * l.pitch +
            kw / s->SW;
}

/// The phase rows of input rows [ih0, ih0 + rows) of image `x`: channel c,
/// phase r, row i at phases + ((c * SW + r) * planeRows + i) * pitch.
static void buildPhases(const cmb_conv_shape *s, const Layout *l,
                        const float *x, int64_t ih0, int64_t rows,
                        float *phases) {
  const int64_t SW = s->SW, W = s->W, pitch = l->pitch;
  for (int64_t c = 0; c < s->C; ++c)
    for (int64_t r = 0; r < SW; ++r) {
      // Phase columns [lo, hi) hold input; the rest is padding.
      const int64_t lo =
          cmb_min64(pitch, cmb_max64(0, cmb_ceil_div(s->PL - r, SW)));
      const int64_t hi = cmb_max64(
          lo, cmb_min64(pitch, cmb_ceil_div(W + s->PL - r, SW)));
      for (int64_t i = 0; i < rows; ++i) {
        float *dst = phases + ((c * SW + r) * l->planeRows + i) * pitch;
        const int64_t ih = ih0 + i;
        if (ih < 0 || ih >= s->H) {
          memset(dst, 0, (size_t)pitch * sizeof(float));
          continue;
        }
        // Phase column j is input column j * SW + r - PL of this row.
        const float *row = x + (c * s->H + ih) * W;
        const int64_t first = r - s->PL;
        for (int64_t j = 0; j < lo; ++j)
          dst[j] = 0.0f;
        int64_t j = lo;
        if (SW == 1) {
          memcpy(dst + lo, row + lo + first, (size_t)(hi - lo) * sizeof(float));
          j = hi;
        }
#if defined(__AVX512F__)
        // Stride 2: the even lanes of two vectors, while both stay in the
        // row.
        if (SW == 2)
          for (; j + VLEN <= hi && 2 * j + first + 2 * VLEN <= W; j += VLEN)
            V_STORE(dst + j, cmb_even_lanes(V_LOAD(row + 2 * j + first),
                                            V_LOAD(row + 2 * j + first + VLEN)));
#endif
        for (; j < hi; ++j)
          dst[j] = row[j * SW + first];
        for (j = hi; j < pitch; ++j)
          dst[j] = 0.0f;
      }
    }
}

/// What one register tile needs besides its position.
typedef struct TileArgs {
  const cmb_conv_shape *s;
  const float *phases;    ///< the block's phase rows
  const int64_t *offsets; ///< [K] per tap
  int64_t rowFloats;      ///< SH * pitch: from one output row to the next
  const float *weights;   ///< packed
  const float *bias;
  float *y;            ///< row 0 of the block, channel 0
  int64_t planeFloats; ///< between output channels in y
} TileArgs;

/// Output row `r` of the block, channels [f0, f0 + nf) (FB computed, nf
/// stored), columns [ow0, ow0 + V * VLEN) clipped to OW. `V` is a constant
/// after inlining, so the accumulators live in registers.
CMB_INLINE void tile(const TileArgs *a, int64_t r, int64_t f0, int nf,
                     int64_t ow0, int V) {
  const cmb_conv_shape *s = a->s;
  const int64_t K = s->K;
  vec_t acc[FB][VMAX];
  for (int f = 0; f < FB; ++f)
    for (int v = 0; v < V; ++v)
      acc[f][v] = V_ZERO();
  const float *base = a->phases + r * a->rowFloats + ow0;
  const float *wt = a->weights + f0 * K;
  for (int64_t t = 0; t < K; ++t, wt += FB) {
    const float *p = base + a->offsets[t];
    vec_t wv[FB];
    for (int f = 0; f < FB; ++f)
      wv[f] = V_SET1(wt[f]);
    for (int v = 0; v < V; ++v) {
      const vec_t xv = V_LOAD(p + v * VLEN);
      for (int f = 0; f < FB; ++f)
        acc[f][v] = V_FMA(wv[f], xv, acc[f][v]);
    }
  }
  // ReLU and ReLU6 here; the other activations once the row is done.
  const int kind = s->act.kind;
  for (int f = 0; f < nf; ++f) {
    const vec_t b = V_SET1(a->bias ? a->bias[f0 + f] : 0.0f);
    float *out = a->y + (f0 + f) * a->planeFloats + r * s->OW + ow0;
    for (int v = 0; v < V; ++v) {
      const int64_t lanes = cmb_min64(VLEN, s->OW - (ow0 + v * VLEN));
      vec_t t = V_ADD(acc[f][v], b);
      if (lanes == VLEN) {
        if (s->accumulate)
          t = V_ADD(t, V_LOAD(out + v * VLEN));
        V_STORE(out + v * VLEN, V_ACTIVATE(t, kind));
      } else {
        if (s->accumulate)
          t = V_ADD(t, V_LOAD_PART(out + v * VLEN, (int)lanes));
        V_STORE_PART(out + v * VLEN, V_ACTIVATE(t, kind), (int)lanes);
      }
    }
  }
}

/// `tile` for every vector count up to VMAX.
static void anyTile(const TileArgs *a, int64_t r, int64_t f0, int nf,
                    int64_t ow0, int V) {
#define CMB_TILE_CASE(n)                                                       \
  case n:                                                                      \
    tile(a, r, f0, nf, ow0, n);                                                \
    return;
  switch (V) {
    CMB_TILE_CASE(1)
    CMB_TILE_CASE(2)
    CMB_TILE_CASE(3)
    CMB_TILE_CASE(4)
#if VMAX >= 5
    CMB_TILE_CASE(5)
#endif
#if VMAX >= 6
    CMB_TILE_CASE(6)
#endif
  default:
    cmb_fatal("conv2d (few channels): bad register tile");
  }
#undef CMB_TILE_CASE
}

void cmb_conv_few_channels_rows(const cmb_conv_shape *s, const float *x,
                                const float *bias, int64_t oh0, int64_t oh1,
                                float *y, int64_t planeFloats,
                                void *scratch) {
  const Layout l = layoutOf(s);
  const float *weights = scratch;
  const int64_t *offsets =
      (const int64_t *)((const char *)scratch + l.weightBytes);
  float *phases =
      (float *)((char *)scratch + l.weightBytes + l.offsetBytes);
  // Vectors per row, cut into column blocks of nearly equal size (7 vectors
  // as 4 + 3 rather than 6 + 1, whose one-vector tile would be latency
  // bound).
  const int64_t vectors = cmb_ceil_div(s->OW, VLEN);
  const int64_t colBlocks = cmb_ceil_div(vectors, VMAX);
  for (int64_t b0 = oh0; b0 < oh1; b0 += l.blockRows) {
    const int64_t rows = cmb_min64(l.blockRows, oh1 - b0);
    buildPhases(s, &l, x, b0 * s->SH - s->PT, inputRows(s, rows), phases);
    TileArgs a = {s,       phases, offsets, s->SH * l.pitch,
                  weights, bias,   y + (b0 - oh0) * s->OW, planeFloats};
    // Channel blocks outermost: their weights stay in L1 over the rows.
    for (int64_t f0 = 0; f0 < s->F; f0 += FB) {
      const int nf = (int)cmb_min64(FB, s->F - f0);
      for (int64_t r = 0; r < rows; ++r) {
        for (int64_t cb = 0; cb < colBlocks; ++cb) {
          const int64_t v0 = cb * vectors / colBlocks;
          const int64_t v1 = (cb + 1) * vectors / colBlocks;
          anyTile(&a, r, f0, nf, v0 * VLEN, (int)(v1 - v0));
        }
        if (!cmb_act_in_register(s->act.kind))
          cmb_act_apply_rows(a.y + f0 * planeFloats + r * s->OW, nf, s->OW,
                             planeFloats, &s->act);
      }
    }
  }
}

typedef struct FewChannelsJob {
  const float *x, *w, *bias;
  float *y;
  const cmb_conv_shape *s;
  int64_t bands; ///< tasks per image
  size_t bytes;  ///< scratch per task
} FewChannelsJob;

static void fewChannelsTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  const FewChannelsJob *job = (const FewChannelsJob *)ctxPtr;
  const cmb_conv_shape *s = job->s;
  const int64_t n = task / job->bands, band = task % job->bands;
  const int64_t oh0 = band * s->OH / job->bands;
  const int64_t oh1 = (band + 1) * s->OH / job->bands;
  if (oh0 >= oh1)
    return;
  void *buf = cmb_scratch_reserve(scratch, job->bytes);
  if (!buf)
    cmb_fatal("out of memory (conv2d scratch)");
  cmb_conv_few_channels_prepare(s, job->w, buf);
  const int64_t planeFloats = s->OH * s->OW;
  cmb_conv_few_channels_rows(s, job->x + n * s->C * s->H * s->W, job->bias,
                             oh0, oh1,
                             job->y + n * s->F * planeFloats + oh0 * s->OW,
                             planeFloats, buf);
}

void cmb_conv_few_channels(const float *x, const float *w, const float *bias,
                           float *y, const cmb_conv_shape *s) {
  // Two bands of rows per thread unless the images go around: a thread that
  // wakes late then leaves the other one less to wait for.
  const int64_t threads = cmb_pool_size();
  const int64_t bands =
      s->N >= 2 * threads ? 1
                          : cmb_min64(s->OH, cmb_ceil_div(2 * threads, s->N));
  FewChannelsJob job = {x, w, bias, y, s, bands,
                        cmb_conv_few_channels_scratch_bytes(s)};
  cmb_parallel_for(s->N * bands, fewChannelsTask, &job);
}
