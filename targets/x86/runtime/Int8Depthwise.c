//===- Int8Depthwise.c - int8 depthwise convolution -----------------------===//
//
// A depthwise convolution reduces over only KH*KW taps per output, so the
// work is in the taps' loads and the requantization, not in long dot
// products. Two loops:
//
//  - Undilated 3x3 and 5x5 windows at stride 1 or 2 (every depthwise layer
//    of the MobileNets and EfficientNets) run in integers with vpdpbusd
//    (or its exact 16-bit fallback). One plane at a time, the input is
//    copied as uint8 into a plane padded with the zero point, so that every
//    tap is a plain read and sum_k x_u8 * w = acc + zx_u8 * sum_k w (the
//    bias takes the correction). A vector holds QL output columns; lane i's
//    32 bits are the four padded bytes S*i + kw, kw in [4q, 4q + 4) (the
//    taps of "quad" q of a kernel row, padded with zero weights), made from
//    one load by a dword permute (each 128-bit lane gets the 16 bytes its
//    four outputs read) and a byte shuffle. So a kernel row is one or two
//    dot-product instructions; R output rows are computed together and each
//    padded input row's quads feed every output row that reads it. Maps at
//    most QL / 2 wide (7x7) hold two output rows per vector (AVX-512).
//  - Every other window, stride or dilation computes in float, which is
//    exact here: x - zx and w are 9-bit and 8-bit integers, their products
//    16-bit, and a sum of at most 512 of them stays below 2^24, where every
//    integer is a float. Per plane the input, minus its zero point, is
//    written as SW float "phase planes" (phase r holds padded columns
//    r, r + SW, ...; the padding a real 0), after which tap (kh, kw) of
//    output (oh, ow) is a contiguous load at a fixed offset.
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

#if defined(CMB_Q_VECTOR_REQUANT)
/// Output rows computed together by the integer path (accumulators in
/// registers): at stride 1 each padded row is then made into quads once
/// for up to kRows output rows instead of once for each of K.
enum { kRows = 4 };

typedef struct QDirectJob {
  int64_t C, H, W, OH, OW, PT, PL;
  int64_t Hp, Wp, pitch; ///< padded rows, used columns, bytes per row
  int K, S, xSigned, vnni;
  int pairs; ///< two output rows per vector (narrow maps, AVX-512)
  uint8_t zxU8; ///< the zero point as uint8 (the padding)
  const uint8_t *x;
  const int8_t *w;
  const int32_t *table;
  int64_t Fp, esize;
  char *y;
  qstage stage;
} QDirectJob;

/// Whether the integer path takes a convolution: a square undilated 3x3 or
/// 5x5 window at the same stride 1 or 2 both ways.
static int directFits(const int64_t *params) {
  const int64_t K = params[CMB_QCONV_KH], S = params[CMB_QCONV_STRIDE_H];
  return (K == 3 || K == 5) && params[CMB_QCONV_KW] == K &&
         (S == 1 || S == 2) && params[CMB_QCONV_STRIDE_W] == S &&
         params[CMB_QCONV_DILATION_H] == 1 && params[CMB_QCONV_DILATION_W] == 1;
}

/// Lane i of quad vectors at stride S reads the padded bytes from S*i: one
/// dword permute gives each 128-bit lane (outputs 4l .. 4l + 3) the 16
/// bytes from S*4l, which hold every quad of its outputs (S*3 + 7 < 16).
CMB_INLINE qv quadSource(const uint8_t *p, const int S) {
#if defined(__AVX512F__)
  if (S == 1) {
    const __m512i idx = _mm512_setr_epi32(0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5,
                                          3, 4, 5, 6);
    return _mm512_permutexvar_epi32(
        idx, _mm512_castsi256_si512(
                 _mm256_loadu_si256((const __m256i *)(const void *)p)));
  }
  const __m512i idx =
      _mm512_setr_epi32(0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9);
  return _mm512_permutexvar_epi32(idx, _mm512_loadu_si512(p));
#else
  const __m256i idx = S == 1 ? _mm256_setr_epi32(0, 1, 2, 3, 1, 2, 3, 4)
                             : _mm256_setr_epi32(0, 1, 2, 3, 2, 3, 4, 5);
  return _mm256_permutevar8x32_epi32(
      _mm256_loadu_si256((const __m256i *)(const void *)p), idx);
#endif
}

