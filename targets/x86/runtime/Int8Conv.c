//===- Int8Conv.c - int8 convolution, output pixels in vector lanes -------===//
//
// cmb_x86_qconv2d computes Y[F][P] = W[F][K] X'[K][P] per image with the
// int8 micro-kernels (Int8Gemm.h): the weights, packed by the compiler in
// panels of CMB_Q_ROW_PANEL channels, are the broadcast (signed) side, and
// the pixels are the vector (unsigned) side, so a tile's rows are output
// channels and its columns output pixels: stored row by row, that is NCHW.
//
//  1. X' is written in k-quads, [K4][Pp][4] bytes (Pp = P rounded up to a
//     tile): k-quad (kh, kw, c/4) holds, for every output pixel, the four
//     channels c..c+3 at that tap, shifted to uint8, or the zero point where
//     the tap falls in the padding. Four input rows interleave into one
//     output run with byte unpacks, so a 1x1 stride-1 convolution costs one
//     pass over its input and no im2col.
//  2. The tiles: each accumulates its whole K in registers and stores its
//     outputs once, requantized. When X' is small (late stages: 7x7, 14x14)
//     a task runs a block of weight panels over every pixel tile, so the
//     weights (the large operand there) are read once; otherwise a task is
//     a pixel tile (K x QNR bytes, in L1) under every weight panel.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Int8Gemm.h"
#include "targets/x86/runtime/Int8Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Scratch.h"
#include "targets/x86/runtime/ThreadPool.h"

#include <emmintrin.h>
#include <string.h>

/// Below this many bytes of X' the weights loop outside the pixels.
enum { kSmallColsBytes = 512 * 1024 };

typedef struct QConvJob {
  int64_t C, H, W, F, KH, KW, OH, OW, SH, SW, DH, DW, PT, PL;
  int64_t P, Pp, CQ, K4, Fp, esize;
  uint8_t flip, zx;       ///< 0x80 for int8 input; the zero point as uint8
  const uint8_t *x;       ///< this image
  uint8_t *cols;          ///< X', [K4][Pp][4]
  const int8_t *wp;
  const int32_t *table;
  char *y;                ///< this image's output planes
  qstage stage;
  int64_t rowPanels, pixTiles;
  int64_t rowBlocks, pixBlocks;
  int weightsOuter;
} QConvJob;

//===----------------------------------------------------------------------===//
// Step 1: X' in k-quads
//===----------------------------------------------------------------------===//

/// dst[4 i + j] = r_j[i] ^ flip for i in [0, n): four rows of bytes
/// interleaved, 16 at a time with SSE2 (every archive has it).
static void interleave4(const uint8_t *r0, const uint8_t *r1,
                        const uint8_t *r2, const uint8_t *r3, int64_t n,
                        uint8_t flip, uint8_t *dst) {
  const __m128i f = _mm_set1_epi8((char)flip);
  int64_t i = 0;
  for (; i + 16 <= n; i += 16, dst += 64) {
    const __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(r0 + i)), f);
    const __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(r1 + i)), f);
    const __m128i c = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(r2 + i)), f);
    const __m128i d = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(r3 + i)), f);
    const __m128i abLo = _mm_unpacklo_epi8(a, b), abHi = _mm_unpackhi_epi8(a, b);
    const __m128i cdLo = _mm_unpacklo_epi8(c, d), cdHi = _mm_unpackhi_epi8(c, d);
    _mm_storeu_si128((__m128i *)dst, _mm_unpacklo_epi16(abLo, cdLo));
    _mm_storeu_si128((__m128i *)(dst + 16), _mm_unpackhi_epi16(abLo, cdLo));
    _mm_storeu_si128((__m128i *)(dst + 32), _mm_unpacklo_epi16(abHi, cdHi));
    _mm_storeu_si128((__m128i *)(dst + 48), _mm_unpackhi_epi16(abHi, cdHi));
  }
  for (; i < n; ++i, dst += 4) {
    dst[0] = r0[i] ^ flip;
    dst[1] = r1[i] ^ flip;
    dst[2] = r2[i] ^ flip;
    dst[3] = r3[i] ^ flip;
  }
}

