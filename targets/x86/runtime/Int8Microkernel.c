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
#define QSTEP_FULL(DOT, rq, cq)                                                \
  do {                                                                         \
    const qv c0_ = QV_LOAD(cq), c1_ = QV_LOAD((cq) + QL * 4);                  \
    QSTEP_HALF(DOT, 0, rq, c0_, c1_);                                          \
    QSTEP_HALF(DOT, 4, rq, c0_, c1_);                                          \
  } while (0)
_Static_assert(QMR == 8 && QNV == 2, "QSTEP_FULL is written for 8 x 32");
#endif

/// Stores the tile: the output stage per channel (row or column).
CMB_INLINE void storeTile(const int m, qv acc[QMR][QNV],
                          const cmb_q_tile *t) {
  const qstage *st = t->stage;
  const int64_t esize = cmb_q_out_bytes(st->mode);
  char *c = (char *)t->c;
#if defined(CMB_Q_VECTOR_REQUANT)
  const int32_t *tb = t->table;
  const int64_t Fp = t->Fp;
  if (t->chanOnRows) {
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i) {
      const qchan ch = qChannel(tb, Fp, t->chan0 + i);
      const qvchan vc = qVChannels(QV_SET1(ch.bias), QV_SET1(ch.mult),
                                   QV_SET1(ch.shift));
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
  int32_t tile[QMR][QNR];
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
  qv acc[4][QMR][QNV];
#pragma GCC unroll 4
  for (int s = 0; s < sets; ++s)
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i)
#pragma GCC unroll 4
      for (int v = 0; v < QNV; ++v)
        acc[s][i][v] = QV_ZERO();
  int64_t q = 0;
#if defined(QSTEP_FULL)
  if (m == QMR && vnni) {
    for (; q < k4; ++q) {
      if (rowsSigned)
        QSTEP_FULL(QFULL_CONV, rows + q * rowLd, cols + q * colLd);
      else
        QSTEP_FULL(QFULL_GEMM, rows + q * rowLd, cols + q * colLd);
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

#if QMR > 4
#define ENTRIES(SIGNED, E)                                                     \
  {0, E(1, SIGNED), E(2, SIGNED), E(3, SIGNED), E(4, SIGNED), E(5, SIGNED),    \
   E(6, SIGNED), E(7, SIGNED), E(8, SIGNED)}
#else
#define ENTRIES(SIGNED, E)                                                     \
  {0, E(1, SIGNED), E(2, SIGNED), E(3, SIGNED), E(4, SIGNED)}
#endif
#define EXACT_ENTRY(M, SIGNED) ukernel_##M##_##SIGNED##_0

/// [vnni][rowsSigned][m]
static const cmb_q_ukernel_fn kUkernels[2][2][QMR + 1] = {
    {ENTRIES(0, EXACT_ENTRY), ENTRIES(1, EXACT_ENTRY)},
    {ENTRIES(0, VNNI_ENTRY), ENTRIES(1, VNNI_ENTRY)},
};

cmb_q_ukernel_fn cmb_q_ukernel(int rowsSigned, int m) {
  return kUkernels[cmb_q_vnni()][rowsSigned][m];
}
