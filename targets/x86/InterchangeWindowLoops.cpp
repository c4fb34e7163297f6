//===- InterchangeWindowLoops.cpp - Vectorizable pooling loops ------------===//

#include "targets/x86/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_INTERCHANGEWINDOWLOOPSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

/// Reduction windows up to this many iterations count as small.
constexpr int64_t kMaxWindow = 64;

struct InnermostOutputLoop : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    unsigned numLoops = op.getNumLoops();
    if (numLoops < 2 || op.getNumDpsInits() != 1 ||
        op.getNumReductionLoops() == 0)
      return failure();
    auto iters = op.getIteratorTypesArray();
    if (iters.back() != utils::IteratorType::reduction)
      return failure();
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    int64_t window = 1;
    for (unsigned i = 0; i < numLoops; ++i)
      if (iters[i] == utils::IteratorType::reduction) {
        if (ShapedType::isDynamic(ranges[i]))
          return failure();
        window *= ranges[i];
      }
    if (window > kMaxWindow)
      return rewriter.notifyMatchFailure(op, "large reduction");
    AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
    if (outMap.getNumResults() == 0)
      return failure();
    auto last = dyn_cast<AffineDimExpr>(outMap.getResults().back());
    if (!last || iters[last.getPosition()] != utils::IteratorType::parallel)
      return failure();
    SmallVector<unsigned> order;
    for (unsigned i = 0; i < numLoops; ++i)
      if (i != last.getPosition())
        order.push_back(i);
    order.push_back(last.getPosition());
    if (failed(linalg::interchangeGenericOp(rewriter, op, order)))
      return failure();
    return success();
  }
};

struct InterchangeWindowLoopsPass
    : cambrian::x86::impl::InterchangeWindowLoopsPassBase<
          InterchangeWindowLoopsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<InnermostOutputLoop>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
