//===- Winograd.c - 3x3 stride-1 convolution as F(4x4, 3x3) ---------------===//
//
// Winograd's minimal filtering (Lavin & Gray 2016): every 4x4 block of
// outputs comes from a 6x6 input tile d as Y = A^T [U (.) (B^T d B)] A, so
// the 9 * 16 multiply-adds per channel of a direct 3x3 convolution become
// 36. Per image and block of tiles:
//
//  1. input transform: V[p][c][t] = (B^T d B)[p] for every channel c and
//     tile t (tiles 4 apart, the zero padding read implicitly);
//  2. 36 GEMMs M[p] = U[p] (F x C) * V[p] (C x T) on the SGEMM core;
//  3. output transform: the 4x4 block A^T M[.][f][t] A of every tile, then
//     bias, accumulation and the activation while the rows are written.
//
// Each thread takes blocks of tiles through all three phases, so that V and
// M never leave its core (phases split over the pool, each core reading what
// the other wrote, ran no faster on two threads than on one). On small maps
// the threads split the output channels instead, each transforming the
// whole input.
//
// U comes transformed by the compiler (WinogradWeights.h). The transforms
// work on a row of tiles at a time with one tile per lane: an input row is
// split into its four phases x[4j + k] first (and output rows merged back
// from them), with register permutes on AVX-512 and plain loops elsewhere.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Conv2d.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Scratch.h"
#include "targets/x86/runtime/Sgemm.h"
#include "targets/x86/runtime/SgemmMicrokernel.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"
#include "targets/x86/runtime/WinogradWeights.h"

#include <string.h>

/// p_k[j] = src[4j + k] for j < n. On AVX-512 whole blocks of 16 are
/// split: src must be readable, and p_k writable, up to n rounded up to 16.
static void deinterleave4(const float *src, float *p0, float *p1, float *p2,
                          float *p3, int64_t n) {
  int64_t j = 0;
#if defined(__AVX512F__)
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18,
                                         20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21,
                                        23, 25, 27, 29, 31);
  for (; j < n; j += 16) {
    const float *s = src + 4 * j;
    __m512 v0 = _mm512_loadu_ps(s), v1 = _mm512_loadu_ps(s + 16);
    __m512 v2 = _mm512_loadu_ps(s + 32), v3 = _mm512_loadu_ps(s + 48);
    // Phases 0 and 2, then 1 and 3, alternating.
    __m512 e0 = _mm512_permutex2var_ps(v0, even, v1);
    __m512 o0 = _mm512_permutex2var_ps(v0, odd, v1);
    __m512 e1 = _mm512_permutex2var_ps(v2, even, v3);
    __m512 o1 = _mm512_permutex2var_ps(v2, odd, v3);
    _mm512_storeu_ps(p0 + j, _mm512_permutex2var_ps(e0, even, e1));
    _mm512_storeu_ps(p2 + j, _mm512_permutex2var_ps(e0, odd, e1));
    _mm512_storeu_ps(p1 + j, _mm512_permutex2var_ps(o0, even, o1));
    _mm512_storeu_ps(p3 + j, _mm512_permutex2var_ps(o0, odd, o1));
  }
#endif
  for (; j < n; ++j) {
    p0[j] = src[4 * j];
    p1[j] = src[4 * j + 1];
    p2[j] = src[4 * j + 2];
    p3[j] = src[4 * j + 3];
  }
}

