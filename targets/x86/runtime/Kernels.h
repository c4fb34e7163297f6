//===- Kernels.h - x86 kernel library called by generated code -*- C -*-===//
//
// The x86 target lowers the heavy linalg ops (matmul, batch matmul, 2-D
// convolution) to calls of the functions below. They are built into static,
// position-independent archives (one per ISA level: generic, avx2, avx512)
// and linked into every compiled module, so a module needs only
// libc/libm/libpthread at run time.
//
// All tensors are dense row-major float32; strides are in elements.
//
// Notes for callers (the implementation is in this directory):
//  - No alignment is required of any pointer or leading dimension; 64-byte
//    aligned buffers and leading dimensions that are not multiples of 4 KiB
//    (in bytes) are somewhat faster.
//  - Outputs must not overlap inputs.
//  - The functions may be called from several threads at once. One call at
//    a time uses the module's worker threads; a call that starts while
//    another one uses them runs on its calling thread alone.
//  - Work memory comes from malloc, is kept per thread between calls (it
//    grows to the largest layer seen) and is freed when the module is
//    unloaded. Out of memory inside a kernel aborts with a message.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_KERNELS_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bits of the `flags` of cmb_x86_sgemm.
enum {
  CMB_SGEMM_ACCUMULATE = 1, // add the product to C
  CMB_SGEMM_STREAM_B = 2,   // B is not in cache (weights of a model larger
                            // than the caches): read it in sequential runs
  CMB_SGEMM_PACKED_B = 4,   // B is in packed panels (PackedPanels.h), its
                            // batch stride counted in packed floats; ldb is
                            // ignored
};

/// For each b in [0, batch):
///   C_b[M x N] = A_b[M x K] * B_b[K x N]  (+ C_b with CMB_SGEMM_ACCUMULATE)
/// where X_b starts at X + b * strideX and row i of X_b starts at i * ldX.
/// A batch stride of 0 broadcasts that operand over the batch. (strideC == 0
/// with batch > 1 runs the products in order on the same C: with accumulate
/// they are summed into it, without it the last one is kept.) K == 0 writes
/// zeros (or leaves C unchanged with accumulate). `flags` is a set of
/// CMB_SGEMM_* bits.
void cmb_x86_sgemm(int64_t batch, int64_t M, int64_t N, int64_t K,
                   const float *A, int64_t strideA, int64_t lda,
                   const float *B, int64_t strideB, int64_t ldb, float *C,
                   int64_t strideC, int64_t ldc, int64_t flags);

/// cmb_x86_sgemm with an epilogue applied as C is stored:
///   C_b = act((C_b if CMB_SGEMM_ACCUMULATE) + A_b * B_b + colBias)
/// where `colBias` (N floats, may be NULL) is added to every row and
/// `activation` is a CMB_CONV_ACT_* with the float32 bits of its alpha and
/// beta (the convolution's activations, see below).
void cmb_x86_sgemm_epilogue(int64_t batch, int64_t M, int64_t N, int64_t K,
                            const float *A, int64_t strideA, int64_t lda,
                            const float *B, int64_t strideB, int64_t ldb,
                            float *C, int64_t strideC, int64_t ldc,
                            int64_t flags, const float *colBias,
                            int64_t activation, int64_t alphaBits,
                            int64_t betaBits);

/// Indices into the parameter block of cmb_x86_conv2d.
enum {
  CMB_CONV_N, CMB_CONV_C, CMB_CONV_H, CMB_CONV_W,   // input  N x C x H x W
  CMB_CONV_F, CMB_CONV_KH, CMB_CONV_KW,             // weight F x C/groups x KH x KW
  CMB_CONV_OH, CMB_CONV_OW,                         // output N x F x OH x OW
  CMB_CONV_STRIDE_H, CMB_CONV_STRIDE_W,
  CMB_CONV_DILATION_H, CMB_CONV_DILATION_W,
  CMB_CONV_PAD_TOP, CMB_CONV_PAD_LEFT,              // implicit zero padding
  CMB_CONV_GROUPS,
  CMB_CONV_ACCUMULATE,                              // 1: y += conv, 0: y = conv
  CMB_CONV_ACTIVATION,                              // a CMB_CONV_ACT_*
  CMB_CONV_ACT_ALPHA, CMB_CONV_ACT_BETA,            // its parameters: the
                                                    // bits of a float32
  CMB_CONV_NUM_PARAMS
};

