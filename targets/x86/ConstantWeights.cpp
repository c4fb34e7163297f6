//===- ConstantWeights.cpp - Weights rearranged at compile time -----------===//

#include "targets/x86/ConstantWeights.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

/// The values of a dense or resource f32 initializer.
static std::optional<std::vector<float>> valuesOf(Attribute init) {
  if (auto dense = dyn_cast<DenseElementsAttr>(init)) {
    auto values = dense.getValues<float>();
    return std::vector<float>(values.begin(), values.end());
  }
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(init))
    if (std::optional<ArrayRef<float>> values = resource.tryGetAsArrayRef())
      return std::vector<float>(values->begin(), values->end());
  return std::nullopt;
}

Value cambrian::x86::transformConstantWeights(
    Operation *user, Value weights, ArrayRef<int64_t> expectedShape,
    StringRef suffix, ArrayRef<int64_t> shape, WeightTransform transform,
    PatternRewriter &rewriter) {
  auto get = weights.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return {};
  auto module = user->getParentOfType<ModuleOp>();
  auto global = module.lookupSymbol<memref::GlobalOp>(get.getNameAttr());
  if (!global || !global.getConstant() || !global.getInitialValue())
    return {};
  MemRefType type = global.getType();
  if (!type.getElementType().isF32() || type.getShape() != expectedShape)
    return {};
  auto resultType = MemRefType::get(shape, rewriter.getF32Type());
  std::string name = (global.getSymName() + "_" + suffix).str();

  if (auto existing = module.lookupSymbol<memref::GlobalOp>(name)) {
    if (existing.getType() != resultType)
      return {};
  } else {
    std::optional<std::vector<float>> in = valuesOf(*global.getInitialValue());
    if (!in || (int64_t)in->size() != type.getNumElements())
      return {};
    std::vector<float> out((size_t)resultType.getNumElements());
    transform(*in, out);
    auto value = DenseResourceElementsAttr::get(
        RankedTensorType::get(shape, rewriter.getF32Type()), name,
        HeapAsmResourceBlob::allocateAndCopyInferAlign<float>(out));
    OpBuilder mb(global);
    memref::GlobalOp::create(mb, global.getLoc(), name,
                             mb.getStringAttr("private"), resultType, value,
                             /*constant=*/true, global.getAlignmentAttr());
  }
  return memref::GetGlobalOp::create(rewriter, get.getLoc(), resultType, name);
}
