//===- Pool.h - Max pooling of plane rows, for fused callers -----*- C -*-===//
//
// cmb_x86_maxpool2d (Pool.c) pools whole planes; a kernel that produces the
// pooled map band by band (ConvPool.c) pools each band's output rows as soon
// as the input rows their windows read exist.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_POOL_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_POOL_H

#include <stdint.h>

#include "targets/x86/runtime/Runtime.h"

#pragma GCC visibility push(hidden)

/// The parameter block of cmb_x86_maxpool2d, unpacked (Kernels.h).
typedef struct cmb_pool_shape {
  int64_t P, H, W, OH, OW, KH, KW, SH, SW, DH, DW;
  int accumulate;
  int64_t PT, PL;
} cmb_pool_shape;

/// Reads a CMB_POOL_* parameter block into `s`; fatal on an invalid window.
void cmb_pool_unpack(const int64_t *params, cmb_pool_shape *s);

/// Output rows [oh0, oh1) of one plane into `out` (the plane's row 0).
/// `in` holds the input plane's rows from `inRow0` on: row ih is at
/// in + (ih - inRow0) * W, and must be there for every ih in [0, H) that a
/// window of those output rows reads.
void cmb_maxpool_rows(const cmb_pool_shape *s, const float *in, int64_t inRow0,
                      int64_t oh0, int64_t oh1, float *out);

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_POOL_H
