//===- Passes.h - cambrian dialect passes -----------------------*- C++ -*-===//

#ifndef CAMBRIAN_DIALECTS_CAMBRIAN_PASSES_H
#define CAMBRIAN_DIALECTS_CAMBRIAN_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

#include <functional>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace cambrian::cmb {

/// Whether a target maps a cambrian op itself, so that the shared
/// decomposition must leave it alone.
using KeepOpFn = std::function<bool(mlir::Operation *)>;

#define GEN_PASS_DECL
#include "dialects/Cambrian/Passes.h.inc"

/// cambrian-decompose leaving the ops `keep` accepts (besides those named in
/// its `keep` option).
std::unique_ptr<mlir::Pass> createDecomposePass(KeepOpFn keep);

#define GEN_PASS_REGISTRATION
#include "dialects/Cambrian/Passes.h.inc"

/// Patterns lowering each cambrian op to linalg/tensor/arith on tensors,
/// except the ops `keep` accepts.
void populateCambrianDecomposePatterns(mlir::RewritePatternSet &patterns,
                                       KeepOpFn keep = {});

} // namespace cambrian::cmb

#endif // CAMBRIAN_DIALECTS_CAMBRIAN_PASSES_H
