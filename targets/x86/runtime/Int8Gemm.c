//===- Int8Gemm.c - int8 GEMM with constant, packed weights ---------------===//
//
// cmb_x86_qgemm: the activations A (M x K) are packed per call into row
// panels of cmb_q_gemm_rows() rows in k-quads, shifted to uint8 on the way (int8 + 128);
// the weights come packed by the compiler in panels of CMB_Q_COL_PANEL
// columns (Int8Packing.h). A task is one weight panel against a block of
// row panels: the panel (K x 32 bytes) stays in L1/L2 while the row panels
// stream past it, and each tile accumulates its whole K in registers, so C
// is written once, requantized.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Int8Gemm.h"
#include "targets/x86/runtime/Int8Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Scratch.h"
#include "targets/x86/runtime/ThreadPool.h"

#include <emmintrin.h>
#include <string.h>

//===----------------------------------------------------------------------===//
// VNNI selection
//===----------------------------------------------------------------------===//

/// -1: not looked up yet; else whether the CPU has the VNNI form this
/// archive uses.
static int cpuVnni = -1;
/// Cleared by cmb_x86_int8_use_vnni(0).
static int vnniAllowed = 1;

static int cpuHasVnni(void) {
  if (cpuVnni < 0) {
#if defined(__AVX512F__)
    __builtin_cpu_init();
    cpuVnni = __builtin_cpu_supports("avx512vnni") ? 1 : 0;
#elif defined(__AVX2__)
    __builtin_cpu_init();
    cpuVnni = __builtin_cpu_supports("avxvnni") ? 1 : 0;
#else
    cpuVnni = 0;
#endif
  }
  return cpuVnni;
}

int cmb_q_vnni(void) { return vnniAllowed && cpuHasVnni(); }

CMB_EXPORT int32_t cmb_x86_int8_use_vnni(int32_t enable) {
  vnniAllowed = enable != 0;
  return cmb_q_vnni();
}

//===----------------------------------------------------------------------===//
// Packing A
//===----------------------------------------------------------------------===//

typedef struct QGemmJob {
  const uint8_t *a;
  int64_t lda;
  uint32_t flip;      ///< 0x80808080 for int8 activations, else 0
  int64_t mr;         ///< rows of a tile and a packed row panel
  uint8_t *ap;        ///< packed rows: panel r at r * K4 * mr * 4
  const int8_t *bp;
  const int32_t *table;
  char *c;
  int64_t ldc, esize;
  int64_t M, N, K, K4, Fp;
  int64_t rowPanels, colPanels, rowBlocks;
  qstage stage;
} QGemmJob;

/// K-quads [q0, K4) of one row of A into the panel column at d.
static void packRowTail(const QGemmJob *job, const uint8_t *row, uint8_t *d,
                        int64_t q0) {
  const int64_t K = job->K, fullQ = K / 4;
  for (int64_t q = q0; q < fullQ; ++q) {
    uint32_t v;
    memcpy(&v, row + 4 * q, 4);
    v ^= job->flip;
    memcpy(d + q * job->mr * 4, &v, 4);
  }
  if (fullQ < job->K4) {
    uint8_t tail[4] = {0, 0, 0, 0};
    for (int64_t k = 4 * fullQ; k < K; ++k)
      tail[k - 4 * fullQ] = (uint8_t)(row[k] ^ (uint8_t)job->flip);
    memcpy(d + fullQ * job->mr * 4, tail, 4);
  }
}

/// Row panel `task` of A into job->ap: byte (q, i, j) is A[r0 + i][4q + j]
/// shifted to uint8, 0 past K.
static void packRowsTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const QGemmJob *job = (const QGemmJob *)ctx;
  const int64_t mr = job->mr;
  const int64_t r0 = task * mr, m = cmb_min64(mr, job->M - r0);
  const int64_t fullQ = job->K / 4;
  uint8_t *dst = job->ap + task * job->K4 * mr * 4;
  int64_t i = 0;
  // Four rows at a time, four k-quads per row: a 4 x 4 transpose of 32-bit
  // elements (SSE2, every archive has it).
  const __m128i flip = _mm_set1_epi32((int)job->flip);
  for (; i + 4 <= m; i += 4) {
    const uint8_t *row = job->a + (r0 + i) * job->lda;
    const int64_t lda = job->lda;
    uint8_t *d = dst + 4 * i;
    int64_t q = 0;
    for (; q + 4 <= fullQ; q += 4) {
      const __m128i a0 = _mm_loadu_si128((const __m128i *)(row + 4 * q));
      const __m128i a1 = _mm_loadu_si128((const __m128i *)(row + lda + 4 * q));
      const __m128i a2 =
          _mm_loadu_si128((const __m128i *)(row + 2 * lda + 4 * q));
      const __m128i a3 =
          _mm_loadu_si128((const __m128i *)(row + 3 * lda + 4 * q));
      const __m128i t0 = _mm_unpacklo_epi32(a0, a1), t1 = _mm_unpacklo_epi32(a2, a3);
      const __m128i t2 = _mm_unpackhi_epi32(a0, a1), t3 = _mm_unpackhi_epi32(a2, a3);
      uint8_t *o = d + q * mr * 4;
      _mm_storeu_si128((__m128i *)o, _mm_xor_si128(_mm_unpacklo_epi64(t0, t1), flip));
      _mm_storeu_si128((__m128i *)(o + mr * 4),
                       _mm_xor_si128(_mm_unpackhi_epi64(t0, t1), flip));
      _mm_storeu_si128((__m128i *)(o + 2 * mr * 4),
                       _mm_xor_si128(_mm_unpacklo_epi64(t2, t3), flip));
      _mm_storeu_si128((__m128i *)(o + 3 * mr * 4),
                       _mm_xor_si128(_mm_unpackhi_epi64(t2, t3), flip));
    }
    for (int64_t ii = 0; ii < 4; ++ii)
      packRowTail(job, row + ii * lda, d + 4 * ii, q);
  }
  for (; i < m; ++i)
    packRowTail(job, job->a + (r0 + i) * job->lda, dst + 4 * i, 0);
}


