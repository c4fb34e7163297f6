//===- CambrianOps.h - The cambrian ops -------------------------*- C++ -*-===//

#ifndef CAMBRIAN_DIALECTS_CAMBRIAN_CAMBRIANOPS_H
#define CAMBRIAN_DIALECTS_CAMBRIAN_CAMBRIANOPS_H

#include "dialects/Cambrian/CambrianDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/Cambrian/CambrianInterfaces.h.inc"

#define GET_OP_CLASSES
#include "dialects/Cambrian/CambrianOps.h.inc"

#endif // CAMBRIAN_DIALECTS_CAMBRIAN_CAMBRIANOPS_H