/// The byte shuffle that makes quad q from quadSource's vector: byte j of
/// lane i (in a 128-bit lane) is byte S*i + 4q + j.
static qv quadPattern(int S, int q) {
  int32_t d[4];
  for (int i = 0; i < 4; ++i)
    d[i] = (int32_t)((uint32_t)(S * i + 4 * q) * 0x01010101u + 0x03020100u);
  const __m128i lane = _mm_setr_epi32(d[0], d[1], d[2], d[3]);
#if defined(__AVX512F__)
  return _mm512_broadcast_i32x4(lane);
#else
  return _mm256_broadcastsi128_si256(lane);
#endif
}

CMB_INLINE qv quadPick(qv src, qv pattern) {
#if defined(__AVX512F__)
  return _mm512_shuffle_epi8(src, pattern);
#else
  return _mm256_shuffle_epi8(src, pattern);
#endif
}

#if defined(__AVX512F__)
/// The same column vector of four output rows (accumulators, bias
/// included) requantized and stored as bytes, lanes [0, n) of each row
/// `ld` bytes apart: saturating packs to int16, the zero point added with
/// saturation, packs to the output type, one permute that puts row r in
/// 128-bit lane r, and the clamp on the bytes (exact: what saturates lies
/// beyond the clamp on the same side).
CMB_INLINE void storeFourRows(const qv *acc, const qvchan *vc,
                              const qstage *st, char *out, int64_t ld, int n) {
  const __m512i zy = _mm512_set1_epi16((short)st->zy);
  const __m512i a = _mm512_adds_epi16(
      _mm512_packs_epi32(qRequant(acc[0], vc), qRequant(acc[1], vc)), zy);
  const __m512i b = _mm512_adds_epi16(
      _mm512_packs_epi32(qRequant(acc[2], vc), qRequant(acc[3], vc)), zy);
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10,
                                          14, 3, 7, 11, 15);
  const __m512i lo = _mm512_set1_epi8((char)(st->qlo + st->zy));
  const __m512i hi = _mm512_set1_epi8((char)(st->qhi + st->zy));
  __m512i y;
  if (st->mode == CMB_Q_OUT_U8) {
    y = _mm512_permutexvar_epi32(order, _mm512_packus_epi16(a, b));
    y = _mm512_min_epu8(_mm512_max_epu8(y, lo), hi);
  } else {
    y = _mm512_permutexvar_epi32(order, _mm512_packs_epi16(a, b));
    y = _mm512_min_epi8(_mm512_max_epi8(y, lo), hi);
  }
  const __m128i r0 = _mm512_castsi512_si128(y);
  const __m128i r1 = _mm512_extracti32x4_epi32(y, 1);
  const __m128i r2 = _mm512_extracti32x4_epi32(y, 2);
  const __m128i r3 = _mm512_extracti32x4_epi32(y, 3);
  if (n == QL) {
    _mm_storeu_si128((__m128i *)(void *)out, r0);
    _mm_storeu_si128((__m128i *)(void *)(out + ld), r1);
    _mm_storeu_si128((__m128i *)(void *)(out + 2 * ld), r2);
    _mm_storeu_si128((__m128i *)(void *)(out + 3 * ld), r3);
  } else {
    const __mmask16 m = (__mmask16)((1u << n) - 1u);
    _mm_mask_storeu_epi8(out, m, r0);
    _mm_mask_storeu_epi8(out + ld, m, r1);
    _mm_mask_storeu_epi8(out + 2 * ld, m, r2);
    _mm_mask_storeu_epi8(out + 3 * ld, m, r3);
  }
}
#endif

/// R output rows (all constants but the data) from `in`, the padded row of
/// the block's first output row at tap row 0: accumulators start at the
/// corrected bias, take the K*NQ quads of each output row's taps, and are
/// requantized into `out` (the block's first output row).
CMB_INLINE void directBlock(const QDirectJob *j, const uint8_t *in, char *out,
                            const qv *wv, const qsplit *ws, const qv *pat,
                            qv bias, const qvchan *vc, qfv scale, const int K,
                            const int S, const int R, const int vnni) {
  const int NQ = (K + 3) / 4;
  const int64_t OW = j->OW, pitch = j->pitch, esize = j->esize;
  for (int64_t ow = 0; ow < OW; ow += QL) {
    qv acc[kRows];
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
      acc[r] = bias;
    const uint8_t *col = in + S * ow;
#pragma GCC unroll 12
    for (int ir = 0; ir < S * (R - 1) + K; ++ir) {
      const qv src = quadSource(col + ir * pitch, S);
#pragma GCC unroll 2
      for (int q = 0; q < NQ; ++q) {
        const qv xq = quadPick(src, pat[q]);
        if (vnni) {
#pragma GCC unroll 4
          for (int r = 0; r < R; ++r) {
            const int kh = ir - S * r;
            if (kh >= 0 && kh < K)
              acc[r] = qDotVnni(acc[r], xq, wv[kh * NQ + q]);
          }
        } else {
          const qsplit xs = qSplitU8(xq);
#pragma GCC unroll 4
          for (int r = 0; r < R; ++r) {
            const int kh = ir - S * r;
            if (kh >= 0 && kh < K)
              acc[r] = qDotExact(acc[r], xs, ws[kh * NQ + q]);
          }
        }
      }
    }
    const int n = (int)cmb_min64(QL, OW - ow);
#if defined(__AVX512F__)
    if (R == 4 && esize == 1) {
      storeFourRows(acc, vc, &j->stage, out + ow, OW, n);
      continue;
    }
#endif
#pragma GCC unroll 4
    for (int r = 0; r < R; ++r)
      qFinish(acc[r], vc, scale, &j->stage, out + (r * OW + ow) * esize, n);
  }
}