/// Activations cmb_x86_conv2d applies as it stores the output; alpha and
/// beta are CMB_CONV_ACT_ALPHA/BETA (unused by the others).
enum {
  CMB_CONV_ACT_NONE = 0,
  CMB_CONV_ACT_RELU = 1,        // max(v, 0)
  CMB_CONV_ACT_RELU6 = 2,       // min(max(v, 0), 6), ONNX Clip(0, 6)
  CMB_CONV_ACT_LEAKY_RELU = 3,  // v < 0 ? alpha * v : v
  CMB_CONV_ACT_HARDSIGMOID = 4, // min(max(alpha * v + beta, 0), 1)
  CMB_CONV_ACT_HARDSWISH = 5,   // v * hardsigmoid(v)
  CMB_CONV_ACT_SIGMOID = 6,     // 1 / (1 + exp(-v))
  CMB_CONV_ACT_SILU = 7,        // v * sigmoid(v) (Swish)
  CMB_CONV_ACT_TANH = 8,        // tanh(v)
  CMB_CONV_ACT_GELU = 9,        // v / 2 * (1 + erf(v / sqrt(2)))
  CMB_CONV_ACT_GELU_TANH = 10,  // v / 2 * (1 + tanh(sqrt(2/pi) (v + 0.044715 v^3)))
  CMB_CONV_ACT_LAST = CMB_CONV_ACT_GELU_TANH,
};

/// 2-D convolution, NCHW input, FCHW weights (C = input channels per group),
/// optional per-output-channel bias (may be NULL), output NCHW:
///   y[n,f,oh,ow] = act(bias[f] + sum_{c,kh,kw} x[n, g*Cg+c, ih, iw] * w[f,c,kh,kw])
///   ih = oh*strideH - padTop + kh*dilH, iw = ow*strideW - padLeft + kw*dilW,
///   g = f / (F/groups); out-of-range (ih, iw) read as zero.
/// With accumulate, the previous content of y is added before the activation.
void cmb_x86_conv2d(const float *x, const float *w, const float *bias,
                    float *y, const int64_t *params);

/// cmb_x86_conv2d for 3x3, stride-1, undilated, ungrouped convolutions by
/// Winograd's F(4x4, 3x3): `u` holds the weights transformed by
/// cmb_winograd_f43_weights (WinogradWeights.h), 36 x F x C floats; the
/// other arguments are those of cmb_x86_conv2d (padding, bias, accumulate
/// and activation included).
void cmb_x86_conv2d_winograd(const float *x, const float *u, const float *bias,
                             float *y, const int64_t *params);

/// cmb_x86_conv2d for ungrouped convolutions computed with the output
/// channels in vector lanes (Y^T = im2col(X)^T W^T), for small output maps:
/// `wp` holds the weights packed by cmb_conv_pack_weights
/// (ConvPackedWeights.h); the other arguments are those of cmb_x86_conv2d.
void cmb_x86_conv2d_packed(const float *x, const float *wp, const float *bias,
                           float *y, const int64_t *params);

/// Indices into the parameter block of cmb_x86_maxpool2d.
enum {
  CMB_POOL_PLANES,                       // N * C
  CMB_POOL_H, CMB_POOL_W,                // input plane
  CMB_POOL_OH, CMB_POOL_OW,              // output plane
  CMB_POOL_KH, CMB_POOL_KW,              // window
  CMB_POOL_STRIDE_H, CMB_POOL_STRIDE_W,
  CMB_POOL_DILATION_H, CMB_POOL_DILATION_W,
  CMB_POOL_ACCUMULATE,                   // 1: include y's values in the max
  CMB_POOL_PAD_TOP, CMB_POOL_PAD_LEFT,   // implicit -inf padding
  CMB_POOL_NUM_PARAMS
};

