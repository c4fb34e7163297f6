//===- X86KernelDialect.h - The x86 kernel-call dialect ---------*- C++ -*-===//
//
// Kernels of the x86 runtime as destination-style ops (see
// X86KernelDialect.td).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_X86KERNELDIALECT_H
#define CAMBRIAN_TARGETS_X86_X86KERNELDIALECT_H

#include "mlir/IR/Dialect.h"

#include "targets/x86/X86KernelOpsDialect.h.inc"

#endif // CAMBRIAN_TARGETS_X86_X86KERNELDIALECT_H