/// dst[4j + k] = p_k[j] for j < n. On AVX-512 whole blocks of 16 are
/// merged: p_k must be readable, and dst writable, up to n rounded up to 16.
static void interleave4(const float *p0, const float *p1, const float *p2,
                        const float *p3, float *dst, int64_t n) {
  int64_t j = 0;
#if defined(__AVX512F__)
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5,
                                       21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28,
                                       13, 29, 14, 30, 15, 31);
  for (; j < n; j += 16) {
    __m512 a = _mm512_loadu_ps(p0 + j), b = _mm512_loadu_ps(p1 + j);
    __m512 c = _mm512_loadu_ps(p2 + j), d = _mm512_loadu_ps(p3 + j);
    __m512 acLo = _mm512_permutex2var_ps(a, lo, c);
    __m512 acHi = _mm512_permutex2var_ps(a, hi, c);
    __m512 bdLo = _mm512_permutex2var_ps(b, lo, d);
    __m512 bdHi = _mm512_permutex2var_ps(b, hi, d);
    float *s = dst + 4 * j;
    _mm512_storeu_ps(s, _mm512_permutex2var_ps(acLo, lo, bdLo));
    _mm512_storeu_ps(s + 16, _mm512_permutex2var_ps(acLo, hi, bdLo));
    _mm512_storeu_ps(s + 32, _mm512_permutex2var_ps(acHi, lo, bdHi));
    _mm512_storeu_ps(s + 48, _mm512_permutex2var_ps(acHi, hi, bdHi));
  }
#endif
  for (; j < n; ++j) {
    dst[4 * j] = p0[j];
    dst[4 * j + 1] = p1[j];
    dst[4 * j + 2] = p2[j];
    dst[4 * j + 3] = p3[j];
  }
}

/// o = B^T d for F(4, 3).
static inline void inputTransform(const vec_t d[6], vec_t o[6]) {
  const vec_t two = V_SET1(2.0f), four = V_SET1(4.0f), m4 = V_SET1(-4.0f),
              m5 = V_SET1(-5.0f);
  vec_t a = V_FMA(d[2], m4, d[4]); // -4 d2 + d4
  vec_t b = V_FMA(d[1], m4, d[3]); // -4 d1 + d3
  vec_t c = V_SUB(d[4], d[2]);
  vec_t e = V_MUL(two, V_SUB(d[3], d[1]));
  o[0] = V_FMA(d[0], four, V_FMA(d[2], m5, d[4]));
  o[1] = V_ADD(a, b);
  o[2] = V_SUB(a, b);
  o[3] = V_ADD(c, e);
  o[4] = V_SUB(c, e);
  o[5] = V_FMA(d[1], four, V_FMA(d[3], m5, d[5]));
}

/// o = A^T m for F(4, 3).
static inline void outputTransform(const vec_t m[6], vec_t o[4]) {
  vec_t a = V_ADD(m[1], m[2]), b = V_SUB(m[1], m[2]);
  vec_t c = V_ADD(m[3], m[4]), d = V_SUB(m[3], m[4]);
  o[0] = V_ADD(V_ADD(m[0], a), c);
  o[1] = V_FMA(d, V_SET1(2.0f), b);
  o[2] = V_FMA(c, V_SET1(4.0f), a);
  o[3] = V_ADD(V_FMA(d, V_SET1(8.0f), b), m[5]);
}

typedef struct WinogradJob {
  const float *x, *u, *bias;
  float *y;
  const cmb_conv_shape *s;
  int64_t TY, TX;     ///< tiles down and across an image
  int64_t T;          ///< TY * TX
  int64_t blockTiles; ///< tiles per block (the last block may have fewer)
  int64_t blocks;     ///< blocks of tiles per image
  int64_t fParts;     ///< tasks per block, each a range of output channels
  int64_t lanes;      ///< floats per phase buffer: a row of tiles + slack
} WinogradJob;

