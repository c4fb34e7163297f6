//===- Int8Kernels.h - The x86 kernel library's int8 kernels -*- C -*-===//
//
// Quantized GEMM and convolutions for modules compiled from QDQ/QOperator
// models, in the same archives as Kernels.h (same calling rules: any
// alignment, outputs never overlap inputs, the module's thread pool, work
// memory kept per thread).
//
// The arithmetic is exact and identical on every ISA level:
//
//   acc[f, p] = bias'[f] + sum_k x_u8[k, p] * w[f, k]                (int32)
//
// where x_u8 is the activation as uint8 (int8 activations are shifted by 128,
// the zero point with them: zx_u8 = zx + 128) and w the int8 weights
// (symmetric: zero point 0). bias'[f] = bias[f] - zx_u8 * sum_k w[f, k] is
// the corrected bias, computed at compile time (Int8Packing.h), so that
// acc = bias + sum_k (x[k, p] - zx) * w[f, k]. Padding of a convolution reads
// zx (a real 0). The output stage, per output channel f, is one of:
//
//   CMB_Q_OUT_U8 / S8:  q = round_half_even(float(float(acc) * M[f])),
//                       M[f] = mult[f] / 2^shift[f],
//                       y = clamp(q + zy, lo, hi)        (uint8 / int8)
//   CMB_Q_OUT_I32:      y = acc                          (ConvInteger, ...)
//   CMB_Q_OUT_F32:      y = (float)acc * scale[f]        (a Dequantize after)
//
// with mult[f] in [2^30, 2^31) holding M's 24 significant bits and
// 31 <= shift[f] <= 62 (so M lies in [2^-32, 1) and is exact in float32).
// The accumulator and the product are rounded as float32 arithmetic rounds
// them (to nearest, ties to even), which is how ONNX Runtime's int8 kernels
// requantize, so both give the same bytes; the compiler's definition of the
// same arithmetic in integers is cmb::applyFixedPoint
// (dialects/Cambrian/Utils/Requantize.h). [lo, hi] is the output type's
// range intersected with a fused Relu/Clip (computed by the caller).
//
// The per-channel numbers travel in one int32 "channel table" of
// 3 * cmb_q_channels_padded(F) entries built at compile time by
// cmb_q_channels / cmb_q_channels_f32 (Int8Packing.h):
//   [0, Fp)      bias'[f]
//   [Fp, 2 Fp)   mult[f]  (CMB_Q_OUT_F32: the float32 bits of scale[f])
//   [2 Fp, 3 Fp) shift[f] (unused by I32 and F32)
// Entries past F are padding (read, never used).
//
// Instruction sets: the AVX-512 archive uses AVX-512 VNNI (vpdpbusd) and the
// AVX2 archive AVX-VNNI when the CPU has them, chosen at run time; otherwise
// both compute the same dot products exactly with 16-bit multiplies
// (vpmaddwd), never the saturating vpmaddubsw. The generic archive uses
// SSE2 multiplies and scalar requantization.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_INT8KERNELS_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_INT8KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Output element types and stages (the CMB_QGEMM_OUT / CMB_QCONV_OUT
/// parameter).
enum {
  CMB_Q_OUT_U8 = 0,  ///< requantized, uint8
  CMB_Q_OUT_S8 = 1,  ///< requantized, int8
  CMB_Q_OUT_I32 = 2, ///< the int32 accumulator
  CMB_Q_OUT_F32 = 3, ///< the accumulator times a per-channel float scale
};

/// Indices into the parameter block of cmb_x86_qgemm.
enum {
  CMB_QGEMM_M, CMB_QGEMM_N, CMB_QGEMM_K,
  CMB_QGEMM_LDA,      ///< bytes from one row of A to the next (>= K)
  CMB_QGEMM_LDC,      ///< elements from one row of C to the next (>= N)
  CMB_QGEMM_X_SIGNED, ///< 1: A is int8, 0: A is uint8
  CMB_QGEMM_OUT,      ///< a CMB_Q_OUT_*
  CMB_QGEMM_ZY,       ///< output zero point (U8/S8 outputs)
  CMB_QGEMM_LO, CMB_QGEMM_HI, ///< output clamp, within the output type
  CMB_QGEMM_NUM_PARAMS
};

