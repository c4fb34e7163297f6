//===- Transpose.c - Dense permutation of dimensions ----------------------===//
//
// Attention moves heads around with transposes ([S, H, D] -> [H, S, D] and,
// for K, -> [H, D, S]); as generated loops they ran on one thread. Here the
// permutation is first simplified (unit dimensions dropped, output
// dimensions that are also adjacent in the input merged), then:
//  - when the innermost output dimension is innermost in the input too, the
//    output is a sequence of contiguous row copies;
//  - otherwise 16 x 16 tiles are moved between the output's innermost
//    dimension and the one that is innermost in the input, so that both
//    sides are read and written a cache line at a time (with register
//    transposes on AVX2 and AVX-512).
// Rows or tiles are split over the thread pool.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <string.h>

enum { kMaxRank = CMB_TRANSPOSE_MAX_RANK, kTile = 16 };

typedef struct TransposeJob {
  const float *x;
  float *y;
  int rank;                 ///< after simplification, >= 1
  int64_t dims[kMaxRank];   ///< output extents
  int64_t strides[kMaxRank]; ///< input strides of the output dimensions
  int64_t inner;            ///< output dimension innermost in the input, or -1
  int64_t outer;            ///< rows (row copies) or tile rows per task unit
  int64_t unitsPerTask;
} TransposeJob;

/// Input offset and output offset of output row `row` (all dimensions but
/// the last, row-major), skipping dimension `skip` (>= 0: it is iterated
/// separately and counts as extent 1 here).
static void rowOffsets(const TransposeJob *j, int64_t row, int skip,
                       int64_t *in, int64_t *out) {
  int64_t off = 0, outOff = 0, outStride = j->dims[j->rank - 1];
  for (int d = j->rank - 2; d >= 0; --d) {
    if (d == skip) {
      outStride *= j->dims[d];
      continue;
    }
    const int64_t i = row % j->dims[d];
    row /= j->dims[d];
    off += i * j->strides[d];
    outOff += i * outStride;
    outStride *= j->dims[d];
  }
  *in = off;
  *out = outOff;
}

/// Output rows [task * unitsPerTask, ...) copied from contiguous input rows.
static void copyRows(void *ctx, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const TransposeJob *j = (const TransposeJob *)ctx;
  const int64_t n = j->dims[j->rank - 1];
  const int64_t r0 = task * j->unitsPerTask;
  const int64_t r1 = cmb_min64(j->outer, r0 + j->unitsPerTask);
  for (int64_t r = r0; r < r1; ++r) {
    int64_t in, out;
    rowOffsets(j, r, -1, &in, &out);
    const float *src = j->x + in;
    float *dst = j->y + out;
    int64_t k = 0;
    for (; k + VLEN <= n; k += VLEN)
      V_STORE(dst + k, V_LOAD(src + k));
    if (k < n)
      V_STORE_PART(dst + k, V_LOAD_PART(src + k, (int)(n - k)), (int)(n - k));
  }
}

