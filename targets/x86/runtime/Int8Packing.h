//===- Int8Packing.h - Compile-time operands of the int8 kernels -*- C -*-===//
//
// The int8 kernels (Int8Kernels.h) take their weights and per-channel
// numbers in layouts made once, by the compiler, with the functions below;
// the kernel tests use the same code. Header-only and ISA-independent: the
// layouts do not depend on the target CPU.
//
// Weights are packed in k-quads, the unit of vpdpbusd: four consecutive
// reduction steps of one output channel are four consecutive bytes, so one
// 32-bit broadcast or one 32-bit lane holds them.
//  - GEMM weights (output channels in vector lanes): panels of
//    CMB_Q_COL_PANEL columns, each ceil(K/4) x CMB_Q_COL_PANEL x 4 bytes;
//  - convolution weights (output channels broadcast): panels of
//    CMB_Q_ROW_PANEL channels, each K4 x CMB_Q_ROW_PANEL x 4 bytes, with the
//    reduction in (kh, kw, c) order and C padded to a multiple of 4, so that
//    a k-quad is four channels of one tap (K4 = KH * KW * ceil(C/4)).
// Padding (columns, channels, k past K) is zero, so it adds nothing.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_INT8PACKING_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_INT8PACKING_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/// Output channels per packed GEMM weight panel (and the padding of channel
/// tables).
#define CMB_Q_COL_PANEL 32
/// Output channels per packed convolution weight panel.
#define CMB_Q_ROW_PANEL 8

static inline int64_t cmb_q_round_up(int64_t a, int64_t b) {
  return (a + b - 1) / b * b;
}

/// The zero point of an activation as the kernels see it (uint8).
static inline int32_t cmb_q_zero_point_u8(int32_t zx, int32_t xSigned) {
  return xSigned ? zx + 128 : zx;
}

/// Entries of each of the three arrays of a channel table of F channels.
static inline int64_t cmb_q_channels_padded(int64_t F) {
  return cmb_q_round_up(F, CMB_Q_COL_PANEL);
}

/// Splits a real multiplier, rounded to float32 (the requantization's
/// arithmetic, Int8Kernels.h), into mult / 2^shift with mult in
/// [2^30, 2^31) and 31 <= shift <= 62. Returns 0 (and leaves the outputs
/// alone) when it is outside [2^-32, 1), or not a number.
static inline int cmb_q_multiplier(double real, int32_t *mult,
                                   int32_t *shift) {
  if (!(real > 0.0) || !(real < 1.0))
    return 0;
  int e;
  double fr = frexp((double)(float)real, &e); // fr in [0.5, 1)
  int64_t m = (int64_t)llround(fr * 2147483648.0);
  if (m == (int64_t)1 << 31) {
    m >>= 1;
    ++e;
  }
  if (31 - e < 31 || 31 - e > 62)
    return 0;
  *mult = (int32_t)m;
  *shift = 31 - e;
  return 1;
}

/// Builds the table of F channels (3 * cmb_q_channels_padded(F) int32) for
/// requantized outputs, and the int32 output: bias' = bias - zxU8 * sum_k w,
/// the sum over w[f * strideF + k * strideK] for k in [0, K) (w NULL: no
/// correction), computed modulo 2^32 like the kernels' accumulators. `bias`
/// may be NULL (zero); `mult` and `shift` may be NULL for CMB_Q_OUT_I32.
static inline void cmb_q_channels(int64_t F, int64_t K, const int8_t *w,
                                  int64_t strideF, int64_t strideK,
                                  int32_t zxU8, const int32_t *bias,
                                  const int32_t *mult, const int32_t *shift,
                                  int32_t *table) {
  const int64_t Fp = cmb_q_channels_padded(F);
  for (int64_t f = 0; f < Fp; ++f) {
    uint32_t b = 0;
    if (f < F) {
      uint32_t sum = 0;
      for (int64_t k = 0; w && k < K; ++k)
        sum += (uint32_t)(int32_t)w[f * strideF + k * strideK];
      b = (bias ? (uint32_t)bias[f] : 0u) - (uint32_t)zxU8 * sum;
    }
    int32_t bs;
    memcpy(&bs, &b, sizeof bs);
    table[f] = bs;
    table[Fp + f] = f < F && mult ? mult[f] : 1 << 30;
    table[2 * Fp + f] = f < F && shift ? shift[f] : 31;
  }
}

