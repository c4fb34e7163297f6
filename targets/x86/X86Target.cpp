//===- X86Target.cpp - The x86 target -------------------------------------===//
//
// Lowers linalg-on-tensors to the LLVM dialect: bufferize (results become
// out-parameters), call the kernel library for matmul and convolution,
// turn the rest into loops that LLVM vectorizes, and emit a shared object.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/X86Target.h"
#include "targets/x86/Passes.h"

#include "cambrian/Target/Target.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace cambrian;

void cambrian::x86::buildX86Pipeline(OpPassManager &pm, bool profile) {
  // Tensors to buffers; function results become caller-provided buffers.
  pm.addPass(x86::createUnshareInitsPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  pm.addPass(createCanonicalizerPass());

  // Heavy ops to the kernel library, the rest to loops.
  pm.addPass(x86::createLowerToKernelsPass());
  // Weights replaced by their Winograd transform.
  pm.addPass(createSymbolDCEPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(x86::createFreeEarlyPass());
  pm.addPass(x86::createExpandCopiesPass());
  if (profile)
    pm.addPass(x86::createInstrumentProfilePass());
  pm.addPass(x86::createCollapseLoopsPass());
  pm.addPass(x86::createInterchangeWindowLoopsPass());
  pm.addPass(x86::createLowerReductionsPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(x86::createApproximateMathPass());
  // Integer powers have no LLVM intrinsic: outline them as small functions.
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createCanonicalizerPass());

  // Everything to the LLVM dialect.
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Buffers come from the runtime's cache (runtime/BufferCache.c), not
  // straight from malloc.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(x86::createFlattenGlobalsPass());
}

void cambrian::x86::registerX86Pipeline() {
  PassPipelineRegistration<>(
      "cambrian-x86-pipeline",
      "Lower graph-level IR to the LLVM dialect for the x86 target",
      [](OpPassManager &pm) { buildX86Pipeline(pm); });
}

namespace {

class X86Target : public Target {
public:
  StringRef name() const override { return "x86"; }
  StringRef summary() const override {
    return "x86-64 CPUs: a shared object with a C ABI, weights inside";
  }
  LogicalResult buildPipeline(OpPassManager &pm,
                              const CompileOptions &options) const override {
    x86::buildX86Pipeline(pm, options.profile);
    return success();
  }
  LogicalResult emitLowLevelIR(ModuleOp module, const CompileOptions &options,
                               raw_ostream &os) const override {
    return x86::emitLLVMIR(module, options, os);
  }
  LogicalResult emitModule(ModuleOp module, const CompileOptions &options,
                           StringRef path) const override {
    return x86::emitSharedObject(module, options, path);
  }
  bool recognizes(StringRef header) const override {
    return header.starts_with("\x7f" "ELF");
  }
  std::unique_ptr<LoadedModule> load(StringRef path,
                                     std::string &error) const override {
    return loadSharedObjectModule(path, "x86", error);
  }
};

} // namespace

void cambrian::x86::registerX86Target() {
  TargetRegistry::add(std::make_unique<X86Target>());
}
