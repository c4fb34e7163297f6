//===- ConvFusion.cpp - Folding neighbours into a convolution call --------===//

#include "targets/x86/ConvFusion.h"
#include "targets/x86/KernelCall.h"
#include "targets/x86/runtime/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <cmath>
#include <optional>

using namespace mlir;
using namespace cambrian::x86;

namespace {

/// The buffers whose addresses flow into `v` (a memref, or an integer or
/// pointer computed from memrefs, as the kernel calls' operands are).
void buffersBehind(Value v, SmallPtrSetImpl<Value> &roots) {
  SmallVector<Value> work = {v};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value cur = work.pop_back_val();
    if (!seen.insert(cur).second)
      continue;
    if (isa<MemRefType>(cur.getType())) {
      roots.insert(rootBuffer(cur));
      continue;
    }
    if (Operation *def = cur.getDefiningOp())
      llvm::append_range(work, def->getOperands());
  }
}

/// Whether `op` may write (or, with `anyUse`, access at all) memory that
/// the buffer `root` owns.
bool touches(Operation *op, Value root, bool anyUse) {
  // Taking a view reads nothing (its users are what count).
  if (isa<ViewLikeOpInterface>(op) && isMemoryEffectFree(op))
    return false;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    for (OpOperand &operand : op->getOpOperands())
      if ((anyUse || linalgOp.isDpsInit(&operand)) &&
          isa<MemRefType>(operand.get().getType()) &&
          rootBuffer(operand.get()) == root)
        return true;
    return false;
  }
  if (isa<func::CallOp>(op)) {
    // Kernel calls get raw pointers; any buffer behind an operand may be
    // written.
    SmallPtrSet<Value, 8> roots;
    for (Value v : op->getOperands())
      buffersBehind(v, roots);
    return roots.contains(root);
  }
  if (anyUse) {
    for (Value v : op->getOperands())
      if (isa<MemRefType>(v.getType()) && rootBuffer(v) == root)
        return true;
  }
  if (isMemoryEffectFree(op))
    return false;
  if (auto effects = dyn_cast<MemoryEffectOpInterface>(op)) {
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (auto &e : list) {
      if (!isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect()))
        continue;
      Value v = e.getValue();
      if (!v || rootBuffer(v) == root)
        return true;
    }
    return false;
  }
  return true; // unknown
}

bool accessedBetween(Operation *from, Operation *to, Value buffer,
                     bool anyUse) {
  if (from->getBlock() != to->getBlock() || !from->isBeforeInBlock(to))
    return true;
  Value root = rootBuffer(buffer);
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode())
    if (touches(op, root, anyUse))
      return true;
  return false;
}

/// Dense row-major with static shape and f32 elements.
bool isDenseF32(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  int64_t expect = 1;
  for (int64_t d = type.getRank() - 1; d >= 0; --d) {
    if (type.getDimSize(d) != 1 && strides[d] != expect)
      return false;
    expect *= type.getDimSize(d);
  }
  return true;
}

/// The value of a scalar in a generic's body: a constant, or an input that
/// is a 0-d constant global.
std::optional<double> scalarConstant(Value v, linalg::GenericOp g) {
  FloatAttr attr;
  if (matchPattern(v, m_Constant(&attr)))
    return attr.getValueAsDouble();
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != g.getBody())
    return std::nullopt;
  OpOperand *operand = g.getMatchingOpOperand(arg);
  if (!g.isDpsInput(operand))
    return std::nullopt;
  auto get = operand->get().getDefiningOp<memref::GetGlobalOp>();
  if (!get || get.getType().getNumElements() != 1)
    return std::nullopt;
  auto global =
      SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(g, get.getNameAttr());
  if (!global || !global.getConstant())
    return std::nullopt;
  auto init = dyn_cast_or_null<DenseFPElementsAttr>(global.getConstantInitValue());
  if (!init || !init.isSplat())
    return std::nullopt;
  return init.getSplatValue<APFloat>().convertToDouble();
}

/// Matches `v = op(a, b)` (or `op(b, a)`) where `b` is the constant `c`;
/// returns `a`.
template <typename OpTy>
Value matchWithConstant(Value v, double c, linalg::GenericOp g) {
  auto op = v.getDefiningOp<OpTy>();
  if (!op || op->getBlock() != g.getBody())
    return nullptr;
  for (int i = 0; i < 2; ++i) {
    auto k = scalarConstant(op->getOperand(1 - i), g);
    if (k && *k == c)
      return op->getOperand(i);
  }
  return nullptr;
}

