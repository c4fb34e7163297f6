//===- Im2col.c - im2col straight into packed GEMM panels -----------------===//
//
// Row k = (c, kh, kw) of the im2col matrix holds, for every output column
// j = (oh, ow), the input x[c, oh*SH - PT + kh*DH, ow*SW - PL + kw*DW] or 0
// outside the input. Two steps make that cheap:
//
//  1. The input rows the tile needs are copied once into a zero-padded
//     "slab", so no later read needs a bounds check.
//  2. Within a B panel (NR output columns) the columns form a few runs of
//     consecutive ow, whose slab offsets are the same for every k up to a
//     per-k shift. Each run is copied as a fixed NR-float block: the copy
//     may overrun the run, but the next run of the row (or the next row)
//     overwrites the excess, so the copies need neither masks nor lengths.
//     Panels with many short runs (narrow outputs) gather lane by lane.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Conv2d.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/SgemmMicrokernel.h"
#include "targets/x86/runtime/Vector.h"

#include <immintrin.h>
#include <string.h>

/// Slab columns: q = ow*SW + kw*DW for every output column and tap.
static int64_t slabWidth(const cmb_conv_shape *s) {
  return (s->OW - 1) * s->SW + (s->KW - 1) * s->DW + 1;
}

/// Slab rows for a tile that spans `ohSpan` output rows.
static int64_t slabRows(const cmb_conv_shape *s, int64_t ohSpan) {
  return (ohSpan - 1) * s->SH + (s->KH - 1) * s->DH + 1;
}

/// Zeroed floats after the slab that the fixed-size copies may read.
static int64_t slabSlack(const cmb_conv_shape *s) {
  return CMB_NR * (s->SW + 1);
}

size_t cmb_im2col_panel_floats(const cmb_conv_shape *s, int64_t cols) {
  // One NR past the end: the block copies overrun by design.
  return (size_t)(cmb_ceil_div(cols, CMB_NR) * s->K * CMB_NR + CMB_NR);
}

size_t cmb_im2col_slab_floats(const cmb_conv_shape *s, int64_t maxCols) {
  int64_t ohSpan = cmb_min64(s->OH, cmb_ceil_div(maxCols, s->OW) + 1);
  return (size_t)(s->Cg * slabRows(s, ohSpan) * slabWidth(s) + slabSlack(s));
}

/// Copies input rows [ihFirst, ihFirst + rows) of every channel of the group
/// into the slab, with zeros for padding.
static void buildSlab(const cmb_conv_shape *s, const float *x, int64_t ihFirst,
                      int64_t rows, int64_t ws, float *slab) {
  // Slab column q holds input column iw = q - PL.
  const int64_t qlo = cmb_min64(cmb_max64(s->PL, 0), ws);
  const int64_t qhi = cmb_max64(qlo, cmb_min64(s->PL + s->W, ws));
  for (int64_t c = 0; c < s->Cg; ++c) {
    for (int64_t r = 0; r < rows; ++r) {
      float *row = slab + (c * rows + r) * ws;
      const int64_t ih = ihFirst + r;
      if (ih < 0 || ih >= s->H) {
        memset(row, 0, (size_t)ws * sizeof(float));
        continue;
      }
      const float *src = x + (c * s->H + ih) * s->W + (qlo - s->PL);
      memset(row, 0, (size_t)qlo * sizeof(float));
      memcpy(row + qlo, src, (size_t)(qhi - qlo) * sizeof(float));
      memset(row + qhi, 0, (size_t)(ws - qhi) * sizeof(float));
    }
  }
  memset(slab + s->Cg * rows * ws, 0, (size_t)slabSlack(s) * sizeof(float));
}

/// A run of consecutive ow inside one panel row.
typedef struct Piece {
  int64_t lane; ///< first lane in the panel
  int64_t src;  ///< slab offset of its first element for k = 0
} Piece;

/// Copies NR floats taken every `sw` floats. The stride-1 and stride-2
/// cases get constant strides so that they vectorise.
CMB_INLINE void copyBlock(float *restrict d, const float *restrict src,
                          int64_t sw) {
  if (sw == 1) {
    memcpy(d, src, CMB_NR * sizeof(float));
  } else if (sw == 2) {
#if defined(__AVX512F__) && CMB_NR == 32
    // The even floats of four vectors: GCC's own vectorisation of the loop
    // below mixed in scalar inserts (measured 3x slower).
    _mm512_storeu_ps(d, cmb_even_lanes(_mm512_loadu_ps(src),
                                       _mm512_loadu_ps(src + 16)));
    _mm512_storeu_ps(d + 16, cmb_even_lanes(_mm512_loadu_ps(src + 32),
                                            _mm512_loadu_ps(src + 48)));
#else
    for (int t = 0; t < CMB_NR; ++t)
      d[t] = src[2 * t];
#endif
  } else {
    for (int t = 0; t < CMB_NR; ++t)
      d[t] = src[t * sw];
  }
}

void cmb_im2col_panels(const cmb_conv_shape *s, const float *x, int64_t j0,
                       int64_t ncols, float *slab, float *dst) {
  const int64_t OW = s->OW, K = s->K;
  const int64_t ws = slabWidth(s);
  const int64_t ohFirst = j0 / OW;
  const int64_t ohLast = (j0 + ncols - 1) / OW;
  const int64_t rows = slabRows(s, ohLast - ohFirst + 1);
  buildSlab(s, x, ohFirst * s->SH - s->PT, rows, ws, slab);

  // Slab shift of row k = (c, kh, kw), in k order.
  const int64_t planeStride = rows * ws;
  const int64_t numPanels = cmb_ceil_div(ncols, CMB_NR);
  for (int64_t p = 0; p < numPanels; ++p) {
    const int64_t lanes = cmb_min64(CMB_NR, ncols - p * CMB_NR);
    float *panel = dst + p * K * CMB_NR;

    // Offsets of each lane, and the runs they form.
    int64_t laneOff[CMB_NR];
    Piece pieces[CMB_NR];
    int numPieces = 0;
    // (oh, ow) of the panel's first column, then stepped: a division per
    // lane cost more than the copies of a shallow (3-channel) im2col.
    int64_t oh = (j0 + p * CMB_NR) / OW, ow = (j0 + p * CMB_NR) % OW;
    for (int64_t l = 0; l < lanes; ++l) {
      laneOff[l] = (oh - ohFirst) * s->SH * ws + ow * s->SW;
      if (l == 0 || ow == 0) {
        pieces[numPieces].lane = l;
        pieces[numPieces].src = laneOff[l];
        ++numPieces;
      }
      if (++ow == OW) {
        ow = 0;
        ++oh;
      }
    }

    const int runs = lanes == CMB_NR && numPieces * 4 <= CMB_NR;
    float *d = panel;
    for (int64_t c = 0; c < s->Cg; ++c) {
      for (int64_t kh = 0; kh < s->KH; ++kh) {
        for (int64_t kw = 0; kw < s->KW; ++kw, d += CMB_NR) {
          const float *src =
              slab + c * planeStride + kh * s->DH * ws + kw * s->DW;
          if (runs) {
            // Ascending lanes: each block's overrun is rewritten by the next
            // piece, or by the next row (the last row of the last panel
            // overruns into the caller's slack).
            for (int q = 0; q < numPieces; ++q)
              copyBlock(d + pieces[q].lane, src + pieces[q].src, s->SW);
          } else {
            int64_t l = 0;
            for (; l < lanes; ++l)
              d[l] = src[laneOff[l]];
            for (; l < CMB_NR; ++l)
              d[l] = 0.0f;
          }
        }
      }
    }
  }
}