/// interleave4 of every second byte: dst[4 i + j] = r_j[2 i] ^ flip, with
/// `avail` bytes readable at each r_j. The even bytes of 32 come out of two
/// loads by a mask and an unsigned pack.
static void interleave4Stride2(const uint8_t *r0, const uint8_t *r1,
                               const uint8_t *r2, const uint8_t *r3, int64_t n,
                               int64_t avail, uint8_t flip, uint8_t *dst) {
  const __m128i f = _mm_set1_epi8((char)flip);
  const __m128i low = _mm_set1_epi16(0x00FF);
#define CMB_EVEN(r)                                                            \
  _mm_xor_si128(                                                               \
      _mm_packus_epi16(                                                        \
          _mm_and_si128(_mm_loadu_si128((const __m128i *)((r) + 2 * i)), low), \
          _mm_and_si128(                                                       \
              _mm_loadu_si128((const __m128i *)((r) + 2 * i + 16)), low)),     \
      f)
  int64_t i = 0;
  for (; i + 16 <= n && 2 * i + 32 <= avail; i += 16, dst += 64) {
    const __m128i a = CMB_EVEN(r0), b = CMB_EVEN(r1);
    const __m128i c = CMB_EVEN(r2), d = CMB_EVEN(r3);
    const __m128i abLo = _mm_unpacklo_epi8(a, b), abHi = _mm_unpackhi_epi8(a, b);
    const __m128i cdLo = _mm_unpacklo_epi8(c, d), cdHi = _mm_unpackhi_epi8(c, d);
    _mm_storeu_si128((__m128i *)dst, _mm_unpacklo_epi16(abLo, cdLo));
    _mm_storeu_si128((__m128i *)(dst + 16), _mm_unpackhi_epi16(abLo, cdLo));
    _mm_storeu_si128((__m128i *)(dst + 32), _mm_unpacklo_epi16(abHi, cdHi));
    _mm_storeu_si128((__m128i *)(dst + 48), _mm_unpackhi_epi16(abHi, cdHi));
  }
#undef CMB_EVEN
  for (; i < n; ++i, dst += 4) {
    dst[0] = r0[2 * i] ^ flip;
    dst[1] = r1[2 * i] ^ flip;
    dst[2] = r2[2 * i] ^ flip;
    dst[3] = r3[2 * i] ^ flip;
  }
}

/// n pixels of the zero point.
static void fillZero(uint8_t *dst, int64_t n, uint8_t zx) {
  memset(dst, zx, (size_t)(4 * n));
}

/// K-quad `task` = (kh, kw, cq) of X'. Channels past C repeat the last one:
/// their weights are zero.
static void colsTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const QConvJob *j = (const QConvJob *)ctx;
  const int64_t tap = task / j->CQ, cq = task % j->CQ;
  const int64_t kh = tap / j->KW, kw = tap % j->KW;
  const uint8_t *plane[4];
  for (int i = 0; i < 4; ++i)
    plane[i] = j->x + cmb_min64(4 * cq + i, j->C - 1) * j->H * j->W;
  uint8_t *dst = j->cols + task * j->Pp * 4;
  const int direct = j->KH == 1 && j->KW == 1 && j->SH == 1 && j->SW == 1 &&
                     j->PT == 0 && j->PL == 0 && j->OH == j->H &&
                     j->OW == j->W;
  if (direct) {
    interleave4(plane[0], plane[1], plane[2], plane[3], j->P, j->flip, dst);
    return;
  }
  // Output columns whose input column is inside the row: 0 <= iw < W.
  const int64_t off = kw * j->DW - j->PL;
  const int64_t owLo =
      cmb_min64(j->OW, off >= 0 ? 0 : cmb_ceil_div(-off, j->SW));
  const int64_t owHi = cmb_max64(
      owLo, cmb_min64(j->OW, j->W - off > 0 ? cmb_ceil_div(j->W - off, j->SW)
                                            : 0));
  for (int64_t oh = 0; oh < j->OH; ++oh, dst += 4 * j->OW) {
    const int64_t ih = oh * j->SH - j->PT + kh * j->DH;
    if (ih < 0 || ih >= j->H) {
      fillZero(dst, j->OW, j->zx);
      continue;
    }
    fillZero(dst, owLo, j->zx);
    const uint8_t *r[4];
    for (int i = 0; i < 4; ++i)
      r[i] = plane[i] + ih * j->W + off;
    if (j->SW == 1) {
      interleave4(r[0] + owLo, r[1] + owLo, r[2] + owLo, r[3] + owLo,
                  owHi - owLo, j->flip, dst + 4 * owLo);
    } else if (j->SW == 2) {
      const int64_t from = owLo * 2;
      interleave4Stride2(r[0] + from, r[1] + from, r[2] + from, r[3] + from,
                         owHi - owLo, j->W - (off + from), j->flip,
                         dst + 4 * owLo);
    } else {
      for (int64_t ow = owLo; ow < owHi; ++ow)
        for (int i = 0; i < 4; ++i)
          dst[4 * ow + i] = r[i][ow * j->SW] ^ j->flip;
    }
    fillZero(dst + 4 * owHi, j->OW - owHi, j->zx);
  }
}

//===----------------------------------------------------------------------===//
// Step 2: the tiles
//===----------------------------------------------------------------------===//