#if defined(__AVX512F__)
/// Rows of at most QL / 2 outputs (the 7x7 maps) waste over half of every
/// vector, so there a vector holds two output rows: lanes [0, 8) row oh,
/// [8, 16) row oh + 1, whose taps read padded rows S apart. The "pair row"
/// ir is padded rows ir and ir + S; its quads come from one load of each
/// and one dword permute (128-bit lanes 2 and 3 read the second row).
CMB_INLINE qv quadSourcePair(const uint8_t *p0, const uint8_t *p1,
                             const int S) {
  const __m512i v = _mm512_inserti64x4(
      _mm512_castsi256_si512(_mm256_loadu_si256((const __m256i *)(const void *)p0)),
      _mm256_loadu_si256((const __m256i *)(const void *)p1), 1);
  const __m512i idx =
      S == 1 ? _mm512_setr_epi32(0, 1, 2, 3, 1, 2, 3, 4, 8, 9, 10, 11, 9, 10,
                                 11, 12)
             : _mm512_setr_epi32(0, 1, 2, 3, 2, 3, 4, 5, 8, 9, 10, 11, 10, 11,
                                 12, 13);
  return _mm512_permutexvar_epi32(idx, v);
}

/// Output rows [oh0, oh0 + 2R) (R pairs; rows past OH are computed from
/// zero-point padding and not stored) of a map with OW <= QL / 2: `in` is
/// the padded row of row oh0 at tap row 0, `out` row oh0.
CMB_INLINE void pairBlock(const QDirectJob *j, const uint8_t *in, char *out,
                          int64_t oh0, const qv *wv, const qsplit *ws,
                          const qv *pat, qv bias, const qvchan *vc, qfv scale,
                          const int K, const int S, const int R,
                          const int vnni) {
  const int NQ = (K + 3) / 4;
  const int64_t OW = j->OW, pitch = j->pitch, esize = j->esize;
  qv acc[kRows];
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r)
    acc[r] = bias;
  // Pair r's output rows 2r, 2r + 1 read pair rows 2S r + kh.
#pragma GCC unroll 16
  for (int ir = 0; ir < 2 * S * (R - 1) + K; ++ir) {
    const qv src =
        quadSourcePair(in + ir * pitch, in + (ir + S) * pitch, S);
#pragma GCC unroll 2
    for (int q = 0; q < NQ; ++q) {
      const qv xq = quadPick(src, pat[q]);
      if (vnni) {
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const int kh = ir - 2 * S * r;
          if (kh >= 0 && kh < K)
            acc[r] = qDotVnni(acc[r], xq, wv[kh * NQ + q]);
        }
      } else {
        const qsplit xs = qSplitU8(xq);
#pragma GCC unroll 4
        for (int r = 0; r < R; ++r) {
          const int kh = ir - 2 * S * r;
          if (kh >= 0 && kh < K)
            acc[r] = qDotExact(acc[r], xs, ws[kh * NQ + q]);
        }
      }
    }
  }
  const __mmask8 m8 = (__mmask8)((1u << OW) - 1u);
  const __mmask16 m16 = m8;