/// Phase 1 over tiles [t0, t1) of image n: V[p][c][t - t0] = (B^T d B)[p].
static void inputTransformBlock(const WinogradJob *job, int64_t n, int64_t t0,
                                int64_t t1, float *V, float *phases,
                                float *row) {
  const cmb_conv_shape *s = job->s;
  const int64_t TX = job->TX, L = job->lanes, Tn = t1 - t0;
  const int64_t pointStride = s->C * Tn;
  for (int64_t c = 0; c < s->C; ++c) {
    const float *plane = job->x + (n * s->C + c) * s->H * s->W;
    for (int64_t ty = t0 / TX; ty * TX < t1; ++ty) {
      // This tile row's tiles in the block: tx in [a, b).
      const int64_t a = cmb_max64(t0 - ty * TX, 0);
      const int64_t b = cmb_min64(t1 - ty * TX, TX);
      const int64_t count = b - a;
      // Whole blocks of 16 tiles, for deinterleave4; the extra are zeros.
      const int64_t rowLen = 4 * cmb_round_up(count + 1, 16);
      // row[i] is input column 4a - PL + i.
      const int64_t x0 = 4 * a - s->PL;
      const int64_t lo = cmb_min64(cmb_max64(-x0, 0), rowLen);
      const int64_t hi = cmb_max64(lo, cmb_min64(s->W - x0, rowLen));
      for (int r = 0; r < 6; ++r) {
        const int64_t iy = 4 * ty - s->PT + r;
        if (iy < 0 || iy >= s->H) {
          for (int64_t i = 0; i < rowLen; ++i)
            row[i] = 0.0f;
        } else {
          const float *in = plane + iy * s->W + x0;
          for (int64_t i = 0; i < lo; ++i)
            row[i] = 0.0f;
          for (int64_t i = lo; i < hi; ++i)
            row[i] = in[i];
          for (int64_t i = hi; i < rowLen; ++i)
            row[i] = 0.0f;
        }
        float *p = phases + r * 4 * L;
        deinterleave4(row, p, p + L, p + 2 * L, p + 3 * L, count + 1);
      }
      float *dst = V + c * Tn + ty * TX + a - t0;
      for (int64_t j = 0; j < count; j += VLEN) {
        const int lanes = (int)cmb_min64(VLEN, count - j);
        vec_t t[6][6];
        for (int r = 0; r < 6; ++r) {
          const float *p = phases + r * 4 * L + j;
          vec_t d[6] = {V_LOAD(p),         V_LOAD(p + L), V_LOAD(p + 2 * L),
                        V_LOAD(p + 3 * L), V_LOAD(p + 1), V_LOAD(p + L + 1)};
          inputTransform(d, t[r]);
        }
        for (int nu = 0; nu < 6; ++nu) {
          vec_t col[6] = {t[0][nu], t[1][nu], t[2][nu],
                          t[3][nu], t[4][nu], t[5][nu]};
          vec_t v[6];
          inputTransform(col, v);
          for (int xi = 0; xi < 6; ++xi) {
            float *q = dst + (xi * 6 + nu) * pointStride + j;
            if (lanes == VLEN)
              V_STORE(q, v[xi]);
            else
              V_STORE_PART(q, v[xi], lanes);
          }
        }
      }
    }
  }
}

/// Phase 3 over tiles [t0, t1) of image n and output channels [f0, f1)
/// (M holds those): A^T M A per tile and channel, then bias, accumulation
/// and the activation into y.
static void outputTransformBlock(const WinogradJob *job, int64_t n,
                                 int64_t t0, int64_t t1, int64_t f0,
                                 int64_t f1, const float *M, float *phases,
                                 float *row) {
  const cmb_conv_shape *s = job->s;
  const int64_t TX = job->TX, L = job->lanes, Tn = t1 - t0;
  const int64_t pointStride = (f1 - f0) * Tn;
  const cmb_act act = s->act;
  for (int64_t f = f0; f < f1; ++f) {
    const vec_t bias = V_SET1(job->bias ? job->bias[f] : 0.0f);
    float *plane = job->y + (n * s->F + f) * s->OH * s->OW;
    for (int64_t ty = t0 / TX; ty * TX < t1; ++ty) {
      const int64_t a = cmb_max64(t0 - ty * TX, 0);
      const int64_t b = cmb_min64(t1 - ty * TX, TX);
      const int64_t count = b - a;
      const float *m0 = M + (f - f0) * Tn + ty * TX + a - t0;
      for (int64_t j = 0; j < count; j += VLEN) {
        vec_t sv[4][6];
        for (int nu = 0; nu < 6; ++nu) {
          vec_t col[6];
          for (int xi = 0; xi < 6; ++xi)
            col[xi] = V_LOAD(m0 + (xi * 6 + nu) * pointStride + j);
          vec_t o[4];
          outputTransform(col, o);
          for (int i = 0; i < 4; ++i)
            sv[i][nu] = o[i];
        }
        for (int i = 0; i < 4; ++i) {
          vec_t o[4];
          outputTransform(sv[i], o);
          for (int k = 0; k < 4; ++k)
            V_STORE(phases + (i * 4 + k) * L + j, o[k]);
        }
      }
      // Output columns [4a, 4a + width) of rows 4ty.. come from this row.
      const int64_t width = cmb_min64(4 * count, s->OW - 4 * a);
      for (int i = 0; i < 4; ++i) {
        const int64_t oy = 4 * ty + i;
        if (oy >= s->OH)
          break;
        const float *p = phases + i * 4 * L;
        interleave4(p, p + L, p + 2 * L, p + 3 * L, row, count);
        float *out = plane + oy * s->OW + 4 * a;
        for (int64_t q = 0; q < width; q += VLEN) {
          const int lanes = (int)cmb_min64(VLEN, width - q);
          vec_t v = V_ADD(V_LOAD(row + q), bias);
          if (s->accumulate)
            v = V_ADD(v, lanes == VLEN ? V_LOAD(out + q)
                                       : V_LOAD_PART(out + q, lanes));
          v = cmb_vactivate(v, act.kind, act.alpha, act.beta);
          if (lanes == VLEN)
            V_STORE(out + q, v);
          else
            V_STORE_PART(out + q, v, lanes);
        }
      }
    }
  }
}

