//===- SgemmPack.c - Operand packing for the SGEMM core -------------------===//
//
// Packing copies each block once into the order the micro-kernel reads it,
// so the kernel's loads are sequential and the packed block stays in its
// cache level. See SgemmPack.h for the layouts.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/SgemmPack.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/SgemmMicrokernel.h"

#include <string.h>

/// Transposes an m-row strip of A into k-major order. `m` is a compile-time
/// constant in the full-panel instance, so the row loop unrolls.
CMB_INLINE void packAPanel(const int m, const float *restrict a, int64_t lda,
                           int64_t kc, float *restrict dst) {
  const float *rows[CMB_MR];
#pragma GCC unroll 16
  for (int i = 0; i < m; ++i)
    rows[i] = a + i * lda;
  // Four k at a time: the row reads then come in 16-byte pieces.
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i) {
      const float *r = rows[i] + k;
      dst[0 * m + i] = r[0];
      dst[1 * m + i] = r[1];
      dst[2 * m + i] = r[2];
      dst[3 * m + i] = r[3];
    }
    dst += 4 * m;
  }
  for (; k < kc; ++k) {
#pragma GCC unroll 16
    for (int i = 0; i < m; ++i)
      dst[i] = rows[i][k];
    dst += m;
  }
}

static void packAPanelFull(const float *a, int64_t lda, int64_t kc,
                           float *dst) {
  packAPanel(CMB_MR, a, lda, kc, dst);
}

/// Edge panels (m < MR) and any m: the row loop stays a loop.
static void packAPanelAny(int m, const float *restrict a, int64_t lda,
                          int64_t kc, float *restrict dst) {
  for (int i = 0; i < m; ++i) {
    const float *r = a + i * lda;
    for (int64_t k = 0; k < kc; ++k)
      dst[k * m + i] = r[k];
  }
}

void cmb_pack_a(const float *a, int64_t lda, int64_t mc, int64_t kc,
                float *dst) {
  int64_t i = 0;
  for (; i + CMB_MR <= mc; i += CMB_MR)
    packAPanelFull(a + i * lda, lda, kc, dst + i * kc);
  if (i < mc) {
    int m = (int)(mc - i);
    if (m == 1)
      memcpy(dst + i * kc, a + i * lda, (size_t)kc * sizeof(float));
    else
      packAPanelAny(m, a + i * lda, lda, kc, dst + i * kc);
  }
}

void cmb_pack_b(const float *b, int64_t ldb, int64_t kc, int64_t nc,
                float *dst) {
  // Row by row: each row of the block is one sequential read, which the
  // hardware prefetchers follow (a panel at a time would touch a new page
  // for every row of a wide B).
  const int64_t full = nc - nc % CMB_NR;
  for (int64_t k = 0; k < kc; ++k) {
    const float *src = b + k * ldb;
    float *d = dst + k * CMB_NR;
    for (int64_t j = 0; j < full; j += CMB_NR) {
      // A fixed-size copy: the compiler emits NR/VLEN vector moves.
      memcpy(d + j * kc, src + j, CMB_NR * sizeof(float));
    }
    if (full < nc) {
      float *e = d + full * kc;
      int64_t t = 0;
      for (; t < nc - full; ++t)
        e[t] = src[full + t];
      for (; t < CMB_NR; ++t)
        e[t] = 0.0f;
    }
  }
}
