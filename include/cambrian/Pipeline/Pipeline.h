//===- Pipeline.h - Compiling a model end to end ----------------*- C++ -*-===//

#ifndef CAMBRIAN_PIPELINE_PIPELINE_H
#define CAMBRIAN_PIPELINE_PIPELINE_H

#include "cambrian/Import/ONNXImporter.h"
#include "cambrian/Pipeline/Phase.h"

#include "mlir/Pass/PassManager.h"

#include <functional>
#include <string>
#include <vector>

namespace cambrian {

/// Everything that steers one compilation. Only target-independent
/// settings live here; a target's own options are `key=value` strings that
/// the target parses (Target::createOptions).
struct CompileOptions {
  std::string target = "x86";
  /// 0..3, as for a C compiler.
  unsigned optLevel = 2;
  /// The target's options, `key=value` each (e.g. x86's `cpu=znver4`), in
  /// order: a later value of a key wins.
  std::vector<std::string> targetOptions;
  ImportOptions import;
};

/// The fusions of the graph pipeline whose result a target must be able to
/// run as one kernel; each is off unless the target says it can.
struct GraphFusions {
  /// A max pooling joins the convolution before it (`pool` on
  /// cambrian.conv).
  bool convPooling = false;
};

/// Target-independent graph passes: epilogue fusion on the cambrian dialect
/// (with the fusions `fusions` allows), the shared decomposition of the
/// cambrian ops, canonicalization, CSE, batch-norm folding and elementwise
/// fusion. The cambrian ops `keep` accepts (those the target maps to
/// kernels of its own, `Target::mapsOp`) are left for the target's
/// pipeline.
void buildGraphPipeline(mlir::OpPassManager &pm,
                        const GraphFusions &fusions = {},
                        std::function<bool(mlir::Operation *)> keep = {});

/// Registers the graph pipeline as `cambrian-graph-pipeline` for
/// cambrian-opt.
void registerGraphPipeline();

/// Compiles the model at `modelPath`. With `emitPhase` naming a phase
/// before the module (`import`, `graph`, `target`, or one the target adds,
/// Target::phases()), prints that phase's output to `irOut` and writes no
/// module; with `emitPhase` empty or `module`, writes the module to
/// `outputPath` (atomically: nothing is left on failure). Errors go to the
/// context's diagnostic engine.
mlir::LogicalResult compileModel(mlir::MLIRContext &ctx,
                                 llvm::StringRef modelPath,
                                 const CompileOptions &options,
                                 llvm::StringRef emitPhase,
                                 llvm::StringRef outputPath,
                                 llvm::raw_ostream &irOut);

/// Registers every dialect the pipelines use.
void registerAllDialects(mlir::DialectRegistry &registry);

} // namespace cambrian

#endif // CAMBRIAN_PIPELINE_PIPELINE_H
