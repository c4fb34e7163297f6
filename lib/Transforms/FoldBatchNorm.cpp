//===- FoldBatchNorm.cpp - Per-channel affine maps into weights -----------===//
//
// conv(x, W) * s[c] + t[c] == conv(x, W * s) + t when W is a constant: the
// scale moves into the weights on the host and what is left is a bias.
// The elementwise side is recognised by evaluating its body per channel
// (as an affine map of the convolution's value), not by matching one
// spelling, so the bias add, the batch norm and their fused form all fold.
// It works on the cambrian dialect (a conv or matmul keeps its epilogue
// and gets a new filter and bias, for targets that map the op to a
// kernel) and on the linalg ops a decomposition leaves.
//
//===----------------------------------------------------------------------===//

#include "cambrian/Transforms/Passes.h"
#include "dialects/Cambrian/CambrianOps.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>
#include <deque>
#include <optional>

namespace cambrian {
#define GEN_PASS_DEF_FOLDBATCHNORMPASS
#include "cambrian/Transforms/Passes.h.inc"
} // namespace cambrian

using namespace mlir;

namespace {

/// Constants of this many elements or fewer are written inline, as the
/// importer does; larger ones become dense resources.
constexpr int64_t kInlineLimit = 16;

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

/// The arith.constant behind `v`, looking through reshapes (which keep the
/// row-major order of the elements).
arith::ConstantOp constantBehind(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def)) {
      v = def->getOperand(0);
      continue;
    }
    auto cst = dyn_cast<arith::ConstantOp>(def);
    return cst && isa<ElementsAttr>(cst.getValue()) ? cst : nullptr;
  }
  return nullptr;
}

/// The elements of an f32 constant tensor, flat and row-major.
struct F32Constant {
  SmallVector<float> data;
  /// The resource key when the constant is a dense resource.
  std::optional<std::string> resource;
};

std::optional<F32Constant> readF32Constant(Value v) {
  arith::ConstantOp cst = constantBehind(v);
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!cst || !type || !type.hasStaticShape() || !type.getElementType().isF32())
    return std::nullopt;
  F32Constant c;
  Attribute attr = cst.getValue();
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    if (!dense.getElementType().isF32())
      return std::nullopt;
    c.data.assign(dense.getValues<float>().begin(),
                  dense.getValues<float>().end());
  } else if (auto res = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = res.tryGetAsArrayRef();
    if (!data) // elided or dropped blob
      return std::nullopt;
    c.data.assign(data->begin(), data->end());
    c.resource = res.getRawHandle().getKey().str();
  } else {
    return std::nullopt;
  }
  if ((int64_t)c.data.size() != type.getNumElements())
    return std::nullopt;
  return c;
}

/// An f32 constant of `type` holding `data`.
Value makeF32Constant(PatternRewriter &rewriter, Location loc,
                      RankedTensorType type, ArrayRef<float> data,
                      bool asResource, StringRef name) {
  TypedAttr attr;
  if (asResource || type.getNumElements() > kInlineLimit)
    attr = DenseResourceElementsAttr::get(
        type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(data));
  else
    attr = DenseElementsAttr::get(type, data);
  return arith::ConstantOp::create(rewriter, loc, attr);
}

/// A tensor that is all zeros: a fill with zero or a zero splat constant.
bool isZeroTensor(Value v) {
  if (auto fill = v.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return matchPattern(v, m_AnyZeroFloat());
}

//===----------------------------------------------------------------------===//
// Channels
//===----------------------------------------------------------------------===//

/// The dims [lo, hi) of a tensor whose row-major flattening is the output
/// channel (one dim, except in the grouped convolution's N G F H W).
struct ChannelDims {
  int64_t lo, hi;
};

int64_t numChannels(Value v, ChannelDims ch) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(v.getType()).getShape();
  int64_t n = 1;
  for (int64_t d = ch.lo; d < ch.hi; ++d)
    n *= shape[d];
  return n;
}

/// The channel dims of a reshape's result, given those of its source; none
/// when the reshape mixes channels with other dims.
std::optional<ChannelDims> throughReshape(Operation *op, ChannelDims ch) {
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    SmallVector<ReassociationIndices> groups = expand.getReassociationIndices();
    return ChannelDims{groups[ch.lo].front(), groups[ch.hi - 1].back() + 1};
  }
  auto collapse = cast<tensor::CollapseShapeOp>(op);
  std::optional<int64_t> lo, hi;
  for (auto [i, group] : llvm::enumerate(collapse.getReassociationIndices())) {
    if (group.front() == ch.lo)
      lo = i;
    if (group.back() == ch.hi - 1)
      hi = i + 1;
  }
  if (!lo || !hi)
    return std::nullopt;
  return ChannelDims{*lo, *hi};
}

