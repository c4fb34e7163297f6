//===- CollapseLoops.cpp - Merge contiguous loops of linalg.generics ------===//

#include "targets/x86/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_COLLAPSELOOPSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

/// Whether every operand of `op` is a buffer in the dense row-major layout
/// (so that any of its dims can be merged with a view) or a scalar.
bool hasDenseOperands(linalg::GenericOp op) {
  for (Value v : op->getOperands()) {
    auto type = dyn_cast<MemRefType>(v.getType());
    if (!type) {
      if (isa<ShapedType>(v.getType()))
        return false;
      continue;
    }
    if (!type.getLayout().isIdentity() || !type.hasStaticShape())
      return false;
  }
  return true;
}

/// Whether every indexing map result is a loop dim or the constant 0 (no
/// windows: dropping a unit loop from d2 * 3 + d4 would leave d4 read over
/// the whole input, which the generic's shape checks reject).
bool readsDimsOrZeros(linalg::GenericOp op) {
  for (AffineMap map : op.getIndexingMapsArray())
    for (AffineExpr e : map.getResults()) {
      auto cst = dyn_cast<AffineConstantExpr>(e);
      if (!isa<AffineDimExpr>(e) && !(cst && cst.getValue() == 0))
        return false;
    }
  return true;
}

/// Whether every operand that loop `d` indexes spans the loop's whole range
/// in that dim: merging `d` into the loop outside it is then a plain
/// reshape of the operand. (A window that reads 3 of 4 columns is not.)
bool coversWholeDim(linalg::GenericOp op, int64_t d) {
  int64_t range = op.getStaticLoopRanges()[d];
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      continue;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    for (auto [i, e] : llvm::enumerate(map.getResults()))
      if (auto dim = dyn_cast<AffineDimExpr>(e);
          dim && dim.getPosition() == d && type.getDimSize(i) != range)
        return false;
  }
  return true;
}

/// The maximal runs of adjacent loops with one iterator type that every
/// indexing map keeps contiguous and in order; runs of one loop are left
/// out (nothing to merge).
SmallVector<ReassociationIndices> collapsibleRuns(linalg::LinalgOp linalgOp) {
  auto op = dyn_cast<linalg::GenericOp>(linalgOp.getOperation());
  if (!op || !op.hasPureBufferSemantics() || !hasDenseOperands(op))
    return {};
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  // Constant results (broadcasts along a unit dim) are dropped first by the
  // unit-dim folding; upstream's collapsing mishandles them.
  if (!llvm::all_of(maps, [](AffineMap m) { return m.isProjectedPermutation(); }))
    return {};
  auto iters = op.getIteratorTypesArray();
  SmallVector<ReassociationIndices> runs;
  ReassociationIndices run;
  auto flush = [&] {
    if (run.size() > 1)
      runs.push_back(run);
    run.clear();
  };
  for (int64_t d = 0, e = op.getNumLoops(); d < e; ++d) {
    if (!run.empty()) {
      ReassociationIndices longer = run;
      longer.push_back(d);
      if (iters[d] == iters[run.front()] &&
          linalg::areDimSequencesPreserved(maps, {longer}) &&
          coversWholeDim(op, d)) {
        run = longer;
        continue;
      }
      flush();
    }
    run.push_back(d);
  }
  flush();
  return runs;
}

struct CollapseLoopsPass
    : cambrian::x86::impl::CollapseLoopsPassBase<CollapseLoopsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // Unit dims read at constant 0 (a bias of shape Cx1x1) go away first,
    // which leaves projected permutations to merge.
    linalg::ControlDropUnitDims dropUnitDims;
    dropUnitDims.controlFn = [](Operation *op) -> SmallVector<unsigned> {
      auto generic = dyn_cast<linalg::GenericOp>(op);
      if (!generic || !generic.hasPureBufferSemantics() ||
          !hasDenseOperands(generic) || !readsDimsOrZeros(generic))
        return {};
      return llvm::to_vector(llvm::seq<unsigned>(0, generic.getNumLoops()));
    };
    linalg::populateFoldUnitExtentDimsPatterns(patterns, dropUnitDims);
    linalg::populateCollapseDimensions(patterns, collapsibleRuns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
