//===- Sgemm.c - Packed, cache-blocked SGEMM ------------------------------===//
//
// The GotoBLAS/BLIS loop nest around the micro-kernels:
//
//   for jc in N by NC          B block  KC x NC -> L3 (packed once per pc)
//     for pc in K by KC
//       pack B[pc, jc]
//       for ic in M by MC      A block  MC x KC -> L2
//         pack A[ic, pc]
//         for jr in NC by NR   B micro-panel KC x NR -> L1
//           for ir in MC by MR
//             micro-kernel (MR x NR tile of C in registers)
//
// Packing is skipped where it would not pay for itself:
//  - B is read in place when A has few rows (each B micro-panel is then
//    used a few times in a row, from L1/L2), unless B is too big to be
//    cached;
//  - A is read in place when N spans only a few NR panels (each A block is
//    then used only a few times);
//  - with at most 4 rows, B is streamed row by row (SgemmSmallM.c);
//  - with one column the product is a matrix-vector product (Gemv.c).
// The bias/activation epilogue is applied by the micro-kernel when it stores the
// last K block, so the output is written exactly once per K block.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Sgemm.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/PackedPanels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/SgemmMicrokernel.h"
#include "targets/x86/runtime/SgemmPack.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <immintrin.h>
#include <string.h>

_Static_assert(CMB_NC % CMB_B_PANEL == 0 && CMB_B_PANEL % CMB_NR == 0,
               "an N block holds whole packed panels of whole micro-panels");

/// How the core obtains B micro-panels.
typedef enum {
  kPackB,     ///< pack each KC x NC block
  kDirectB,   ///< read B in place (few rows of A)
  kPrepacked, ///< the caller packed all of B (desc.Bpacked)
} BMode;

/// A B of at least this many floats (32 MiB, a large L3) is assumed not to
/// be in cache: it is then read in sequential runs (packing, or short K
/// blocks).
static const int64_t kBigBFloats = 8 << 20;

static int bigB(const cmb_gemm_desc *d) {
  return d->streamB || d->K * d->N >= kBigBFloats;
}

/// Up to this many rows of A, B is read in place rather than packed.
static const int64_t kDirectBMaxM = 256;

/// Width of the panels of d->Bpacked (0 in the descriptor means CMB_NR).
static int64_t packedPanelWidth(const cmb_gemm_desc *d) {
  return d->bPanel ? d->bPanel : CMB_NR;
}

static BMode bModeOf(const cmb_gemm_desc *d) {
  if (d->Bpacked)
    return kPrepacked;
  // With few rows, each B micro-panel is used by a few A panels in a row
  // and stays in L1/L2 meanwhile, so packing it buys nothing (measured up
  // to kDirectBMaxM rows) unless B has to stream from memory: then the
  // packing's row-by-row reads beat the in-place walk down each panel.
  if (d->M <= CMB_MR || (d->M <= kDirectBMaxM && !bigB(d)))
    return kDirectB;
  return kPackB;
}

static int64_t kBlockOf(const cmb_gemm_desc *d, BMode mode) {
  if (mode != kDirectB)
    return CMB_KC;
  if (d->M <= CMB_MR)
    return bigB(d) ? CMB_KC_SMALL_M_STREAM : CMB_KC_SMALL_M;
  return CMB_KC_DIRECT_B;
}

/// Up to this many B panels in N, A is read in place instead of packed.
static const int64_t kRawAMaxPanels = 8;

/// At most this many rows (raw B): stream B row by row (SgemmSmallM.c).
static const int64_t kSmallM = 4;

static int useGemv(const cmb_gemm_desc *d) {
  return d->N == 1 && !d->Bpacked && d->K > 0;
}

static int useSmallM(const cmb_gemm_desc *d) {
  return d->M <= kSmallM && !d->Bpacked && d->K > 0;
}

