//===- ConvPackedWeights.h - Weights of the channels-in-lanes conv -*- C -*-===//
//
// cmb_x86_conv2d_packed computes a convolution as Y^T = im2col(X)^T W^T, so
// its weights are the GEMM's B: W^T in panels of CMB_CONV_PANEL output
// channels, each panel K x CMB_CONV_PANEL floats (k-major, zero-padded
// channels), K = C * KH * KW in the weights' own (c, kh, kw) order: the
// packed panels of PackedPanels.h.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_CONVPACKEDWEIGHTS_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_CONVPACKEDWEIGHTS_H

#include "targets/x86/runtime/PackedPanels.h"

#include <stdint.h>

/// Output channels per weight panel.
#define CMB_CONV_PANEL CMB_B_PANEL

/// Floats of the packed weights of F output channels over depth K.
static inline int64_t cmb_conv_packed_floats(int64_t F, int64_t K) {
  return cmb_packed_panels_floats(K, F);
}

/// Packs w (F x K, row-major), that is W^T (K x F), into dst
/// (cmb_conv_packed_floats(F, K)).
static inline void cmb_conv_pack_weights(const float *w, float *dst, int64_t F,
                                         int64_t K) {
  cmb_pack_panels(w, /*strideK=*/1, /*strideN=*/K, K, F, dst);
}

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_CONVPACKEDWEIGHTS_H
