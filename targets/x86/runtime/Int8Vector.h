//===- Int8Vector.h - Integer vectors of the int8 kernels -*- C -*-===//
//
// The operations the int8 kernels are written in, for the ISA level of the
// translation unit: int32 lanes in zmm (AVX-512), ymm (AVX2) or xmm (SSE2).
//
//  - qDotVnni: vpdpbusd, in inline assembly so that one archive carries it
//    next to the fallback without target attributes on every caller; only
//    run when the CPU has it (cmb_q_vnni).
//  - qDotExact: the same sums with 16-bit multiplies. vpmaddubsw would
//    saturate (255 * 127 * 2 > 32767), so the bytes are widened to 16 bits
//    (even and odd bytes apart) and multiplied pairwise by vpmaddwd.
//  - qRequant: round_half_even(float(float(a) * M)) with M = mult / 2^shift,
//    one float32 multiply and one rounding conversion, as Int8Kernels.h
//    defines it (AVX2 and AVX-512; the generic archive in scalar code).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_INT8VECTOR_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_INT8VECTOR_H

#include "targets/x86/runtime/Int8Kernels.h"
#include "targets/x86/runtime/Runtime.h"

#include <immintrin.h>
#include <math.h>
#include <string.h>

#pragma GCC visibility push(hidden)

#if defined(__AVX512F__) && defined(__AVX512BW__)
typedef __m512i qv;
#define QL 16
#define QV_ZERO() _mm512_setzero_si512()
#define QV_LOAD(p) _mm512_loadu_si512((const void *)(p))
#define QV_SET1(x) _mm512_set1_epi32(x)
#define QV_SET1_64(x) _mm512_set1_epi64(x)
#define QV_ADD(a, b) _mm512_add_epi32(a, b)
#define QV_AND(a, b) _mm512_and_si512(a, b)
#define QV_SRLI16(a, n) _mm512_srli_epi16(a, n)
#define QV_SLLI16(a, n) _mm512_slli_epi16(a, n)
#define QV_SRAI16(a, n) _mm512_srai_epi16(a, n)
#define QV_MADD16(a, b) _mm512_madd_epi16(a, b)
#define QV_MUL32(a, b) _mm512_mul_epi32(a, b)
#define QV_ADD64(a, b) _mm512_add_epi64(a, b)
#define QV_SUB64(a, b) _mm512_sub_epi64(a, b)
#define QV_SRLI64(a, n) _mm512_srli_epi64(a, n)
#define QV_SLLI64(a, n) _mm512_slli_epi64(a, n)
#define QV_SRLV64(a, n) _mm512_srlv_epi64(a, n)
#define QV_SLLV64(a, n) _mm512_sllv_epi64(a, n)
#define QV_ODD32(e, o) _mm512_mask_blend_epi32((__mmask16)0xAAAA, e, o)
#define QV_MIN(a, b) _mm512_min_epi32(a, b)
#define QV_MAX(a, b) _mm512_max_epi32(a, b)
#define QV_DOT_ASM "vpdpbusd %2, %1, %0"
typedef __m512 qfv;
#define QF_CVT(a) _mm512_cvtepi32_ps(a)
#define QF_MUL(a, b) _mm512_mul_ps(a, b)
#define QF_SET1(x) _mm512_set1_ps(x)
#define QF_LOAD(p) _mm512_loadu_ps(p)
#define QF_CAST_I(a) _mm512_castps_si512(a)
#define QF_CAST_F(a) _mm512_castsi512_ps(a)
#define QF_CVT_RNE(a) _mm512_cvtps_epi32(a)
#define QV_POW2_NEG(n) _mm512_slli_epi32(_mm512_sub_epi32(_mm512_set1_epi32(127), n), 23)
#define QV_DOT_REG "v"
#elif defined(__AVX2__)
typedef __m256i qv;
#define QL 8
#define QV_ZERO() _mm256_setzero_si256()
#define QV_LOAD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define QV_SET1(x) _mm256_set1_epi32(x)
#define QV_SET1_64(x) _mm256_set1_epi64x(x)
#define QV_ADD(a, b) _mm256_add_epi32(a, b)
#define QV_AND(a, b) _mm256_and_si256(a, b)
#define QV_SRLI16(a, n) _mm256_srli_epi16(a, n)
#define QV_SLLI16(a, n) _mm256_slli_epi16(a, n)
#define QV_SRAI16(a, n) _mm256_srai_epi16(a, n)
#define QV_MADD16(a, b) _mm256_madd_epi16(a, b)
#define QV_MUL32(a, b) _mm256_mul_epi32(a, b)
#define QV_ADD64(a, b) _mm256_add_epi64(a, b)
#define QV_SUB64(a, b) _mm256_sub_epi64(a, b)
#define QV_SRLI64(a, n) _mm256_srli_epi64(a, n)
#define QV_SLLI64(a, n) _mm256_slli_epi64(a, n)
#define QV_SRLV64(a, n) _mm256_srlv_epi64(a, n)
#define QV_SLLV64(a, n) _mm256_sllv_epi64(a, n)
#define QV_ODD32(e, o) _mm256_blend_epi32(e, o, 0xAA)
#define QV_MIN(a, b) _mm256_min_epi32(a, b)
#define QV_MAX(a, b) _mm256_max_epi32(a, b)
// AVX-VNNI: the VEX form, ymm0-15 only. ({vex} is written %{vex%} because
// braces separate assembler dialects in GCC templates.)
#define QV_DOT_ASM "%{vex%} vpdpbusd %2, %1, %0"
typedef __m256 qfv;
#define QF_CVT(a) _mm256_cvtepi32_ps(a)
#define QF_MUL(a, b) _mm256_mul_ps(a, b)
#define QF_SET1(x) _mm256_set1_ps(x)
#define QF_LOAD(p) _mm256_loadu_ps(p)
#define QF_CAST_I(a) _mm256_castps_si256(a)
#define QF_CAST_F(a) _mm256_castsi256_ps(a)
#define QF_CVT_RNE(a) _mm256_cvtps_epi32(a)
#define QV_POW2_NEG(n) _mm256_slli_epi32(_mm256_sub_epi32(_mm256_set1_epi32(127), n), 23)
#define QV_DOT_REG "x"
#else
typedef __m128i qv;
#define QL 4
#define QV_ZERO() _mm_setzero_si128()
#define QV_LOAD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define QV_SET1(x) _mm_set1_epi32(x)
#define QV_ADD(a, b) _mm_add_epi32(a, b)
#define QV_AND(a, b) _mm_and_si128(a, b)
#define QV_SRLI16(a, n) _mm_srli_epi16(a, n)
#define QV_SLLI16(a, n) _mm_slli_epi16(a, n)
#define QV_SRAI16(a, n) _mm_srai_epi16(a, n)
#define QV_MADD16(a, b) _mm_madd_epi16(a, b)
#endif

