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
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

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

/// Whether `op` is a binary arith op on two tensors of its result's type
/// (how the importer writes an ONNX Add or Mul without broadcasting).
bool isSameShapeTensorOp(Operation *op) {
  return op && op->getNumOperands() == 2 &&
         isa<RankedTensorType>(op->getResult(0).getType()) &&
         llvm::all_of(op->getOperandTypes(), [&](Type t) {
           return t == op->getResult(0).getType();
         });
}

/// mul(x, sigmoid(x)) -> silu(x), when the sigmoid has no other user: the
/// SiLU (Swish) that ONNX spells as two nodes becomes one activation, which
/// FuseActivation then moves into the op that produces x (x had two users,
/// the sigmoid and the mul, so neither could join it before).
struct FuseSiluProduct : OpRewritePattern<arith::MulFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::MulFOp mul,
                                PatternRewriter &rewriter) const override {
    if (!isSameShapeTensorOp(mul))
      return rewriter.notifyMatchFailure(mul, "not a same-shape product");
    for (unsigned i = 0; i < 2; ++i) {
      Value x = mul->getOperand(i), s = mul->getOperand(1 - i);
      auto sigmoid = s.getDefiningOp<ActivationOp>();
      if (!sigmoid || sigmoid.getInput() != x || !s.hasOneUse() ||
          sigmoid.getActivation().getKind() != ActivationKind::Sigmoid)
        continue;
      rewriter.replaceOpWithNewOp<ActivationOp>(
          mul, mul.getType(), x,
          ActivationAttr::get(getContext(), ActivationKind::Silu));
      rewriter.eraseOp(sigmoid);
      return success();
    }
    return rewriter.notifyMatchFailure(mul, "not x * sigmoid(x)");
  }
};

