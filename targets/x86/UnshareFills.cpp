//===- UnshareFills.cpp - One fill per user, before bufferization ---------===//

#include "targets/x86/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_UNSHAREFILLSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

/// A fill of a tensor.empty with several uses: every use after the first
/// gets a copy of both, right before it.
struct UnshareFill : OpRewritePattern<linalg::FillOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::FillOp fill,
                                PatternRewriter &rewriter) const override {
    if (!fill.hasPureTensorSemantics() || fill->hasOneUse() ||
        fill->use_empty())
      return failure();
    auto empty = fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
    if (!empty || !empty.getType().hasStaticShape())
      return rewriter.notifyMatchFailure(fill, "init is not a static empty");
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : fill->getResult(0).getUses())
      uses.push_back(&use);
    // Uses are listed last-first; keep the earliest user on the original.
    Operation *first = uses.front()->getOwner();
    for (OpOperand *use : uses)
      if (use->getOwner()->getBlock() == first->getBlock() &&
          use->getOwner()->isBeforeInBlock(first))
        first = use->getOwner();
    for (OpOperand *use : uses) {
      Operation *user = use->getOwner();
      if (user == first)
        continue;
      rewriter.setInsertionPoint(user);
      Operation *newEmpty = rewriter.clone(*empty);
      IRMapping map;
      map.map(empty.getResult(), newEmpty->getResult(0));
      Operation *newFill = rewriter.clone(*fill, map);
      rewriter.modifyOpInPlace(user,
                               [&] { use->set(newFill->getResult(0)); });
    }
    return success();
  }
};

struct UnshareFillsPass
    : cambrian::x86::impl::UnshareFillsPassBase<UnshareFillsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<UnshareFill>(&getContext());
    // Cloned constants must not be folded back together.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config)))
      signalPassFailure();
  }
};

} // namespace
