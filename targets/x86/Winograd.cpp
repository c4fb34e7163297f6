//===- Winograd.cpp - Choosing Winograd for a convolution call ------------===//

#include "targets/x86/Winograd.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/WinogradWeights.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

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
  auto get = weights.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  auto module = conv->getParentOfType<ModuleOp>();
  auto global = module.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
  if (!global || !global.getConstant() || !global.getInitialValue())
    return {};
  auto type = global.getType();
  if (!type.getElementType().isF32() || type.getRank() != 4 ||
      type.getDimSize(2) != 3 || type.getDimSize(3) != 3)
    return {};
  const int64_t F = type.getDimSize(0), C = type.getDimSize(1);
  auto resultType = MemRefType::get({CMB_WINOGRAD_POINTS, F, C},
                                    rewriter.getF32Type());
  std::string name = (global.getSymName() + "_winograd").str();

  // Convolutions sharing weights share their transform too.
  if (!module.lookupSymbol(name)) {
    std::vector<float> w;
    Attribute init = *global.getInitialValue();
    if (auto dense = dyn_cast<DenseElementsAttr>(init)) {
      auto values = dense.getValues<float>();
      w.assign(values.begin(), values.end());
    } else if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(init)) {
      std::optional<ArrayRef<float>> values = resource.tryGetAsArrayRef();
      if (!values)
        return {};
      w.assign(values->begin(), values->end());
    } else {
      return {};
    }
    if ((int64_t)w.size() != F * C * 9)
      return {};
    std::vector<float> u((size_t)(CMB_WINOGRAD_POINTS * F * C));
    cmb_winograd_f43_weights(w.data(), u.data(), F, C);
    auto tensorType = RankedTensorType::get(resultType.getShape(),
                                            rewriter.getF32Type());
    auto value = DenseResourceElementsAttr::get(
        tensorType, name,
        HeapAsmResourceBlob::allocateAndCopyInferAlign<float>(u));
    OpBuilder mb(global);
    memref::GlobalOp::create(mb, global.getLoc(), name,
                             mb.getStringAttr("private"), resultType, value,
                             /*constant=*/true, global.getAlignmentAttr());
  }
  Value transformed =
      memref::GetGlobalOp::create(rewriter, get.getLoc(), resultType, name);
  return transformed;
}