#if defined(QV_DOT_ASM)
/// Whether requantization runs in vector registers (else in scalar code).
#define CMB_Q_VECTOR_REQUANT 1
#endif

/// Whether this archive may use VNNI now: the CPU has it and
/// cmb_x86_int8_use_vnni did not turn it off (Int8Gemm.c).
int cmb_q_vnni(void);

/// Four bytes at p as one int32 lane value, in every lane.
CMB_INLINE qv qBroadcast4(const void *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return QV_SET1(v);
}

#if defined(QV_DOT_ASM)
/// acc += sum of the four u8 x s8 products of each 32-bit lane (vpdpbusd).
CMB_INLINE qv qDotVnni(qv acc, qv u, qv s) {
  __asm__(QV_DOT_ASM : "+" QV_DOT_REG(acc) : QV_DOT_REG(u), QV_DOT_REG(s));
  return acc;
}
#endif

/// The bytes of a vector split for qDotExact: even and odd bytes widened to
/// 16 bits, zero-extended (u8 operand) or sign-extended (s8 operand).
typedef struct qsplit {
  qv even, odd;
} qsplit;

CMB_INLINE qsplit qSplitU8(qv u) {
  qsplit r = {QV_AND(u, QV_SET1(0x00FF00FF)), QV_SRLI16(u, 8)};
  return r;
}

CMB_INLINE qsplit qSplitS8(qv s) {
  qsplit r = {QV_SRAI16(QV_SLLI16(s, 8), 8), QV_SRAI16(s, 8)};
  return r;
}

/// qDotVnni without VNNI, on split operands: exact, since each 16-bit
/// product is at most 255 * 128 and vpmaddwd adds pairs into 32 bits.
CMB_INLINE qv qDotExact(qv acc, qsplit u, qsplit s) {
  return QV_ADD(acc, QV_ADD(QV_MADD16(u.even, s.even),
                            QV_MADD16(u.odd, s.odd)));
}

/// One output channel's requantization, once per row or column of a tile.
typedef struct qchan {
  int32_t bias, mult, shift;
  float scale; ///< CMB_Q_OUT_F32
} qchan;

/// Reads channel f of a channel table whose arrays are Fp long.
CMB_INLINE qchan qChannel(const int32_t *table, int64_t Fp, int64_t f) {
  qchan c;
  c.bias = table[f];
  c.mult = table[Fp + f];
  c.shift = table[2 * Fp + f];
  memcpy(&c.scale, &table[Fp + f], sizeof c.scale);
  return c;
}

/// The output stage shared by every int8 kernel: type and clamp.
typedef struct qstage {
  int mode;          ///< CMB_Q_OUT_*
  int32_t zy;        ///< output zero point
  int32_t qlo, qhi;  ///< the clamp minus zy, applied before adding it
} qstage;

/// round_half_even(float(float(acc) * M)), M = mult / 2^shift (exact in
/// float32: mult has 24 significant bits), as the contract of
/// Int8Kernels.h says: the conversions and the product round to nearest
/// even (the default rounding mode).
CMB_INLINE int32_t qRequantScalar(int32_t acc, int32_t mult, int32_t shift) {
  const float m = ldexpf((float)mult, -shift);
  return (int32_t)lrintf((float)acc * m);
}

