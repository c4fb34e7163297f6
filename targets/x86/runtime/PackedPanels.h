//===- PackedPanels.h - Constant GEMM operands in micro-kernel panels -*- C -*-===//
//
// A GEMM's B operand, when it is a constant of the module (a MatMul's or
// Gemm's weights, a convolution's weights in the channels-in-lanes form), is
// packed by the compiler once into the layout the micro-kernels read: panels
// of CMB_B_PANEL columns, each K x CMB_B_PANEL floats (k-major, columns past
// N zero), panel p at p * K * CMB_B_PANEL. Read in that order, the weights
// are one sequential stream, which the hardware prefetchers follow from
// memory; row-major B is read CMB_NR columns at a time from rows N floats
// apart. The panel width is that of the widest micro-kernel (AVX-512);
// narrower ISAs read a panel as several of theirs, so the layout does not
// depend on the target CPU. Header-only: the compiler and the kernel tests
// pack with the same code.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_PACKEDPANELS_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_PACKEDPANELS_H

#include <stdint.h>

/// Columns per packed panel.
#define CMB_B_PANEL 32

/// Floats of a K x N operand in packed panels.
static inline int64_t cmb_packed_panels_floats(int64_t K, int64_t N) {
  return (N + CMB_B_PANEL - 1) / CMB_B_PANEL * CMB_B_PANEL * K;
}

/// Packs the K x N operand b, element (k, n) at b[k * strideK + n * strideN],
/// into dst (cmb_packed_panels_floats(K, N) floats).
static inline void cmb_pack_panels(const float *b, int64_t strideK,
                                   int64_t strideN, int64_t K, int64_t N,
                                   float *dst) {
  for (int64_t n0 = 0; n0 < N; n0 += CMB_B_PANEL) {
    float *panel = dst + n0 * K;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < CMB_B_PANEL; ++j)
        panel[k * CMB_B_PANEL + j] =
            n0 + j < N ? b[k * strideK + (n0 + j) * strideN] : 0.0f;
  }
}

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_PACKEDPANELS_H