//===----------------------------------------------------------------------===//
// The tiles
//===----------------------------------------------------------------------===//

/// One weight panel against a block of row panels.
static void gemmTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const QGemmJob *job = (const QGemmJob *)ctx;
  const int64_t panel = task % job->colPanels, block = task / job->colPanels;
  const int64_t r0 = block * job->rowPanels / job->rowBlocks;
  const int64_t r1 = (block + 1) * job->rowPanels / job->rowBlocks;
  const int64_t K4 = job->K4;
  const uint8_t *b =
      (const uint8_t *)job->bp + panel * K4 * CMB_Q_COL_PANEL * 4;
  cmb_q_tile t = {NULL, job->ldc, 0, job->table, job->Fp, 0, 0, &job->stage};
  for (int64_t r = r0; r < r1; ++r) {
    const int64_t mr = job->mr, m = cmb_min64(mr, job->M - r * mr);
    const cmb_q_ukernel_fn kernel = cmb_q_ukernel(/*rowsSigned=*/0, (int)m);
    const uint8_t *a = job->ap + r * K4 * mr * 4;
    for (int64_t s = 0; s < CMB_Q_COL_PANEL / QNR; ++s) {
      const int64_t col0 = panel * CMB_Q_COL_PANEL + s * QNR;
      if (col0 >= job->N)
        break;
      t.c = job->c + (r * mr * job->ldc + col0) * job->esize;
      t.cols = cmb_min64(QNR, job->N - col0);
      t.chan0 = col0;
      kernel(K4, a, mr * 4, b + s * QNR * 4, CMB_Q_COL_PANEL * 4, &t);
    }
  }
}

//===----------------------------------------------------------------------===//
// Entry point
//===----------------------------------------------------------------------===//

CMB_EXPORT void cmb_x86_qgemm(const void *a, const int8_t *bPacked,
                              const int32_t *channels, void *c,
                              const int64_t *params) {
  QGemmJob job;
  job.M = params[CMB_QGEMM_M];
  job.N = params[CMB_QGEMM_N];
  job.K = cmb_max64(0, params[CMB_QGEMM_K]);
  if (job.M <= 0 || job.N <= 0)
    return;
  job.a = (const uint8_t *)a;
  job.lda = params[CMB_QGEMM_LDA];
  job.flip = params[CMB_QGEMM_X_SIGNED] ? 0x80808080u : 0u;
  job.bp = bPacked;
  job.table = channels;
  job.c = (char *)c;
  job.ldc = params[CMB_QGEMM_LDC];
  job.stage.mode = (int)params[CMB_QGEMM_OUT];
  job.stage.zy = (int32_t)params[CMB_QGEMM_ZY];
  job.stage.qlo = (int32_t)(params[CMB_QGEMM_LO] - params[CMB_QGEMM_ZY]);
  job.stage.qhi = (int32_t)(params[CMB_QGEMM_HI] - params[CMB_QGEMM_ZY]);
  if (job.stage.mode < CMB_Q_OUT_U8 || job.stage.mode > CMB_Q_OUT_F32)
    cmb_fatal("qgemm: unknown output mode");
  job.esize = cmb_q_out_bytes(job.stage.mode);
  job.K4 = (job.K + 3) / 4;
  job.Fp = cmb_q_channels_padded(job.N);
  job.mr = cmb_q_gemm_rows();
  job.rowPanels = cmb_ceil_div(job.M, job.mr);
  job.colPanels = cmb_ceil_div(job.N, CMB_Q_COL_PANEL);
  // Enough tasks to share, but whole weight panels against long row runs.
  const int64_t threads = cmb_pool_size();
  job.rowBlocks = cmb_max64(
      1, cmb_min64(job.rowPanels, cmb_ceil_div(4 * threads, job.colPanels)));

  cmb_scratch buf = cmb_scratch_borrow();
  job.ap = (uint8_t *)cmb_scratch_reserve(
      &buf, (size_t)(job.rowPanels * job.K4 * job.mr * 4) + 64);
  if (!job.ap)
    cmb_fatal("out of memory (qgemm packing)");
  cmb_parallel_for(job.rowPanels, packRowsTask, &job);
  cmb_parallel_for(job.colPanels * job.rowBlocks, gemmTask, &job);
  cmb_scratch_return(buf);
}