/// add(producer, other) -> producer{residual = other}, when the add is the
/// producer's only user and the producer has neither a residual nor an
/// activation yet (the residual is added before the activation).
struct FuseResidualAdd : OpRewritePattern<arith::AddFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::AddFOp add,
                                PatternRewriter &rewriter) const override {
    if (!isSameShapeTensorOp(add))
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

/// One ONNX elementwise node as imported: a generic whose body is one op of
/// `x` (read whole, of the result's type) and at most one scalar constant
/// (a splat tensor read through any map), in that operand order.
struct ScalarStep {
  Operation *op = nullptr;
  Value x;
  std::optional<double> constant;
};

std::optional<double> splatValue(Value v) {
  DenseFPElementsAttr attr;
  if (!matchPattern(v, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

std::optional<ScalarStep> matchScalarStep(Value v) {
  auto g = v.getDefiningOp<linalg::GenericOp>();
  if (!g || !g.hasPureTensorSemantics() || g.getNumDpsInits() != 1 ||
      g.getNumReductionLoops() != 0 || g.payloadUsesValueFromOperand(
                                           g.getDpsInitOperand(0)))
    return std::nullopt;
  Block &body = g.getRegion().front();
  if (body.getOperations().size() != 2)
    return std::nullopt;
  ScalarStep step;
  step.op = &body.front();
  if (body.getTerminator()->getOperand(0) != step.op->getResult(0))
    return std::nullopt;
  // The body op reads x's argument first, then the constant's if any.
  SmallVector<Value, 2> args;
  for (OpOperand *in : g.getDpsInputOperands()) {
    BlockArgument arg = g.getMatchingBlockArgument(in);
    if (in->get().getType() == v.getType() &&
        g.getMatchingIndexingMap(in).isIdentity() && !step.x) {
      step.x = in->get();
      args.insert(args.begin(), arg);
    } else if (std::optional<double> k = splatValue(in->get());
               k && !step.constant) {
      step.constant = k;
      args.push_back(arg);
    } else {
      return std::nullopt;
    }
  }
  if (!step.x || !llvm::equal(step.op->getOperands(), args))
    return std::nullopt;
  return step;
}

/// Whether `v` is `x op c` of a generic step, with `c` within float
/// precision of `k`; returns `x`.
template <typename OpTy> Value matchStep(Value v, double k) {
  std::optional<ScalarStep> step = matchScalarStep(v);
  if (!step || !isa<OpTy>(step->op) || !step->constant ||
      std::abs(*step->constant - k) > 1e-6 * std::max(1.0, std::abs(k)))
    return nullptr;
  return step->x;
}

/// The producer of `x` if an activation of `x` can join its epilogue now.
EpilogueOpInterface freeProducer(Value x) {
  auto producer = x.getDefiningOp<EpilogueOpInterface>();
  return producer && producer.acceptsActivation() ? producer : nullptr;
}

/// x * (1 + erf(x / sqrt 2)) * 0.5, as torch exports GELU node by node
/// (Div, Erf, Add, Mul, Mul), becomes one gelu_erf activation when it can
/// join the op that produces x; so can a Tanh node.
struct FuseActivationChain : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    Value root = g.getResult(0);
    std::optional<ScalarStep> step = matchScalarStep(root);
    if (step && isa<math::TanhOp>(step->op) && !step->constant &&
        freeProducer(step->x) && step->x.hasOneUse())
      return replace(g, step->x, ActivationKind::Tanh, {}, rewriter);
    // The outer Mul by 0.5, then the Mul of x and 1 + erf(x / sqrt 2).
    Value prod = matchStep<arith::MulFOp>(root, 0.5);
    auto mul = prod ? prod.getDefiningOp<arith::MulFOp>() : nullptr;
    if (!mul || !prod.hasOneUse() || !isSameShapeTensorOp(mul))
      return rewriter.notifyMatchFailure(g, "not Tanh or a GELU chain");
    for (unsigned i = 0; i < 2; ++i) {
      Value x = mul->getOperand(i), sum = mul->getOperand(1 - i);
      Value erf = sum.hasOneUse() ? matchStep<arith::AddFOp>(sum, 1.0)
                                  : nullptr;
      std::optional<ScalarStep> erfStep =
          erf ? matchScalarStep(erf) : std::nullopt;
      if (!erfStep || !isa<math::ErfOp>(erfStep->op) || erfStep->constant ||
          !erf.hasOneUse())
        continue;
      Value scaled = erfStep->x;
      if (!scaled.hasOneUse())
        continue;
      Value in = matchStep<arith::DivFOp>(scaled, M_SQRT2);
      if (!in)
        in = matchStep<arith::MulFOp>(scaled, M_SQRT1_2);
      // x feeds exactly the two ends of the chain.
      if (in != x || !freeProducer(x) ||
          llvm::range_size(x.getUsers()) != 2)
        continue;
      SmallVector<Operation *> chain = {
          mul.getOperation(), sum.getDefiningOp(), erf.getDefiningOp(),
          scaled.getDefiningOp()};
      return replace(g, x, ActivationKind::GeluErf, chain, rewriter);
    }
    return rewriter.notifyMatchFailure(g, "not a GELU chain");
  }

  /// Replaces `g` by the activation `kind` of `x`; `chain` (producers
  /// first to last of g's input) dies with it.
  LogicalResult replace(linalg::GenericOp g, Value x, ActivationKind kind,
                        ArrayRef<Operation *> chain,
                        PatternRewriter &rewriter) const {
    rewriter.setInsertionPoint(g);
    Value act = ActivationOp::create(rewriter, g.getLoc(),
                                     g.getResult(0).getType(), x,
                                     ActivationAttr::get(getContext(), kind));
    rewriter.replaceOp(g, act);
    for (Operation *op : chain)
      rewriter.eraseOp(op);
    return success();
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
  patterns.add<FuseActivation, FuseResidualAdd, FuseSiluProduct,
               FuseActivationChain>(patterns.getContext());
}
