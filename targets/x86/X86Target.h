//===- X86Target.h - The x86 target -----------------------------*- C++ -*-===//

#ifndef CAMBRIAN_TARGETS_X86_X86TARGET_H
#define CAMBRIAN_TARGETS_X86_X86TARGET_H

#include "cambrian/Pipeline/Pipeline.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

namespace cambrian::x86 {

/// Graph-level IR to the LLVM dialect.
void buildX86Pipeline(mlir::OpPassManager &pm);
/// Registers it as `cambrian-x86-pipeline` for cambrian-opt.
void registerX86Pipeline();
/// Registers the x86 target in the TargetRegistry.
void registerX86Target();

/// Translates the LLVM-dialect module, adds the module ABI, optimizes, and
/// prints LLVM IR.
mlir::LogicalResult emitLLVMIR(mlir::ModuleOp module,
                               const CompileOptions &options,
                               llvm::raw_ostream &os);
/// Same, then emits an object file and links it with the kernel library
/// into a shared object at `path`.
mlir::LogicalResult emitSharedObject(mlir::ModuleOp module,
                                     const CompileOptions &options,
                                     llvm::StringRef path);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_X86TARGET_H
