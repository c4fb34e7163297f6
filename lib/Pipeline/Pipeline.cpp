//===- Pipeline.cpp - Compiling a model end to end ------------------------===//

#include "cambrian/Pipeline/Pipeline.h"
#include "dialects/Cambrian/Passes.h"
#include "cambrian/Target/TargetRegistry.h"
#include "cambrian/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cambrian;

void cambrian::buildGraphPipeline(OpPassManager &pm,
                                  const GraphFusions &fusions,
                                  std::function<bool(Operation *)> keep) {
  // Upstream's linalg-fuse-elementwise-ops is deliberately absent: its
  // reshape propagation rewrites named matmuls into generics that the
  // targets' kernel matching no longer recognises. Cambrian's own fusion
  // touches elementwise generics only.
  //
  // Epilogue fusion sees the dialect's ops whole. They are then decomposed,
  // since folding and fusion work on linalg; those the target maps to
  // kernels itself stay whole for its pipeline (which decomposes whatever it
  // then leaves).
  //
  // Batch norms fold into a conv or matmul first on the dialect (before
  // an activation joins the epilogue behind them, and so that an op the
  // target maps whole gets them too), then on the decomposed linalg ops.
  pm.addPass(createFoldBatchNormPass());
  FuseEpiloguePassOptions epilogue;
  epilogue.fuseConvPooling = fusions.convPooling;
  pm.addPass(createFuseEpiloguePass(epilogue));
  // With activations in the epilogues, dequantize -> conv -> quantize
  // becomes an integer conv before anything is decomposed.
  pm.addPass(createFoldQuantizationPass());
  pm.addPass(cmb::createDecomposePass(std::move(keep)));
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

/// The phases `target` can stop at, for messages: "import, graph, ...".
static std::string phaseList(const Target &target) {
  std::string list = "import, graph, target";
  for (const TargetPhase &p : target.phases())
    list += ", " + p.name;
  return list;
}

LogicalResult cambrian::compileModel(MLIRContext &ctx, StringRef modelPath,
                                     const CompileOptions &options,
                                     StringRef emitPhase, StringRef outputPath,
                                     llvm::raw_ostream &irOut) {
  const Target *target = TargetRegistry::lookup(options.target);
  if (!target)
    return emitError(UnknownLoc::get(&ctx))
           << "unknown target '" << options.target << "' (known: "
           << TargetRegistry::names() << ")";
  std::string error;
  std::unique_ptr<TargetOptions> targetOptions =
      parseTargetOptions(*target, options.targetOptions, error);
  if (!targetOptions)
    return emitError(UnknownLoc::get(&ctx)) << error;
  // A phase the target adds runs after Target; check it before importing.
  Phase stopAfter = Phase::Module;
  if (!emitPhase.empty()) {
    if (std::optional<Phase> common = parsePhase(emitPhase)) {
      stopAfter = *common;
    } else if (llvm::any_of(target->phases(), [&](const TargetPhase &p) {
                 return p.name == emitPhase;
               })) {
      stopAfter = Phase::Target;
    } else {
      return emitError(UnknownLoc::get(&ctx))
             << "target '" << target->name() << "' has no phase '"
             << emitPhase << "' (it has: " << phaseList(*target) << ")";
    }
  }

  DialectRegistry registry;
  registerAllDialects(registry);
  target->registerDialects(registry);
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
  buildGraphPipeline(graph, target->graphFusions(),
                     [target](Operation *op) { return target->mapsOp(op); });
  if (failed(graph.run(*module)))
    return failure();
  if (stopAfter == Phase::Graph) {
    printIR(*module, irOut);
    return success();
  }

  PassManager lower(&ctx);
  if (failed(target->buildPipeline(lower, options, *targetOptions)) ||
      failed(lower.run(*module)))
    return failure();
  if (stopAfter == Phase::Target) {
    if (emitPhase != phaseName(Phase::Target))
      return target->emitPhase(*module, emitPhase, options, *targetOptions,
                               irOut);
    printIR(*module, irOut);
    return success();
  }
  return target->emitModule(*module, options, *targetOptions, outputPath);
}