#pragma GCC unroll 4
  for (int r = 0; r < R; ++r) {
    char *row = out + 2 * r * OW * esize;
    if (oh0 + 2 * r >= j->OH)
      break;
    const int second = oh0 + 2 * r + 1 < j->OH;
    if (esize == 1) { // in registers: no store forwarding across halves
      qv q = qRequant(acc[r], vc);
      q = QV_MIN(QV_MAX(q, QV_SET1(j->stage.qlo)), QV_SET1(j->stage.qhi));
      const __m128i b = _mm512_cvtepi32_epi8(QV_ADD(q, QV_SET1(j->stage.zy)));
      _mm_mask_storeu_epi8(row, m16, b);
      if (second)
        _mm_mask_storeu_epi8(row + OW, m16, _mm_srli_si128(b, 8));
    } else {
      char tmp[QL * 4];
      qFinish(acc[r], vc, scale, &j->stage, tmp, QL);
      _mm256_mask_storeu_epi32(row, m8,
                               _mm256_loadu_si256((const __m256i *)tmp));
      if (second)
        _mm256_mask_storeu_epi32(
            row + OW * 4, m8, _mm256_loadu_si256((const __m256i *)(tmp + 32)));
    }
  }
}
#endif

/// n bytes from src to dst, each xor `flip` (int8 -> uint8: the sign bit).
/// In vectors and a masked or byte tail: the rows of late layers are a few
/// dozen bytes, where library calls cost more than the copy.
CMB_INLINE void copyFlipped(uint8_t *dst, const uint8_t *src, int64_t n,
                            qv flip) {
  int64_t k = 0;
  for (; k + QL * 4 <= n; k += QL * 4) {
#if defined(__AVX512F__)
    _mm512_storeu_si512(dst + k, _mm512_xor_si512(QV_LOAD(src + k), flip));
#else
    _mm256_storeu_si256((__m256i *)(void *)(dst + k),
                        _mm256_xor_si256(QV_LOAD(src + k), flip));
#endif
  }
  if (k < n) {
#if defined(__AVX512F__)
    const __mmask64 m = (__mmask64)(~0ull >> (64 - (n - k)));
    _mm512_mask_storeu_epi8(
        dst + k, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, src + k), flip));
#else
    const uint8_t f = (uint8_t)_mm256_extract_epi8(flip, 0);
    for (; k < n; ++k)
      dst[k] = src[k] ^ f;
#endif
  }
}

/// Copies plane `task` into `pad`, padded with the zero point: padded row r
/// is input row r - PT, padded column c input column c - PL; as uint8.
static void padPlane(const QDirectJob *j, int64_t task, uint8_t *pad) {
  const uint8_t *plane = j->x + task * j->H * j->W;
  const qv fill = QV_SET1((int32_t)(j->zxU8 * 0x01010101u));
  const qv flip = QV_SET1(j->xSigned ? (int32_t)0x80808080u : 0);
  const int64_t n = cmb_max64(0, cmb_min64(j->W, j->Wp - j->PL));
  // The zero point everywhere (the buffer is whole vectors long), then the
  // input rows over it.
  for (int64_t i = 0; i < j->Hp * j->pitch; i += QL * 4) {
#if defined(__AVX512F__)
    _mm512_storeu_si512(pad + i, fill);
#else
    _mm256_storeu_si256((__m256i *)(void *)(pad + i), fill);
#endif
  }
  if (n == 0)
    return;
  const int64_t r0 = cmb_max64(0, j->PT), r1 = cmb_min64(j->Hp, j->PT + j->H);
  for (int64_t r = r0; r < r1; ++r)
    copyFlipped(pad + r * j->pitch + j->PL, plane + (r - j->PT) * j->W, n,
                flip);
}