/// An operand of `g` indexed by loop `dim` alone (and constant zeros): its
/// buffer is F dense floats, one per value of that loop (a convolution's
/// bias per output channel, d1; a matmul's per column, the last loop).
bool isPerChannel(OpOperand *operand, linalg::GenericOp g, int64_t F,
                  unsigned dim) {
  AffineMap map = g.getMatchingIndexingMap(operand);
  auto type = dyn_cast<MemRefType>(operand->get().getType());
  if (!type || type.getNumElements() != F || !isDenseF32(operand->get()))
    return false;
  int channels = 0;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (auto dimExpr = dyn_cast<AffineDimExpr>(e)) {
      if (dimExpr.getPosition() != dim || type.getDimSize(i) != F)
        return false;
      ++channels;
    } else if (auto cst = dyn_cast<AffineConstantExpr>(e)) {
      if (cst.getValue() != 0)
        return false;
    } else {
      return false;
    }
  }
  return channels == 1;
}

/// Makes `v` available before `point` (same block), moving its defining op
/// and, recursively, theirs up if they are free of side effects (views,
/// constants, get_global) or operand-less allocations.
bool hoistBefore(Value v, Operation *point, PatternRewriter &rewriter) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() ||
      def->isBeforeInBlock(point))
    return true;
  if (def == point || def->getNumRegions() ||
      !(isMemoryEffectFree(def) ||
        (isa<memref::AllocOp>(def) && def->getNumOperands() == 0)))
    return false;
  for (Value operand : def->getOperands())
    if (!hoistBefore(operand, point, rewriter))
      return false;
  rewriter.moveOpBefore(def, point);
  return true;
}

} // namespace

bool cambrian::x86::mayBeWrittenBetween(Operation *from, Operation *to,
                                        Value buffer) {
  return accessedBetween(from, to, buffer, /*anyUse=*/false);
}

std::optional<cambrian::x86::PaddedInput> cambrian::x86::matchPaddedInput(
    Operation *consumer, Value x,
    llvm::function_ref<bool(const APFloat &)> padValue) {
  auto alloc = x.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != consumer->getBlock())
    return std::nullopt;
  Operation *init = nullptr;
  memref::SubViewOp interior;
  for (Operation *user : x.getUsers()) {
    if (user == consumer)
      continue;
    if (!init && isConstantInit(user, x, padValue)) {
      init = user;
      continue;
    }
    if (auto sv = dyn_cast<memref::SubViewOp>(user); sv && !interior) {
      interior = sv;
      continue;
    }
    return std::nullopt; // another reader or writer
  }
  if (!init || !interior || !interior->hasOneUse())
    return std::nullopt;
  auto copy = dyn_cast<memref::CopyOp>(*interior->getUsers().begin());
  if (!copy || copy.getTarget() != interior.getResult())
    return std::nullopt;
  Value src = copy.getSource();
  auto srcType = cast<MemRefType>(src.getType());
  auto xType = cast<MemRefType>(x.getType());
  if (!isDenseF32(src) || srcType.getRank() != 4 ||
      srcType.getDimSize(0) != xType.getDimSize(0) ||
      srcType.getDimSize(1) != xType.getDimSize(1))
    return std::nullopt;
  ArrayRef<int64_t> offsets = interior.getStaticOffsets();
  if (llvm::any_of(offsets, ShapedType::isDynamic) || offsets[0] != 0 ||
      offsets[1] != 0 ||
      !llvm::all_of(interior.getStaticStrides(),
                    [](int64_t s) { return s == 1; }))
    return std::nullopt;
  // The fill must precede the copy, which must precede the consumer, with
  // the source unchanged in between.
  if (init->getBlock() != consumer->getBlock() ||
      copy->getBlock() != consumer->getBlock() || !init->isBeforeInBlock(copy) ||
      !copy->isBeforeInBlock(consumer) ||
      mayBeWrittenBetween(copy, consumer, src))
    return std::nullopt;
  return PaddedInput{src, offsets[2], offsets[3], {copy, interior, init, alloc}};
}

