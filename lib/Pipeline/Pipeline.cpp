//===- Pipeline.cpp - Compiling a model end to end ------------------------===//

#include "cambrian/Pipeline/Pipeline.h"
#include "cambrian/Target/Target.h"
#include "cambrian/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cambrian;

void cambrian::buildGraphPipeline(OpPassManager &pm) {
  // Upstream's linalg-fuse-elementwise-ops is deliberately absent: its
  // reshape propagation rewrites named matmuls into generics that the
  // targets' kernel matching no longer recognises. Cambrian's own fusion
  // touches elementwise generics only.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Before fusion, which would merge the batch norm into its consumers
  // (a Relu, a residual add) and so hide the per-channel affine map.
  pm.addPass(createFoldBatchNormPass());
  pm.addPass(createFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());
}

void cambrian::registerGraphPipeline() {
  PassPipelineRegistration<>(
      "cambrian-graph-pipeline",
      "Cambrian's target-independent graph passes",
      [](OpPassManager &pm) { buildGraphPipeline(pm); });
}

/// Prints `module` without the bytes of large constants.
static void printIR(ModuleOp module, llvm::raw_ostream &os) {
  OpPrintingFlags flags;
  flags.elideLargeResourceString(256).elideLargeElementsAttrs(64);
  module->print(os, flags);
  os << "\n";
}

LogicalResult cambrian::compileModel(MLIRContext &ctx, StringRef modelPath,
                                     const CompileOptions &options,
                                     Phase stopAfter, StringRef outputPath,
                                     llvm::raw_ostream &irOut) {
  const Target *target = TargetRegistry::lookup(options.target);
  if (!target) {
    std::string names;
    for (const Target *t : TargetRegistry::all())
      names += (names.empty() ? "" : ", ") + t->name().str();
    return emitError(UnknownLoc::get(&ctx))
           << "unknown target '" << options.target << "' (known: " << names
           << ")";
  }
  DialectRegistry registry;
  registerAllDialects(registry);
  ctx.appendDialectRegistry(registry);

  OwningOpRef<ModuleOp> module =
      importONNXFile(ctx, modelPath, options.import);
  if (!module)
    return failure();
  if (failed(verify(*module)))
    return emitError(module->getLoc())
           << "internal error: the imported IR does not verify";
  if (stopAfter == Phase::Import) {
    printIR(*module, irOut);
    return success();
  }

  PassManager graph(&ctx);
  buildGraphPipeline(graph);
  if (failed(graph.run(*module)))
    return failure();
  if (stopAfter == Phase::Graph) {
    printIR(*module, irOut);
    return success();
  }

  PassManager lower(&ctx);
  if (failed(target->buildPipeline(lower, options)) ||
      failed(lower.run(*module)))
    return failure();
  if (stopAfter == Phase::Target) {
    printIR(*module, irOut);
    return success();
  }
  if (stopAfter == Phase::LLVM)
    return target->emitLowLevelIR(*module, options, irOut);
  return target->emitModule(*module, options, outputPath);
}
