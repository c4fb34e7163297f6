//===- Int8Gemm.h - The int8 micro-kernels and their tiles -*- C -*-===//
//
// Every int8 GEMM-like kernel (cmb_x86_qgemm, cmb_x86_qconv2d) ends in the
// same register tile: QMR rows by QNR columns of int32 accumulators, one
// k-quad (four reduction steps, a vpdpbusd) at a time, with the rows'
// operand broadcast 4 bytes per row and the columns' operand loaded as
// vectors of QL lanes x 4 bytes. Which side is unsigned is a property of the
// kernel: the GEMM broadcasts activations (u8) against weight columns (s8),
// the convolution broadcasts weights (s8) against pixel columns (u8). The
// output stage is applied in registers as the tile is stored, with the
// channel on the rows (convolution) or the columns (GEMM).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_INT8GEMM_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_INT8GEMM_H

#include "targets/x86/runtime/Int8Packing.h"
#include "targets/x86/runtime/Int8Vector.h"
#include "targets/x86/runtime/Runtime.h"

#include <stdint.h>

#if defined(__AVX512F__)
#define QMR 8 // 8 x 32: 16 zmm accumulators, 2 column vectors
#define QNV 2
#elif defined(__AVX2__)
#define QMR 4 // 4 x 16: 8 ymm accumulators, leaving room for the split
#define QNV 2 //          operands of the exact fallback
#else
#define QMR 4 // 4 x 8 in xmm
#define QNV 2
#endif
/// Columns of a tile.
#define QNR (QNV * QL)
#if defined(__AVX512F__)
/// Rows of the GEMM's tiles with VNNI: 12 x 32, 24 accumulators, fewer
/// loads per vpdpbusd than 8 x 32 (the A rows are packed at run time, so
/// this is no layout of the compiler's). The convolution's rows are its
/// weight panels' (QMR).
#define QMR_GEMM 12
#else
#define QMR_GEMM QMR
#endif
/// Rows of the largest tile.
#define QMR_MAX (QMR_GEMM > QMR ? QMR_GEMM : QMR)

_Static_assert(CMB_Q_ROW_PANEL % QMR == 0 && CMB_Q_COL_PANEL % QNR == 0,
               "packed panels hold whole tiles");

#pragma GCC visibility push(hidden)

/// Where and how a micro-kernel stores its tile.
typedef struct cmb_q_tile {
  void *c;               ///< element (0, 0) of the tile
  int64_t ldc;           ///< elements from one row to the next
  int64_t cols;          ///< valid columns, 1..QNR
  const int32_t *table;  ///< the channel table
  int64_t Fp;            ///< its array length
  int64_t chan0;         ///< channel of the tile's first row or column
  int chanOnRows;        ///< 1: row i is channel chan0 + i; 0: column j is
                         ///< chan0 + j (chan0 a multiple of QNR)
  const qstage *stage;
} cmb_q_tile;

/// Computes and stores an m x QNR tile (m fixed per table entry) over k4
/// k-quads: row i's bytes of k-quad q at rows[q * rowLd + 4 * i], column
/// j's at cols[q * colLd + 4 * j].
typedef void (*cmb_q_ukernel_fn)(int64_t k4, const uint8_t *rows,
                                 int64_t rowLd, const uint8_t *cols,
                                 int64_t colLd, const cmb_q_tile *t);

/// The micro-kernel for m rows whose broadcast operand is signed
/// (rowsSigned, the convolution: m in 1..QMR) or unsigned (the GEMM: m in
/// 1..cmb_q_gemm_rows()), with VNNI or the exact fallback as cmb_q_vnni()
/// says.
cmb_q_ukernel_fn cmb_q_ukernel(int rowsSigned, int m);

/// Rows of the GEMM's tiles now: QMR_GEMM with VNNI, else QMR.
int cmb_q_gemm_rows(void);

/// Bytes of an output element of the given CMB_Q_OUT_* mode.
static inline int64_t cmb_q_out_bytes(int mode) {
  return mode == CMB_Q_OUT_U8 || mode == CMB_Q_OUT_S8 ? 1 : 4;
}

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_INT8GEMM_H
