//===- X86Target.cpp - The x86 target -------------------------------------===//
//
// Lowers the graph-level IR to the LLVM dialect: map the cambrian ops it
// has kernels for to x86kernel ops and decompose the rest, bufferize
// (results become out-parameters), call the kernel library for those ops,
// matmul and convolution, turn the rest into loops that LLVM vectorizes,
// and emit a shared object.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/X86Target.h"
#include "targets/x86/Passes.h"
#include "targets/x86/X86KernelDialect.h"

#include "dialects/Cambrian/Passes.h"

#include "cambrian/Target/TargetRegistry.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace cambrian;

void cambrian::x86::buildX86Pipeline(OpPassManager &pm, bool profile) {
  // The cambrian ops the graph pipeline kept for the kernels (mapsOp), then
  // any other left (when this pipeline runs alone, on imported IR).
  pm.addPass(x86::createMapToKernelsPass());
  pm.addPass(cmb::createDecomposePass());

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
  // After the profile's timers, which then time the whole parallel region.
  pm.addPass(x86::createParallelizeLoopsPass());
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

void cambrian::x86::X86Options::declare(TargetOptionParser &parser) {
  parser.add("cpu", &cpu, "name",
             "Target CPU, an LLVM name such as znver4 (default: the host)",
             [](StringRef value) { return checkCPU(value); });
  parser.add("profile", &profile,
             "Time every kernel call and loop nest at run time "
             "(read with `cambrian-run --profile`)");
}

namespace {

class X86Target : public Target {
public:
  StringRef name() const override { return "x86"; }
  StringRef summary() const override {
    return "x86-64 CPUs: a shared object with a C ABI, weights inside";
  }
  StringRef moduleSuffix() const override { return ".so"; }

  void registerDialects(DialectRegistry &registry) const override {
    // The emitter translates the LLVM dialect to LLVM IR.
    registerBuiltinDialectTranslation(registry);
    registerLLVMDialectTranslation(registry);
    registry.insert<x86::X86KernelDialect>();
  }
  bool mapsOp(Operation *op) const override { return x86::mapsToKernel(op); }
  void registerPasses() const override {
    x86::registerX86Passes();
    x86::registerX86Pipeline();
  }

  std::unique_ptr<TargetOptions> createOptions() const override {
    return std::make_unique<x86::X86Options>();
  }
  std::vector<TargetPhase> phases() const override {
    return {{"llvm", "LLVM IR after optimization, with the module ABI"}};
  }

  LogicalResult buildPipeline(OpPassManager &pm, const CompileOptions &,
                              const TargetOptions &options) const override {
    x86::buildX86Pipeline(pm, x86Options(options).profile);
    return success();
  }
  LogicalResult emitPhase(ModuleOp module, StringRef phase,
                          const CompileOptions &options,
                          const TargetOptions &targetOptions,
                          raw_ostream &os) const override {
    if (phase == "llvm")
      return x86::emitLLVMIR(module, options, x86Options(targetOptions), os);
    return Target::emitPhase(module, phase, options, targetOptions, os);
  }
  LogicalResult emitModule(ModuleOp module, const CompileOptions &options,
                           const TargetOptions &targetOptions,
                           StringRef path) const override {
    return x86::emitSharedObject(module, options, x86Options(targetOptions),
                                 path);
  }

private:
  /// The options createOptions made.
  static const x86::X86Options &x86Options(const TargetOptions &options) {
    return static_cast<const x86::X86Options &>(options);
  }
};

} // namespace

void cambrian::x86::registerX86Target() {
  TargetRegistry::add(std::make_unique<X86Target>());
}