/// Floats of the buffers of one task, each rounded to whole cache lines.
typedef struct WinogradScratch {
  size_t vBytes, mBytes, phaseBytes, rowBytes, gemmBytes;
} WinogradScratch;

static WinogradScratch scratchLayout(const WinogradJob *job) {
  const cmb_conv_shape *s = job->s;
  const int64_t Tb = job->blockTiles, L = job->lanes;
  cmb_gemm_desc d;
  memset(&d, 0, sizeof(d));
  d.M = s->F;
  d.N = Tb;
  d.K = s->C;
  d.ldb = Tb;
  WinogradScratch w;
  w.vBytes = cmb_align_bytes((size_t)CMB_WINOGRAD_POINTS * s->C * Tb * 4);
  // Vector loads of the last tiles of M may run VLEN floats past its end.
  w.mBytes =
      cmb_align_bytes(((size_t)CMB_WINOGRAD_POINTS * s->F * Tb + VLEN) * 4);
  w.phaseBytes = cmb_align_bytes((size_t)24 * L * 4);
  w.rowBytes = cmb_align_bytes((size_t)4 * L * 4);
  w.gemmBytes = cmb_gemm_scratch_bytes(&d);
  return w;
}

/// One block of tiles of one image, for a range of output channels, through
/// all three phases, so that V and M stay in this core's caches.
static void blockTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  const WinogradJob *job = (const WinogradJob *)ctx;
  const cmb_conv_shape *s = job->s;
  const int64_t fp = task % job->fParts;
  const int64_t n = task / job->fParts / job->blocks;
  const int64_t block = task / job->fParts % job->blocks;
  const int64_t fTiles = cmb_ceil_div(s->F, CMB_MR);
  const int64_t f0 = cmb_min64(s->F, fp * fTiles / job->fParts * CMB_MR);
  const int64_t f1 = cmb_min64(s->F, (fp + 1) * fTiles / job->fParts * CMB_MR);
  const int64_t t0 = block * job->blockTiles;
  const int64_t t1 = cmb_min64(job->T, t0 + job->blockTiles);
  if (t0 >= t1 || f0 >= f1)
    return;
  const int64_t Tn = t1 - t0, Fn = f1 - f0;
  const WinogradScratch w = scratchLayout(job);
  char *buf = cmb_scratch_reserve(scratch, w.vBytes + w.mBytes + w.phaseBytes +
                                               w.rowBytes + w.gemmBytes);
  if (!buf)
    cmb_fatal("out of memory (winograd scratch)");
  float *V = (float *)buf;
  float *M = (float *)(buf + w.vBytes);
  float *phases = (float *)(buf + w.vBytes + w.mBytes);
  float *row = (float *)(buf + w.vBytes + w.mBytes + w.phaseBytes);
  void *gemmScratch = buf + w.vBytes + w.mBytes + w.phaseBytes + w.rowBytes;

  inputTransformBlock(job, n, t0, t1, V, phases, row);
  for (int64_t p = 0; p < CMB_WINOGRAD_POINTS; ++p) {
    cmb_gemm_desc d = {Fn,
                       Tn,
                       s->C,
                       job->u + (p * s->F + f0) * s->C,
                       s->C,
                       V + p * s->C * Tn,
                       Tn,
                       NULL,
                       M + p * Fn * Tn,
                       Tn,
                       NULL,
                       0,
                       {CMB_CONV_ACT_NONE, 0.0f, 0.0f}};
    cmb_gemm_serial(&d, gemmScratch);
  }
  outputTransformBlock(job, n, t0, t1, f0, f1, M, phases, row);
}

