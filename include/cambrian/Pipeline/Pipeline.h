//===- Pipeline.h - Compiling a model end to end ----------------*- C++ -*-===//

#ifndef CAMBRIAN_PIPELINE_PIPELINE_H
#define CAMBRIAN_PIPELINE_PIPELINE_H

#include "cambrian/Import/ONNXImporter.h"
#include "cambrian/Pipeline/Phase.h"

#include "mlir/Pass/PassManager.h"

#include <string>

namespace cambrian {

/// Everything that steers one compilation.
struct CompileOptions {
  std::string target = "x86";
  /// Target CPU (LLVM name, e.g. "skylake-avx512"); empty means the host.
  std::string cpu;
  /// 0..3, as for a C compiler.
  unsigned optLevel = 2;
  /// Instrument the module to time each kernel call and loop nest (read
  /// back through `cambrian_module_profile`, e.g. by `cambrian-run
  /// --profile`).
  bool profile = false;
  ImportOptions import;
};

/// Target-independent graph passes (today canonicalization and CSE).
void buildGraphPipeline(mlir::OpPassManager &pm);

/// Registers the graph pipeline as `cambrian-graph-pipeline` for
/// cambrian-opt.
void registerGraphPipeline();

/// Compiles the model at `modelPath`. With `stopAfter` before Module, prints
/// the IR after that phase to `irOut` and writes no module; otherwise writes
/// the module to `outputPath` (atomically: nothing is left on failure).
/// Errors go to the context's diagnostic engine.
mlir::LogicalResult compileModel(mlir::MLIRContext &ctx,
                                 llvm::StringRef modelPath,
                                 const CompileOptions &options,
                                 Phase stopAfter, llvm::StringRef outputPath,
                                 llvm::raw_ostream &irOut);

/// Registers every dialect the pipelines use.
void registerAllDialects(mlir::DialectRegistry &registry);

} // namespace cambrian

#endif // CAMBRIAN_PIPELINE_PIPELINE_H