/// One finished value: the output stage of `c` applied to acc (bias
/// included), stored at element i of dst.
CMB_INLINE void qStoreScalar(int32_t acc, qchan c, const qstage *st,
                             void *dst, int64_t i) {
  switch (st->mode) {
  case CMB_Q_OUT_I32:
    ((int32_t *)dst)[i] = acc;
    return;
  case CMB_Q_OUT_F32:
    ((float *)dst)[i] = (float)acc * c.scale;
    return;
  default: {
    int32_t q = qRequantScalar(acc, c.mult, c.shift);
    q = q < st->qlo ? st->qlo : q > st->qhi ? st->qhi : q;
    q += st->zy;
    if (st->mode == CMB_Q_OUT_U8)
      ((uint8_t *)dst)[i] = (uint8_t)q;
    else
      ((int8_t *)dst)[i] = (int8_t)q;
  }
  }
}

#if defined(CMB_Q_VECTOR_REQUANT)
/// Requantization constants of QL channels (or one, in every lane).
typedef struct qvchan {
  qv bias;
  qfv factor; ///< mult / 2^shift, exact in float32
} qvchan;

CMB_INLINE qvchan qVChannels(qv bias, qv mult, qv shift) {
  qvchan c;
  c.bias = bias;
  // 2^-shift from its exponent bits (shift <= 62: a normal float).
  c.factor = QF_MUL(QF_CVT(mult), QF_CAST_F(QV_POW2_NEG(shift)));
  return c;
}

/// qVChannels of one channel in every lane, from scalars (a tile row of
/// the convolution, a depthwise plane): the factor formed as the vector
/// form does, (float)mult times 2^-shift from its exponent bits, both
/// exact, and broadcast.
CMB_INLINE qvchan qVChannel(int32_t bias, int32_t mult, int32_t shift) {
  const uint32_t bits = (127u - (uint32_t)shift) << 23;
  float pow2;
  memcpy(&pow2, &bits, sizeof pow2);
  qvchan c;
  c.bias = QV_SET1(bias);
  c.factor = QF_SET1((float)mult * pow2);
  return c;
}

/// qRequantScalar per int32 lane.
CMB_INLINE qv qRequant(qv a, const qvchan *c) {
  return QF_CVT_RNE(QF_MUL(QF_CVT(a), c->factor));
}

/// Stores lanes [0, n) of v (int32 values already in the output's range
/// for U8/S8; float bits for F32) as the output type at dst.
CMB_INLINE void qStoreLanes(qv v, int mode, void *dst, int n) {
#if defined(__AVX512F__)
  const __mmask16 mask = (__mmask16)((1u << n) - 1u);
  if (mode == CMB_Q_OUT_U8 || mode == CMB_Q_OUT_S8)
    _mm512_mask_cvtepi32_storeu_epi8(dst, mask, v);
  else
    _mm512_mask_storeu_epi32(dst, mask, v);
#else
  if (mode == CMB_Q_OUT_U8 || mode == CMB_Q_OUT_S8) {
    // The low byte of each lane, in order, into the low 8 bytes.
    const __m256i pick = _mm256_setr_epi8(
        0, 4, 8, 12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 4, 8,
        12, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1);
    const __m256i b = _mm256_shuffle_epi8(v, pick);
    const __m128i lo = _mm_unpacklo_epi32(_mm256_castsi256_si128(b),
                                          _mm256_extracti128_si256(b, 1));
    if (n == 8) {
      _mm_storel_epi64((__m128i *)dst, lo);
    } else {
      uint8_t tmp[16];
      _mm_storeu_si128((__m128i *)(void *)tmp, lo);
      memcpy(dst, tmp, (size_t)n);
    }
  } else if (n == 8) {
    _mm256_storeu_si256((__m256i *)dst, v);
  } else {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    _mm256_maskstore_epi32((int *)dst,
                           _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes), v);
  }
#endif
}

/// The output stage of one vector: `a` holds accumulators with the bias
/// already added; `c` and `scale` (CMB_Q_OUT_F32) hold the lanes' channels.
/// Stores lanes [0, n) at dst.
CMB_INLINE void qFinish(qv a, const qvchan *c, qfv scale, const qstage *st,
                        void *dst, int n) {
  if (st->mode == CMB_Q_OUT_I32) {
    qStoreLanes(a, st->mode, dst, n);
    return;
  }
  if (st->mode == CMB_Q_OUT_F32) {
    qStoreLanes(QF_CAST_I(QF_MUL(QF_CVT(a), scale)), st->mode, dst, n);
    return;
  }
  qv q = qRequant(a, c);
  q = QV_MIN(QV_MAX(q, QV_SET1(st->qlo)), QV_SET1(st->qhi));
  qStoreLanes(QV_ADD(q, QV_SET1(st->zy)), st->mode, dst, n);
}
#endif

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_INT8VECTOR_H
