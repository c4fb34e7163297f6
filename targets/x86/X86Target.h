//===- X86Target.h - The x86 target -----------------------------*- C++ -*-===//

#ifndef CAMBRIAN_TARGETS_X86_X86TARGET_H
#define CAMBRIAN_TARGETS_X86_X86TARGET_H

#include "cambrian/Pipeline/Pipeline.h"
#include "cambrian/Target/Target.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

namespace cambrian::x86 {

/// The x86 target's options (`--target-opt key=value`; cambrian-compile
/// also spells them `--cpu` and `--profile`).
struct X86Options : TargetOptions {
  /// Target CPU (LLVM name, e.g. "skylake-avx512"); empty means the host.
  std::string cpu;
  /// Instrument the module to time each kernel call and loop nest (read
  /// back through `cambrian_module_profile`, e.g. by `cambrian-run
  /// --profile`).
  bool profile = false;

  void declare(TargetOptionParser &parser) override;
};

/// Graph-level IR to the LLVM dialect; with `profile`, every kernel call and
/// loop nest is timed (see InstrumentProfilePass).
void buildX86Pipeline(mlir::OpPassManager &pm, bool profile = false);
/// Registers it as `cambrian-x86-pipeline` for cambrian-opt.
void registerX86Pipeline();
/// Registers the x86 target in the TargetRegistry.
void registerX86Target();

/// "" if LLVM knows `cpu` as an x86-64 CPU (or it is empty, `host` or
/// `native`), else why not.
std::string checkCPU(llvm::StringRef cpu);

/// Translates the LLVM-dialect module, adds the module ABI, optimizes, and
/// prints LLVM IR.
mlir::LogicalResult emitLLVMIR(mlir::ModuleOp module,
                               const CompileOptions &options,
                               const X86Options &x86Options,
                               llvm::raw_ostream &os);
/// Same, then emits an object file and links it with the kernel library
/// into a shared object at `path`.
mlir::LogicalResult emitSharedObject(mlir::ModuleOp module,
                                     const CompileOptions &options,
                                     const X86Options &x86Options,
                                     llvm::StringRef path);

/// The profile table of an instrumented module: a private memref global of
/// N x kProfileRowWords i64, one row per timed op, laid out like
/// cambrian_profile_entry (two pointers the emitter fills in, then the call
/// count and the nanoseconds).
inline constexpr llvm::StringLiteral kProfileTableSymbol = "__cmb_profile";
inline constexpr int64_t kProfileRowWords = 4;
inline constexpr int64_t kProfileCallsWord = 2;
inline constexpr int64_t kProfileNanosecondsWord = 3;
/// Module attribute with the rows' labels: [[node, kind], ...].
inline constexpr llvm::StringLiteral kProfileAttr = "x86.profile";

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_X86TARGET_H
