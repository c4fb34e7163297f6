//===- Int8Microkernel.c - Register-blocked int8 inner kernels ------------===//
//
// One template (see Int8Gemm.h for the tile) instantiated per row count
// m = 1..QMR, per signedness of the broadcast side and per dot product
// (VNNI or the exact 16-bit fallback), so edge tiles compute no padding
// rows and the choice between VNNI and its fallback is made once per call.
// Small tiles split the K loop over several accumulator sets: vpdpbusd has
// a latency of about 5 cycles at two per cycle, so fewer than ~10
// independent chains would wait on it.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Int8Gemm.h"

/// Accumulator sets of an m-row tile.
#define NUM_SETS(m) ((m)*QNV >= 8 ? 1 : (m)*QNV >= 4 ? 2 : 4)

/// One k-quad into accumulator set s.
// clang-format off
#define QSTEP(s, q)                                                            \
  do {                                                                         \
    const uint8_t *cq = cols + (q) * colLd;                                    \
    const uint8_t *rq = rows + (q) * rowLd;                                    \
    qv cv[QNV];                                                                \
    _Pragma("GCC unroll 4") for (int v = 0; v < QNV; ++v)                      \
        cv[v] = QV_LOAD(cq + v * QL * 4);                                      \
    if (vnni) {                                                                \
      _Pragma("GCC unroll 16") for (int i = 0; i < m; ++i) {                   \
        const qv r = qBroadcast4(rq + 4 * i);                                  \
        _Pragma("GCC unroll 4") for (int v = 0; v < QNV; ++v)                  \
            acc[s][i][v] = rowsSigned ? qDot(acc[s][i][v], cv[v], r)           \
                                      : qDot(acc[s][i][v], r, cv[v]);          \
      }                                                                        \
    } else {                                                                   \
      qsplit cs[QNV];                                                          \
      _Pragma("GCC unroll 4") for (int v = 0; v < QNV; ++v)                    \
          cs[v] = rowsSigned ? qSplitU8(cv[v]) : qSplitS8(cv[v]);              \
      _Pragma("GCC unroll 16") for (int i = 0; i < m; ++i) {                   \
        const qv r = qBroadcast4(rq + 4 * i);                                  \
        const qsplit rs = rowsSigned ? qSplitS8(r) : qSplitU8(r);              \
        _Pragma("GCC unroll 4") for (int v = 0; v < QNV; ++v)                  \
            acc[s][i][v] = rowsSigned ? qDotExact(acc[s][i][v], cs[v], rs)     \
                                      : qDotExact(acc[s][i][v], rs, cs[v]);    \
      }                                                                        \
    }                                                                          \
  } while (0)
// clang-format on

#if defined(QV_DOT_ASM)
#define qDot qDotVnni
#else
/// Never run: cmb_q_vnni() is 0 where the archive has no VNNI form.
CMB_INLINE qv qDot(qv acc, qv u, qv s) {
  (void)u;
  (void)s;
  return acc;
}
#endif

#if defined(__AVX512F__) && defined(QV_DOT_ASM)
/// One k-quad of a full 8 x 32 tile with VNNI, in asm blocks of four rows
/// (an asm takes at most 30 operands): with a vpdpbusd per asm statement
/// (qDotVnni) GCC 12 copied an accumulator between registers twice per
/// k-quad, 2 of 18 vector instructions. Each row's broadcast goes to zmm31.
/// QFULL_GEMM / QFULL_CONV give vpdpbusd's operands in AT&T order, the s8
/// one first: the columns for the GEMM (unsigned rows), the broadcast for
/// the convolution (signed rows).
#define QFULL_GEMM(i, v) "vpdpbusd %[c" #v "], %%zmm31, %[a" #i #v "]\n\t"
#define QFULL_CONV(i, v) "vpdpbusd %%zmm31, %[c" #v "], %[a" #i #v "]\n\t"
#define QFULL_ROW(DOT, i)                                                      \
  "vpbroadcastd " #i "*4(%[r]), %%zmm31\n\t" DOT(i, 0) DOT(i, 1)