/// Scratch for the packed A block and, depending on the mode, B.
static size_t scratchBytes(const cmb_gemm_desc *d, BMode mode) {
  const int64_t M = d->M, N = d->N, K = d->K;
  int64_t kc = cmb_min64(K, kBlockOf(d, mode));
  int64_t mc = cmb_round_up(cmb_min64(M, CMB_MC), CMB_MR);
  size_t aBytes = cmb_align_bytes((size_t)(mc * kc) * sizeof(float));
  size_t bFloats = 0;
  if (mode == kPackB)
    bFloats = (size_t)(cmb_round_up(cmb_min64(N, CMB_NC), CMB_NR) * kc);
  else if (mode == kDirectB)
    bFloats = (size_t)(CMB_NR * kc); // the partial last panel
  return aBytes + cmb_align_bytes(bFloats * sizeof(float));
}

size_t cmb_gemm_scratch_bytes(const cmb_gemm_desc *d) {
  if (d->M <= 0 || d->N <= 0 || d->K <= 0)
    return 0;
  if (useGemv(d))
    return cmb_align_bytes((size_t)d->K * sizeof(float));
  if (useSmallM(d))
    return cmb_gemm_small_m_scratch_bytes(d->M);
  return scratchBytes(d, bModeOf(d));
}

size_t cmb_gemm_prepacked_scratch_bytes(int64_t M, int64_t K) {
  if (M <= 0 || K <= 0)
    return 0;
  cmb_gemm_desc d;
  memset(&d, 0, sizeof(d));
  d.M = M;
  d.N = 1;
  d.K = K;
  return scratchBytes(&d, kPrepacked);
}

/// C = act((accumulate ? C : 0) + bias): the whole result when K == 0.
static void epilogueOnly(const cmb_gemm_desc *d) {
  for (int64_t i = 0; i < d->M; ++i) {
    float *c = d->C + i * d->ldc;
    float b = d->bias ? d->bias[i] : 0.0f;
    for (int64_t j = 0; j < d->N; ++j) {
      float v = (d->accumulate ? c[j] : 0.0f) + b +
                (d->colBias ? d->colBias[j] : 0.0f);
      c[j] = cmb_activate(v, &d->act);
    }
  }
}

/// Stores an m x n corner (n < NR) computed into `tile` (ld NR) with the
/// epilogue that the micro-kernel would have applied, with masked vectors.
static void storeEdge(const float *tile, int m, int64_t n, float *c,
                      int64_t ldc, const cmb_epilogue *ep) {
  const int kind = ep->act.kind;
  for (int i = 0; i < m; ++i) {
    const vec_t b = V_SET1(ep->bias ? ep->bias[i] : 0.0f);
    float *row = c + i * ldc;
    for (int64_t j = 0; j < n; j += VLEN) {
      const int lanes = (int)cmb_min64(VLEN, n - j);
      vec_t v = V_ADD(V_LOAD(tile + i * CMB_NR + j), b);
      if (ep->colBias)
        v = V_ADD(v, V_LOAD_PART(ep->colBias + j, lanes));
      if (ep->beta)
        v = V_ADD(v, V_LOAD_PART(row + j, lanes));
      V_STORE_PART(row + j, V_ACTIVATE(v, kind), lanes);
    }
  }
  if (!cmb_act_in_register(kind))
    cmb_act_apply_rows(c, m, n, ldc, &ep->act);
}

