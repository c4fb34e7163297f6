//===- ConvPackedWeights.h - Weights of the channels-in-lanes conv -*- C -*-===//
//
// cmb_x86_conv2d_packed computes a convolution as Y^T = im2col(X)^T W^T, so
// its weights are the GEMM's B: W^T in panels of CMB_CONV_PANEL output
// channels, each panel K x CMB_CONV_PANEL floats (k-major, zero-padded
// channels), K = C * KH * KW in the weights' own (c, kh, kw) order. The
// compiler packs constant weights so at compile time; the kernel tests use
// it too. Header-only, so both see the same layout. The panel width is that
// of the widest micro-kernel (AVX-512); narrower ISAs read a panel as
// several of theirs, so the layout does not depend on the target CPU.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_CONVPACKEDWEIGHTS_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_CONVPACKEDWEIGHTS_H

#include <stdint.h>

/// Output channels per weight panel.
#define CMB_CONV_PANEL 32

/// Floats of the packed weights of F output channels over depth K.
static inline int64_t cmb_conv_packed_floats(int64_t F, int64_t K) {
  return (F + CMB_CONV_PANEL - 1) / CMB_CONV_PANEL * CMB_CONV_PANEL * K;
}

/// Packs w (F x K, row-major) into dst (cmb_conv_packed_floats(F, K)).
static inline void cmb_conv_pack_weights(const float *w, float *dst, int64_t F,
                                         int64_t K) {
  for (int64_t f0 = 0; f0 < F; f0 += CMB_CONV_PANEL) {
    float *panel = dst + f0 * K;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < CMB_CONV_PANEL; ++j)
        panel[k * CMB_CONV_PANEL + j] = f0 + j < F ? w[(f0 + j) * K + k] : 0.0f;
  }
}

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_CONVPACKEDWEIGHTS_H
