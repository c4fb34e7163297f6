//===- ConvPacked.cpp - Choosing the channels-in-lanes convolution --------===//

#include "targets/x86/ConvPacked.h"
#include "targets/x86/ConstantWeights.h"
#include "targets/x86/runtime/ConvPackedWeights.h"
#include "targets/x86/runtime/Kernels.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;

namespace {

/// Beyond this many output pixels the im2col rows, read once per panel of
/// output channels, no longer stay in L2.
constexpr int64_t kMaxPixels = 1024;

/// Share of `n` lanes' worth of work that a tiling by CMB_CONV_PANEL lanes
/// computes usefully.
double laneFill(int64_t n) {
  return (double)n /
         (double)((n + CMB_CONV_PANEL - 1) / CMB_CONV_PANEL * CMB_CONV_PANEL);
}

/// The reduction depth from which the packed kernel wins: below it the
/// transposed store, not the GEMM, does most of its work, and the better
/// the pixels fill the plain GEMM's lanes the deeper the reduction must be
/// (1x1 convolutions measured: 7x7 maps gain from 32 channels, 14x14 from
/// 64, 28x28 lose up to 64 (x0.75-0.98), even out at 96-128, gain at 144).
int64_t minDepth(int64_t pixels) {
  const double fill = laneFill(pixels);
  return fill < 0.8 ? 32 : fill < 0.9 ? 64 : 128;
}

} // namespace

bool cambrian::x86::preferPackedConv(ArrayRef<int64_t> params) {
  auto p = [&](int i) { return params[i]; };
  if (p(CMB_CONV_GROUPS) != 1)
    return false;
  const int64_t K = p(CMB_CONV_C) * p(CMB_CONV_KH) * p(CMB_CONV_KW);
  const int64_t pixels = p(CMB_CONV_OH) * p(CMB_CONV_OW);
  // 7x7 and 14x14 maps fill 77% and 88% of the pixel lanes; most channel
  // counts are multiples of the panel. Where both fill the lanes the packed
  // weights still save their packing, but the plain GEMM reads its input
  // with more reuse: measured even.
  return K >= minDepth(pixels) && pixels <= kMaxPixels &&
         laneFill(p(CMB_CONV_F)) > laneFill(pixels);
}

Value cambrian::x86::packConvWeights(Operation *conv, Value weights,
                                     PatternRewriter &rewriter) {
  auto type = dyn_cast<MemRefType>(weights.getType());
  if (!type || type.getRank() != 4 || !type.hasStaticShape())
    return {};
  const int64_t F = type.getDimSize(0);
  const int64_t K = type.getDimSize(1) * type.getDimSize(2) * type.getDimSize(3);
  return transformConstantWeights(
      conv, weights, type.getShape(), "packed", {cmb_conv_packed_floats(F, K)},
      [&](ArrayRef<float> w, std::vector<float> &out) {
        cmb_conv_pack_weights(w.data(), out.data(), F, K);
      },
      rewriter);
}