void cmb_gemm_serial(const cmb_gemm_desc *d, void *scratch) {
  const int64_t M = d->M, N = d->N, K = d->K;
  if (M <= 0 || N <= 0)
    return;
  if (K <= 0) {
    epilogueOnly(d);
    return;
  }
  if (useGemv(d)) {
    cmb_gemv_serial(d, (float *)scratch);
    return;
  }
  if (useSmallM(d)) {
    cmb_gemm_small_m(d, (float *)scratch);
    return;
  }

  const BMode mode = bModeOf(d);
  const int64_t bPanel = packedPanelWidth(d);
  const int64_t kBlock = kBlockOf(d, mode);
  const int64_t kcMax = cmb_min64(K, kBlock);
  const int64_t mcMax = cmb_round_up(cmb_min64(M, CMB_MC), CMB_MR);
  // With few B panels each A block is used only a few times: packing it
  // would cost about as much as reading it in place.
  const int rawA = cmb_ceil_div(N, CMB_NR) <= kRawAMaxPanels;
  const cmb_ukernel_fn *kernels = rawA ? cmb_ukernels_raw_a : cmb_ukernels;
  float *aPack = (float *)scratch;
  float *bPack =
      (float *)((char *)scratch +
                cmb_align_bytes((size_t)(mcMax * kcMax) * sizeof(float)));
  // Edge tiles in N go through this buffer; MR x NR floats is small.
  float edge[CMB_MR * CMB_NR] __attribute__((aligned(CMB_ALIGN)));
  const cmb_epilogue plain = {NULL, 0, {CMB_CONV_ACT_NONE, 0.0f, 0.0f}, NULL,
                              NULL, 0};

  for (int64_t jc = 0; jc < N; jc += CMB_NC) {
    const int64_t nc = cmb_min64(CMB_NC, N - jc);
    for (int64_t pc = 0; pc < K; pc += kBlock) {
      const int64_t kc = cmb_min64(kBlock, K - pc);
      const int last = pc + kc == K;
      cmb_epilogue ep = {NULL, pc == 0 ? d->accumulate : 1, plain.act, NULL,
                         NULL, 0};
      if (last)
        ep.act = d->act;

      // Where micro-panel j of this block starts, and its k stride.
      const float *bBase;
      int64_t bPanelStride, bRowStride;
      switch (mode) {
      case kPackB:
        cmb_pack_b(d->B + pc * d->ldb + jc, d->ldb, kc, nc, bPack);
        bBase = bPack;
        bPanelStride = kc * CMB_NR;
        bRowStride = CMB_NR;
        break;
      case kPrepacked:
        // jc is a multiple of NC, and NC of every panel width.
        bBase = d->Bpacked + jc * K + pc * bPanel;
        bPanelStride = K * bPanel;
        bRowStride = bPanel;
        break;
      default: // kDirectB
        bBase = d->B + pc * d->ldb + jc;
        bPanelStride = CMB_NR;
        bRowStride = d->ldb;
        if (nc % CMB_NR != 0) {
          int64_t j = nc - nc % CMB_NR;
          cmb_pack_b(bBase + j, d->ldb, kc, nc - j, bPack);
        }
        break;
      }

      for (int64_t ic = 0; ic < M; ic += CMB_MC) {
        const int64_t mc = cmb_min64(CMB_MC, M - ic);
        // Row ir of the block: in place (rows lda apart) or packed panels.
        const float *aBlock = d->A + ic * d->lda + pc;
        int64_t aRowStride = d->lda;
        if (!rawA) {
          cmb_pack_a(aBlock, d->lda, mc, kc, aPack);
          aBlock = aPack;
          aRowStride = kc;
        }
        for (int64_t jr = 0; jr < nc; jr += CMB_NR) {
          const int64_t n = cmb_min64(CMB_NR, nc - jr);
          // Micro-panel jr: in a packed panel of the block, or at a column.
          const float *b = mode == kPrepacked
                               ? bBase + (jr / bPanel) * bPanelStride +
                                     jr % bPanel
                               : bBase + (jr / CMB_NR) * bPanelStride;
          ep.colBias = last && d->colBias ? d->colBias + jc + jr : NULL;
          int64_t ldb = bRowStride;
          if (mode == kDirectB && n < CMB_NR) {
            b = bPack;
            ldb = CMB_NR;
          } else if (mode == kDirectB && jr + 2 * CMB_NR <= nc) {
            // The rows of B in place are ldb apart, often in different
            // pages, which the hardware prefetchers do not follow: fetch
            // the next micro-panel while this one is computed.
            const float *next = b + CMB_NR;
            for (int64_t k = 0; k < kc; ++k) {
              _mm_prefetch((const char *)(next + k * ldb), _MM_HINT_T1);
              _mm_prefetch((const char *)(next + k * ldb + CMB_NR - 1),
                           _MM_HINT_T1);
            }
          }
          // B packed by the compiler is one sequential stream of weights,
          // usually from memory: while the tiles of a packed panel run,
          // fetch the same K block of the next panel into L2, a line per k
          // step. (Conv2d's panels, just written, are in cache already.)
          const int64_t mTiles = cmb_ceil_div(mc, CMB_MR);
          const int64_t pfTiles = bPanel / CMB_NR * mTiles;
          const char *pfNext =
              mode == kPrepacked && d->bPanel != 0
                  ? (const char *)(bBase + (jr / bPanel + 1) * bPanelStride)
                  : NULL;
          const int64_t pfLines =
              kc * bPanel * (int64_t)sizeof(float) / 64;
          for (int64_t ir = 0; ir < mc; ir += CMB_MR) {
            const int m = (int)cmb_min64(CMB_MR, mc - ir);
            const float *a = aBlock + ir * aRowStride;
            if (pfNext) {
              const int64_t t = (jr % bPanel) / CMB_NR * mTiles + ir / CMB_MR;
              const int64_t lo = t * pfLines / pfTiles;
              ep.prefetch = pfNext + lo * 64;
              ep.prefetchLines = (t + 1) * pfLines / pfTiles - lo;
            }
            if (rawA && jr == 0) {
              // The first panel reads A in place for the first time, MR
              // rows lda apart, which the prefetchers do not follow: for
              // weights that come from memory (a model larger than the
              // caches) fetch the next strip's rows meanwhile.
              const int64_t next = cmb_min64(CMB_MR, M - (ic + ir + CMB_MR));
              const float *na = a + CMB_MR * aRowStride;
              for (int64_t r = 0; r < next; ++r)
                for (int64_t k = 0; k < kc; k += 16)
                  _mm_prefetch((const char *)(na + r * aRowStride + k),
                               _MM_HINT_T0);
            }
            float *c = d->C + (ic + ir) * d->ldc + jc + jr;
            ep.bias = last && d->bias ? d->bias + ic + ir : NULL;
            if (CMB_LIKELY(n == CMB_NR)) {
              kernels[m](kc, a, d->lda, b, ldb, c, d->ldc, &ep);
            } else {
              kernels[m](kc, a, d->lda, b, ldb, edge, CMB_NR, &plain);
              storeEdge(edge, m, n, c, d->ldc, &ep);
            }
          }
        }
      }
    }
  }
}

