//===- Compile.cpp - Cambrian's C API, the compile half -------------------===//
//
// cambrian_compile, in libcambrian.so only; the run half is Run.cpp.
//
//===----------------------------------------------------------------------===//

#include "cambrian-c/Cambrian.h"
#include "cambrian/Pipeline/Diagnostics.h"
#include "cambrian/Pipeline/Pipeline.h"
#include "cambrian/Target/TargetRegistry.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace cambrian;

static void setError(char **error, const std::string &message) {
  if (error)
    *error = strdup(message.c_str());
}

int32_t cambrian_compile(const char *modelPath, const char *outputPath,
                         const cambrian_compile_options *options,
                         char **error) {
  if (!modelPath || !outputPath) {
    setError(error, "model and output paths are required");
    return 1;
  }
  registerAllTargets();
  CompileOptions opts;
  if (options) {
    if (options->target)
      opts.target = options->target;
    if (options->cpu && *options->cpu)
      opts.targetOptions.push_back(std::string("cpu=") + options->cpu);
    if (options->opt_level >= 0 && options->opt_level <= 3)
      opts.optLevel = options->opt_level;
    if (options->target_options)
      for (int32_t i = 0; i < options->num_target_options; ++i)
        if (options->target_options[i])
          opts.targetOptions.push_back(options->target_options[i]);
  }
  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  std::string messages;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    if (d.getSeverity() == mlir::DiagnosticSeverity::Error)
      messages += (messages.empty() ? "" : "\n") + formatDiagnostic(d);
    return mlir::success();
  });
  std::string ir;
  llvm::raw_string_ostream irOut(ir);
  if (mlir::failed(compileModel(ctx, modelPath, opts, "", outputPath,
                                irOut))) {
    setError(error, messages.empty() ? "compilation failed" : messages);
    return 1;
  }
  return 0;
}