/// Whether `map`, in a loop nest over `loops` whose channel dims are `ch`,
/// reads the same element wherever the channel is the same.
bool readsPerChannel(AffineMap map, ArrayRef<int64_t> loops, ChannelDims ch) {
  return llvm::all_of(map.getResults(), [&](AffineExpr e) {
    if (isa<AffineConstantExpr>(e))
      return true;
    auto dim = dyn_cast<AffineDimExpr>(e);
    if (!dim)
      return false;
    int64_t d = dim.getPosition();
    return (d >= ch.lo && d < ch.hi) || loops[d] == 1; // else varies
  });
}

/// The value per channel of `data` (shaped `shape`), read through `map` in
/// a loop nest over `loops` whose channel dims are `ch` (readsPerChannel).
std::optional<SmallVector<float>>
perChannel(ArrayRef<float> data, ArrayRef<int64_t> shape, AffineMap map,
           ArrayRef<int64_t> loops, ChannelDims ch) {
  int64_t F = 1;
  for (int64_t d = ch.lo; d < ch.hi; ++d)
    F *= loops[d];
  SmallVector<float> out;
  SmallVector<int64_t> iv(loops.size(), 0);
  for (int64_t c = 0; c < F; ++c) {
    for (int64_t d = ch.hi - 1, r = c; d >= ch.lo; --d) {
      iv[d] = r % loops[d];
      r /= loops[d];
    }
    int64_t flat = 0;
    for (auto [k, e] : llvm::enumerate(map.getResults())) {
      int64_t i = isa<AffineConstantExpr>(e)
                      ? cast<AffineConstantExpr>(e).getValue()
                      : iv[cast<AffineDimExpr>(e).getPosition()];
      if (i < 0 || i >= shape[k])
        return std::nullopt;
      flat = flat * shape[k] + i;
    }
    out.push_back(data[flat]);
  }
  return out;
}

//===----------------------------------------------------------------------===//
// The elementwise side: x * scale[c] + shift[c]
//===----------------------------------------------------------------------===//

/// A value of a generic's body as `x * a[c] + b[c]` per channel; a constant
/// has a = 0 and `dependsOnX` false.
struct Affine {
  SmallVector<float> a, b;
  bool dependsOnX = false;

  static Affine constant(SmallVector<float> k) {
    return {SmallVector<float>(k.size(), 0.0f), std::move(k), false};
  }
  static Affine identity(int64_t F) {
    return {SmallVector<float>(F, 1.0f), SmallVector<float>(F, 0.0f), true};
  }
};

Affine combine(const Affine &l, const Affine &r, float (*f)(float, float)) {
  Affine out = l;
  for (size_t c = 0; c < l.a.size(); ++c) {
    out.a[c] = f(l.a[c], r.a[c]);
    out.b[c] = f(l.b[c], r.b[c]);
  }
  out.dependsOnX = l.dependsOnX || r.dependsOnX;
  return out;
}

/// `v` times (or divided by) the constant `k`.
Affine scaleBy(const Affine &v, const Affine &k, bool divide) {
  Affine out = v;
  for (size_t c = 0; c < v.a.size(); ++c) {
    out.a[c] = divide ? v.a[c] / k.b[c] : v.a[c] * k.b[c];
    out.b[c] = divide ? v.b[c] / k.b[c] : v.b[c] * k.b[c];
  }
  return out;
}

