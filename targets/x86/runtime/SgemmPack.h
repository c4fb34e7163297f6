//===- SgemmPack.h - Operand packing for the SGEMM core -*- C -*-===//
//
// Packed layouts (MR, NR from SgemmMicrokernel.h):
//   A block mc x kc -> ceil(mc/MR) panels; panel p holds rows
//     [p*MR, p*MR + m) k-major, m floats per k, m = min(MR, mc - p*MR);
//     panel p starts at p*MR*kc (every earlier panel is full).
//   B block kc x nc -> ceil(nc/NR) panels of kc x NR, k-major, zero-padded
//     to NR columns; panel p starts at p*kc*NR.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_SGEMMPACK_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_SGEMMPACK_H

#include <stdint.h>

#pragma GCC visibility push(hidden)

/// Packs the mc x kc block of row-major A at `a` (leading dimension lda).
void cmb_pack_a(const float *a, int64_t lda, int64_t mc, int64_t kc,
                float *dst);

/// Packs the kc x nc block of row-major B at `b` (leading dimension ldb).
void cmb_pack_b(const float *b, int64_t ldb, int64_t kc, int64_t nc,
                float *dst);

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_SGEMMPACK_H
