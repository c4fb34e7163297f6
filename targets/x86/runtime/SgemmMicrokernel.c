//===- SgemmMicrokernel.c - Register-blocked SGEMM inner kernels ----------===//
//
// One template, written with intrinsics through a handful of macros, and
// instantiated for every row count m = 1..MR so that edge tiles in M do not
// compute padding rows (an M = 1 GEMM would otherwise waste 13/14 of the
// arithmetic on AVX-512). Small m also splits the K loop over several
// accumulator sets: with fewer than 8 independent FMA chains the kernel
// would be bound by FMA latency instead of throughput.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/SgemmMicrokernel.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Vector.h"

/// Vectors per row of the tile.
#define NV (CMB_NR / VLEN)

/// Accumulator sets for an m-row tile: enough for >= 8 independent chains.
#define NUM_SETS(m) ((m)*NV >= 8 ? 1 : (m)*NV >= 4 ? 2 : 4)

//===----------------------------------------------------------------------===//
// The template
//===----------------------------------------------------------------------===//

/// One k step of accumulator set `s`: broadcast m values of A, load NR of B.
// clang-format off
#define UKERNEL_STEP(s, aPtr, bPtr)                                          \
  do {                                                                       \
    vec_t bv[NV];                                                            \
    _Pragma("GCC unroll 8") for (int v = 0; v < NV; ++v)                     \
        bv[v] = V_LOAD((bPtr) + v * VLEN);                                   \
    _Pragma("GCC unroll 16") for (int i = 0; i < m; ++i) {                   \
      vec_t av = V_SET1((aPtr)[i * rsA]);                                    \
      _Pragma("GCC unroll 8") for (int v = 0; v < NV; ++v)                   \
          acc[s][i][v] = V_FMA(av, bv[v], acc[s][i][v]);                     \
    }                                                                        \
  } while (0)
// clang-format on

/// The tile of m rows; A element (i, k) is a[i * rsA + k * csA].
CMB_INLINE void ukernelBody(const int m, int64_t kc, const float *restrict a,
                            const int64_t rsA, const int64_t csA,
                            const float *restrict b, int64_t ldb,
                            float *restrict c, int64_t ldc,
                            const cmb_epilogue *ep) {
  const int sets = NUM_SETS(m);
  vec_t acc[4][CMB_MR][NV];

  // The tile is written at the end; start fetching it now.
#pragma GCC unroll 16
  for (int i = 0; i < m; ++i) {
    _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
    _mm_prefetch((const char *)(c + i * ldc + CMB_NR - 1), _MM_HINT_T0);
  }

#pragma GCC unroll 4
  for (int s = 0; s < sets; ++s)
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v)
        acc[s][i][v] = V_ZERO();

  int64_t k = 0;
  // Interleaved with the arithmetic, a prefetch stream neither bunches up
  // in the miss queues nor competes with the tile's own loads. (Tiles of
  // a few rows, with several accumulator sets, issue theirs at once.)
  if (ep->prefetchLines > 0) {
    const char *pf = ep->prefetch;
    const int64_t steps = sets == 1 ? cmb_min64(kc, ep->prefetchLines) : 0;
    for (; k < steps; ++k) {
      UKERNEL_STEP(0, a, b);
      _mm_prefetch(pf, _MM_HINT_T1);
      pf += 64;
      a += csA;
      b += ldb;
    }
    for (int64_t l = steps; l < ep->prefetchLines; ++l)
      _mm_prefetch(pf + (l - steps) * 64, _MM_HINT_T1);
  }
  if (sets == 4) {
    for (; k + 4 <= kc; k += 4) {
      UKERNEL_STEP(0, a, b);
      UKERNEL_STEP(1, a + csA, b + ldb);
      UKERNEL_STEP(2, a + 2 * csA, b + 2 * ldb);
      UKERNEL_STEP(3, a + 3 * csA, b + 3 * ldb);
      a += 4 * csA;
      b += 4 * ldb;
    }
  } else if (sets == 2) {
    for (; k + 2 <= kc; k += 2) {
      UKERNEL_STEP(0, a, b);
      UKERNEL_STEP(1, a + csA, b + ldb);
      a += 2 * csA;
      b += 2 * ldb;
    }
  }
  for (; k < kc; ++k) {
    UKERNEL_STEP(0, a, b);
    a += csA;
    b += ldb;
  }

