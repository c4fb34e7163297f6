//===- FlattenGlobals.cpp - One flat array per constant global ------------===//
//
// A memref global lowers to an LLVM global of nested arrays
// (`[2048 x [512 x [1 x [1 x float]]]]`), which LLVM IR translation builds
// as one constant per innermost row: a 1x1 convolution's weights become a
// million one-element arrays, each uniqued, walked by the optimizer and
// destroyed again. A flat `[N x float]` is a single data array with the same
// bytes.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/Passes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/SymbolTable.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_FLATTENGLOBALSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

/// The same elements under a rank-1 type, or null for an unsupported kind.
Attribute flatten(Attribute value) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements)
    return {};
  auto type = cast<ShapedType>(elements.getType());
  auto flatType = RankedTensorType::get({type.getNumElements()},
                                        type.getElementType());
  if (auto dense = dyn_cast<DenseElementsAttr>(value))
    return dense.reshape(flatType);
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    return DenseResourceElementsAttr::get(flatType, resource.getRawHandle());
  return {};
}

/// Whether every use takes the global's address and reads through it without
/// indexing by the nested type (a GEP of zeros is the address itself).
bool onlyBaseAddressUses(ArrayRef<Operation *> users) {
  for (Operation *user : users) {
    auto addr = dyn_cast<LLVM::AddressOfOp>(user);
    if (!addr)
      return false;
    for (Operation *addrUser : addr->getUsers()) {
      auto gep = dyn_cast<LLVM::GEPOp>(addrUser);
      if (!gep || gep.getBase() != addr.getResult())
        continue;
      if (!gep.getDynamicIndices().empty() ||
          llvm::any_of(gep.getRawConstantIndices(),
                       [](int32_t i) { return i != 0; }))
        return false;
    }
  }
  return true;
}

struct FlattenGlobalsPass
    : cambrian::x86::impl::FlattenGlobalsPassBase<FlattenGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // One walk for the users of every symbol (not one per global).
    std::optional<SymbolTable::UseRange> uses =
        SymbolTable::getSymbolUses(&module.getBodyRegion());
    if (!uses)
      return;
    llvm::DenseMap<StringAttr, SmallVector<Operation *>> usersOf;
    for (const SymbolTable::SymbolUse &use : *uses)
      usersOf[use.getSymbolRef().getRootReference()].push_back(use.getUser());

    for (auto global : module.getOps<LLVM::GlobalOp>()) {
      auto arrayType = dyn_cast<LLVM::LLVMArrayType>(global.getType());
      if (!arrayType || !isa<LLVM::LLVMArrayType>(arrayType.getElementType()))
        continue;
      std::optional<Attribute> value = global.getValue();
      Attribute flat = value ? flatten(*value) : Attribute();
      auto it = usersOf.find(global.getSymNameAttr());
      ArrayRef<Operation *> users;
      if (it != usersOf.end())
        users = it->second;
      if (!flat || !onlyBaseAddressUses(users))
        continue;
      Type scalar = arrayType;
      while (auto nested = dyn_cast<LLVM::LLVMArrayType>(scalar))
        scalar = nested.getElementType();
      auto flatType = LLVM::LLVMArrayType::get(
          scalar, cast<ShapedType>(cast<ElementsAttr>(flat).getType())
                      .getNumElements());
      global.setGlobalType(flatType);
      global.setValueAttr(flat);
      // The zero GEPs name the nested type; they are the address itself.
      for (Operation *user : users)
        for (Operation *addrUser : llvm::make_early_inc_range(user->getUsers()))
          if (auto gep = dyn_cast<LLVM::GEPOp>(addrUser)) {
            gep.getResult().replaceAllUsesWith(user->getResult(0));
            gep.erase();
          }
    }
  }
};

} // namespace