/// The same for CMB_Q_OUT_F32: the middle array holds the bits of scale[f].
static inline void cmb_q_channels_f32(int64_t F, int64_t K, const int8_t *w,
                                      int64_t strideF, int64_t strideK,
                                      int32_t zxU8, const int32_t *bias,
                                      const float *scale, int32_t *table) {
  const int64_t Fp = cmb_q_channels_padded(F);
  cmb_q_channels(F, K, w, strideF, strideK, zxU8, bias, NULL, NULL, table);
  for (int64_t f = 0; f < F; ++f)
    memcpy(&table[Fp + f], &scale[f], sizeof(float));
}

/// Bytes of GEMM weights of depth K and N output columns, packed.
static inline int64_t cmb_q_gemm_weights_bytes(int64_t K, int64_t N) {
  return cmb_q_round_up(N, CMB_Q_COL_PANEL) * cmb_q_round_up(K, 4);
}

/// Packs B (K x N, element (k, n) at b[k * strideK + n * strideN]) for
/// cmb_x86_qgemm into dst (cmb_q_gemm_weights_bytes(K, N)): byte
/// (n0 / PANEL, k / 4, n % PANEL, k % 4) of [N/PANEL][K4][PANEL][4].
static inline void cmb_q_pack_gemm_weights(const int8_t *b, int64_t strideK,
                                           int64_t strideN, int64_t K,
                                           int64_t N, int8_t *dst) {
  const int64_t K4 = (K + 3) / 4;
  for (int64_t n0 = 0; n0 < N; n0 += CMB_Q_COL_PANEL) {
    int8_t *panel = dst + n0 * K4 * 4;
    for (int64_t q = 0; q < K4; ++q)
      for (int64_t j = 0; j < CMB_Q_COL_PANEL; ++j)
        for (int64_t i = 0; i < 4; ++i) {
          const int64_t k = 4 * q + i, n = n0 + j;
          panel[(q * CMB_Q_COL_PANEL + j) * 4 + i] =
              k < K && n < N ? b[k * strideK + n * strideN] : 0;
        }
  }
}

/// Bytes of F x C x KH x KW convolution weights, packed.
static inline int64_t cmb_q_conv_weights_bytes(int64_t F, int64_t C,
                                               int64_t KH, int64_t KW) {
  return cmb_q_round_up(F, CMB_Q_ROW_PANEL) * KH * KW * cmb_q_round_up(C, 4);
}

/// Packs w (F x C x KH x KW, dense) for cmb_x86_qconv2d into dst
/// (cmb_q_conv_weights_bytes): byte (f / PANEL, q, f % PANEL, c % 4) of
/// [F/PANEL][K4][PANEL][4] with q = (kh * KW + kw) * ceil(C/4) + c / 4.
static inline void cmb_q_pack_conv_weights(const int8_t *w, int64_t F,
                                           int64_t C, int64_t KH, int64_t KW,
                                           int8_t *dst) {
  const int64_t CQ = (C + 3) / 4, K4 = KH * KW * CQ;
  for (int64_t f0 = 0; f0 < F; f0 += CMB_Q_ROW_PANEL) {
    int8_t *panel = dst + f0 * K4 * 4;
    for (int64_t t = 0; t < KH * KW; ++t)
      for (int64_t cq = 0; cq < CQ; ++cq)
        for (int64_t i = 0; i < CMB_Q_ROW_PANEL; ++i)
          for (int64_t j = 0; j < 4; ++j) {
            const int64_t f = f0 + i, c = 4 * cq + j;
            panel[((t * CQ + cq) * CMB_Q_ROW_PANEL + i) * 4 + j] =
                f < F && c < C ? w[(f * C + c) * KH * KW + t] : 0;
          }
  }
}

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_INT8PACKING_H
