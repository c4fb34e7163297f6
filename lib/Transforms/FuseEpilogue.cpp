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
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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

/// Whether `g` is `a op b` elementwise on two tensors of its result's type,
/// both read whole (an ONNX Add or Mul without broadcasting, as imported).
template <typename BinaryOp> bool isSameShapeBinary(linalg::GenericOp g) {
  if (!g.hasPureTensorSemantics() || g.getNumDpsInputs() != 2 ||
      g.getNumDpsInits() != 1 || g.getNumReductionLoops() != 0 ||
      !llvm::all_of(g.getIndexingMapsArray(),
                    [](AffineMap m) { return m.isIdentity(); }))
    return false;
  Type result = g.getResult(0).getType();
  if (llvm::any_of(g.getDpsInputs(),
                   [&](Value v) { return v.getType() != result; }))
    return false;
  Block &body = g.getRegion().front();
  if (body.getOperations().size() != 2)
    return false;
  auto op = body.getTerminator()->getOperand(0).getDefiningOp<BinaryOp>();
  return op && llvm::is_contained(op->getOperands(), body.getArgument(0)) &&
         llvm::is_contained(op->getOperands(), body.getArgument(1)) &&
         op.getLhs() != op.getRhs();
}

/// mul(x, sigmoid(x)) -> silu(x), when the sigmoid has no other user: the
/// SiLU (Swish) that ONNX spells as two nodes becomes one activation, which
/// FuseActivation then moves into the op that produces x (x had two users,
/// the sigmoid and the mul, so neither could join it before).
struct FuseSiluProduct : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!isSameShapeBinary<arith::MulFOp>(g))
      return rewriter.notifyMatchFailure(g, "not a same-shape product");
    for (unsigned i = 0; i < 2; ++i) {
      Value x = g.getDpsInputs()[i], s = g.getDpsInputs()[1 - i];
      auto sigmoid = s.getDefiningOp<ActivationOp>();
      if (!sigmoid || sigmoid.getInput() != x || !s.hasOneUse() ||
          sigmoid.getActivation().getKind() != ActivationKind::Sigmoid)
        continue;
      rewriter.replaceOpWithNewOp<ActivationOp>(
          g, g.getResult(0).getType(), x,
          ActivationAttr::get(getContext(), ActivationKind::Silu));
      rewriter.eraseOp(sigmoid);
      return success();
    }
    return rewriter.notifyMatchFailure(g, "not x * sigmoid(x)");
  }
};

/// add(producer, other) -> producer{residual = other}, when the add is the
/// producer's only user and the producer has neither a residual nor an
/// activation yet (the residual is added before the activation).
struct FuseResidualAdd : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!isSameShapeBinary<arith::AddFOp>(g))
      return rewriter.notifyMatchFailure(g, "not a same-shape add");
    for (unsigned i = 0; i < 2; ++i) {
      Value sum = g.getDpsInputs()[i], other = g.getDpsInputs()[1 - i];
      auto producer = sum.getDefiningOp<EpilogueOpInterface>();
      if (!producer || !producer.acceptsResidual() || !sum.hasOneUse())
        continue;
      // At the add, where both the producer's operands and `other` exist.
      rewriter.setInsertionPoint(g);
      Value fused = producer.cloneWithEpilogue(rewriter, producer.getBias(),
                                               other, /*activation=*/nullptr);
      rewriter.replaceOp(g, fused);
      rewriter.eraseOp(producer);
      return success();
    }
    return rewriter.notifyMatchFailure(g, "no operand has a free epilogue");
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
  patterns.add<FuseActivation, FuseResidualAdd, FuseSiluProduct>(
      patterns.getContext());
}
