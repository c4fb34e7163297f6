//===- Sgemm.h - The SGEMM core shared by matmul and convolution -*- C -*-===//
//
// cmb_x86_sgemm and cmb_x86_conv2d both reduce to one or more GEMMs with an
// optional fused epilogue (per-row bias, activation). This header is the internal
// interface to that core: a single-threaded GEMM on one descriptor, and a
// driver that splits a batch of equally shaped GEMMs over the thread pool.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_SGEMM_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_SGEMM_H

#include <stddef.h>
#include <stdint.h>

#include "targets/x86/runtime/Runtime.h"

#pragma GCC visibility push(hidden)

#ifdef __cplusplus
extern "C" { // for the unit tests
#endif

/// C[M x N] = act((accumulate ? C : 0) + A[M x K] * B[K x N] + bias
///                 + colBias)
/// with row-major operands; `bias` has M entries (one per row of C: a
/// convolution's), `colBias` N (one per column: a matmul's), either may be
/// NULL; `act` is the activation.
///
/// B is either row-major at `B` with leading dimension `ldb`, or, when
/// `Bpacked` is set, already in a packed-panel layout of the whole K:
/// ceil(N/W) panels of K x W floats (k-major, zero-padded columns), panel p
/// at Bpacked + p*K*W, for a panel width W = `bPanel` that is a multiple of
/// CMB_NR (0 means CMB_NR). Conv2d produces that layout with W = CMB_NR
/// directly from its im2col step, which saves a copy; constant weights come
/// packed by the compiler with W = CMB_B_PANEL (PackedPanels.h).
typedef struct cmb_gemm_desc {
  int64_t M, N, K;
  const float *A;
  int64_t lda;
  const float *B;
  int64_t ldb;
  const float *Bpacked;
  float *C;
  int64_t ldc;
  const float *bias;
  int accumulate;
  cmb_act act;
  /// B is not in cache however small (see CMB_SGEMM_STREAM_B).
  int streamB;
  /// N floats added per column (a matmul's bias), or NULL.
  const float *colBias;
  /// Width of the panels of `Bpacked`.
  int64_t bPanel;
} cmb_gemm_desc;

/// Bytes of scratch cmb_gemm_serial needs for `d`.
size_t cmb_gemm_scratch_bytes(const cmb_gemm_desc *d);

/// Bytes of scratch cmb_gemm_serial needs for an M x K A with prepacked B.
size_t cmb_gemm_prepacked_scratch_bytes(int64_t M, int64_t K);

/// Runs the GEMM of `d` on the calling thread. `scratch` must be
/// CMB_ALIGN-aligned and hold cmb_gemm_scratch_bytes(d) bytes.
void cmb_gemm_serial(const cmb_gemm_desc *d, void *scratch);

/// The matrix-vector special case (N == 1, raw B) of cmb_gemm_serial; needs
/// K floats of scratch when ldb != 1.
void cmb_gemv_serial(const cmb_gemm_desc *d, float *scratch);

/// The M <= 4 case (raw B) of cmb_gemm_serial: streams B row by row. Needs
/// cmb_gemm_small_m_scratch_bytes(M) of scratch.
void cmb_gemm_small_m(const cmb_gemm_desc *d, float *scratch);
size_t cmb_gemm_small_m_scratch_bytes(int64_t M);

/// Fills in the descriptor of GEMM number `index` of a batch.
typedef void (*cmb_gemm_item_fn)(const void *ctx, int64_t index,
                                 cmb_gemm_desc *d);

/// Runs `batch` GEMMs of equal shape over the thread pool, splitting
/// each one into row/column blocks when the batch alone does not give every
/// thread work. With `serialBatch`, the GEMMs run in order on one thread
/// (their outputs overlap); each one is still split when that is safe.
/// How cmb_gemm_parallel cuts each of `batch` M x N x K GEMMs for `threads`
/// threads: into pm blocks of M (whole tiles of CMB_MR rows) times pn
/// blocks of N (whole tiles of nTile columns), so that the blocks are as
/// even in rows and columns as the tiles allow.
void cmb_gemm_choose_split(int64_t batch, int64_t M, int64_t N, int64_t K,
                           int threads, int64_t nTile, int64_t *pm,
                           int64_t *pn);

void cmb_gemm_parallel(int64_t batch, cmb_gemm_item_fn item, const void *ctx,
                       int serialBatch);

#ifdef __cplusplus
}
#endif

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_SGEMM_H