/// The body op `op` on affine operands, or none if the result is not
/// affine in x (or the op is not understood).
std::optional<Affine> evaluate(Operation *op, ArrayRef<const Affine *> in) {
  auto isConst = [&](unsigned i) { return !in[i]->dependsOnX; };
  if (isa<arith::AddFOp>(op))
    return combine(*in[0], *in[1], [](float x, float y) { return x + y; });
  if (isa<arith::SubFOp>(op))
    return combine(*in[0], *in[1], [](float x, float y) { return x - y; });
  if (isa<arith::MulFOp>(op)) {
    if (isConst(1))
      return scaleBy(*in[0], *in[1], /*divide=*/false);
    if (isConst(0))
      return scaleBy(*in[1], *in[0], /*divide=*/false);
    return std::nullopt;
  }
  if (isa<arith::DivFOp>(op) && isConst(1))
    return scaleBy(*in[0], *in[1], /*divide=*/true);
  if (isa<arith::NegFOp>(op)) {
    Affine zero = Affine::constant(SmallVector<float>(in[0]->a.size(), 0.0f));
    return combine(zero, *in[0], [](float x, float y) { return x - y; });
  }
  // The importer's BatchNormalization with parameters it could not read
  // computes 1/sqrt(var + eps) in the body; fine when var is a constant.
  if (isa<math::SqrtOp, math::RsqrtOp>(op) && isConst(0)) {
    SmallVector<float> k(in[0]->b);
    for (float &x : k)
      x = isa<math::SqrtOp>(op) ? std::sqrt(x) : 1.0f / std::sqrt(x);
    return Affine::constant(std::move(k));
  }
  return std::nullopt;
}

/// The generic `g` as an affine map per channel of its input `x`, whose
/// channel dims are `ch`.
std::optional<Affine> analyzeGeneric(linalg::GenericOp g, Value x,
                                     ChannelDims ch) {
  auto type = cast<RankedTensorType>(x.getType());
  if (!g.hasPureTensorSemantics() || g->getNumResults() != 1 ||
      g.getNumDpsInits() != 1 || g.getNumParallelLoops() != g.getNumLoops() ||
      g.getResult(0).getType() != type ||
      !g.getIndexingMapMatchingResult(g->getResult(0)).isIdentity() ||
      g.payloadUsesValueFromOperand(g.getDpsInitOperand(0)))
    return std::nullopt;
  int64_t F = numChannels(x, ch);
  // A deque keeps the pointers handed out by `lookup` valid.
  std::deque<Affine> storage;
  DenseMap<Value, const Affine *> values;
  auto bind = [&](Value v, Affine a) {
    storage.push_back(std::move(a));
    return values[v] = &storage.back();
  };
  for (OpOperand *in : g.getDpsInputOperands()) {
    AffineMap map = g.getMatchingIndexingMap(in);
    BlockArgument arg = g.getMatchingBlockArgument(in);
    if (in->get() == x) {
      if (!map.isIdentity())
        return std::nullopt;
      bind(arg, Affine::identity(F));
      continue;
    }
    // The map first: a large constant read per element is not copied.
    if (!readsPerChannel(map, type.getShape(), ch))
      return std::nullopt;
    std::optional<F32Constant> c = readF32Constant(in->get());
    if (!c)
      return std::nullopt;
    auto shape = cast<RankedTensorType>(in->get().getType()).getShape();
    std::optional<SmallVector<float>> k =
        perChannel(c->data, shape, map, type.getShape(), ch);
    if (!k)
      return std::nullopt;
    bind(arg, Affine::constant(std::move(*k)));
  }
  auto lookup = [&](Value v) -> const Affine * {
    if (const Affine *a = values.lookup(v))
      return a;
    FloatAttr attr;
    if (!matchPattern(v, m_Constant(&attr)) || !attr.getType().isF32())
      return nullptr;
    float k = attr.getValue().convertToFloat();
    return bind(v, Affine::constant(SmallVector<float>(F, k)));
  };
  for (Operation &op : g.getBody()->without_terminator()) {
    if (op.getNumResults() != 1 || !op.getResult(0).getType().isF32())
      return std::nullopt;
    if (matchPattern(op.getResult(0), m_Constant()) && lookup(op.getResult(0)))
      continue;
    SmallVector<const Affine *> in;
    for (Value operand : op.getOperands()) {
      const Affine *a = lookup(operand);
      if (!a)
        return std::nullopt;
      in.push_back(a);
    }
    if (in.empty())
      return std::nullopt;
    std::optional<Affine> r = evaluate(&op, in);
    if (!r)
      return std::nullopt;
    bind(op.getResult(0), std::move(*r));
  }
  const Affine *result = lookup(g.getBody()->getTerminator()->getOperand(0));
  if (!result || !result->dependsOnX)
    return std::nullopt;
  return *result;
}

/// The input of an elementwise generic that is not a constant, if there is
/// exactly one.
Value variableInput(linalg::GenericOp g) {
  Value x;
  for (Value in : g.getDpsInputs()) {
    if (constantBehind(in) || in == x)
      continue;
    if (x)
      return nullptr;
    x = in;
  }
  return x;
}