void cambrian::x86::foldInputPadding(Operation *conv, ConvCall &call) {
  auto padded = matchPaddedInput(conv, call.x,
                                 [](const APFloat &v) { return v.isZero(); });
  if (!padded)
    return;
  auto srcType = cast<MemRefType>(padded->src.getType());
  call.x = padded->src;
  call.params[CMB_CONV_H] = srcType.getDimSize(2);
  call.params[CMB_CONV_W] = srcType.getDimSize(3);
  call.params[CMB_CONV_PAD_TOP] = padded->padTop;
  call.params[CMB_CONV_PAD_LEFT] = padded->padLeft;
  llvm::append_range(call.deadAfter, padded->deadAfter);
}

namespace {

/// Whether `v` is the scalar constant `c` (to float precision).
bool isConstant(Value v, double c, linalg::GenericOp g) {
  std::optional<double> k = scalarConstant(v, g);
  return k && std::abs(*k - c) <= 1e-6 * std::max(1.0, std::abs(c));
}

/// Flattens a tree of body multiplications into its non-constant factors
/// and the product of its constant ones (and divisions by constants).
void flattenProduct(Value v, linalg::GenericOp g, double &scale,
                    SmallVectorImpl<Value> &factors) {
  if (std::optional<double> k = scalarConstant(v, g)) {
    scale *= *k;
    return;
  }
  Operation *def = v.getDefiningOp();
  if (def && def->getBlock() == g.getBody()) {
    if (auto mul = dyn_cast<arith::MulFOp>(def)) {
      flattenProduct(mul.getLhs(), g, scale, factors);
      flattenProduct(mul.getRhs(), g, scale, factors);
      return;
    }
    if (auto div = dyn_cast<arith::DivFOp>(def)) {
      std::optional<double> k = scalarConstant(div.getRhs(), g);
      if (k && *k != 0.0) {
        scale /= *k;
        flattenProduct(div.getLhs(), g, scale, factors);
        return;
      }
    }
  }
  factors.push_back(v);
}

/// `v` is c * x (in any association); returns x.
Value matchScaled(Value v, double c, linalg::GenericOp g) {
  double scale = 1.0;
  SmallVector<Value, 2> factors;
  flattenProduct(v, g, scale, factors);
  if (factors.size() != 1 ||
      std::abs(scale - c) > 1e-6 * std::max(1.0, std::abs(c)))
    return nullptr;
  return factors[0];
}

/// `v` is 1 + f(...) with f of type OpTy (either order); returns f's op.
template <typename OpTy> OpTy matchOnePlus(Value v, linalg::GenericOp g) {
  auto add = v.getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != g.getBody())
    return nullptr;
  for (int i = 0; i < 2; ++i)
    if (isConstant(add->getOperand(1 - i), 1.0, g))
      if (auto f = add->getOperand(i).getDefiningOp<OpTy>();
          f && f->getBlock() == g.getBody())
        return f;
  return nullptr;
}

/// `v` is 1 / (1 + exp(-x)) as the importer writes Sigmoid; returns x.
Value matchSigmoid(Value v, linalg::GenericOp g) {
  auto div = v.getDefiningOp<arith::DivFOp>();
  if (!div || div->getBlock() != g.getBody() || !isConstant(div.getLhs(), 1.0, g))
    return nullptr;
  auto exp = matchOnePlus<math::ExpOp>(div.getRhs(), g);
  if (!exp)
    return nullptr;
  auto neg = exp.getOperand().getDefiningOp<arith::NegFOp>();
  if (!neg || neg->getBlock() != g.getBody())
    return nullptr;
  return neg.getOperand();
}

/// `v` is min(max(alpha * x + beta, 0), 1) (either clamp order); sets
/// alpha and beta and returns x.
Value matchHardSigmoid(Value v, linalg::GenericOp g, double &alpha,
                       double &beta) {
  Value z;
  if (Value a = matchWithConstant<arith::MaximumFOp>(v, 0.0, g))
    z = matchWithConstant<arith::MinimumFOp>(a, 1.0, g);
  else if (Value b = matchWithConstant<arith::MinimumFOp>(v, 1.0, g))
    z = matchWithConstant<arith::MaximumFOp>(b, 0.0, g);
  if (!z)
    return nullptr;
  beta = 0.0;
  if (auto add = z.getDefiningOp<arith::AddFOp>();
      add && add->getBlock() == g.getBody()) {
    for (int i = 0; i < 2; ++i)
      if (std::optional<double> k = scalarConstant(add->getOperand(1 - i), g)) {
        beta = *k;
        z = add->getOperand(i);
        break;
      }
  }
  SmallVector<Value, 2> factors;
  alpha = 1.0;
  flattenProduct(z, g, alpha, factors);
  return factors.size() == 1 ? factors[0] : nullptr;
}