#define QFULL_ACC(i, j)                                                        \
  [a##i##0] "+v"(acc[0][j][0]), [a##i##1] "+v"(acc[0][j][1])
/// Rows R..R+3 (R a literal) of the tile.
#define QSTEP_HALF(DOT, R, rq, X0, X1)                                         \
  __asm__(QFULL_ROW(DOT, 0) QFULL_ROW(DOT, 1) QFULL_ROW(DOT, 2)                \
              QFULL_ROW(DOT, 3)                                                \
          : QFULL_ACC(0, R), QFULL_ACC(1, R + 1), QFULL_ACC(2, R + 2),         \
            QFULL_ACC(3, R + 3)                                                \
          : [r] "r"((rq) + 4 * (R)), [c0] "v"(X0), [c1] "v"(X1)                \
          : "xmm31", "memory")
/// A k-quad of a tile of M rows (8 or 12, a constant).
#define QSTEP_FULL(DOT, M, rq, cq)                                             \
  do {                                                                         \
    const qv c0_ = QV_LOAD(cq), c1_ = QV_LOAD((cq) + QL * 4);                  \
    QSTEP_HALF(DOT, 0, rq, c0_, c1_);                                          \
    QSTEP_HALF(DOT, 4, rq, c0_, c1_);                                          \
    if ((M) == 12)                                                             \
      QSTEP_HALF(DOT, 8, rq, c0_, c1_);                                        \
  } while (0)
_Static_assert(QMR == 8 && QMR_GEMM == 12 && QNV == 2,
               "QSTEP_FULL is written for 8 x 32 and 12 x 32");
#endif

#if defined(__AVX512F__)
/// Two rows of 32 requantized values (q, before the clamp and the zero
/// point) stored as bytes at d0 and d1 (d1 null: only d0): saturating packs
/// to int16, the zero point added with saturation, packs to the output type
/// and the clamp on the bytes. Exact: values that saturate lie outside
/// [lo, hi] on the same side, and the clamp maps them to the same bound.
CMB_INLINE void storeRowPair(qv r0a, qv r0b, qv r1a, qv r1b,
                             const qstage *st, void *d0, void *d1) {
  const __m512i zy = _mm512_set1_epi16((short)st->zy);
  const __m512i a = _mm512_adds_epi16(_mm512_packs_epi32(r0a, r0b), zy);
  const __m512i b = _mm512_adds_epi16(_mm512_packs_epi32(r1a, r1b), zy);
  // The packs work per 128-bit lane: dword 4l + j holds row j / 2's columns
  // 4l + 16 (j % 2) .. + 3.
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10,
                                          14, 3, 7, 11, 15);
  const int lo = st->qlo + st->zy, hi = st->qhi + st->zy;
  __m512i y;
  if (st->mode == CMB_Q_OUT_U8) {
    y = _mm512_permutexvar_epi32(order, _mm512_packus_epi16(a, b));
    y = _mm512_min_epu8(_mm512_max_epu8(y, _mm512_set1_epi8((char)lo)),
                        _mm512_set1_epi8((char)hi));
  } else {
    y = _mm512_permutexvar_epi32(order, _mm512_packs_epi16(a, b));
    y = _mm512_min_epi8(_mm512_max_epi8(y, _mm512_set1_epi8((char)lo)),
                        _mm512_set1_epi8((char)hi));
  }
  _mm256_storeu_si256((__m256i *)d0, _mm512_castsi512_si256(y));
  if (d1)
    _mm256_storeu_si256((__m256i *)d1, _mm512_extracti64x4_epi64(y, 1));
}

/// storeTile for whole rows of 32 uint8 or int8 outputs.
CMB_INLINE void storeTileBytes(const int m, qv acc[QMR_MAX][QNV],
                               const cmb_q_tile *t) {
  const int32_t *tb = t->table;
  const int64_t Fp = t->Fp;
  qv q[QMR_MAX][QNV];
  if (t->chanOnRows) {
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i) {
      const qchan ch = qChannel(tb, Fp, t->chan0 + i);
      const qvchan vc = qVChannel(ch.bias, ch.mult, ch.shift);
#pragma GCC unroll 4
      for (int v = 0; v < QNV; ++v)
        q[i][v] = qRequant(QV_ADD(acc[i][v], vc.bias), &vc);
    }
  } else {
#pragma GCC unroll 4
    for (int v = 0; v < QNV; ++v) {
      const int64_t f = t->chan0 + v * QL;
      const qvchan vc = qVChannels(QV_LOAD(tb + f), QV_LOAD(tb + Fp + f),
                                   QV_LOAD(tb + 2 * Fp + f));
#pragma GCC unroll 16
      for (int i = 0; i < m; ++i)
        q[i][v] = qRequant(QV_ADD(acc[i][v], vc.bias), &vc);
    }
  }
  char *c = (char *)t->c;
  int i = 0;