//===----------------------------------------------------------------------===//
// The linear side: convolutions and matmuls with constant weights
//===----------------------------------------------------------------------===//

/// An op whose output channel c is scaled by scaling its weights of channel
/// c: weight element i belongs to channel (i / weightInner) % F.
struct Producer {
  linalg::LinalgOp op;
  unsigned weightOperand;
  ChannelDims channels;
  int64_t weightInner;
};

std::optional<Producer> matchProducer(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp || !linalgOp.hasPureTensorSemantics() ||
      op->getNumResults() != 1 || linalgOp.getNumDpsInits() != 1 ||
      !cast<RankedTensorType>(op->getResult(0).getType())
           .getElementType()
           .isF32() ||
      // The init is accumulated into; a nonzero one would not be scaled.
      !isZeroTensor(linalgOp.getDpsInits()[0]))
    return std::nullopt;
  auto weightShape = [&](unsigned i) {
    return cast<RankedTensorType>(op->getOperand(i).getType()).getShape();
  };
  auto product = [](ArrayRef<int64_t> dims) {
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d;
    return n;
  };
  // Weights F C KH KW, output N F OH OW.
  if (isa<linalg::Conv2DNchwFchwOp>(op))
    return Producer{linalgOp, 1, {1, 2}, product(weightShape(1).drop_front())};
  // Weights C KH KW, output N C OH OW.
  if (isa<linalg::DepthwiseConv2DNchwChwOp>(op))
    return Producer{linalgOp, 1, {1, 2}, product(weightShape(1).drop_front())};
  // Weights G F C KH KW, output N G F OH OW.
  if (isa<linalg::Conv2DNgchwGfchwOp>(op))
    return Producer{linalgOp, 1, {1, 3}, product(weightShape(1).drop_front(2))};
  // Weights K N, output M N.
  if (auto mm = dyn_cast<linalg::MatmulOp>(op);
      mm && linalg::MatmulOp::isDefaultIndexingMaps(mm.getIndexingMaps()))
    return Producer{linalgOp, 1, {1, 2}, 1};
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// The rewrite
//===----------------------------------------------------------------------===//

/// `v + shift[c]` as the importer writes a bias: the constant shaped like
/// the channel dims followed by unit dims, read through (d_lo.., 0, ..).
Value addPerChannel(PatternRewriter &rewriter, Location loc, Value v,
                    ChannelDims ch, ArrayRef<float> shift, StringRef name) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank();
  MLIRContext *ctx = rewriter.getContext();
  SmallVector<int64_t> shape;
  SmallVector<AffineExpr> exprs;
  for (int64_t d = ch.lo; d < rank; ++d) {
    bool channel = d < ch.hi;
    shape.push_back(channel ? type.getDimSize(d) : 1);
    exprs.push_back(channel ? getAffineDimExpr(d, ctx)
                            : getAffineConstantExpr(0, ctx));
  }
  Value bias = makeF32Constant(
      rewriter, loc, RankedTensorType::get(shape, rewriter.getF32Type()), shift,
      /*asResource=*/false, name);
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  AffineMap chan = AffineMap::get(rank, 0, exprs, ctx);
  Value init = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                       type.getElementType());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             rewriter, loc, TypeRange{type}, ValueRange{v, bias},
             ValueRange{init}, ArrayRef<AffineMap>{id, chan, id}, iters,
             [](OpBuilder &b, Location l, ValueRange args) {
               Value s = arith::AddFOp::create(b, l, args[0], args[1]);
               linalg::YieldOp::create(b, l, s);
             })
      .getResult(0);
}

