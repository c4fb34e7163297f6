//===- LowerReductions.cpp - Reductions accumulated in registers ----------===//

#include "targets/x86/Passes.h"

#include "mlir/Dialect/Affine/Utils.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_LOWERREDUCTIONSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

/// Marks the op that combines a new term with the accumulator `acc` (the
/// value `yielded` when it is an addf/mulf of acc) as reassociable.
void allowReassociation(Value yielded, Value acc) {
  Operation *def = yielded.getDefiningOp();
  if (!def || !llvm::is_contained(def->getOperands(), acc))
    return;
  if (auto add = dyn_cast<arith::AddFOp>(def))
    add.setFastmath(add.getFastmath() | arith::FastMathFlags::reassoc);
  else if (auto mul = dyn_cast<arith::MulFOp>(def))
    mul.setFastmath(mul.getFastmath() | arith::FastMathFlags::reassoc);
}

struct TrailingReductionToLoops : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumReductionLoops() == 0)
      return failure();
    const int64_t numLoops = op.getNumLoops();
    const int64_t numParallel = op.getNumParallelLoops();
    auto iters = op.getIteratorTypesArray();
    for (int64_t d = 0; d < numLoops; ++d)
      if ((d < numParallel) != (iters[d] == utils::IteratorType::parallel))
        return rewriter.notifyMatchFailure(op, "reductions not innermost");
    // Each output element is the same across the reduction loops.
    for (OpOperand &init : op.getDpsInitsMutable()) {
      AffineMap map = op.getMatchingIndexingMap(&init);
      for (int64_t d = numParallel; d < numLoops; ++d)
        if (map.isFunctionOfDim(d))
          return failure();
    }
    Location loc = op.getLoc();
    auto indicesFor = [&](OpBuilder &b, AffineMap map, ValueRange ivs) {
      SmallVector<Value> idx;
      for (AffineExpr e : map.getResults())
        idx.push_back(affine::AffineApplyOp::create(
            b, loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
      return idx;
    };
    auto zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    auto one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    // Static extents, or dims of the operands (a task's chunk of a loop
    // that cambrian-x86-parallelize-loops split).
    SmallVector<Value> ranges;
    for (Range r : cast<linalg::LinalgOp>(op.getOperation())
                         .createLoopRanges(rewriter, loc))
      ranges.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, r.size));

    // Parallel loops.
    SmallVector<Value> ivs;
    OpBuilder::InsertionGuard guard(rewriter);
    for (int64_t d = 0; d < numParallel; ++d) {
      auto loop = scf::ForOp::create(rewriter, loc, zero, ranges[d], one);
      ivs.push_back(loop.getInductionVar());
      rewriter.setInsertionPoint(loop.getBody()->getTerminator());
    }
    // Load the accumulators, then the reduction loops carry them.
    SmallVector<Value> parIvs = ivs;
    parIvs.resize(numLoops, zero); // reduction dims are not read by inits
    SmallVector<Value> accs;
    for (OpOperand &init : op.getDpsInitsMutable())
      accs.push_back(memref::LoadOp::create(
          rewriter, loc, init.get(),
          indicesFor(rewriter, op.getMatchingIndexingMap(&init), parIvs)));
    SmallVector<scf::ForOp> redLoops;
    for (int64_t d = numParallel; d < numLoops; ++d) {
      ValueRange iterArgs =
          redLoops.empty() ? ValueRange(accs)
                           : ValueRange(redLoops.back().getRegionIterArgs());
      auto loop =
          scf::ForOp::create(rewriter, loc, zero, ranges[d], one, iterArgs);
      if (!redLoops.empty())
        scf::YieldOp::create(rewriter, loc, loop.getResults());
      redLoops.push_back(loop);
      ivs.push_back(loop.getInductionVar());
      rewriter.setInsertionPointToStart(loop.getBody());
    }

    // The body: inputs loaded, outputs are the carried accumulators.
    scf::ForOp inner = redLoops.back();
    IRMapping mapping;
    Block *body = op.getBody();
    for (OpOperand *in : op.getDpsInputOperands()) {
      Value v = in->get();
      BlockArgument arg = op.getMatchingBlockArgument(in);
      if (isa<MemRefType>(v.getType()))
        v = memref::LoadOp::create(
            rewriter, loc, v,
            indicesFor(rewriter, op.getMatchingIndexingMap(in), ivs));
      mapping.map(arg, v);
    }
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
      mapping.map(op.getMatchingBlockArgument(&init),
                  inner.getRegionIterArgs()[i]);
    for (Operation &bodyOp : body->without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(bodyOp)) {
        mapping.map(index.getResult(), ivs[index.getDim()]);
        continue;
      }
      rewriter.clone(bodyOp, mapping);
    }
    auto yield = cast<linalg::YieldOp>(body->getTerminator());
    SmallVector<Value> results;
    for (auto [i, v] : llvm::enumerate(yield.getValues())) {
      Value r = mapping.lookupOrDefault(v);
      allowReassociation(r, inner.getRegionIterArgs()[i]);
      results.push_back(r);
    }
    scf::YieldOp::create(rewriter, loc, results);

    // Store the sums after the outermost reduction loop.
    rewriter.setInsertionPointAfter(redLoops.front());
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
      memref::StoreOp::create(
          rewriter, loc, redLoops.front().getResult(i), init.get(),
          indicesFor(rewriter, op.getMatchingIndexingMap(&init), parIvs));
    rewriter.eraseOp(op);
    return success();
  }
};

struct LowerReductionsPass
    : cambrian::x86::impl::LowerReductionsPassBase<LowerReductionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<TrailingReductionToLoops>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
