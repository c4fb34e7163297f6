//===- Gemv.c - The N == 1 case of the SGEMM core -------------------------===//
//
// With a single column, a register tile would waste NR-1 of every NR lanes
// and packing A would double the memory traffic of a product that is bound
// by reading A once. Instead each row is a dot product with the (contiguous)
// column of B; four rows share each load of B.
//
// The code is plain C: the fixed-width lane loops vectorise at every ISA
// level of the build, and the separate lanes are what allows that without
// reassociation flags.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Sgemm.h"

/// Lanes per partial sum: one zmm, two ymm or four xmm registers.
enum { kLanes = 16 };

CMB_INLINE float laneSum(const float *v) {
  float s = 0.0f;
  for (int l = 0; l < kLanes; ++l)
    s += v[l];
  return s;
}

/// Dot products of rows r0..r0+R-1 of A with x.
CMB_INLINE void dotRows(const int R, const float *restrict a, int64_t lda,
                        const float *restrict x, int64_t K, float *out) {
  float acc[4][kLanes];
  for (int r = 0; r < R; ++r)
    for (int l = 0; l < kLanes; ++l)
      acc[r][l] = 0.0f;
  int64_t k = 0;
  for (; k + kLanes <= K; k += kLanes)
    for (int r = 0; r < R; ++r)
      for (int l = 0; l < kLanes; ++l)
        acc[r][l] += a[r * lda + k + l] * x[k + l];
  for (int r = 0; r < R; ++r) {
    float s = laneSum(acc[r]);
    for (int64_t t = k; t < K; ++t)
      s += a[r * lda + t] * x[t];
    out[r] = s;
  }
}

void cmb_gemv_serial(const cmb_gemm_desc *d, float *scratch) {
  const int64_t M = d->M, K = d->K;
  const float *x = d->B;
  if (d->ldb != 1) {
    for (int64_t k = 0; k < K; ++k)
      scratch[k] = d->B[k * d->ldb];
    x = scratch;
  }
  for (int64_t i = 0; i < M; i += 4) {
    float dots[4];
    int rows = (int)cmb_min64(4, M - i);
    const float *a = d->A + i * d->lda;
    if (rows == 4)
      dotRows(4, a, d->lda, x, K, dots);
    else
      for (int r = 0; r < rows; ++r)
        dotRows(1, a + r * d->lda, d->lda, x, K, dots + r);
    for (int r = 0; r < rows; ++r) {
      float *c = d->C + (i + r) * d->ldc;
      float v = dots[r] + (d->accumulate ? *c : 0.0f) +
                (d->bias ? d->bias[i + r] : 0.0f) +
                (d->colBias ? d->colBias[0] : 0.0f);
      *c = cmb_activate(v, &d->act);
    }
  }
}