/// One plane by the integer path, K, S and vnni constants.
CMB_INLINE void directPlane(const QDirectJob *j, int64_t task,
                            cmb_scratch *scratch, const int K, const int S,
                            const int vnni) {
  const int NQ = (K + 3) / 4;
  const int64_t c = task % j->C;
  uint8_t *pad = (uint8_t *)cmb_scratch_reserve(
      scratch, (size_t)cmb_round_up(j->Hp * j->pitch, QL * 4));
  if (!pad)
    cmb_fatal("out of memory (qconv2d_depthwise)");
  padPlane(j, task, pad);

  // The weights as quads (zero past KW); the zero point's share of the sum
  // goes into the bias, in wrapping int32 arithmetic like the accumulator.
  qv wv[5 * 2];
  qsplit ws[5 * 2];
  const int8_t *wc = j->w + c * K * K;
  int32_t wsum = 0;
  for (int kh = 0; kh < K; ++kh)
    for (int q = 0; q < NQ; ++q) {
      uint8_t b[4] = {0, 0, 0, 0};
      for (int i = 0; i < 4 && 4 * q + i < K; ++i) {
        b[i] = (uint8_t)wc[kh * K + 4 * q + i];
        wsum += wc[kh * K + 4 * q + i];
      }
      wv[kh * NQ + q] = qBroadcast4(b);
      ws[kh * NQ + q] = qSplitS8(wv[kh * NQ + q]);
    }
  const qchan ch = qChannel(j->table, j->Fp, c);
  const qv bias = QV_SET1(
      (int32_t)((uint32_t)ch.bias - (uint32_t)j->zxU8 * (uint32_t)wsum));
  const qvchan vc = qVChannel(0, ch.mult, ch.shift);
  const qfv scale = QF_SET1(ch.scale);
  qv pat[2];
  for (int q = 0; q < NQ; ++q)
    pat[q] = quadPattern(S, q);

  char *out = j->y + task * j->OH * j->OW * j->esize;
  int64_t oh = 0;
#if defined(__AVX512F__)
  if (j->pairs) {
    // Whole blocks: rows past OH read zero-point rows and are not stored.
    for (; oh < j->OH; oh += 2 * kRows)
      pairBlock(j, pad + oh * S * j->pitch, out + oh * j->OW * j->esize, oh,
                wv, ws, pat, bias, &vc, scale, K, S, kRows, vnni);
    return;
  }
#endif
  for (; oh + kRows <= j->OH; oh += kRows)
    directBlock(j, pad + oh * S * j->pitch, out + oh * j->OW * j->esize, wv,
                ws, pat, bias, &vc, scale, K, S, kRows, vnni);
  for (; oh < j->OH; ++oh)
    directBlock(j, pad + oh * S * j->pitch, out + oh * j->OW * j->esize, wv,
                ws, pat, bias, &vc, scale, K, S, 1, vnni);
}

static void directTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  const QDirectJob *j = (const QDirectJob *)ctx;
#define CMB_DIRECT_CASE(KS, SS)                                                \
  if (j->K == KS && j->S == SS) {                                              \
    if (j->vnni)                                                               \
      directPlane(j, task, scratch, KS, SS, 1);                                \
    else                                                                       \
      directPlane(j, task, scratch, KS, SS, 0);                                \
    return;                                                                    \
  }
  CMB_DIRECT_CASE(3, 1)
  CMB_DIRECT_CASE(3, 2)
  CMB_DIRECT_CASE(5, 1)
  CMB_DIRECT_CASE(5, 2)
#undef CMB_DIRECT_CASE
}

/// The integer path (directFits), over all N*C planes.
static void directConv(const void *x, const int8_t *w, const int32_t *channels,
                       void *y, const int64_t *params, const qstage *stage) {
  QDirectJob j;
  const int64_t N = params[CMB_QCONV_N];
  j.C = params[CMB_QCONV_C];
  j.H = params[CMB_QCONV_H];
  j.W = params[CMB_QCONV_W];
  j.OH = params[CMB_QCONV_OH];
  j.OW = params[CMB_QCONV_OW];
  j.PT = params[CMB_QCONV_PAD_TOP];
  j.PL = params[CMB_QCONV_PAD_LEFT];
  j.K = (int)params[CMB_QCONV_KH];
  j.S = (int)params[CMB_QCONV_STRIDE_H];
  j.xSigned = params[CMB_QCONV_X_SIGNED] != 0;
  j.vnni = cmb_q_vnni();
  j.zxU8 = (uint8_t)cmb_q_zero_point_u8((int32_t)params[CMB_QCONV_ZX],
                                        j.xSigned);
  j.stage = *stage;
  j.esize = cmb_q_out_bytes(stage->mode);
#if defined(__AVX512F__)
  j.pairs = 2 * j.OW <= QL;
#else
  j.pairs = 0;
#endif
  // Paired rows run in whole blocks of 2 * kRows rows, past OH on padding.
  j.Hp = ((j.pairs ? cmb_round_up(j.OH, 2 * kRows) : j.OH) - 1) * j.S + j.K;
  j.Wp = (j.OW - 1) * j.S + j.K;
  // quadSource reads up to 64 bytes from a vector's first column,
  // quadSourcePair 32 from a row's start.
  const int64_t lastVector = cmb_round_up(j.OW, QL) - QL;
  j.pitch = j.pairs ? cmb_round_up(cmb_max64(j.Wp, 32), 32)
                    : cmb_round_up(cmb_max64(j.Wp, j.S * lastVector + 64),
                                   QL * 4);
  j.x = (const uint8_t *)x;
  j.w = w;
  j.table = channels;
  j.Fp = cmb_q_channels_padded(j.C);
  j.y = (char *)y;
  cmb_parallel_for(N * j.C, directTask, &j);
}
#endif

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
#if defined(CMB_Q_VECTOR_REQUANT)
  if (directFits(params)) {
    directConv(x, w, channels, y, params, &j.stage);
    return;
  }
#endif
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
