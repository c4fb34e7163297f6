//===- SgemmMicrokernel.h - Register tiles and cache blocking -*- C -*-===//
//
// The same sources are compiled once per ISA level (see CMakeLists.txt); the
// compiler's predefined macros (__AVX512F__, __AVX2__, __FMA__) select the
// register tile and the cache blocking below, so every archive gets its own
// constants without any run-time dispatch.
//
// Register tile MR x NR: the micro-kernel keeps an MR x NR block of C in
// vector registers and, per k, broadcasts MR values of A and loads NR values
// of B. Cache blocking (BLIS order): a KC x NC block of packed B lives in L3
// (per thread), an MC x KC block of packed A in L2, a KC x NR micro-panel of
// B in L1 (or, for AVX-512, L1 and L2: a 512-deep panel is 64 KiB, and the
// longer K block measured better on Zen 5 than one that fits L1).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_SGEMMMICROKERNEL_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_SGEMMMICROKERNEL_H

#include <stdint.h>

#include "targets/x86/runtime/Runtime.h"

#if defined(__AVX512F__)
// 14 x 32: 28 zmm accumulators + 2 for B + 1 broadcast, of 32 registers.
#define CMB_MR 14
#define CMB_NR 32
#define CMB_KC 512
#define CMB_MC 112
#define CMB_NC 3072
#elif defined(__AVX2__) && defined(__FMA__)
// 6 x 16: 12 ymm accumulators + 2 for B + 1 broadcast, of 16 registers.
// The A block (147 KiB) also fits the 256 KiB L2 of older AVX2 CPUs.
#define CMB_MR 6
#define CMB_NR 16
#define CMB_KC 256
#define CMB_MC 144
#define CMB_NC 3072
#else
// 6 x 8 with SSE (baseline x86-64): 12 xmm accumulators + 2 for B + 1
// broadcast + 1 product temporary (no FMA), of 16 registers.
#define CMB_MR 6
#define CMB_NR 8
#define CMB_KC 256
#define CMB_MC 120
#define CMB_NC 3072
#endif

/// Depth of one K block when B is read in place (A has more than MR rows):
/// the micro-panel then has to stay in L1 despite the cache-set conflicts of
/// rows that are ldb apart.
#define CMB_KC_DIRECT_B 128

/// Depth of one K block when A has at most MR rows: B is then streamed once,
/// so a long block only saves C round trips.
#define CMB_KC_SMALL_M 1024

/// The same for a B too large to be in cache (see kBigBFloats in Sgemm.c):
/// short blocks make the walk over B nearly sequential (a few rows at a time
/// across all panels) instead of one page per row down a panel.
#define CMB_KC_SMALL_M_STREAM 32

#pragma GCC visibility push(hidden)

/// What a micro-kernel does with its MR x NR result before it stores it.
typedef struct cmb_epilogue {
  const float *bias;    ///< added per row (m values), or NULL
  int beta;             ///< 1: add the previous contents of C
  cmb_act act;          ///< after bias and beta
  const float *colBias; ///< added per column (NR values), or NULL
  /// Cache lines to fetch into L2 meanwhile, one per k step from
  /// `prefetch` on (the next weights of a stream from memory), or 0.
  const char *prefetch;
  int64_t prefetchLines;
} cmb_epilogue;

/// Computes an m x NR tile, where m is fixed per table entry:
///   C[i][j] = act?( (beta ? C[i][j] : 0) + sum_k A(i, k) * b[k*ldb + j]
///                    + bias[i] + colBias[j] )
/// `b` is NR consecutive floats per k, rows `ldb` floats apart (NR for
/// packed B, the matrix's leading dimension when B is read in place).
/// A(i, k) is a[k*m + i] for a packed A panel (k-major; `lda` unused), or
/// a[i*lda + k] for the kernels that read A in place. No alignment is
/// required.
typedef void (*cmb_ukernel_fn)(int64_t kc, const float *a, int64_t lda,
                               const float *b, int64_t ldb, float *c,
                               int64_t ldc, const cmb_epilogue *ep);

/// cmb_ukernels[m] computes m rows from a packed A panel,
/// 1 <= m <= CMB_MR (entry 0 is NULL).
extern const cmb_ukernel_fn cmb_ukernels[CMB_MR + 1];

/// The same, reading A in place (row-major, leading dimension lda).
extern const cmb_ukernel_fn cmb_ukernels_raw_a[CMB_MR + 1];

/// The same, reading A in place column-major: A(i, k) is a[k*lda + i] (the
/// transposed input planes of a convolution computed pixels by channels).
extern const cmb_ukernel_fn cmb_ukernels_col_a[CMB_MR + 1];

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_SGEMMMICROKERNEL_H
