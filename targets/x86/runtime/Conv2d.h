//===- Conv2d.h - Convolution geometry shared by the conv paths -*- C -*-===//
//
// cmb_x86_conv2d (Conv2d.c) picks one of four strategies:
//  - 1x1, stride 1, no padding: a batch of GEMMs straight on the input;
//  - depthwise (one input and one output channel per group): a direct loop
//    (DepthwiseConv.c);
//  - few input channels (an image): a direct loop with the output columns
//    in the vector lanes (ConvFewChannels.c);
//  - anything else: im2col of a block of output columns into packed GEMM
//    panels (Im2col.c), then the GEMM core with the weights as A.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_CONV2D_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_CONV2D_H

#include <stddef.h>
#include <stdint.h>

#include "targets/x86/runtime/Runtime.h"

#pragma GCC visibility push(hidden)

/// The parameter block of cmb_x86_conv2d, unpacked, plus derived sizes.
typedef struct cmb_conv_shape {
  int64_t N, C, H, W; ///< input
  int64_t F, KH, KW;  ///< weights F x Cg x KH x KW
  int64_t OH, OW;     ///< output
  int64_t SH, SW;     ///< strides
  int64_t DH, DW;     ///< dilations
  int64_t PT, PL;     ///< top/left zero padding
  int64_t G;          ///< groups
  int64_t Cg, Fg;     ///< channels per group (input, output)
  int64_t K;          ///< GEMM depth: Cg * KH * KW
  int accumulate;
  cmb_act act;
} cmb_conv_shape;

/// Reads the parameter block of cmb_x86_conv2d (Kernels.h) into `s`.
void cmb_conv_unpack(const int64_t *params, cmb_conv_shape *s);

/// y = act((accumulate ? y : 0) + bias): a convolution whose reduction is
/// empty (no input channels).
void cmb_conv_no_taps(const float *bias, float *y, const cmb_conv_shape *s);

/// Direct depthwise convolution (Cg == 1, Fg == 1) over the thread pool.
void cmb_conv_depthwise(const float *x, const float *w, const float *bias,
                        float *y, const cmb_conv_shape *s);

/// Depthwise convolution with a block of channels per vector
/// (DepthwiseBlocked.c); returns 0 without doing anything on baseline SSE.
int cmb_conv_depthwise_blocked(const float *x, const float *w,
                               const float *bias, float *y,
                               const cmb_conv_shape *s);

/// Whether the direct few-channel path (ConvFewChannels.c) takes `s`: an
/// ungrouped, undilated convolution of at most 4 input channels (an image)
/// whose output rows are at least a vector wide.
int cmb_conv_few_channels_fits(const cmb_conv_shape *s);

/// Bytes of scratch the few-channel path needs per thread.
size_t cmb_conv_few_channels_scratch_bytes(const cmb_conv_shape *s);

/// Packs the weights `w` (F x C x KH x KW) and the tap table into `scratch`
/// (cmb_conv_few_channels_scratch_bytes), for cmb_conv_few_channels_rows.
void cmb_conv_few_channels_prepare(const cmb_conv_shape *s, const float *w,
                                   void *scratch);

/// Output rows [oh0, oh1) of one image `x` (C x H x W), every output
/// channel, with the bias, accumulation and activation of `s`: channel f's
/// row oh goes to y + f * planeFloats + (oh - oh0) * OW. `scratch` was
/// prepared for `s`.
void cmb_conv_few_channels_rows(const cmb_conv_shape *s, const float *x,
                                const float *bias, int64_t oh0, int64_t oh1,
                                float *y, int64_t planeFloats,
                                void *scratch);

/// The whole convolution on the few-channel path, over the thread pool.
void cmb_conv_few_channels(const float *x, const float *w, const float *bias,
                           float *y, const cmb_conv_shape *s);

/// Im2col panels of about this many floats per GEMM call stay in L2 next to
/// the weights' packed block.
enum { CMB_IM2COL_TILE_FLOATS = 128 * 1024 };

/// Floats of the packed panels cmb_im2col_panels writes for `cols` output
/// columns, the overrun included.
size_t cmb_im2col_panel_floats(const cmb_conv_shape *s, int64_t cols);

/// Floats of slab scratch cmb_im2col_panels needs for tiles of at most
/// `maxCols` output columns.
size_t cmb_im2col_slab_floats(const cmb_conv_shape *s, int64_t maxCols);

/// Writes the im2col matrix of one group (x points at its Cg input planes)
/// for output columns [j0, j0 + ncols) (column j = oh * OW + ow) in the
/// packed-B layout of Sgemm.h: ceil(ncols/NR) panels of K x NR floats,
/// zero-padded. `dst` must have room for one extra NR floats past the last
/// panel (the copy loops overrun by design), `slab` the floats reported by
/// cmb_im2col_slab_floats.
void cmb_im2col_panels(const cmb_conv_shape *s, const float *x, int64_t j0,
                       int64_t ncols, float *slab, float *dst);

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_CONV2D_H
