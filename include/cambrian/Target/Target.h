//===- Target.h - The interface every target implements --------*- C++ -*-===//
//
// A target turns the graph-level IR into a deployable module and can run
// such a module. Targets register themselves in the TargetRegistry; the
// compiler and tools know them only through this interface.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGET_TARGET_H
#define CAMBRIAN_TARGET_TARGET_H

#include "cambrian/Pipeline/Pipeline.h"
#include "cambrian/Runtime/LoadedModule.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <memory>

namespace cambrian {

class Target {
public:
  virtual ~Target();

  /// The name users pass to `--target`.
  virtual llvm::StringRef name() const = 0;
  /// One line for `--help`.
  virtual llvm::StringRef summary() const = 0;

  /// Adds the passes that lower graph-level IR to what `emitModule` takes.
  virtual mlir::LogicalResult buildPipeline(mlir::OpPassManager &pm,
                                            const CompileOptions &options) const = 0;

  /// Prints the target's low-level IR (after the pipeline) for
  /// `--emit=llvm`. The default says the target has none.
  virtual mlir::LogicalResult emitLowLevelIR(mlir::ModuleOp module,
                                             const CompileOptions &options,
                                             llvm::raw_ostream &os) const;

  /// Writes the module file to `path`; leaves no file on failure.
  virtual mlir::LogicalResult emitModule(mlir::ModuleOp module,
                                         const CompileOptions &options,
                                         llvm::StringRef path) const = 0;

  /// Whether `header` (the first bytes of a file) starts a module of this
  /// target.
  virtual bool recognizes(llvm::StringRef header) const = 0;
  /// Opens a module file for running; null with `error` set on failure.
  virtual std::unique_ptr<LoadedModule> load(llvm::StringRef path,
                                             std::string &error) const = 0;
};

/// All registered targets, by name.
class TargetRegistry {
public:
  static void add(std::unique_ptr<Target> target);
  static const Target *lookup(llvm::StringRef name);
  static std::vector<const Target *> all();
};

/// Registers every target Cambrian has (targets/RegisterTargets.cpp).
void registerAllTargets();

} // namespace cambrian

#endif // CAMBRIAN_TARGET_TARGET_H