/// Folds the per-channel affine generic `root`, and the affine generics
/// and reshapes between it and a convolution or matmul with constant
/// weights, into new weights and one bias add.
struct FoldAffineIntoWeights : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp root,
                                PatternRewriter &rewriter) const override {
    // Walk up to the producer; every value on the way has one user, the
    // next op, so nothing else sees the values that change.
    SmallVector<Operation *> chain = {root};
    Value v = variableInput(root);
    std::optional<Producer> producer;
    while (v && !producer) {
      Operation *def = v.getDefiningOp();
      Operation *next = chain.back();
      if (!def ||
          llvm::any_of(v.getUsers(), [&](Operation *u) { return u != next; }))
        return rewriter.notifyMatchFailure(root, "a value has other users");
      if ((producer = matchProducer(def)))
        break;
      if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(def))
        v = def->getOperand(0);
      else if (auto g = dyn_cast<linalg::GenericOp>(def))
        v = variableInput(g);
      else
        return rewriter.notifyMatchFailure(root, "no conv or matmul above");
      chain.push_back(def);
    }
    if (!producer)
      return rewriter.notifyMatchFailure(root, "no single variable input");

    // Compose the affine maps from the producer outwards.
    Value result = producer->op->getResult(0);
    ChannelDims ch = producer->channels;
    int64_t F = numChannels(result, ch);
    Affine total = Affine::identity(F);
    int generics = 0;
    for (Operation *op : llvm::reverse(chain)) {
      if (auto g = dyn_cast<linalg::GenericOp>(op)) {
        std::optional<Affine> a = analyzeGeneric(g, result, ch);
        if (!a)
          return rewriter.notifyMatchFailure(g, "not per-channel affine");
        for (int64_t c = 0; c < F; ++c) {
          total.b[c] = total.b[c] * a->a[c] + a->b[c];
          total.a[c] = total.a[c] * a->a[c];
        }
        ++generics;
      } else {
        std::optional<ChannelDims> next = throughReshape(op, ch);
        if (!next)
          return rewriter.notifyMatchFailure(op, "reshape mixes channels");
        ch = *next;
      }
      result = op->getResult(0);
    }
    // A lone `x + t` (what this pattern leaves behind) has nothing to fold.
    if (generics == 1 &&
        llvm::all_of(total.a, [](float s) { return s == 1.0f; }) &&
        llvm::hasSingleElement(root.getBody()->without_terminator()))
      return rewriter.notifyMatchFailure(root, "already a bias add");

    Value weights = producer->op->getOperand(producer->weightOperand);
    std::optional<F32Constant> w = readF32Constant(weights);
    if (!w)
      return rewriter.notifyMatchFailure(root, "weights are not f32 constants");
    for (int64_t i = 0, e = w->data.size(); i < e; ++i)
      w->data[i] *= total.a[(i / producer->weightInner) % F];
    auto finite = [](float x) { return std::isfinite(x); };
    if (!llvm::all_of(w->data, finite) || !llvm::all_of(total.b, finite))
      return rewriter.notifyMatchFailure(root, "folding would overflow");

    // Rebuild: producer with the new weights, the bias add where the
    // channels are one dim (where the importer adds a bias), the reshapes.
    Location loc = root.getLoc();
    rewriter.setInsertionPoint(root);
    std::string name = (w->resource ? *w->resource : "weights") + "_folded";
    Value newWeights = makeF32Constant(
        rewriter, loc, cast<RankedTensorType>(weights.getType()), w->data,
        w->resource.has_value(), name);
    Operation *newProducer = rewriter.clone(*producer->op);
    newProducer->setOperand(producer->weightOperand, newWeights);
    Value cur = newProducer->getResult(0);
    ch = producer->channels;
    bool biasAdded = false;
    auto addBias = [&] {
      biasAdded = true;
      if (llvm::any_of(total.b, [](float t) { return t != 0.0f; }))
        cur = addPerChannel(rewriter, loc, cur, ch, total.b, name + "_bias");
    };
    for (Operation *op : llvm::reverse(chain)) {
      if (isa<linalg::GenericOp>(op))
        continue;
      if (!biasAdded && ch.hi - ch.lo == 1)
        addBias();
      Operation *reshape = rewriter.clone(*op);
      reshape->setOperand(0, cur);
      cur = reshape->getResult(0);
      ch = *throughReshape(op, ch);
    }
    if (!biasAdded)
      addBias();
    rewriter.replaceOp(root, cur);
    for (Operation *op : llvm::drop_begin(chain))
      rewriter.eraseOp(op);
    rewriter.eraseOp(producer->op);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// On the dialect: cambrian.conv and cambrian.matmul
//===----------------------------------------------------------------------===//

/// The per-channel layout of a cambrian op's weights: element i of
/// `weights` belongs to output channel (i / weightInner) % F.
struct DialectProducer {
  Value weights;
  ChannelDims channels;
  int64_t weightInner;
};

std::optional<DialectProducer> matchDialectProducer(Operation *op) {
  if (auto conv = dyn_cast<cambrian::cmb::ConvOp>(op)) {
    // Filter F x C/groups x K.., output N x F x S..
    int64_t inner = 1;
    for (int64_t d : conv.getFilter().getType().getShape().drop_front())
      inner *= d;
    return DialectProducer{conv.getFilter(), {1, 2}, inner};
  }
  if (auto mm = dyn_cast<cambrian::cmb::MatmulOp>(op)) {
    // rhs B.. x K x N, output B.. x M x N: the channel is the column.
    int64_t rank = mm.getOutput().getType().getRank();
    return DialectProducer{mm.getRhs(), {rank - 1, rank}, 1};
  }
  return std::nullopt;
}