/// `v` is 1 + erf(x / sqrt 2) or 1 + tanh(sqrt(2/pi) (x + 0.044715 x^3));
/// returns x and sets `kind` to the GELU it belongs to.
Value matchGeluFactor(Value v, linalg::GenericOp g, int64_t &kind) {
  if (auto erf = matchOnePlus<math::ErfOp>(v, g)) {
    kind = CMB_CONV_ACT_GELU;
    return matchScaled(erf.getOperand(), M_SQRT1_2, g);
  }
  auto tanh = matchOnePlus<math::TanhOp>(v, g);
  if (!tanh)
    return nullptr;
  Value inner = matchScaled(tanh.getOperand(), std::sqrt(2.0 / M_PI), g);
  auto add = inner ? inner.getDefiningOp<arith::AddFOp>() : nullptr;
  if (!add || add->getBlock() != g.getBody())
    return nullptr;
  for (int i = 0; i < 2; ++i) {
    Value x = add->getOperand(i);
    double scale = 1.0;
    SmallVector<Value, 3> cube;
    flattenProduct(add->getOperand(1 - i), g, scale, cube);
    if (cube.size() == 3 && llvm::all_equal(cube) && cube[0] == x &&
        std::abs(scale - 0.044715) <= 1e-6) {
      kind = CMB_CONV_ACT_GELU_TANH;
      return x;
    }
  }
  return nullptr;
}

} // namespace

ActivationMatch cambrian::x86::matchActivation(Value v, linalg::GenericOp g) {
  ActivationMatch none{CMB_CONV_ACT_NONE, 0.0f, 0.0f, v};
  auto match = [&](int64_t kind, Value x, double alpha = 0.0,
                   double beta = 0.0) {
    return ActivationMatch{kind, (float)alpha, (float)beta, x};
  };
  // Clip(0, 6) and Relu.
  if (Value a = matchWithConstant<arith::MinimumFOp>(v, 6.0, g))
    if (Value b = matchWithConstant<arith::MaximumFOp>(a, 0.0, g))
      return match(CMB_CONV_ACT_RELU6, b);
  if (Value b = matchWithConstant<arith::MaximumFOp>(v, 0.0, g)) {
    double alpha, beta;
    if (!matchHardSigmoid(v, g, alpha, beta))
      return match(CMB_CONV_ACT_RELU, b);
  }
  // LeakyRelu: x < 0 ? alpha * x : x.
  if (auto sel = v.getDefiningOp<arith::SelectOp>();
      sel && sel->getBlock() == g.getBody()) {
    auto cmp = sel.getCondition().getDefiningOp<arith::CmpFOp>();
    Value x = sel.getFalseValue();
    double alpha = 1.0;
    SmallVector<Value, 2> factors;
    flattenProduct(sel.getTrueValue(), g, alpha, factors);
    if (cmp && cmp->getBlock() == g.getBody() &&
        cmp.getPredicate() == arith::CmpFPredicate::OLT && cmp.getLhs() == x &&
        isConstant(cmp.getRhs(), 0.0, g) && factors.size() == 1 &&
        factors[0] == x)
      return match(CMB_CONV_ACT_LEAKY_RELU, x, alpha);
  }
  double alpha, beta;
  if (Value x = matchHardSigmoid(v, g, alpha, beta))
    return match(CMB_CONV_ACT_HARDSIGMOID, x, alpha, beta);
  if (Value x = matchSigmoid(v, g))
    return match(CMB_CONV_ACT_SIGMOID, x);
  if (auto tanh = v.getDefiningOp<math::TanhOp>();
      tanh && tanh->getBlock() == g.getBody())
    return match(CMB_CONV_ACT_TANH, tanh.getOperand());

  // Products: x * hardsigmoid(x), x * sigmoid(x), x/2 * (1 + erf or tanh).
  double scale = 1.0;
  SmallVector<Value, 3> factors;
  flattenProduct(v, g, scale, factors);
  if (factors.size() != 2)
    return none;
  for (int i = 0; i < 2; ++i) {
    Value x = factors[i], other = factors[1 - i];
    if (scale == 1.0) {
      if (matchHardSigmoid(other, g, alpha, beta) == x)
        return match(CMB_CONV_ACT_HARDSWISH, x, alpha, beta);
      if (matchSigmoid(other, g) == x)
        return match(CMB_CONV_ACT_SILU, x);
    }
    int64_t kind = CMB_CONV_ACT_NONE;
    if (std::abs(scale - 0.5) <= 1e-6 && matchGeluFactor(other, g, kind) == x)
      return match(kind, x);
  }
  return none;
}

