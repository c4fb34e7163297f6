//===- CambrianDialect.cpp - The cambrian dialect -------------------------===//

#include "dialects/Cambrian/CambrianDialect.h"
#include "dialects/Cambrian/CambrianOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace cambrian::cmb;

#include "dialects/Cambrian/CambrianOpsDialect.cpp.inc"

void CambrianDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Cambrian/CambrianOps.cpp.inc"
      >();
  registerAttributes();
}

/// Checks the signature against `main` while it still takes tensors: the
/// same number of inputs and outputs, with the same static dimensions.
static LogicalResult verifySignatureAgainstMain(ModuleOp module,
                                                SignatureAttr sig) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return success();
  FunctionType type = main.getFunctionType();
  auto allTensors = [](TypeRange types) {
    return llvm::all_of(types, [](Type t) { return isa<RankedTensorType>(t); });
  };
  if (!allTensors(type.getInputs()) || !allTensors(type.getResults()))
    return success(); // lowered past tensors: the ABI is the target's now
  auto check = [&](ArrayRef<TensorSpecAttr> specs, TypeRange types,
                   StringRef side) -> LogicalResult {
    if (specs.size() != types.size())
      return module.emitOpError()
             << "signature lists " << specs.size() << " " << side
             << " but @main has " << types.size();
    for (auto [spec, t] : llvm::zip(specs, types)) {
      ArrayRef<int64_t> shape = cast<RankedTensorType>(t).getShape();
      if (shape.size() != spec.getShape().size())
        return module.emitOpError()
               << "signature " << side << " '" << spec.getName()
               << "' has rank " << spec.getShape().size()
               << " but @main's has rank " << shape.size();
      for (auto [a, b] : llvm::zip(spec.getShape(), shape))
        if (!ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b)
          return module.emitOpError()
                 << "signature " << side << " '" << spec.getName()
                 << "' disagrees with @main's shape";
    }
    return success();
  };
  if (failed(check(sig.getInputs(), type.getInputs(), "inputs")))
    return failure();
  return check(sig.getOutputs(), type.getResults(), "outputs");
}

LogicalResult
CambrianDialect::verifyOperationAttribute(Operation *op,
                                          NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  if (name == kSignatureAttrName) {
    auto module = dyn_cast<ModuleOp>(op);
    if (!module)
      return op->emitError() << "'" << name << "' belongs on a module";
    auto sig = dyn_cast<SignatureAttr>(attr.getValue());
    if (!sig)
      return op->emitError()
             << "'" << name << "' must be a #cambrian.signature";
    return verifySignatureAgainstMain(module, sig);
  }
  if (name == kFormatVersionAttrName) {
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << name << "' belongs on a module";
    auto version = dyn_cast<IntegerAttr>(attr.getValue());
    if (!version || !version.getType().isInteger(64))
      return op->emitError() << "'" << name << "' must be an i64";
    if (version.getInt() != kFormatVersion)
      return op->emitError()
             << "format version " << version.getInt()
             << " is not supported (this build reads version "
             << kFormatVersion << ")";
    return success();
  }
  if (name == kModelAttrName) {
    if (!isa<ModuleOp>(op) || !isa<StringAttr>(attr.getValue()))
      return op->emitError() << "'" << name
                             << "' must be a string on a module";
    return success();
  }
  return op->emitError() << "unknown cambrian attribute '" << name << "'";
}