/// A per-channel affine generic after a cambrian.conv or cambrian.matmul
/// whose epilogue has only a bias so far: the scale moves into a new
/// constant filter, the shift into the bias. Then the op keeps its
/// epilogue for fusion and for a target that maps it whole.
struct FoldAffineIntoEpilogue : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    Value x = variableInput(g);
    auto producer =
        x ? x.getDefiningOp<cambrian::cmb::EpilogueOpInterface>() : nullptr;
    if (!producer || !cast<RankedTensorType>(x.getType()).hasStaticShape())
      return rewriter.notifyMatchFailure(g, "no static conv or matmul above");
    // A residual or activation would have to be applied before the affine.
    if (producer.getResidual() || !producer.acceptsActivation() ||
        !x.hasOneUse())
      return rewriter.notifyMatchFailure(g, "epilogue beyond a bias, or "
                                            "other users");
    std::optional<DialectProducer> p = matchDialectProducer(producer);
    if (!p)
      return rewriter.notifyMatchFailure(g, "weights of unknown layout");
    std::optional<Affine> a = analyzeGeneric(g, x, p->channels);
    if (!a)
      return rewriter.notifyMatchFailure(g, "not per-channel affine");
    int64_t F = numChannels(x, p->channels);
    // A bias add scales nothing: the weights stay as they are (uncopied,
    // and they need not be constants).
    bool scales = llvm::any_of(a->a, [](float s) { return s != 1.0f; });
    std::optional<F32Constant> w;
    if (scales && !(w = readF32Constant(p->weights)))
      return rewriter.notifyMatchFailure(g, "weights are not f32 constants");
    SmallVector<float> shift(a->b);
    if (Value bias = producer.getBias()) {
      std::optional<F32Constant> b = readF32Constant(bias);
      if (!b || (int64_t)b->data.size() != F)
        return rewriter.notifyMatchFailure(g, "bias is not an f32 constant");
      for (int64_t c = 0; c < F; ++c)
        shift[c] += b->data[c] * a->a[c];
    }
    auto finite = [](float v) { return std::isfinite(v); };
    if (w) {
      for (int64_t i = 0, e = w->data.size(); i < e; ++i)
        w->data[i] *= a->a[(i / p->weightInner) % F];
      if (!llvm::all_of(w->data, finite))
        return rewriter.notifyMatchFailure(g, "folding would overflow");
    }
    if (!llvm::all_of(shift, finite))
      return rewriter.notifyMatchFailure(g, "folding would overflow");

    Location loc = producer->getLoc();
    rewriter.setInsertionPoint(producer);
    std::string name =
        (w && w->resource ? *w->resource : std::string("weights")) + "_folded";
    Value weights = p->weights;
    if (w)
      weights = makeF32Constant(
          rewriter, loc, cast<RankedTensorType>(p->weights.getType()),
          w->data, w->resource.has_value(), name);
    Value bias;
    if (producer.getBias() ||
        llvm::any_of(shift, [](float t) { return t != 0.0f; }))
      bias = makeF32Constant(
          rewriter, loc, RankedTensorType::get({F}, rewriter.getF32Type()),
          shift, /*asResource=*/false, name + "_bias");
    // The clone keeps every attribute (strides, groups, ...); only the
    // weights and the bias change.
    Operation *folded = rewriter.clone(*producer);
    folded->setOperand(1, weights); // the filter, or the matmul's rhs
    auto epilogue = cast<cambrian::cmb::EpilogueOpInterface>(folded);
    Value result = epilogue.cloneWithEpilogue(rewriter, bias, nullptr,
                                              epilogue.getActivationAttr());
    rewriter.eraseOp(folded);
    rewriter.replaceOp(g, result);
    rewriter.eraseOp(producer);
    return success();
  }
};

struct FoldBatchNormPass
    : cambrian::impl::FoldBatchNormPassBase<FoldBatchNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    cambrian::populateFoldBatchNormPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void cambrian::populateFoldBatchNormPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldAffineIntoWeights, FoldAffineIntoEpilogue>(
      patterns.getContext());
}