/// Tiles of output rows: output dimension `inner` (contiguous in the input)
/// against the last output dimension (strided in the input). A unit is one
/// row index of the other dimensions times one block of kTile along
/// `inner`.
static void copyTiles(void *ctx, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const TransposeJob *j = (const TransposeJob *)ctx;
  const int q = (int)j->inner, last = j->rank - 1;
  const int64_t nq = j->dims[q], n = j->dims[last], s = j->strides[last];
  const int64_t blocks = cmb_ceil_div(nq, kTile);
  // Output stride of dimension q.
  int64_t qStride = 1;
  for (int d = last; d > q; --d)
    qStride *= j->dims[d];
  const int64_t u0 = task * j->unitsPerTask;
  const int64_t u1 = cmb_min64(j->outer * blocks, u0 + j->unitsPerTask);
  for (int64_t u = u0; u < u1; ++u) {
    int64_t in, out;
    rowOffsets(j, u / blocks, q, &in, &out);
    const int64_t i0 = (u % blocks) * kTile;
    const int64_t ni = cmb_min64(kTile, nq - i0);
    const float *src = j->x + in + i0; // input stride of q is 1
    float *dst = j->y + out + i0 * qStride;
    for (int64_t c0 = 0; c0 < n; c0 += kTile) {
      const int64_t nc = cmb_min64(kTile, n - c0);
#if defined(CMB_HAVE_VTRANSPOSE)
      if (ni == kTile && nc == kTile) {
        // Whole tiles: VLEN x VLEN register transposes.
        for (int64_t b = 0; b < kTile; b += VLEN)
          for (int64_t a = 0; a < kTile; a += VLEN) {
            vec_t r[VLEN];
            for (int k = 0; k < VLEN; ++k) // rows: input columns c0+a+k
              r[k] = V_LOAD(src + (c0 + a + k) * s + b);
            cmb_vtranspose(r); // rows: input rows i0+b+k
            for (int k = 0; k < VLEN; ++k)
              V_STORE(dst + (b + k) * qStride + c0 + a, r[k]);
          }
        continue;
      }
#endif
      float tile[kTile][kTile];
      for (int64_t c = 0; c < nc; ++c) // contiguous input reads
        for (int64_t i = 0; i < ni; ++i)
          tile[i][c] = src[(c0 + c) * s + i];
      for (int64_t i = 0; i < ni; ++i) // contiguous output writes
        memcpy(dst + i * qStride + c0, tile[i], (size_t)nc * sizeof(float));
    }
  }
}

/// Work per task: enough to pay for handing it out.
static const int64_t kTaskFloats = 16 * 1024;

CMB_EXPORT void cmb_x86_transpose(const float *x, float *y,
                                  const int64_t *params) {
  const int64_t rank = params[0];
  if (rank <= 0 || rank > kMaxRank)
    cmb_fatal("transpose: unsupported rank");
  const int64_t *shape = params + 1, *perm = params + 1 + rank;
  int64_t istr[kMaxRank];
  int64_t total = 1;
  for (int64_t d = rank - 1; d >= 0; --d) {
    istr[d] = total;
    total *= shape[d];
  }
  if (total == 0)
    return;
  // Output dimensions with their input strides, unit ones dropped and
  // neighbours that are neighbours in the input too merged.
  TransposeJob j;
  memset(&j, 0, sizeof(j));
  j.x = x;
  j.y = y;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t p = perm[d];
    if (p < 0 || p >= rank)
      cmb_fatal("transpose: bad permutation");
    if (shape[p] == 1)
      continue;
    if (j.rank > 0 && j.strides[j.rank - 1] == istr[p] * shape[p]) {
      j.dims[j.rank - 1] *= shape[p];
      j.strides[j.rank - 1] = istr[p];
      continue;
    }
    j.dims[j.rank] = shape[p];
    j.strides[j.rank] = istr[p];
    ++j.rank;
  }
  if (j.rank == 0) { // a single element
    y[0] = x[0];
    return;
  }
  const int64_t n = j.dims[j.rank - 1];
  j.inner = -1;
  for (int d = 0; d < j.rank; ++d)
    if (j.strides[d] == 1)
      j.inner = d;
  j.outer = total / n;
  if (j.inner == j.rank - 1 || j.inner < 0) {
    if (j.inner < 0) {
      // No dimension is contiguous in the input (cannot happen after the
      // merge unless an extent-1 innermost was dropped): one column at a time.
      j.dims[j.rank] = 1;
      j.strides[j.rank] = 1;
      ++j.rank;
      j.outer = total;
    }
    j.unitsPerTask = cmb_max64(1, kTaskFloats / j.dims[j.rank - 1]);
    cmb_parallel_for(cmb_ceil_div(j.outer, j.unitsPerTask), copyRows, &j);
    return;
  }
  // Units: (rows of the dimensions other than inner and last) x blocks.
  j.outer = total / (n * j.dims[j.inner]);
  const int64_t blocks = cmb_ceil_div(j.dims[j.inner], kTile);
  j.unitsPerTask = cmb_max64(1, kTaskFloats / (kTile * n));
  cmb_parallel_for(cmb_ceil_div(j.outer * blocks, j.unitsPerTask), copyTiles,
                   &j);
}
