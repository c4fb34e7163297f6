//===- X86KernelOps.h - x86 kernel-call ops ---------------------*- C++ -*-===//

#ifndef CAMBRIAN_TARGETS_X86_X86KERNELOPS_H
#define CAMBRIAN_TARGETS_X86_X86KERNELOPS_H

#include "targets/x86/X86KernelDialect.h"
#include "dialects/Cambrian/CambrianDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "targets/x86/X86KernelOps.h.inc"

#endif // CAMBRIAN_TARGETS_X86_X86KERNELOPS_H