#pragma GCC unroll 8
  for (; i + 2 <= m; i += 2)
    storeRowPair(q[i][0], q[i][1], q[i + 1][0], q[i + 1][1], t->stage,
                 c + i * t->ldc, c + (i + 1) * t->ldc);
  if (i < m)
    storeRowPair(q[i][0], q[i][1], q[i][0], q[i][1], t->stage, c + i * t->ldc,
                 NULL);
}
_Static_assert(QNV == 2 && QL == 16, "storeTileBytes stores rows of 32");
#endif

/// Stores the tile: the output stage per channel (row or column).
CMB_INLINE void storeTile(const int m, qv acc[QMR_MAX][QNV],
                          const cmb_q_tile *t) {
  const qstage *st = t->stage;
  const int64_t esize = cmb_q_out_bytes(st->mode);
  char *c = (char *)t->c;
#if defined(__AVX512F__)
  if (esize == 1 && t->cols == QNR) {
    storeTileBytes(m, acc, t);
    return;
  }
#endif
#if defined(CMB_Q_VECTOR_REQUANT)
  const int32_t *tb = t->table;
  const int64_t Fp = t->Fp;
  if (t->chanOnRows) {
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i) {
      const qchan ch = qChannel(tb, Fp, t->chan0 + i);
      const qvchan vc = qVChannel(ch.bias, ch.mult, ch.shift);
      const qfv scale = QF_SET1(ch.scale);
#pragma GCC unroll 4
      for (int v = 0; v < QNV; ++v) {
        const int64_t n = cmb_min64(QL, t->cols - v * QL);
        if (n <= 0)
          break;
        qFinish(QV_ADD(acc[i][v], vc.bias), &vc, scale, st,
                c + (i * t->ldc + v * QL) * esize, (int)n);
      }
    }
    return;
  }
#pragma GCC unroll 4
  for (int v = 0; v < QNV; ++v) {
    const int64_t n = cmb_min64(QL, t->cols - v * QL);
    if (n <= 0)
      break;
    const int64_t f = t->chan0 + v * QL;
    const qvchan vc = qVChannels(QV_LOAD(tb + f), QV_LOAD(tb + Fp + f),
                                 QV_LOAD(tb + 2 * Fp + f));
    const qfv scale = QF_LOAD((const float *)(tb + Fp + f));
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i)
      qFinish(QV_ADD(acc[i][v], vc.bias), &vc, scale, st,
              c + (i * t->ldc + v * QL) * esize, (int)n);
  }
#else
  int32_t tile[QMR_MAX][QNR];
  for (int i = 0; i < m; ++i)
    for (int v = 0; v < QNV; ++v)
      _mm_storeu_si128((__m128i *)(void *)&tile[i][v * QL], acc[i][v]);
  for (int i = 0; i < m; ++i)
    for (int64_t j = 0; j < t->cols; ++j) {
      const qchan ch =
          qChannel(t->table, t->Fp, t->chan0 + (t->chanOnRows ? i : j));
      qStoreScalar((int32_t)((uint32_t)tile[i][j] + (uint32_t)ch.bias), ch,
                   st, c + i * t->ldc * esize, j);
    }
#endif
}

CMB_INLINE void ukernelBody(const int m, const int rowsSigned, const int vnni,
                            int64_t k4, const uint8_t *restrict rows,
                            int64_t rowLd, const uint8_t *restrict cols,
                            int64_t colLd, const cmb_q_tile *t) {
  const int sets = NUM_SETS(m);
  qv acc[4][QMR_MAX][QNV];
#pragma GCC unroll 4
  for (int s = 0; s < sets; ++s)
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < QNV; ++v)
        acc[s][i][v] = QV_ZERO();
  int64_t q = 0;
#if defined(QSTEP_FULL)
  if ((m == 8 || m == 12) && vnni) {
    for (; q < k4; ++q) {
      if (rowsSigned)
        QSTEP_FULL(QFULL_CONV, m, rows + q * rowLd, cols + q * colLd);
      else
        QSTEP_FULL(QFULL_GEMM, m, rows + q * rowLd, cols + q * colLd);
    }
  }
