//===- CambrianDialect.h - The cambrian dialect and its attributes -*- C++ -*-===//
//
// The middle of the compiler: neural-network ops every target lowers from
// (see CambrianDialect.td).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_DIALECTS_CAMBRIAN_CAMBRIANDIALECT_H
#define CAMBRIAN_DIALECTS_CAMBRIAN_CAMBRIANDIALECT_H

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Cambrian/CambrianOpsDialect.h.inc"
#include "dialects/Cambrian/CambrianEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Cambrian/CambrianAttrs.h.inc"

#endif // CAMBRIAN_DIALECTS_CAMBRIAN_CAMBRIANDIALECT_H
