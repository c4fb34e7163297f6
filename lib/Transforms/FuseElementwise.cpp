//===- FuseElementwise.cpp - Elementwise chains into one generic ----------===//
//
// The fusion itself is upstream's linalg::fuseElementwiseOps; what this
// pass owns is the decision, restricted to elementwise generics over one
// static iteration space, so that nothing is generalized or reshaped.
//
//===----------------------------------------------------------------------===//

#include "cambrian/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian {
#define GEN_PASS_DEF_FUSEELEMENTWISEPASS
#include "cambrian/Transforms/Passes.h.inc"
} // namespace cambrian

using namespace mlir;

namespace {

/// An all-parallel generic on tensors with static loop bounds.
/// Whether `op`'s body reads a tensor at a computed index (a table lookup):
/// such a gather keeps a loop from vectorizing, so fused into a chain it
/// would make the whole chain scalar; alone it costs one cheap pass.
bool gathers(linalg::GenericOp op) {
  return op.getRegion()
      .walk([](tensor::ExtractOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

bool isElementwise(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics() ||
      op.getNumParallelLoops() != op.getNumLoops() || gathers(op))
    return false;
  return llvm::all_of(op.getStaticLoopRanges(),
                      [](int64_t r) { return !ShapedType::isDynamic(r); });
}

struct FuseElementwiseProducer : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp consumer,
                                PatternRewriter &rewriter) const override {
    if (!isElementwise(consumer))
      return failure();
    for (OpOperand *operand : consumer.getDpsInputOperands()) {
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      if (!producer || !isElementwise(producer) ||
          producer->getNumResults() != 1 ||
          producer.getStaticLoopRanges() != consumer.getStaticLoopRanges() ||
          !consumer.getMatchingIndexingMap(operand).isIdentity() ||
          !producer.getIndexingMapMatchingResult(
                        cast<OpResult>(operand->get()))
               .isIdentity())
        continue;
      // Every use of the producer is in this consumer: nothing is computed
      // twice.
      if (llvm::any_of(producer->getUsers(),
                       [&](Operation *u) { return u != consumer; }))
        continue;
      if (!linalg::areElementwiseOpsFusable(operand))
        continue;
      FailureOr<linalg::ElementwiseOpFusionResult> fused =
          linalg::fuseElementwiseOps(rewriter, operand);
      if (failed(fused))
        continue;
      rewriter.replaceOp(consumer, fused->fusedOp->getResults().take_back(
                                       consumer->getNumResults()));
      return success();
    }
    return failure();
  }
};

struct FuseElementwisePass
    : cambrian::impl::FuseElementwisePassBase<FuseElementwisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    cambrian::populateFuseElementwisePatterns(patterns);
    // A fused consumer can read one producer through two operands (x and
    // sigmoid(x) both from x); deduplicating them lets the producer fuse
    // too, so that x * sigmoid(x) becomes one body computing x once.
    linalg::populateEraseUnusedOperandsAndResultsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void cambrian::populateFuseElementwisePatterns(RewritePatternSet &patterns) {
  patterns.add<FuseElementwiseProducer>(patterns.getContext());
}