//===----------------------------------------------------------------------===//
// Splitting a batch of GEMMs over the pool
//===----------------------------------------------------------------------===//

/// Below this many multiply-adds per task, waking threads costs more than it
/// saves.
static const int64_t kMinMacsPerTask = 1 << 16;

typedef struct GemmJob {
  cmb_gemm_item_fn item;
  const void *ctx;
  int64_t batchBegin; ///< first GEMM of this job
  int64_t pm, pn;     ///< blocks per GEMM in M and N
  int64_t mTiles, nTiles;
  int64_t nTile; ///< columns per tile: blocks of N start at whole panels
} GemmJob;

/// Block `p` of `parts` over `tiles` tiles of `tileSize`, clipped to `total`.
static void blockRange(int64_t p, int64_t parts, int64_t tiles,
                       int64_t tileSize, int64_t total, int64_t *begin,
                       int64_t *end) {
  *begin = cmb_min64(total, (p * tiles / parts) * tileSize);
  *end = cmb_min64(total, ((p + 1) * tiles / parts) * tileSize);
}

static void gemmTask(void *ctxPtr, int64_t task, cmb_scratch *scratch) {
  const GemmJob *job = (const GemmJob *)ctxPtr;
  const int64_t perGemm = job->pm * job->pn;
  cmb_gemm_desc d;
  job->item(job->ctx, job->batchBegin + task / perGemm, &d);
  const int64_t r = task % perGemm;
  int64_t m0, m1, n0, n1;
  blockRange(r / job->pn, job->pm, job->mTiles, CMB_MR, d.M, &m0, &m1);
  blockRange(r % job->pn, job->pn, job->nTiles, job->nTile, d.N, &n0, &n1);
  if (m0 >= m1 || n0 >= n1)
    return;
  d.A += m0 * d.lda;
  if (d.Bpacked)
    d.Bpacked += n0 * d.K; // n0 is a multiple of the panel width
  else
    d.B += n0;
  d.C += m0 * d.ldc + n0;
  if (d.bias)
    d.bias += m0;
  if (d.colBias)
    d.colBias += n0;
  d.M = m1 - m0;
  d.N = n1 - n0;
  size_t bytes = cmb_gemm_scratch_bytes(&d);
  void *buf = cmb_scratch_reserve(scratch, bytes);
  if (!buf)
    cmb_fatal("out of memory (sgemm scratch)");
  cmb_gemm_serial(&d, buf);
}

