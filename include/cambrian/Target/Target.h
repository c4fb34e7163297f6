//===- Target.h - The compile side of a target ------------------*- C++ -*-===//
//
// A target turns the graph-level IR into a deployable module: it registers
// its dialects, passes and pipelines, parses its own options, names the
// phases a compilation can stop at after its pipeline, builds that pipeline
// and writes the module. Running a module is the target's ModuleLoader
// (cambrian/Runtime/ModuleLoader.h), which needs no MLIR.
//
// Targets are listed in CMake (cambrian_add_target); the generated
// registerAllTargets() adds each one to the TargetRegistry, and the tools
// know them only through this interface.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGET_TARGET_H
#define CAMBRIAN_TARGET_TARGET_H

#include "cambrian/Pipeline/Pipeline.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cambrian {

class TargetOptionParser;

//===----------------------------------------------------------------------===//
// Target options
//===----------------------------------------------------------------------===//

/// The options of one target, given as `key=value` strings
/// (`cambrian-compile --target-opt key=value`) and parsed by the target, not
/// by the driver. A target derives its own struct and declares its keys.
class TargetOptions {
public:
  virtual ~TargetOptions();
  /// Binds each option to a key of `parser`. The default declares none.
  virtual void declare(TargetOptionParser &parser);
};

/// Parses `key=value` strings into the fields of a TargetOptions, and prints
/// the keys for `--help`. Errors are one line and name the target.
class TargetOptionParser {
public:
  explicit TargetOptionParser(llvm::StringRef targetName)
      : targetName(targetName.str()) {}

  /// Checks a value before it is stored; returns "" or why it is refused.
  using Check = std::function<std::string(llvm::StringRef)>;

  /// A string option, `key=<valueName>`.
  void add(llvm::StringRef key, std::string *value, llvm::StringRef valueName,
           llvm::StringRef help, Check check = {});
  /// A boolean option: `key=1|0|true|false`; a bare `key` means true.
  void add(llvm::StringRef key, bool *value, llvm::StringRef help);
  /// A non-negative integer option, `key=<n>`.
  void add(llvm::StringRef key, unsigned *value, llvm::StringRef help);

  /// Parses and stores one `key=value`; returns "" or a one-line error.
  std::string parse(llvm::StringRef keyValue) const;
  /// One line per option: `  key=<value>  help`.
  void printHelp(llvm::raw_ostream &os, unsigned indent) const;
  bool empty() const { return options.empty(); }

private:
  struct Option {
    std::string key, valueName, help;
    bool isFlag = false;
    std::function<std::string(llvm::StringRef)> set;
  };
  std::string targetName;
  std::vector<Option> options;
};

/// A phase a target adds after its pipeline (after `target`, before the
/// module), e.g. x86's `llvm`.
struct TargetPhase {
  std::string name;
  std::string description;
};

//===----------------------------------------------------------------------===//
// Target
//===----------------------------------------------------------------------===//

class Target {
public:
  virtual ~Target();

  /// The name users pass to `--target`.
  virtual llvm::StringRef name() const = 0;
  /// One line for `--help`.
  virtual llvm::StringRef summary() const = 0;
  /// The file suffix of a module, with its dot (`cambrian-compile` names
  /// the output `<model stem><suffix>` when `-o` is left out).
  virtual llvm::StringRef moduleSuffix() const = 0;

  /// Adds the dialects (and their interfaces) the target's pipeline and
  /// emitter create, beyond the common ones (registerAllDialects).
  virtual void registerDialects(mlir::DialectRegistry &registry) const;
  /// Registers the target's passes and pipelines with MLIR, so that
  /// cambrian-opt runs them. Called once per process.
  virtual void registerPasses() const;

  /// Whether the target maps the cambrian op `op` to a kernel of its own:
  /// the graph pipeline then leaves it undecomposed, and the target's
  /// pipeline must take it. The default maps none.
  virtual bool mapsOp(mlir::Operation *op) const;

  /// The target's options at their defaults. The default has no options.
  virtual std::unique_ptr<TargetOptions> createOptions() const;

  /// The fusions the graph pipeline may make for this target. The default
  /// makes none of them.
  virtual GraphFusions graphFusions() const { return {}; }

  /// The phases the target adds after `target`; `--emit=<name>` prints
  /// what `emitPhase` prints for it. The default adds none.
  virtual std::vector<TargetPhase> phases() const;

  /// Adds the passes that lower graph-level IR to what `emitModule` takes.
  /// `targetOptions` is what `createOptions` made, parsed.
  virtual mlir::LogicalResult
  buildPipeline(mlir::OpPassManager &pm, const CompileOptions &options,
                const TargetOptions &targetOptions) const = 0;

  /// Prints the output of `phase` (one of `phases()`) for the module after
  /// the pipeline. The default has no phases to print.
  virtual mlir::LogicalResult emitPhase(mlir::ModuleOp module,
                                        llvm::StringRef phase,
                                        const CompileOptions &options,
                                        const TargetOptions &targetOptions,
                                        llvm::raw_ostream &os) const;

  /// Writes the module file to `path`; leaves no file on failure.
  virtual mlir::LogicalResult emitModule(mlir::ModuleOp module,
                                         const CompileOptions &options,
                                         const TargetOptions &targetOptions,
                                         llvm::StringRef path) const = 0;
};

/// The options of `target` parsed from `keyValues` (each `key=value`), or
/// null with a one-line `error` for an unknown key or a bad value.
std::unique_ptr<TargetOptions>
parseTargetOptions(const Target &target, llvm::ArrayRef<std::string> keyValues,
                   std::string &error);

/// Prints the target's options for `--help`, one per line; nothing if it
/// has none.
void printTargetOptions(const Target &target, llvm::raw_ostream &os,
                        unsigned indent);

} // namespace cambrian

#endif // CAMBRIAN_TARGET_TARGET_H