/// Max pooling of each of PLANES dense planes:
///   y[p,oh,ow] = max(accumulate ? y[p,oh,ow] : -inf,
///                    max_{kh,kw} x[p, oh*SH - PT + kh*DH, ow*SW - PL + kw*DW])
/// where positions outside the input are -inf (padding, ceil mode); NaN if
/// any operand is.
void cmb_x86_maxpool2d(const float *x, float *y, const int64_t *params);

/// cmb_x86_maxpool2d(conv(x), y, poolParams) without the convolution's
/// output in memory: `x`, `w`, `bias` and `convParams` are those of an
/// ungrouped cmb_x86_conv2d that overwrites its output (bias and activation
/// apply), whose output is the pooling's input (PLANES = N * F, H = OH,
/// W = OW). Computed in bands of rows that stay in cache.
void cmb_x86_conv2d_maxpool(const float *x, const float *w, const float *bias,
                            float *y, const int64_t *convParams,
                            const int64_t *poolParams);

/// Softmax over the last dimension of a dense rows x cols tensor:
///   y[r, j] = exp(x[r, j] - max_k x[r, k]) / sum_k exp(x[r, k] - max_k x[r, k])
/// with the max NaN-propagating (as arith.maximumf). y may be x.
void cmb_x86_softmax(const float *x, float *y, int64_t rows, int64_t cols);

/// LayerNormalization over the last dimension of a dense rows x cols
/// tensor: y = (x - mean) / sqrt(var + epsilon) * gamma + beta per row, with
/// the mean and (biased) variance of the row; gamma and beta have cols
/// entries, beta may be NULL; epsilon is given as the bits of a float32.
void cmb_x86_layernorm(const float *x, const float *gamma, const float *beta,
                       float *y, int64_t rows, int64_t cols,
                       int64_t epsilonBits);

/// Most dimensions cmb_x86_transpose takes.
#define CMB_TRANSPOSE_MAX_RANK 8

/// Permutes the dimensions of a dense tensor (as linalg.transpose): with
/// params = [rank, shape[0..rank), perm[0..rank)], output dimension d is
/// input dimension perm[d]. Both buffers are dense and row-major.
void cmb_x86_transpose(const float *x, float *y, const int64_t *params);

/// Per-plane sums of a dense planes x size tensor, added to y:
///   y[p] += sum_i x[p * size + i]
/// (in any order: the sum is reassociated).
void cmb_x86_plane_sums(const float *x, float *y, int64_t planes, int64_t size);

/// Each plane of a dense planes x size tensor scaled by its own factor:
///   y[p * size + i] = x[p * size + i] * s[p]
/// y may be x.
void cmb_x86_plane_scale(const float *x, const float *s, float *y,
                         int64_t planes, int64_t size);

/// Number of worker threads the kernels split work over (>= 1): the value of
/// the last cambrian_module_set_threads (clamped to 1..256), 1 by default.
int32_t cmb_x86_num_threads(void);

/// The memory of the intermediate tensors. Generated code calls these (the
/// names are those of MLIR's memref-to-LLVM lowering with
/// use-generic-functions) instead of malloc/free. Freed blocks are cached and
/// reused for requests of about their size, so steady-state runs cost no
/// page faults. Pointers are 64-byte aligned; alignments above 64 abort.
void *_mlir_memref_to_llvm_alloc(size_t size);
void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size);
void _mlir_memref_to_llvm_free(void *ptr);

/// Monotonic time in nanoseconds; read around each timed op by modules
/// compiled with --profile.
int64_t cmb_x86_profile_clock(void);

#ifdef __cplusplus
}
#endif

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_KERNELS_H