namespace {

/// A convolution call whose output an elementwise epilogue can be folded
/// into (rank 4, bias per output channel, loop d1).
struct EpilogueSite {
  mlir::Operation *op = nullptr;
  /// The output buffer; replaced by the generic's output when folded.
  mlir::Value y;
  /// The buffers the op reads, which the result must not overwrite.
  llvm::SmallVector<mlir::Value, 2> reads;
  unsigned biasDim = 1;
  int64_t biasSize = 0;
  /// What has been folded so far: a bias buffer, accumulation into y (the
  /// residual's buffer), the activation.
  mlir::Value bias;
  bool accumulate = false;
  ActivationMatch act{0, 0.0f, 0.0f, mlir::Value()};
  llvm::SmallVector<mlir::Operation *> deadAfter;
};

/// Folds one elementwise generic that reads `site.y` into the site; see
/// foldEpilogue.
bool foldOneEpilogueOp(EpilogueSite &site,
                       PatternRewriter &rewriter) {
  Operation *conv = site.op;
  Value y = site.y;
  // The first op after the conv that accesses y must be the generic.
  Operation *next = conv->getNextNode();
  Value yRoot = rootBuffer(y);
  while (next && (llvm::is_contained(site.deadAfter, next) ||
                  !touches(next, yRoot, /*anyUse=*/true)))
    next = next->getNextNode();
  auto g = dyn_cast_or_null<linalg::GenericOp>(next);
  if (!g || !g.hasPureBufferSemantics() || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != g.getNumParallelLoops())
    return false;
  OpOperand *out = g.getDpsInitOperand(0);
  Value z = out->get();
  auto yType = cast<MemRefType>(y.getType());
  auto zType = cast<MemRefType>(z.getType());
  if (zType.getShape() != yType.getShape())
    return false;
  // z may be a dense view of a larger buffer (a slice of a Concat's result).
  if (!g.getMatchingIndexingMap(out).isIdentity() || !isDenseF32(z) ||
      g.payloadUsesValueFromOperand(out))
    return false;

  // Operands: y once, at most one bias, at most one residual (a whole
  // tensor shaped like the result), scalars.
  BlockArgument yArg, biasArg, resArg;
  Value bias, residual;
  for (OpOperand *in : g.getDpsInputOperands()) {
    BlockArgument arg = g.getMatchingBlockArgument(in);
    Value v = in->get();
    bool identity = g.getMatchingIndexingMap(in).isIdentity();
    if (v == y) {
      if (yArg || !identity)
        return false;
      yArg = arg;
    } else if (!bias && isPerChannel(in, g, site.biasSize, site.biasDim)) {
      bias = v;
      biasArg = arg;
    } else if (!residual && identity &&
               cast<MemRefType>(v.getType()).getShape() == zType.getShape() &&
               isDenseF32(v)) {
      residual = v;
      resArg = arg;
    } else if (!scalarConstant(arg, g)) {
      return false;
    }
  }
  if (!yArg)
    return false;

  // In place (z is y), or into a buffer of its own while y dies.
  bool inPlace = z == y;
  if (!inPlace) {
    auto alloc = y.getDefiningOp<memref::AllocOp>();
    if (!alloc || llvm::any_of(y.getUsers(), [&](Operation *u) {
          return u != conv && u != g;
        }))
      return false;
    Value zRoot = rootBuffer(z);
    if (zRoot == yRoot || llvm::any_of(site.reads, [&](Value r) {
          return zRoot == rootBuffer(r);
        }) ||
        accessedBetween(conv, g, z, /*anyUse=*/true))
      return false;
  }

  // Body: yield act(sum of y, and maybe bias and residual).
  auto yield = cast<linalg::YieldOp>(g.getBody()->getTerminator());
  if (yield.getNumOperands() != 1)
    return false;
  ActivationMatch act = matchActivation(yield.getOperand(0), g);
  Value v = act.input;
  SmallVector<Value> leaves;
  SmallVector<Value> work = {v};
  while (!work.empty()) {
    Value t = work.pop_back_val();
    auto add = t.getDefiningOp<arith::AddFOp>();
    if (add && add->getBlock() == g.getBody()) {
      work.append({add.getLhs(), add.getRhs()});
      continue;
    }
    leaves.push_back(t);
  }
  bool withY = false, withBias = false, withResidual = false;
  for (Value leaf : leaves) {
    bool *seen = leaf == yArg                 ? &withY
                 : biasArg && leaf == biasArg ? &withBias
                 : resArg && leaf == resArg   ? &withResidual
                                              : nullptr;
    if (!seen || *seen)
      return false;
    *seen = true;
  }
  // The kernel computes act(old + conv + bias): one bias, one residual
  // (as the old content of the output), then one activation.
  if (!withY || (!withBias && !withResidual && act.kind == CMB_CONV_ACT_NONE) ||
      (withBias && site.bias) || (withResidual && site.accumulate) ||
      site.act.kind != CMB_CONV_ACT_NONE)
    return false;

  // With a residual, the call accumulates into the residual's buffer: it
  // must be a buffer of the model's own, untouched between the conv and the
  // generic, and either the generic's output or dead after it (then the
  // generic's output, a fresh buffer, is replaced by it).
  Value dest = z;
  bool replaceZ = false;
  if (withResidual) {
    if (inPlace || !residual.getDefiningOp<memref::AllocOp>() ||
        llvm::any_of(site.reads,
                     [&](Value r) { return residual == rootBuffer(r); }) ||
        accessedBetween(conv, g, residual, /*anyUse=*/true))
      return false;
    if (z != residual) {
      if (!z.getDefiningOp<memref::AllocOp>())
        return false;
      for (Operation *u : residual.getUsers())
        if (u != g && (u->getBlock() != g->getBlock() || g->isBeforeInBlock(u)))
          return false;
      for (Operation *u : z.getUsers())
        if (u != g && (u->getBlock() != g->getBlock() || !g->isBeforeInBlock(u)))
          return false;
      replaceZ = true;
    }
    dest = residual;
  }

  // The call writes its output and reads the bias where the conv is: a
  // fresh buffer allocated for the generic, or a view of the bias, moves up.
  if (!hoistBefore(dest, conv, rewriter) ||
      (withBias && !hoistBefore(bias, conv, rewriter)))
    return false;
  if (withBias)
    site.bias = bias;
  if (withResidual)
    site.accumulate = true;
  if (act.kind != CMB_CONV_ACT_NONE)
    site.act = act;
  site.y = dest;
  if (replaceZ)
    rewriter.replaceUsesWithIf(z, residual, [&](OpOperand &use) {
      return use.getOwner() != g;
    });
  // Erased in order: the generic first, then the buffers that died.
  site.deadAfter.push_back(g);
  if (!inPlace)
    site.deadAfter.push_back(y.getDefiningOp());
  if (replaceZ)
    site.deadAfter.push_back(z.getDefiningOp());
  return true;
}

} // namespace