#pragma GCC unroll 4
  for (int s = 1; s < sets; ++s)
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i)
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v)
        acc[0][i][v] = V_ADD(acc[0][i][v], acc[s][i][v]);

  // Epilogue: the flags are uniform per call, so the branches predict well.
  const int beta = ep->beta, act = ep->act.kind;
  const float *bias = ep->bias;
  vec_t cb[NV];
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v)
    cb[v] = ep->colBias ? V_LOAD(ep->colBias + v * VLEN) : V_ZERO();
#pragma GCC unroll 16
  for (int i = 0; i < m; ++i) {
    float *row = c + i * ldc;
    vec_t bi = bias ? V_SET1(bias[i]) : V_ZERO();
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      vec_t x = acc[0][i][v];
      if (beta)
        x = V_ADD(x, V_LOAD(row + v * VLEN));
      x = V_ADD(x, V_ADD(bi, cb[v]));
      x = V_ACTIVATE(x, act);
      V_STORE(row + v * VLEN, x);
    }
  }
  if (!cmb_act_in_register(act))
    cmb_act_apply_rows(c, m, NV * VLEN, ldc, &ep->act);
}

//===----------------------------------------------------------------------===//
// Instances and the table
//===----------------------------------------------------------------------===//

/// Three instances per row count: A packed (k-major, m floats per k; `lda`
/// unused), A read in place row-major (rows `lda` apart) and A read in place
/// column-major (columns `lda` apart: a packed panel with a longer stride).
#define DEFINE_UKERNEL(M)                                                      \
  static void ukernel##M(int64_t kc, const float *a, int64_t lda,              \
                         const float *b, int64_t ldb, float *c, int64_t ldc,   \
                         const cmb_epilogue *ep) {                             \
    (void)lda;                                                                 \
    ukernelBody(M, kc, a, 1, M, b, ldb, c, ldc, ep);                           \
  }                                                                            \
  static void ukernelRawA##M(int64_t kc, const float *a, int64_t lda,          \
                             const float *b, int64_t ldb, float *c,            \
                             int64_t ldc, const cmb_epilogue *ep) {            \
    ukernelBody(M, kc, a, lda, 1, b, ldb, c, ldc, ep);                         \
  }                                                                            \
  static void ukernelColA##M(int64_t kc, const float *a, int64_t lda,          \
                             const float *b, int64_t ldb, float *c,            \
                             int64_t ldc, const cmb_epilogue *ep) {            \
    ukernelBody(M, kc, a, 1, lda, b, ldb, c, ldc, ep);                         \
  }

DEFINE_UKERNEL(1)
DEFINE_UKERNEL(2)
DEFINE_UKERNEL(3)
DEFINE_UKERNEL(4)
DEFINE_UKERNEL(5)
DEFINE_UKERNEL(6)
#if CMB_MR > 6
DEFINE_UKERNEL(7)
DEFINE_UKERNEL(8)
DEFINE_UKERNEL(9)
DEFINE_UKERNEL(10)
DEFINE_UKERNEL(11)
DEFINE_UKERNEL(12)
DEFINE_UKERNEL(13)
DEFINE_UKERNEL(14)
#endif
#if CMB_MR > 14
#error "add micro-kernel instances up to CMB_MR"
#endif

const cmb_ukernel_fn cmb_ukernels[CMB_MR + 1] = {
    0,         ukernel1, ukernel2, ukernel3,  ukernel4,  ukernel5,  ukernel6,
#if CMB_MR > 6
    ukernel7,  ukernel8, ukernel9, ukernel10, ukernel11, ukernel12, ukernel13,
    ukernel14,
#endif
};

const cmb_ukernel_fn cmb_ukernels_raw_a[CMB_MR + 1] = {
    0,
    ukernelRawA1,
    ukernelRawA2,
    ukernelRawA3,
    ukernelRawA4,
    ukernelRawA5,
    ukernelRawA6,
#if CMB_MR > 6
    ukernelRawA7,
    ukernelRawA8,
    ukernelRawA9,
    ukernelRawA10,
    ukernelRawA11,
    ukernelRawA12,
    ukernelRawA13,
    ukernelRawA14,
#endif
};

const cmb_ukernel_fn cmb_ukernels_col_a[CMB_MR + 1] = {
    0,
    ukernelColA1,
    ukernelColA2,
    ukernelColA3,
    ukernelColA4,
    ukernelColA5,
    ukernelColA6,
#if CMB_MR > 6
    ukernelColA7,
    ukernelColA8,
    ukernelColA9,
    ukernelColA10,
    ukernelColA11,
    ukernelColA12,
    ukernelColA13,
    ukernelColA14,
#endif
};