/// C[M x N] = out(A[M x K] * B[K x N]) with A the activations (rows of
/// CMB_QGEMM_LDA bytes; a batched MatMul is one GEMM over all its rows), B the
/// constant weights packed by cmb_q_pack_gemm_weights, `channels` the table of
/// the N output columns (column n is output channel n), and C rows of
/// CMB_QGEMM_LDC elements of the output type.
void cmb_x86_qgemm(const void *a, const int8_t *bPacked, const int32_t *channels,
                   void *c, const int64_t *params);

/// Indices into the parameter block of cmb_x86_qconv2d and
/// cmb_x86_qconv2d_depthwise (the geometry in the order of CMB_CONV_*).
enum {
  CMB_QCONV_N, CMB_QCONV_C, CMB_QCONV_H, CMB_QCONV_W, // input  N x C x H x W
  CMB_QCONV_F, CMB_QCONV_KH, CMB_QCONV_KW,           // weight F x C/G x KH x KW
  CMB_QCONV_OH, CMB_QCONV_OW,                        // output N x F x OH x OW
  CMB_QCONV_STRIDE_H, CMB_QCONV_STRIDE_W,
  CMB_QCONV_DILATION_H, CMB_QCONV_DILATION_W,
  CMB_QCONV_PAD_TOP, CMB_QCONV_PAD_LEFT, // padding reads the zero point
  CMB_QCONV_GROUPS,   ///< 1, or C == F for the depthwise kernel
  CMB_QCONV_X_SIGNED, ///< 1: x is int8, 0: x is uint8
  CMB_QCONV_ZX,       ///< x's zero point, in x's own type
  CMB_QCONV_OUT,      ///< a CMB_Q_OUT_*
  CMB_QCONV_ZY,       ///< output zero point (U8/S8 outputs)
  CMB_QCONV_LO, CMB_QCONV_HI, ///< output clamp, within the output type
  CMB_QCONV_NUM_PARAMS
};

/// Ungrouped 2-D convolution, NCHW in and out:
///   acc[n,f,oh,ow] = bias'[f] + sum_{c,kh,kw} x_u8[n,c,ih,iw] * w[f,c,kh,kw]
///   ih = oh*SH - PT + kh*DH, iw = ow*SW - PL + kw*DW (zx outside the input)
/// then the output stage of CMB_QCONV_OUT. `wPacked` holds the weights packed
/// by cmb_q_pack_conv_weights, `channels` the table of the F channels (with
/// the weight sums of all C*KH*KW taps). Output pixels are in the vector
/// lanes, so 1x1 stride-1 convolutions read the input planes directly.
void cmb_x86_qconv2d(const void *x, const int8_t *wPacked,
                     const int32_t *channels, void *y, const int64_t *params);

/// Depthwise 2-D convolution (GROUPS == C == F), NCHW in and out, any window,
/// stride, dilation and padding with KH * KW <= 512:
///   acc[n,c,oh,ow] = bias[c] + sum_{kh,kw} (x[n,c,ih,iw] - zx) * w[c,kh,kw]
/// `w` is the plain C x KH x KW int8 weights and `channels` a table built
/// with no weight correction (cmb_q_channels with w = NULL): the kernel
/// subtracts the zero point itself.
void cmb_x86_qconv2d_depthwise(const void *x, const int8_t *w,
                               const int32_t *channels, void *y,
                               const int64_t *params);

/// Turns the VNNI instructions off (0) or back on (1) for the int8 kernels of
/// this module and returns whether they are now used (never on a CPU without
/// them). For tests and benchmarks of the exact fallback; not thread-safe
/// against running kernels.
int32_t cmb_x86_int8_use_vnni(int32_t enable);

#ifdef __cplusplus
}
#endif

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_INT8KERNELS_H