/// Weight panel r (all its micro-kernel rows) against pixel tile t.
static void tile(const QConvJob *j, int64_t r, int64_t t) {
  cmb_q_tile out = {NULL, j->P, 0, j->table, j->Fp, 0, 1, &j->stage};
  const int64_t p0 = t * QNR;
  out.cols = cmb_min64(QNR, j->P - p0);
  const uint8_t *cols = j->cols + p0 * 4;
  const uint8_t *w =
      (const uint8_t *)j->wp + r * j->K4 * CMB_Q_ROW_PANEL * 4;
  for (int64_t s = 0; s < CMB_Q_ROW_PANEL / QMR; ++s) {
    const int64_t f0 = r * CMB_Q_ROW_PANEL + s * QMR;
    if (f0 >= j->F)
      break;
    const int m = (int)cmb_min64(QMR, j->F - f0);
    out.c = j->y + (f0 * j->P + p0) * j->esize;
    out.chan0 = f0;
    cmb_q_ukernel(/*rowsSigned=*/1, m)(j->K4, w + s * QMR * 4,
                                       CMB_Q_ROW_PANEL * 4, cols, j->Pp * 4,
                                       &out);
  }
}

static void tilesTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const QConvJob *j = (const QConvJob *)ctx;
  const int64_t rb = task % j->rowBlocks, pb = task / j->rowBlocks;
  const int64_t r0 = rb * j->rowPanels / j->rowBlocks;
  const int64_t r1 = (rb + 1) * j->rowPanels / j->rowBlocks;
  const int64_t t0 = pb * j->pixTiles / j->pixBlocks;
  const int64_t t1 = (pb + 1) * j->pixTiles / j->pixBlocks;
  if (j->weightsOuter) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t t = t0; t < t1; ++t)
        tile(j, r, t);
  } else {
    for (int64_t t = t0; t < t1; ++t)
      for (int64_t r = r0; r < r1; ++r)
        tile(j, r, t);
  }
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

CMB_EXPORT void cmb_x86_qconv2d(const void *x, const int8_t *wPacked,
                                const int32_t *channels, void *y,
                                const int64_t *params) {
  QConvJob j;
  const int64_t N = params[CMB_QCONV_N];
  j.C = params[CMB_QCONV_C];
  j.H = params[CMB_QCONV_H];
  j.W = params[CMB_QCONV_W];
  j.F = params[CMB_QCONV_F];
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
  if (params[CMB_QCONV_GROUPS] != 1)
    cmb_fatal("qconv2d: grouped convolution (groups != 1)");
  if (N <= 0 || j.F <= 0 || j.OH <= 0 || j.OW <= 0)
    return;
  const int xSigned = params[CMB_QCONV_X_SIGNED] != 0;
  j.flip = xSigned ? 0x80 : 0;
  j.zx = (uint8_t)cmb_q_zero_point_u8((int32_t)params[CMB_QCONV_ZX], xSigned);
  j.stage.mode = (int)params[CMB_QCONV_OUT];
  j.stage.zy = (int32_t)params[CMB_QCONV_ZY];
  j.stage.qlo = (int32_t)(params[CMB_QCONV_LO] - params[CMB_QCONV_ZY]);
  j.stage.qhi = (int32_t)(params[CMB_QCONV_HI] - params[CMB_QCONV_ZY]);
  if (j.stage.mode < CMB_Q_OUT_U8 || j.stage.mode > CMB_Q_OUT_F32)
    cmb_fatal("qconv2d: unknown output mode");
  j.esize = cmb_q_out_bytes(j.stage.mode);
  j.P = j.OH * j.OW;
  j.Pp = cmb_round_up(j.P, QNR);
  j.CQ = j.C > 0 ? cmb_ceil_div(j.C, 4) : 0;
  j.K4 = j.KH * j.KW * j.CQ;
  j.Fp = cmb_q_channels_padded(j.F);
  j.wp = wPacked;
  j.table = channels;
  j.rowPanels = cmb_ceil_div(j.F, CMB_Q_ROW_PANEL);
  j.pixTiles = j.Pp / QNR;
  const int64_t threads = cmb_pool_size();
  j.weightsOuter = j.K4 * j.Pp * 4 <= kSmallColsBytes;
  if (j.weightsOuter) {
    j.rowBlocks = cmb_min64(j.rowPanels, 4 * threads);
    j.pixBlocks = cmb_min64(j.pixTiles,
                            cmb_ceil_div(4 * threads, j.rowBlocks));
  } else {
    j.rowBlocks = 1;
    j.pixBlocks = j.pixTiles;
  }

  cmb_scratch buf = cmb_scratch_borrow();
  j.cols = (uint8_t *)cmb_scratch_reserve(&buf,
                                          (size_t)(j.K4 * j.Pp * 4) + 64);
  if (!j.cols)
    cmb_fatal("out of memory (qconv2d)");
  const int64_t inBytes = j.C * j.H * j.W, outBytes = j.F * j.P * j.esize;
  for (int64_t n = 0; n < N; ++n) {
    j.x = (const uint8_t *)x + n * inBytes;
    j.y = (char *)y + n * outBytes;
    if (j.K4 > 0)
      cmb_parallel_for(j.K4, colsTask, &j);
    cmb_parallel_for(j.rowBlocks * j.pixBlocks, tilesTask, &j);
  }
  cmb_scratch_return(buf);
}
