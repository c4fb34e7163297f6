//===- SgemmSmallM.c - GEMMs with a handful of rows -----------------------===//
//
// With M <= 4 (a fully connected layer at batch 1, say) every element of B
// is used at most four times, so the product is bound by reading B once.
// The register-tile kernels walk B one NR-column panel at a time, down all
// rows, which on a large B means one page per row: the hardware prefetchers
// stop at page boundaries and every row waits on DRAM. Here B is instead
// read row by row, four rows at a time, as long sequential streams, into
// an M x Nstrip accumulator in scratch that stays in L1. C is written once
// per strip, with the epilogue: updating C in place on every pass would
// bounce the cache lines that two threads' column blocks share.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Sgemm.h"
#include "targets/x86/runtime/Vector.h"

/// Rows of B consumed per pass over the C strip.
enum { kRowsPerPass = 4 };

/// Floats of C kept in L1 while the rows of B stream past (all m rows).
enum { kStripFloats = 6144 };

/// One pass: S[i, 0:n] = (load ? S[i, 0:n] : 0)
///                       + sum_{r < rows} A(i, k + r) * B[k + r, 0:n]
/// for the m rows of the accumulator S (leading dimension ldc here), where
/// `rows` <= kRowsPerPass.
CMB_INLINE void streamRows(const int m, const int rows, const float *a,
                           int64_t lda, const float *b, int64_t ldb, float *c,
                           int64_t ldc, int64_t n, int load) {
  vec_t av[4][kRowsPerPass];
#pragma GCC unroll 4
  for (int i = 0; i < m; ++i)
#pragma GCC unroll 4
    for (int r = 0; r < rows; ++r)
      av[i][r] = V_SET1(a[i * lda + r]);
  int64_t j = 0;
  for (; j + VLEN <= n; j += VLEN) {
    vec_t bv[kRowsPerPass];
#pragma GCC unroll 4
    for (int r = 0; r < rows; ++r)
      bv[r] = V_LOAD(b + r * ldb + j);
#pragma GCC unroll 4
    for (int i = 0; i < m; ++i) {
      vec_t s = load ? V_LOAD(c + i * ldc + j) : V_ZERO();
#pragma GCC unroll 4
      for (int r = 0; r < rows; ++r)
        s = V_FMA(av[i][r], bv[r], s);
      V_STORE(c + i * ldc + j, s);
    }
  }
  if (j < n) {
    const int lanes = (int)(n - j);
    vec_t bv[kRowsPerPass];
#pragma GCC unroll 4
    for (int r = 0; r < rows; ++r)
      bv[r] = V_LOAD_PART(b + r * ldb + j, lanes);
#pragma GCC unroll 4
    for (int i = 0; i < m; ++i) {
      vec_t s = load ? V_LOAD_PART(c + i * ldc + j, lanes) : V_ZERO();
#pragma GCC unroll 4
      for (int r = 0; r < rows; ++r)
        s = V_FMA(av[i][r], bv[r], s);
      V_STORE_PART(c + i * ldc + j, s, lanes);
    }
  }
}

/// The whole product for a C strip of n columns, m rows known at compile
/// time; `acc` holds m rows of `stride` floats.
CMB_INLINE void smallMStrip(const int m, const cmb_gemm_desc *d, int64_t j0,
                            int64_t n, float *acc, int64_t stride) {
  const float *a = d->A;
  const float *b = d->B + j0;
  const int64_t K = d->K;
  int64_t k = 0;
  int load = 0;
  for (; k + kRowsPerPass <= K; k += kRowsPerPass, load = 1)
    streamRows(m, kRowsPerPass, a + k, d->lda, b + k * d->ldb, d->ldb, acc,
               stride, n, load);
  for (; k < K; ++k, load = 1)
    streamRows(m, 1, a + k, d->lda, b + k * d->ldb, d->ldb, acc, stride, n,
               load);

  // C = act(acc + (accumulate ? C : 0) + bias), one write per element.
  for (int i = 0; i < m; ++i) {
    const float bias = d->bias ? d->bias[i] : 0.0f;
    const float *s = acc + i * stride;
    float *row = d->C + i * d->ldc + j0;
    const float *colBias = d->colBias ? d->colBias + j0 : NULL;
    for (int64_t j = 0; j < n; ++j) {
      float v = s[j] + bias + (colBias ? colBias[j] : 0.0f);
      if (d->accumulate)
        v += row[j];
      row[j] = cmb_activate(v, &d->act);
    }
  }
}

/// Columns per strip for m rows.
static int64_t stripWidth(int64_t m) {
  return cmb_max64(VLEN, cmb_round_up(kStripFloats / m, VLEN));
}

size_t cmb_gemm_small_m_scratch_bytes(int64_t M) {
  return (size_t)(M * stripWidth(M)) * sizeof(float);
}

void cmb_gemm_small_m(const cmb_gemm_desc *d, float *scratch) {
  const int64_t strip = stripWidth(d->M);
  for (int64_t j0 = 0; j0 < d->N; j0 += strip) {
    const int64_t n = cmb_min64(strip, d->N - j0);
    switch (d->M) {
    case 1:
      smallMStrip(1, d, j0, n, scratch, strip);
      break;
    case 2:
      smallMStrip(2, d, j0, n, scratch, strip);
      break;
    case 3:
      smallMStrip(3, d, j0, n, scratch, strip);
      break;
    default:
      smallMStrip(4, d, j0, n, scratch, strip);
      break;
    }
  }
}