static int64_t gcd64(int64_t a, int64_t b) {
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/// How evenly `total` rows (or columns) in `tiles` tiles of `tileSize`
/// spread over `parts` blocks as blockRange cuts them: the mean block over
/// the largest (1 = perfectly). Counted in rows, not tiles: M = 16 is two
/// tiles of 14, and one tile per block would give one thread 14 rows and
/// the other 2.
static double balance(int64_t tiles, int64_t tileSize, int64_t total,
                      int64_t parts) {
  int64_t largest = 0;
  for (int64_t p = 0; p < parts; ++p) {
    int64_t begin, end;
    blockRange(p, parts, tiles, tileSize, total, &begin, &end);
    largest = cmb_max64(largest, end - begin);
  }
  return largest > 0 ? (double)total / (double)(parts * largest) : 0.0;
}

void cmb_gemm_choose_split(int64_t batch, int64_t M, int64_t N, int64_t K,
                           int threads, int64_t nTile, int64_t *pm,
                           int64_t *pn) {
  *pm = *pn = 1;
  const int64_t mTiles = cmb_ceil_div(M, CMB_MR);
  const int64_t nTiles = cmb_ceil_div(N, nTile);
  if (threads <= 1 || batch >= 4 * (int64_t)threads)
    return;
  // Enough blocks that the task count is a multiple of the thread count.
  int64_t parts = threads / gcd64(batch, threads);
  int64_t byWork = (batch * M * N * cmb_max64(K, 1)) / kMinMacsPerTask;
  parts = cmb_min64(parts, cmb_max64(1, byWork / batch));
  if (parts <= 1)
    return;
  double best = -1.0;
  for (int64_t m = 1; m <= parts; ++m) {
    if (parts % m != 0)
      continue;
    int64_t n = parts / m;
    if (m > mTiles || n > nTiles)
      continue;
    double score =
        balance(mTiles, CMB_MR, M, m) * balance(nTiles, nTile, N, n);
    // Ties go to the first candidate, the most blocks of N: each block of N
    // packs all of A, each block of M all of B, usually the larger.
    if (score > best) {
      best = score;
      *pm = m;
      *pn = n;
    }
  }
  if (best < 0.0) { // fewer tiles than parts: split what there is
    *pn = cmb_min64(parts, nTiles);
    *pm = cmb_min64(parts / *pn, mTiles);
  }
}

void cmb_gemm_parallel(int64_t batch, cmb_gemm_item_fn item, const void *ctx,
                       int serialBatch) {
  if (batch <= 0)
    return;
  cmb_gemm_desc d;
  item(ctx, 0, &d);
  if (d.M <= 0 || d.N <= 0)
    return;
  const int64_t nTile = d.Bpacked ? packedPanelWidth(&d) : CMB_NR;
  GemmJob job = {item, ctx,
                 0,    1,
                 1,    cmb_ceil_div(d.M, CMB_MR),
                 cmb_ceil_div(d.N, nTile), nTile};
  const int threads = cmb_pool_size();
  if (serialBatch) {
    cmb_gemm_choose_split(1, d.M, d.N, d.K, threads, nTile, &job.pm, &job.pn);
    for (int64_t b = 0; b < batch; ++b) {
      job.batchBegin = b;
      cmb_parallel_for(job.pm * job.pn, gemmTask, &job);
    }
    return;
  }
  cmb_gemm_choose_split(batch, d.M, d.N, d.K, threads, nTile, &job.pm,
                        &job.pn);
  cmb_parallel_for(batch * job.pm * job.pn, gemmTask, &job);
}

//===----------------------------------------------------------------------===//
// cmb_x86_sgemm
//===----------------------------------------------------------------------===//

typedef struct SgemmArgs {
  int64_t M, N, K;
  const float *A;
  int64_t strideA, lda;
  const float *B;
  int64_t strideB, ldb;
  float *C;
  int64_t strideC, ldc;
  int accumulate, streamB, packedB;
  const float *colBias;
  cmb_act act;
} SgemmArgs;

static void sgemmItem(const void *ctxPtr, int64_t b, cmb_gemm_desc *d) {
  const SgemmArgs *s = (const SgemmArgs *)ctxPtr;
  cmb_gemm_desc r = {s->M,
                     s->N,
                     s->K,
                     s->A + b * s->strideA,
                     s->lda,
                     s->B + b * s->strideB,
                     s->ldb,
                     NULL,
                     s->C + b * s->strideC,
                     s->ldc,
                     NULL,
                     s->accumulate,
                     s->act,
                     s->streamB,
                     s->colBias,
                     0};
  if (s->packedB) {
    r.Bpacked = r.B;
    r.B = NULL;
    r.bPanel = CMB_B_PANEL;
  }
  *d = r;
}

CMB_EXPORT void cmb_x86_sgemm_epilogue(
    int64_t batch, int64_t M, int64_t N, int64_t K, const float *A,
    int64_t strideA, int64_t lda, const float *B, int64_t strideB, int64_t ldb,
    float *C, int64_t strideC, int64_t ldc, int64_t flags,
    const float *colBias, int64_t activation, int64_t alphaBits,
    int64_t betaBits) {
  if (batch <= 0 || M <= 0 || N <= 0)
    return;
  if (activation < 0 || activation > CMB_CONV_ACT_LAST)
    cmb_fatal("sgemm: unknown activation");
  SgemmArgs args = {M,
                    N,
                    K,
                    A,
                    strideA,
                    lda,
                    B,
                    strideB,
                    ldb,
                    C,
                    strideC,
                    ldc,
                    (flags & CMB_SGEMM_ACCUMULATE) != 0,
                    (flags & CMB_SGEMM_STREAM_B) != 0,
                    (flags & CMB_SGEMM_PACKED_B) != 0,
                    colBias,
                    {(int)activation, cmb_float_from_bits(alphaBits),
                     cmb_float_from_bits(betaBits)}};
  // A zero output stride makes every GEMM write the same C: keep their order.
  int serialBatch = batch > 1 && strideC == 0;
  cmb_gemm_parallel(batch, sgemmItem, &args, serialBatch);
}

CMB_EXPORT void cmb_x86_sgemm(int64_t batch, int64_t M, int64_t N, int64_t K,
                              const float *A, int64_t strideA, int64_t lda,
                              const float *B, int64_t strideB, int64_t ldb,
                              float *C, int64_t strideC, int64_t ldc,
                              int64_t flags) {
  cmb_x86_sgemm_epilogue(batch, M, N, K, A, strideA, lda, B, strideB, ldb, C,
                         strideC, ldc, flags, NULL, CMB_CONV_ACT_NONE, 0, 0);
}
