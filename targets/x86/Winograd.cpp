//===- Winograd.cpp - Choosing Winograd for a convolution call ------------===//

#include "targets/x86/Winograd.h"
#include "targets/x86/ConstantWeights.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/WinogradWeights.h"

using namespace mlir;

namespace {

/// Below this many 4x4 tiles per image the GEMMs' register tiles run mostly
/// empty (a 14x14 map has 16 tiles; 28x28 has 49).
constexpr int64_t kMinTiles = 48;
/// Fewer channels leave the transforms, not the GEMMs, doing the work.
constexpr int64_t kMinChannels = 16;
/// Transformed weights beyond this (4x the plain ones) no longer stay in
/// cache while every thread packs them (512x512 channels: 38 MB).
constexpr int64_t kMaxWeightBytes = 4 << 20;

} // namespace

bool cambrian::x86::preferWinograd(ArrayRef<int64_t> params) {
  auto p = [&](int i) { return params[i]; };
  if (p(CMB_CONV_KH) != 3 || p(CMB_CONV_KW) != 3 || p(CMB_CONV_STRIDE_H) != 1 ||
      p(CMB_CONV_STRIDE_W) != 1 || p(CMB_CONV_DILATION_H) != 1 ||
      p(CMB_CONV_DILATION_W) != 1 || p(CMB_CONV_GROUPS) != 1)
    return false;
  const int64_t C = p(CMB_CONV_C), F = p(CMB_CONV_F);
  const int64_t OH = p(CMB_CONV_OH), OW = p(CMB_CONV_OW);
  const int64_t tiles = ((OH + 3) / 4) * ((OW + 3) / 4);
  // A map just past a multiple of 4 computes up to 40% outputs for nothing.
  const bool ragged = 4 * OH * OW < 3 * 16 * tiles;
  return tiles >= kMinTiles && !ragged && std::min(C, F) >= kMinChannels &&
         CMB_WINOGRAD_POINTS * C * F * 4 <= kMaxWeightBytes;
}

Value cambrian::x86::transformWinogradWeights(Operation *conv, Value weights,
                                              PatternRewriter &rewriter) {
  auto type = dyn_cast<MemRefType>(weights.getType());
  if (!type || type.getRank() != 4 || !type.hasStaticShape())
    return {};
  const int64_t F = type.getDimSize(0), C = type.getDimSize(1);
  return transformConstantWeights(
      conv, weights, {F, C, 3, 3}, "winograd", {CMB_WINOGRAD_POINTS, F, C},
      [&](ArrayRef<float> w, std::vector<float> &u) {
        cmb_winograd_f43_weights(w.data(), u.data(), F, C);
      },
      rewriter);
}
