//===- Activation.h - The scalar body of an activation ----------*- C++ -*-===//
//
// One definition of what each #cambrian.activation computes, shared by the
// importer (host folding), the decomposition and the targets that emit
// loops.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_ACTIVATION_H
#define CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_ACTIVATION_H

#include "dialects/Cambrian/CambrianDialect.h"

#include "mlir/IR/Builders.h"

namespace cambrian::cmb {

/// `act` applied to the float scalar `x`; `x` itself for none.
mlir::Value emitActivation(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value x, ActivationAttr act);

} // namespace cambrian::cmb

#endif // CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_ACTIVATION_H
