//===- Passes.h - cambrian dialect passes -----------------------*- C++ -*-===//

#ifndef CAMBRIAN_DIALECTS_CAMBRIAN_PASSES_H
#define CAMBRIAN_DIALECTS_CAMBRIAN_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace cambrian::cmb {

#define GEN_PASS_DECL
#include "dialects/Cambrian/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/Cambrian/Passes.h.inc"

/// Patterns lowering each cambrian op to linalg/tensor/arith on tensors.
void populateCambrianDecomposePatterns(mlir::RewritePatternSet &patterns);

} // namespace cambrian::cmb

#endif // CAMBRIAN_DIALECTS_CAMBRIAN_PASSES_H
