//===- UnshareInits.cpp - One destination per user, before bufferization -===//

#include "targets/x86/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_UNSHAREINITSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

/// The use that keeps the original op: the earliest owner's first operand.
/// Only that one use, so an op using the value twice (two iter_args of one
/// scf.for) still gets a copy for the other.
OpOperand *firstUse(ArrayRef<OpOperand *> uses) {
  OpOperand *first = uses.front();
  for (OpOperand *use : uses) {
    Operation *owner = use->getOwner(), *firstOwner = first->getOwner();
    if (owner == firstOwner
            ? use->getOperandNumber() < first->getOperandNumber()
            : owner->getBlock() == firstOwner->getBlock() &&
                  owner->isBeforeInBlock(firstOwner))
      first = use;
  }
  return first;
}

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
    OpOperand *first = firstUse(uses);
    for (OpOperand *use : uses) {
      Operation *user = use->getOwner();
      if (use == first)
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

/// A tensor.empty with several uses: every use after the first gets its
/// own, right before it.
struct UnshareEmpty : OpRewritePattern<tensor::EmptyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::EmptyOp empty,
                                PatternRewriter &rewriter) const override {
    if (empty->hasOneUse() || empty->use_empty() ||
        !empty.getType().hasStaticShape())
      return failure();
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : empty->getResult(0).getUses())
      uses.push_back(&use);
    OpOperand *first = firstUse(uses);
    for (OpOperand *use : uses) {
      Operation *user = use->getOwner();
      if (use == first)
        continue;
      rewriter.setInsertionPoint(user);
      Operation *copy = rewriter.clone(*empty);
      rewriter.modifyOpInPlace(user, [&] { use->set(copy->getResult(0)); });
    }
    return success();
  }
};

struct UnshareInitsPass
    : cambrian::x86::impl::UnshareInitsPassBase<UnshareInitsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<UnshareFill, UnshareEmpty>(&getContext());
    // Cloned constants must not be folded back together.
    GreedyRewriteConfig config;
    config.enableFolding(false).enableConstantCSE(false);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config))) {
      getOperation()->emitError()
          << "cambrian-x86-unshare-inits did not converge";
      signalPassFailure();
    }
  }
};

} // namespace
