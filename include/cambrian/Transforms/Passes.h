//===- Passes.h - Cambrian's graph passes -----------------------*- C++ -*-===//

#ifndef CAMBRIAN_TRANSFORMS_PASSES_H
#define CAMBRIAN_TRANSFORMS_PASSES_H

#include "dialects/Cambrian/CambrianDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"

namespace cambrian {

#define GEN_PASS_DECL
#include "cambrian/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "cambrian/Transforms/Passes.h.inc"

/// Adds the rewrite of FoldBatchNormPass to `patterns`.
void populateFoldBatchNormPatterns(mlir::RewritePatternSet &patterns);

/// Adds the rewrite of FuseEpiloguePass to `patterns`.
void populateFuseEpiloguePatterns(mlir::RewritePatternSet &patterns);

/// Adds the rewrites of FoldQuantizationPass to `patterns`.
void populateFoldQuantizationPatterns(mlir::RewritePatternSet &patterns);

/// Adds the rewrite of FuseElementwisePass to `patterns`.
void populateFuseElementwisePatterns(mlir::RewritePatternSet &patterns);

} // namespace cambrian

#endif // CAMBRIAN_TRANSFORMS_PASSES_H
