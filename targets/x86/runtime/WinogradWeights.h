//===- WinogradWeights.h - Weight transform of F(4x4, 3x3) ------*- C -*-===//
//
// cmb_x86_conv2d_winograd takes its 3x3 weights already transformed:
// U[xi][f][c] = (G w[f][c] G^T)[xi / 6][xi % 6], a 6x6 matrix per filter
// and channel, stored as 36 row-major F x C matrices. The compiler applies
// the transform to constant weights when it picks that kernel; the kernel
// tests use it too. Header-only, so both see the same G.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_WINOGRADWEIGHTS_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_WINOGRADWEIGHTS_H

#include <stdint.h>

/// Points of the transformed tile (6 x 6) of F(4x4, 3x3).
#define CMB_WINOGRAD_POINTS 36

/// Writes the 36 * F * C floats of U for weights w of shape F x C x 3 x 3.
static inline void cmb_winograd_f43_weights(const float *w, float *u,
                                            int64_t F, int64_t C) {
  // G of F(4, 3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
  // Networks"), evaluated in double.
  static const double G[6][3] = {
      {1.0 / 4, 0, 0},
      {-1.0 / 6, -1.0 / 6, -1.0 / 6},
      {-1.0 / 6, 1.0 / 6, -1.0 / 6},
      {1.0 / 24, 1.0 / 12, 1.0 / 6},
      {1.0 / 24, -1.0 / 12, 1.0 / 6},
      {0, 0, 1}};
  for (int64_t f = 0; f < F; ++f)
    for (int64_t c = 0; c < C; ++c) {
      const float *g = w + (f * C + c) * 9;
      double t[6][3]; // G g
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 3; ++j)
          t[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
      for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j)
          u[((int64_t)(i * 6 + j) * F + f) * C + c] =
              (float)(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
    }
}

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_WINOGRADWEIGHTS_H