#endif
  if (sets == 4) {
    for (; q + 4 <= k4; q += 4) {
      QSTEP(0, q);
      QSTEP(1, q + 1);
      QSTEP(2, q + 2);
      QSTEP(3, q + 3);
    }
  } else if (sets == 2) {
    for (; q + 2 <= k4; q += 2) {
      QSTEP(0, q);
      QSTEP(1, q + 1);
    }
  }
  for (; q < k4; ++q)
    QSTEP(0, q);
#pragma GCC unroll 4
  for (int s = 1; s < sets; ++s)
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < QNV; ++v)
        acc[0][i][v] = QV_ADD(acc[0][i][v], acc[s][i][v]);
  storeTile(m, acc[0], t);
}

//===----------------------------------------------------------------------===//
// Instances and the table
//===----------------------------------------------------------------------===//

#define DEFINE_UKERNEL(M, SIGNED, VNNI)                                        \
  static void ukernel_##M##_##SIGNED##_##VNNI(                                 \
      int64_t k4, const uint8_t *rows, int64_t rowLd, const uint8_t *cols,     \
      int64_t colLd, const cmb_q_tile *t) {                                    \
    ukernelBody(M, SIGNED, VNNI, k4, rows, rowLd, cols, colLd, t);             \
  }
#define DEFINE_UKERNELS(M)                                                     \
  DEFINE_UKERNEL(M, 0, 0)                                                      \
  DEFINE_UKERNEL(M, 1, 0)                                                      \
  DEFINE_VNNI_UKERNEL(M, 0)                                                    \
  DEFINE_VNNI_UKERNEL(M, 1)
#if defined(QV_DOT_ASM)
#define DEFINE_VNNI_UKERNEL(M, SIGNED) DEFINE_UKERNEL(M, SIGNED, 1)
#define VNNI_ENTRY(M, SIGNED) ukernel_##M##_##SIGNED##_1
#else
#define DEFINE_VNNI_UKERNEL(M, SIGNED)
#define VNNI_ENTRY(M, SIGNED) ukernel_##M##_##SIGNED##_0
#endif

DEFINE_UKERNELS(1)
DEFINE_UKERNELS(2)
DEFINE_UKERNELS(3)
DEFINE_UKERNELS(4)
#if QMR > 4
DEFINE_UKERNELS(5)
DEFINE_UKERNELS(6)
DEFINE_UKERNELS(7)
DEFINE_UKERNELS(8)
#endif
#if QMR > 8
#error "add micro-kernel instances up to QMR"
#endif
#if QMR_GEMM > QMR
// The GEMM's taller tiles, VNNI only (the fallback keeps QMR rows).
DEFINE_VNNI_UKERNEL(9, 0)
DEFINE_VNNI_UKERNEL(10, 0)
DEFINE_VNNI_UKERNEL(11, 0)
DEFINE_VNNI_UKERNEL(12, 0)
#define GEMM_ENTRIES(E) , E(9, 0), E(10, 0), E(11, 0), E(12, 0)
_Static_assert(QMR_GEMM == 12, "add micro-kernel instances up to QMR_GEMM");
#else
#define GEMM_ENTRIES(E)
#endif

#if QMR > 4
#define ENTRIES(SIGNED, E)                                                     \
  {0, E(1, SIGNED), E(2, SIGNED), E(3, SIGNED), E(4, SIGNED), E(5, SIGNED),    \
   E(6, SIGNED), E(7, SIGNED), E(8, SIGNED)
#else
#define ENTRIES(SIGNED, E)                                                     \
  {0, E(1, SIGNED), E(2, SIGNED), E(3, SIGNED), E(4, SIGNED)
#endif
#define EXACT_ENTRY(M, SIGNED) ukernel_##M##_##SIGNED##_0

/// [vnni][rowsSigned][m]
static const cmb_q_ukernel_fn kUkernels[2][2][QMR_MAX + 1] = {
    {ENTRIES(0, EXACT_ENTRY)}, ENTRIES(1, EXACT_ENTRY)}},
    {ENTRIES(0, VNNI_ENTRY) GEMM_ENTRIES(VNNI_ENTRY)},
     ENTRIES(1, VNNI_ENTRY)}},
};

int cmb_q_gemm_rows(void) { return cmb_q_vnni() ? QMR_GEMM : QMR; }

cmb_q_ukernel_fn cmb_q_ukernel(int rowsSigned, int m) {
  return kUkernels[cmb_q_vnni()][rowsSigned][m];
}
