//===- FuseEpilogue.cpp - Activations into conv/matmul epilogues ----------===//
//
// Works on the cambrian dialect through EpilogueOpInterface, so an op that
// gains an epilogue later (a quantized convolution, a crossbar tile) is
// fused without this file naming it.
//
//===----------------------------------------------------------------------===//

#include "cambrian/Transforms/Passes.h"
#include "dialects/Cambrian/CambrianOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian {
#define GEN_PASS_DEF_FUSEEPILOGUEPASS
#include "cambrian/Transforms/Passes.h.inc"
} // namespace cambrian

using namespace mlir;
using namespace cambrian::cmb;

namespace {

/// activation(producer) -> producer{activation}, when the activation is the
/// producer's only user and the producer has none yet (an activation must
/// be the epilogue's last step).
struct FuseActivation : OpRewritePattern<ActivationOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ActivationOp op,
                                PatternRewriter &rewriter) const override {
    auto producer = op.getInput().getDefiningOp<EpilogueOpInterface>();
    if (!producer)
      return rewriter.notifyMatchFailure(op, "input has no epilogue");
    if (!producer.acceptsActivation())
      return rewriter.notifyMatchFailure(op, "producer's epilogue is closed");
    if (!op.getInput().hasOneUse())
      return rewriter.notifyMatchFailure(op, "producer has other users");
    rewriter.setInsertionPoint(producer);
    Value fused = producer.cloneWithEpilogue(
        rewriter, producer.getBias(), producer.getResidual(),
        op.getActivation());
    rewriter.replaceOp(op, fused);
    rewriter.eraseOp(producer);
    return success();
  }
};

/// add(producer, other) -> producer{residual = other}, when the add is the
/// producer's only user and the producer has neither a residual nor an
/// activation yet (the residual is added before the activation).
struct FuseResidualAdd : OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp add,
                                PatternRewriter &rewriter) const override {
    // The importer writes a same-shape ONNX Add as arith.addf on tensors.
    if (!isa<RankedTensorType>(add.getType()) ||
        add.getLhs().getType() != add.getRhs().getType())
      return rewriter.notifyMatchFailure(add, "not a same-shape tensor add");
    for (unsigned i = 0; i < 2; ++i) {
      Value sum = add->getOperand(i), other = add->getOperand(1 - i);
      auto producer = sum.getDefiningOp<EpilogueOpInterface>();
      if (!producer || !producer.acceptsResidual() || !sum.hasOneUse() ||
          other == sum)
        continue;
      // At the add, where both the producer's operands and `other` exist.
      rewriter.setInsertionPoint(add);
      Value fused = producer.cloneWithEpilogue(rewriter, producer.getBias(),
                                               other, /*activation=*/nullptr);
      rewriter.replaceOp(add, fused);
      rewriter.eraseOp(producer);
      return success();
    }
    return rewriter.notifyMatchFailure(add, "no operand has a free epilogue");
  }
};

/// max_pool(conv) -> conv{pool}, when the pool is the convolution's only
/// user and the convolution has no pooling yet. Only max: an average
/// window's count_include_pad has no place on the convolution.
struct FuseMaxPool : OpRewritePattern<PoolOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(PoolOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getKind() != PoolKind::Max)
      return rewriter.notifyMatchFailure(op, "not max pooling");
    auto conv = op.getInput().getDefiningOp<ConvOp>();
    if (!conv || conv.getPoolAttr() || !op.getInput().hasOneUse())
      return rewriter.notifyMatchFailure(op, "no convolution to join");
    auto window = WindowAttr::get(
        getContext(), op.getKind(), op.getKernel(), op.getStrides(),
        op.getDilations(), op.getPadding(), op.getCeilMode());
    rewriter.setInsertionPoint(conv);
    auto fused = ConvOp::create(
        rewriter, conv.getLoc(), op.getOutput().getType(), conv.getInput(),
        conv.getFilter(), conv.getBias(), conv.getResidual(),
        conv.getStridesAttr(), conv.getDilationsAttr(), conv.getGroupsAttr(),
        conv.getActivationAttr(), window);
    rewriter.replaceOp(op, fused.getOutput());
    rewriter.eraseOp(conv);
    return success();
  }
};

struct FuseEpiloguePass
    : cambrian::impl::FuseEpiloguePassBase<FuseEpiloguePass> {
  using FuseEpiloguePassBase::FuseEpiloguePassBase;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    cambrian::populateFuseEpiloguePatterns(patterns);
    // A pool reads the convolution directly only once the activation
    // between them has joined it, so the epilogue fills in order.
    if (fuseConvPooling)
      patterns.add<FuseMaxPool>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void cambrian::populateFuseEpiloguePatterns(RewritePatternSet &patterns) {
  patterns.add<FuseActivation, FuseResidualAdd>(patterns.getContext());
}