/// Every block packs all of U again and runs GEMMs only as wide as its
/// tiles, so blocks are few: one per thread, and more only when V and M of
/// a block would exceed this (they then fall out of L3 anyway).
static const int64_t kBlockBytes = 8 << 20;
static const int64_t kMinBlockTiles = 32;
/// Below this many tiles per thread the threads split the output channels
/// instead, each transforming all tiles' input, when each gets at least
/// kMinThreadFTiles row tiles of them (else the repeated input transform
/// costs more than it saves). Two threads, 128 channels on 28x28 (49
/// tiles): 1.31x by tiles, 1.52x by channels; 256 on 14x14: 1.14x, 1.60x;
/// 64 on 28x28: 1.48x, 1.38x.
static const int64_t kMinThreadTiles = 64;
static const int64_t kMinThreadFTiles = 4;

CMB_EXPORT void cmb_x86_conv2d_winograd(const float *x, const float *u,
                                        const float *bias, float *y,
                                        const int64_t *params) {
  cmb_conv_shape s;
  cmb_conv_unpack(params, &s);
  if (s.KH != 3 || s.KW != 3 || s.SH != 1 || s.SW != 1 || s.DH != 1 ||
      s.DW != 1 || s.G != 1)
    cmb_fatal("conv2d_winograd: needs a 3x3, stride 1, undilated, "
              "ungrouped convolution");
  if (s.N <= 0 || s.F <= 0 || s.OH <= 0 || s.OW <= 0 || s.C <= 0)
    return;
  WinogradJob job;
  job.x = x;
  job.u = u;
  job.bias = bias;
  job.y = y;
  job.s = &s;
  job.TY = cmb_ceil_div(s.OH, 4);
  job.TX = cmb_ceil_div(s.OW, 4);
  job.T = job.TY * job.TX;
  job.lanes = cmb_round_up(job.TX + 1, 16) + 16;

  // Blocks: as few as fit the cache budget, at least one per thread (over
  // the batch).
  const int64_t perTile = (int64_t)CMB_WINOGRAD_POINTS * (s.C + s.F) * 4;
  const int64_t cacheTiles = cmb_max64(kMinBlockTiles, kBlockBytes / perTile);
  const int64_t threads = cmb_pool_size();
  int64_t blocks = cmb_ceil_div(job.T, cacheTiles);
  // Few tiles: the threads share the output channels of each block.
  // Otherwise they share the blocks.
  job.fParts = threads > 1 && s.N * job.T < kMinThreadTiles * threads &&
                       cmb_ceil_div(s.F, CMB_MR) >= kMinThreadFTiles * threads
                   ? threads
                   : 1;
  if (job.fParts == 1 && blocks * s.N < threads)
    blocks = cmb_ceil_div(threads, s.N);
  else if (job.fParts == 1 && threads > 1)
    blocks = cmb_ceil_div(blocks * s.N, threads) * threads / s.N;
  blocks = cmb_max64(1, cmb_min64(blocks, job.T));
  // Equal blocks: on two threads an uneven split costs more than the GEMM's
  // partial last panel.
  job.blockTiles = cmb_ceil_div(job.T, blocks);
  job.blocks = cmb_ceil_div(job.T, job.blockTiles);
  cmb_parallel_for(s.N * job.blocks * job.fParts, blockTask, &job);
}