namespace {

/// Folds the elementwise generics that read `site.y` next, one at a time.
void foldEpilogueOps(EpilogueSite &site, PatternRewriter &rewriter) {
  // Accumulating into y would need y's old content where the result goes.
  if (site.accumulate)
    return;
  while (foldOneEpilogueOp(site, rewriter)) {
  }
}

} // namespace

void cambrian::x86::foldEpilogue(Operation *conv, ConvCall &call,
                                 PatternRewriter &rewriter) {
  EpilogueSite site;
  site.op = conv;
  site.y = call.y;
  site.reads = {call.x, call.w};
  site.biasDim = 1;
  site.biasSize = call.params[CMB_CONV_F];
  site.bias = call.bias;
  site.accumulate = call.params[CMB_CONV_ACCUMULATE] != 0;
  site.act.kind = call.params[CMB_CONV_ACTIVATION];
  foldEpilogueOps(site, rewriter);
  call.y = site.y;
  call.bias = site.bias;
  call.params[CMB_CONV_ACCUMULATE] = site.accumulate;
  if (site.act.kind != CMB_CONV_ACT_NONE) {
    call.params[CMB_CONV_ACTIVATION] = site.act.kind;
    call.params[CMB_CONV_ACT_ALPHA] = llvm::bit_cast<uint32_t>(site.act.alpha);
    call.params[CMB_CONV_ACT_BETA] = llvm::bit_cast<uint32_t>(site.act.beta);
  }
  llvm::append_range(call.deadAfter, site.deadAfter);
}
