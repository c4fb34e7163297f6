//===- FoldQuantization.cpp - dequantize -> op -> quantize as integer ops -===//
//
// A QDQ model computes in float between a DequantizeLinear and a
// QuantizeLinear; this pass makes the convolutions and matmuls in between
// integer ops on `!quant.uniform` types, and moves data-movement ops
// (padding, reshapes, transposes) onto the integer values so they do not
// stand in the way. What stays float is reported as a remark.
//
//===----------------------------------------------------------------------===//

#include "cambrian/Transforms/Passes.h"
#include "dialects/Cambrian/CambrianOps.h"
#include "dialects/Cambrian/Utils/Requantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/SetVector.h"

#include <cmath>
#include <cstring>

namespace cambrian {
#define GEN_PASS_DEF_FOLDQUANTIZATIONPASS
#include "cambrian/Transforms/Passes.h.inc"
} // namespace cambrian

using namespace mlir;
using namespace cambrian::cmb;

namespace {

quant::QuantizedType quantizedElement(Value v) {
  return dyn_cast<quant::QuantizedType>(
      cast<ShapedType>(v.getType()).getElementType());
}

/// Whether `v` is a constant, possibly behind a quant.scast.
bool isConstantBehindCast(Value v) {
  while (auto cast = v.getDefiningOp<quant::StorageCastOp>())
    v = cast.getInput();
  return matchPattern(v, m_Constant());
}

/// `v` as a tensor of its quantized type's storage.
Value storageOf(OpBuilder &b, Location loc, Value v) {
  auto type = cast<RankedTensorType>(v.getType());
  return quant::StorageCastOp::create(
      b, loc, type.clone(quantizedElement(v).getStorageType()), v);
}

/// The bias of a quantized product as int32 in units of the accumulator's
/// scale (input scale x filter scale per channel): a dequantized int32
/// tensor at that scale, or a constant (float, or int32 at another scale)
/// requantized on the host. Null where neither applies.
Value integerBias(PatternRewriter &rewriter, Location loc, Value bias,
                  ArrayRef<double> accScales) {
  auto close = [](double a, double b) {
    return std::abs(a - b) <= 1e-6 * std::max(std::abs(a), std::abs(b));
  };
  int64_t n = cast<ShapedType>(bias.getType()).getDimSize(0);
  auto accScale = [&](int64_t i) {
    return accScales.size() == 1 ? accScales[0] : accScales[i];
  };
  // Real bias values, from a float constant or a dequantized constant.
  SmallVector<double> real;
  DenseElementsAttr dense;
  if (matchPattern(bias, m_Constant(&dense)) &&
      isa<FloatType>(dense.getElementType())) {
    for (APFloat v : dense.getValues<APFloat>())
      real.push_back(v.convertToDouble());
  } else if (auto dq = bias.getDefiningOp<DequantizeOp>()) {
    quant::QuantizedType qt = quantizedElement(dq.getInput());
    if (!qt.getStorageType().isSignlessInteger(32))
      return nullptr;
    SmallVector<double> scales = quantizedScales(qt);
    SmallVector<int64_t> zps = quantizedZeroPoints(qt);
    bool exact = llvm::all_of(zps, [](int64_t z) { return z == 0; });
    for (int64_t i = 0; i < n && exact; ++i)
      exact = close(scales.size() == 1 ? scales[0] : scales[i], accScale(i));
    if (exact)
      return storageOf(rewriter, loc, dq.getInput());
    // Another scale: requantize the constant's values.
    auto cast = dq.getInput().getDefiningOp<quant::StorageCastOp>();
    if (!cast || !matchPattern(cast.getInput(), m_Constant(&dense)))
      return nullptr;
    int64_t i = 0;
    for (APInt v : dense.getValues<APInt>()) {
      double s = scales.size() == 1 ? scales[0] : scales[i];
      int64_t z = zps.size() == 1 ? zps[0] : zps[i];
      real.push_back((v.getSExtValue() - z) * s);
      ++i;
    }
  } else {
    return nullptr;
  }
  SmallVector<int32_t> values;
  for (int64_t i = 0; i < n; ++i) {
    double q = std::nearbyint(real[i] / accScale(i));
    if (!(std::abs(q) < 2147483647.0))
      return nullptr;
    values.push_back((int32_t)q);
  }
  auto type = RankedTensorType::get({n}, rewriter.getI32Type());
  return arith::ConstantOp::create(
      rewriter, loc, DenseElementsAttr::get(type, ArrayRef<int32_t>(values)));
}

/// The parts of a conv or matmul on dequantized operands that the integer
/// op takes over.
struct QuantizedOperands {
  Value input, filter, bias;
  quant::UniformQuantizedType inputType;
  quant::QuantizedType filterType;
};

/// `op`'s operands as quantized values when it can be an integer op: x
/// dequantized per tensor, w dequantized per tensor or along its output
/// channels, no residual or pooling, a clamp activation, a requantization
/// to `result` (if given) with a fixed-point form, a bias that becomes
/// int32 (integerBias, the only IR this creates, last). Otherwise a match
/// failure saying why.
template <typename OpTy>
FailureOr<QuantizedOperands>
quantizedOperands(OpTy op, quant::UniformQuantizedType result,
                  PatternRewriter &rewriter) {
  auto x = op->getOperand(0).template getDefiningOp<DequantizeOp>();
  auto w = op->getOperand(1).template getDefiningOp<DequantizeOp>();
  if (!x || !w)
    return rewriter.notifyMatchFailure(op, "operands are not dequantized");
  QuantizedOperands q{x.getInput(), w.getInput(), Value(),
                      dyn_cast<quant::UniformQuantizedType>(
                          quantizedElement(x.getInput())),
                      quantizedElement(w.getInput())};
  if (!q.inputType)
    return rewriter.notifyMatchFailure(op, "input is quantized per axis");
  if (op.getResidual())
    return rewriter.notifyMatchFailure(op, "a residual stays float");
  if (auto conv = dyn_cast<ConvOp>(op.getOperation());
      conv && conv.getPoolAttr())
    return rewriter.notifyMatchFailure(op, "a fused pooling stays float");
  ActivationAttr act = op.getActivationAttr();
  if (act && !act.isNone() && act.getKind() != ActivationKind::Relu &&
      act.getKind() != ActivationKind::Clip)
    return rewriter.notifyMatchFailure(op, "activation is not a clamp");
  int64_t filterAxis = std::is_same_v<OpTy, ConvOp>
                           ? 0
                           : cast<ShapedType>(w.getType()).getRank() - 1;
  if (auto axis = dyn_cast<quant::UniformQuantizedPerAxisType>(q.filterType);
      axis && axis.getQuantizedDimension() != filterAxis)
    return rewriter.notifyMatchFailure(op, "filter quantized along another "
                                           "axis");
  if (result &&
      failed(getRequantization(q.inputType, q.filterType, result, act)))
    return rewriter.notifyMatchFailure(op, "requantization has no "
                                           "fixed-point form");
  if (Value b = op.getBias()) {
    SmallVector<double> accScales;
    for (double s : quantizedScales(q.filterType))
      accScales.push_back(q.inputType.getScale() * s);
    if (!(q.bias = integerBias(rewriter, op.getLoc(), b, accScales)))
      return rewriter.notifyMatchFailure(op, "bias is not a constant or an "
                                             "int32 at the product's scale");
  }
  return q;
}

/// `op` again on the quantized operands `q`, with result type `type`.
template <typename OpTy>
Value createQuantizedProduct(OpTy op, const QuantizedOperands &q, Type type,
                             PatternRewriter &rewriter) {
  if constexpr (std::is_same_v<OpTy, ConvOp>)
    return ConvOp::create(rewriter, op.getLoc(), type, q.input, q.filter,
                          q.bias, Value(), op.getStridesAttr(),
                          op.getDilationsAttr(), op.getGroupsAttr(),
                          op.getActivationAttr(), WindowAttr());
  else
    return MatmulOp::create(rewriter, op.getLoc(), type, q.input, q.filter,
                            q.bias, Value(), op.getActivationAttr());
}

/// quantize(conv|matmul(dequantize(x), dequantize(w), bias)) with a clamp
/// activation -> the same op on the quantized values, requantizing to the
/// quantize's type.
template <typename OpTy>
struct FoldQuantizedProduct : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern<QuantizeOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp q,
                                PatternRewriter &rewriter) const override {
    auto op = q.getInput().template getDefiningOp<OpTy>();
    if (!op || !op->hasOneUse())
      return rewriter.notifyMatchFailure(q, "input is not this product alone");
    auto result = dyn_cast<quant::UniformQuantizedType>(
        q.getOutput().getType().getElementType());
    if (!result)
      return rewriter.notifyMatchFailure(q, "result is quantized per axis");
    rewriter.setInsertionPoint(op);
    FailureOr<QuantizedOperands> operands =
        quantizedOperands(op, result, rewriter);
    if (failed(operands))
      return failure();
    rewriter.setInsertionPoint(q);
    rewriter.replaceOp(q, createQuantizedProduct(op, *operands,
                                                 q.getOutput().getType(),
                                                 rewriter));
    return success();
  }
};

/// conv|matmul(dequantize(x), dequantize(w), bias) whose float result is
/// not quantized again (a model's last layer) -> the same op on the
/// quantized values with a float result: integer products, the accumulator
/// dequantized in its epilogue.
template <typename OpTy>
struct FoldDequantizedProduct : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto resultType = op.getOutput().getType();
    if (!isa<FloatType>(resultType.getElementType()) ||
        llvm::any_of(op->getUsers(),
                     [](Operation *u) { return isa<QuantizeOp>(u); }))
      return rewriter.notifyMatchFailure(op, "float result quantized again");
    auto x = op->getOperand(0).template getDefiningOp<DequantizeOp>();
    if (!x || x.getOutput().getType().getElementType() !=
                  resultType.getElementType())
      return rewriter.notifyMatchFailure(op, "another expressed type");
    FailureOr<QuantizedOperands> operands =
        quantizedOperands(op, quant::UniformQuantizedType(), rewriter);
    if (failed(operands))
      return failure();
    rewriter.replaceOp(op, createQuantizedProduct(op, *operands, resultType,
                                                  rewriter));
    return success();
  }
};

/// Whether `op` computes elementwise from one tensor, `input`, alone (with
/// rank-0 constants): a cambrian.activation, or an all-parallel
/// linalg.generic reading `input` through the identity and otherwise only
/// rank-0 constants, its body using nothing from outside but constants.
bool isUnaryElementwise(Operation *op, Value input) {
  if (auto act = dyn_cast<ActivationOp>(op))
    return act.getInput() == input;
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !generic.hasPureTensorSemantics() ||
      !generic.getIndexingMapsArray().back().isIdentity() ||
      !generic.getRegion().front().getArguments().back().use_empty())
    return false;
  int uses = 0;
  for (OpOperand *in : generic.getDpsInputOperands()) {
    Value v = in->get();
    if (v == input && generic.getMatchingIndexingMap(in).isIdentity()) {
      ++uses;
      continue;
    }
    if (cast<ShapedType>(v.getType()).getRank() != 0 ||
        !matchPattern(v, m_Constant()))
      return false;
  }
  bool closed = true;
  generic.getRegion().walk([&](Operation *inner) {
    for (Value operand : inner->getOperands())
      if (!generic.getRegion().isAncestor(operand.getParentRegion()) &&
          !matchPattern(operand, m_Constant()))
        closed = false;
  });
  return uses == 1 && closed;
}

/// `op` (isUnaryElementwise) again on `input`, a 1-D tensor.
Value cloneOnLevels(PatternRewriter &rewriter, Operation *op, Value input) {
  Location loc = op->getLoc();
  auto inType = cast<RankedTensorType>(input.getType());
  if (auto act = dyn_cast<ActivationOp>(op))
    return ActivationOp::create(rewriter, loc, inType, input,
                                act.getActivationAttr());
  auto generic = cast<linalg::GenericOp>(op);
  MLIRContext *ctx = op->getContext();
  Type elem =
      cast<ShapedType>(generic.getResult(0).getType()).getElementType();
  SmallVector<Value> inputs;
  SmallVector<AffineMap> maps;
  AffineMap id = AffineMap::getMultiDimIdentityMap(1, ctx);
  for (OpOperand *in : generic.getDpsInputOperands()) {
    bool chained = cast<ShapedType>(in->get().getType()).getRank() != 0;
    inputs.push_back(chained ? input : in->get());
    maps.push_back(chained ? id : AffineMap::get(1, 0, ctx));
  }
  maps.push_back(id);
  Value init = tensor::EmptyOp::create(rewriter, loc, inType.getShape(), elem);
  auto clone = linalg::GenericOp::create(
      rewriter, loc, TypeRange{init.getType()}, inputs, ValueRange{init},
      maps, SmallVector<utils::IteratorType>{utils::IteratorType::parallel});
  rewriter.cloneRegionBefore(generic.getRegion(), clone.getRegion(),
                             clone.getRegion().end());
  return clone.getResult(0);
}

/// The 256-entry table of `chain` (ops isUnaryElementwise, in order) on
/// the levels of `levelsType` (8 bits, per tensor), quantized to
/// `resultType`: the same float ops on a constant of every level, which
/// fold or run once per call on 256 values.
Value levelTable(PatternRewriter &rewriter, Location loc,
                 quant::UniformQuantizedType levelsType,
                 quant::UniformQuantizedType resultType,
                 ArrayRef<Operation *> chain) {
  int64_t lo = levelsType.getStorageTypeMin(),
          hi = levelsType.getStorageTypeMax();
  SmallVector<APInt> levels;
  for (int64_t v = lo; v <= hi; ++v)
    levels.push_back(APInt(8, (uint64_t)v, /*isSigned=*/true));
  auto storageType = RankedTensorType::get({hi - lo + 1},
                                           levelsType.getStorageType());
  Value all = arith::ConstantOp::create(
      rewriter, loc, DenseElementsAttr::get(storageType, levels));
  Value allQ = quant::StorageCastOp::create(rewriter, loc,
                                            storageType.clone(levelsType), all);
  Value v = DequantizeOp::create(
      rewriter, loc, storageType.clone(levelsType.getExpressedType()), allQ);
  for (Operation *op : chain)
    v = cloneOnLevels(rewriter, op, v);
  return QuantizeOp::create(rewriter, loc, storageType.clone(resultType), v);
}

/// quantize(f(dequantize(x))) with x quantized per tensor in 8 bits and f
/// a chain of elementwise ops of one value (activations; generics with
/// rank-0 constants: x / sqrt(2) then erf, x + 1, ...) -> lookup(x,
/// table), the table being the same chain applied to the input's 256
/// levels: exactly the float chain's results, with the float work done
/// once per level instead of once per element.
struct FoldQuantizedElementwise : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp q,
                                PatternRewriter &rewriter) const override {
    // Walk back from the quantize through single-use unary ops.
    SmallVector<Operation *> chain;
    Value v = q.getInput();
    DequantizeOp dq;
    while (Operation *def = v.getDefiningOp()) {
      if ((dq = dyn_cast<DequantizeOp>(def)))
        break;
      if (!def->hasOneUse() || def->getNumResults() != 1 ||
          def->getNumOperands() == 0)
        return rewriter.notifyMatchFailure(q, "not a chain of one-use ops");
      Value in = def->getOperand(0);
      if (!isUnaryElementwise(def, in))
        return rewriter.notifyMatchFailure(q, "not elementwise of one value");
      chain.push_back(def);
      v = in;
    }
    if (!dq || chain.empty())
      return rewriter.notifyMatchFailure(q, "no chain from a dequantize");
    std::reverse(chain.begin(), chain.end());
    auto xt = dyn_cast<quant::UniformQuantizedType>(
        quantizedElement(dq.getInput()));
    auto yt = dyn_cast<quant::UniformQuantizedType>(
        q.getOutput().getType().getElementType());
    if (!xt || !yt || xt.getStorageTypeIntegralWidth() != 8)
      return rewriter.notifyMatchFailure(q, "input is not 8-bit per tensor");
    // A constant input (a table's own levels among them) stays a chain that
    // folds to constants.
    if (isConstantBehindCast(dq.getInput()))
      return rewriter.notifyMatchFailure(q, "input is a constant");
    Value table = levelTable(rewriter, q.getLoc(), xt, yt, chain);
    rewriter.replaceOpWithNewOp<LookupOp>(q, q.getOutput().getType(),
                                          dq.getInput(), table);
    return success();
  }
};

/// The two operands of an elementwise add or multiply (`isAdd`): an arith
/// op on tensors, or a linalg.generic whose body is that op alone and whose
/// maps broadcast its inputs numpy-style (as the importer builds them).
std::optional<std::pair<Value, Value>> binaryOperands(Operation *op,
                                                      bool isAdd) {
  if (!op || op->getNumResults() != 1)
    return std::nullopt;
  if (isAdd ? isa<arith::AddFOp>(op) : isa<arith::MulFOp>(op)) {
    if (!isa<RankedTensorType>(op->getResult(0).getType()))
      return std::nullopt;
    return std::pair(op->getOperand(0), op->getOperand(1));
  }
  auto generic = dyn_cast<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 2 ||
      generic.getNumDpsInits() != 1 ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !generic.hasPureTensorSemantics())
    return std::nullopt;
  Block &body = generic.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  Operation *def = yield.getOperand(0).getDefiningOp();
  if (body.getOperations().size() != 2 || !def ||
      !(isAdd ? isa<arith::AddFOp>(def) : isa<arith::MulFOp>(def)))
    return std::nullopt;
  auto arg = [&](unsigned i) { return dyn_cast<BlockArgument>(def->getOperand(i)); };
  if (!arg(0) || !arg(1) || arg(0).getArgNumber() != 0 ||
      arg(1).getArgNumber() != 1)
    return std::nullopt;
  // Each input map: the result's trailing dims, a unit dim broadcast (0).
  ArrayRef<int64_t> out =
      cast<RankedTensorType>(generic.getResult(0).getType()).getShape();
  if (!generic.getIndexingMapsArray().back().isIdentity())
    return std::nullopt;
  for (unsigned i = 0; i < 2; ++i) {
    ArrayRef<int64_t> in =
        cast<RankedTensorType>(generic.getDpsInputs()[i].getType()).getShape();
    AffineMap map = generic.getIndexingMapsArray()[i];
    if (map.getNumResults() != in.size() || in.size() > out.size())
      return std::nullopt;
    for (size_t d = 0; d < in.size(); ++d) {
      int64_t o = d + out.size() - in.size();
      AffineExpr e = map.getResult(d);
      bool broadcast = in[d] == 1 && out[o] != 1;
      if (broadcast ? e != getAffineConstantExpr(0, map.getContext())
                    : e != getAffineDimExpr(o, map.getContext()))
        return std::nullopt;
    }
  }
  return std::pair(generic.getDpsInputs()[0], generic.getDpsInputs()[1]);
}

/// quantize(add|mul(dequantize(a), dequantize(b))) on 8-bit per-tensor
/// types -> cambrian.add / cambrian.mul.
template <typename OpTy>
struct FoldQuantizedBinary : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern<QuantizeOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp q,
                                PatternRewriter &rewriter) const override {
    Operation *op = q.getInput().getDefiningOp();
    auto operands = binaryOperands(op, std::is_same_v<OpTy, AddOp>);
    if (!operands || !op->hasOneUse())
      return rewriter.notifyMatchFailure(q, "not this binary op alone");
    auto eightBit = [](Type t) {
      auto u = dyn_cast<quant::UniformQuantizedType>(
          cast<ShapedType>(t).getElementType());
      return u && u.getStorageTypeIntegralWidth() == 8;
    };
    Value lhs = operands->first, rhs = operands->second;
    auto a = lhs.getDefiningOp<DequantizeOp>();
    auto b = rhs.getDefiningOp<DequantizeOp>();
    if (!a || !b || !eightBit(a.getInput().getType()) ||
        !eightBit(b.getInput().getType()) || !eightBit(q.getOutput().getType()))
      return rewriter.notifyMatchFailure(q, "operands are not 8-bit "
                                            "per-tensor dequantized values");
    rewriter.replaceOpWithNewOp<OpTy>(q, q.getOutput().getType(),
                                      a.getInput(), b.getInput());
    return success();
  }
};

/// quantize(relu|clip(x)) -> lookup(quantize(x), table) for a float x that
/// is not a dequantized value (that case is FoldQuantizedElementwise): the
/// clamp commutes with quantizing, which is monotonic and maps 0 to the
/// zero point, so the quantize can move to x, where it may fold further
/// (an Add before a Relu becomes cambrian.add). The table is the clamp on
/// the result type's levels.
struct MoveQuantizeBeforeClamp : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp q,
                                PatternRewriter &rewriter) const override {
    auto act = q.getInput().getDefiningOp<ActivationOp>();
    if (!act || !act->hasOneUse() ||
        (act.getActivation().getKind() != ActivationKind::Relu &&
         act.getActivation().getKind() != ActivationKind::Clip) ||
        act.getInput().getDefiningOp<DequantizeOp>())
      return rewriter.notifyMatchFailure(q, "not quantize(clamp(x))");
    auto yt = dyn_cast<quant::UniformQuantizedType>(
        q.getOutput().getType().getElementType());
    if (!yt || yt.getStorageTypeIntegralWidth() != 8)
      return rewriter.notifyMatchFailure(q, "result is not 8-bit per tensor");
    Value unclamped = QuantizeOp::create(rewriter, q.getLoc(),
                                         q.getOutput().getType(),
                                         act.getInput());
    // The table: the clamp applied to the result type's own levels.
    Value table = levelTable(rewriter, q.getLoc(), yt, yt, {act});
    rewriter.replaceOpWithNewOp<LookupOp>(q, q.getOutput().getType(),
                                          unclamped, table);
    return success();
  }
};

/// pad(dequantize(x), 0.0) -> dequantize(pad(x, zero point)): the zero
/// point is the integer that means 0.
struct SinkDequantizeThroughPad : OpRewritePattern<tensor::PadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::PadOp pad,
                                PatternRewriter &rewriter) const override {
    auto dq = pad.getSource().getDefiningOp<DequantizeOp>();
    if (!dq)
      return rewriter.notifyMatchFailure(pad, "source is not dequantized");
    auto qt = dyn_cast<quant::UniformQuantizedType>(
        quantizedElement(dq.getInput()));
    Value padValue = pad.getConstantPaddingValue();
    APFloat zero(0.0);
    if (!qt || !padValue ||
        !matchPattern(padValue, m_ConstantFloat(&zero)) || !zero.isZero())
      return rewriter.notifyMatchFailure(pad, "not a zero padding of a "
                                              "per-tensor quantized value");
    Location loc = pad.getLoc();
    Value stored = storageOf(rewriter, loc, dq.getInput());
    Value zp = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getIntegerAttr(qt.getStorageType(), qt.getZeroPoint()));
    auto padded = tensor::PadOp::create(
        rewriter, loc, pad.getResultType().clone(qt.getStorageType()), stored,
        pad.getMixedLowPad(), pad.getMixedHighPad(), zp, pad.getNofold());
    Value quantized = quant::StorageCastOp::create(
        rewriter, loc, pad.getResultType().clone(qt), padded);
    rewriter.replaceOpWithNewOp<DequantizeOp>(pad, pad.getResultType(),
                                              quantized);
    return success();
  }
};

/// reshape(dequantize(x)) -> dequantize(reshape(x)) for a per-tensor type,
/// where `reshape` is a collapse_shape or expand_shape.
template <typename ReshapeOp>
struct SinkDequantizeThroughReshape : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern<ReshapeOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto dq = op.getSrc().template getDefiningOp<DequantizeOp>();
    if (!dq || !isa<quant::UniformQuantizedType>(
                   quantizedElement(dq.getInput())))
      return rewriter.notifyMatchFailure(op, "source is not dequantized per "
                                             "tensor");
    quant::QuantizedType qt = quantizedElement(dq.getInput());
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getResult().getType());
    // On the storage: targets bufferize integers, not quantized types.
    auto moved = ReshapeOp::create(
        rewriter, loc, resultType.clone(qt.getStorageType()),
        storageOf(rewriter, loc, dq.getInput()), op.getReassociationIndices());
    Value quantized = quant::StorageCastOp::create(
        rewriter, loc, resultType.clone(qt), moved);
    rewriter.template replaceOpWithNewOp<DequantizeOp>(op, resultType,
                                                       quantized);
    return success();
  }
};

/// The constant behind `v` (a quant.scast of a dense or dense-resource
/// integer constant) permuted by `perm`, as a new constant; null if `v` is
/// no such constant.
Value transposedConstant(PatternRewriter &rewriter, Location loc, Value v,
                         ArrayRef<int64_t> perm) {
  while (auto cast = v.getDefiningOp<quant::StorageCastOp>())
    v = cast.getInput();
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!cst || !type || !type.hasStaticShape() ||
      !type.getElementType().isIntOrIndex())
    return nullptr;
  int64_t width = type.getElementTypeBitWidth() / 8;
  if (width * 8 != (int64_t)type.getElementTypeBitWidth())
    return nullptr;
  // The raw bytes, row-major.
  std::vector<char> bytes;
  if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return nullptr;
    bytes.assign(blob->getData().begin(), blob->getData().end());
  } else if (auto dense = dyn_cast<DenseIntElementsAttr>(cst.getValue())) {
    for (APInt x : dense.getValues<APInt>())
      for (int64_t b = 0; b < width; ++b)
        bytes.push_back((char)x.extractBitsAsZExtValue(8, 8 * b));
  } else {
    return nullptr;
  }
  ArrayRef<int64_t> shape = type.getShape();
  int64_t rank = shape.size(), n = type.getNumElements();
  if ((int64_t)bytes.size() != n * width)
    return nullptr;
  SmallVector<int64_t> outShape, inStrides(rank, 1);
  for (int64_t d = rank - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * shape[d + 1];
  for (int64_t d : perm)
    outShape.push_back(shape[d]);
  std::vector<char> out(bytes.size());
  SmallVector<int64_t> index(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t from = 0;
    for (int64_t d = 0; d < rank; ++d)
      from += index[d] * inStrides[perm[d]];
    std::memcpy(&out[i * width], &bytes[from * width], width);
    for (int64_t d = rank - 1; d >= 0 && ++index[d] == outShape[d]; --d)
      index[d] = 0;
  }
  auto outType = RankedTensorType::get(outShape, type.getElementType());
  return arith::ConstantOp::create(
      rewriter, loc,
      DenseResourceElementsAttr::get(
          outType, "transposed",
          HeapAsmResourceBlob::allocateAndCopyInferAlign(ArrayRef<char>(out))));
}

/// transpose(dequantize(x)) -> dequantize(transpose(x)); a per-axis type's
/// axis moves with its dimension.
struct SinkDequantizeThroughTranspose : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto dq = op.getInput().getDefiningOp<DequantizeOp>();
    if (!dq || !op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "input is not dequantized");
    quant::QuantizedType qt = quantizedElement(dq.getInput());
    ArrayRef<int64_t> perm = op.getPermutation();
    if (auto axis = dyn_cast<quant::UniformQuantizedPerAxisType>(qt)) {
      int64_t to = llvm::find(perm, axis.getQuantizedDimension()) -
                   perm.begin();
      qt = quant::UniformQuantizedPerAxisType::get(
          axis.getFlags(), axis.getStorageType(), axis.getExpressedType(),
          axis.getScales(), axis.getZeroPoints(), to,
          axis.getStorageTypeMin(), axis.getStorageTypeMax());
    }
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getResult()[0].getType());
    Type storage = qt.getStorageType();
    Value stored = storageOf(rewriter, loc, dq.getInput());
    // Constant weights (Gemm's transB) are transposed on the host, so that
    // targets see constant weights.
    Value moved = transposedConstant(rewriter, loc, stored, perm);
    if (!moved) {
      Value init = tensor::EmptyOp::create(rewriter, loc,
                                           resultType.getShape(), storage);
      moved = linalg::TransposeOp::create(rewriter, loc, stored, init, perm)
                  .getResult()[0];
    }
    Value quantized = quant::StorageCastOp::create(
        rewriter, loc, resultType.clone(qt), moved);
    rewriter.replaceOpWithNewOp<DequantizeOp>(op, resultType, quantized);
    return success();
  }
};

/// pool max(dequantize(x)) -> dequantize(pool max(x)) for a per-tensor
/// type: quantizing is monotonic, so the max commutes with it.
struct SinkDequantizeThroughMaxPool : OpRewritePattern<PoolOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(PoolOp op,
                                PatternRewriter &rewriter) const override {
    auto dq = op.getInput().getDefiningOp<DequantizeOp>();
    if (!dq || op.getKind() != PoolKind::Max ||
        !isa<quant::UniformQuantizedType>(quantizedElement(dq.getInput())))
      return rewriter.notifyMatchFailure(op, "not a max of a per-tensor "
                                             "dequantized value");
    RankedTensorType type = op.getOutput().getType();
    Value pooled = PoolOp::create(
        rewriter, op.getLoc(), type.clone(quantizedElement(dq.getInput())),
        op.getKind(), dq.getInput(), op.getKernel(), op.getStrides(),
        op.getDilations(), op.getPadding(), op.getCountIncludePad(),
        op.getCeilMode());
    rewriter.replaceOpWithNewOp<DequantizeOp>(op, type, pooled);
    return success();
  }
};

/// quantize(dequantize(x)) to x's own type -> x.
struct FoldQuantizeOfDequantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(QuantizeOp q,
                                PatternRewriter &rewriter) const override {
    auto dq = q.getInput().getDefiningOp<DequantizeOp>();
    if (!dq || dq.getInput().getType() != q.getOutput().getType())
      return rewriter.notifyMatchFailure(q, "not a round trip to one type");
    rewriter.replaceOp(q, dq.getInput());
    return success();
  }
};

/// Ops that only move the values they read: they need no report.
bool movesOnly(Operation *op) {
  return isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::PadOp,
             tensor::ExtractSliceOp, tensor::InsertSliceOp,
             linalg::TransposeOp, QuantizeOp, func::ReturnOp>(op);
}

struct FoldQuantizationPass
    : cambrian::impl::FoldQuantizationPassBase<FoldQuantizationPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    cambrian::populateFoldQuantizationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Say which dequantize -> op -> quantize patterns stayed float, once
    // each (an op on dequantized values whose result is not quantized
    // again is a float op by the model's own choice).
    llvm::SetVector<Operation *> floatUsers;
    // Whether `op`'s result reaches a quantize, directly or through a chain
    // of single-use ops (an Add, then a Relu, then the quantize).
    auto quantizedLater = [](Operation *op) {
      for (int steps = 0; op && op->getNumResults() == 1 && steps < 8;
           ++steps) {
        if (llvm::any_of(op->getUsers(),
                         [](Operation *u) { return isa<QuantizeOp>(u); }))
          return true;
        if (!op->getResult(0).hasOneUse())
          return false;
        op = *op->getUsers().begin();
      }
      return false;
    };
    getOperation()->walk([&](DequantizeOp dq) {
      // Constants (weights, a lookup's table levels) fold on the host.
      if (isConstantBehindCast(dq.getInput()))
        return;
      for (Operation *user : dq->getUsers())
        if (!movesOnly(user) && quantizedLater(user))
          floatUsers.insert(user);
    });
    for (Operation *user : floatUsers) {
      InFlightDiagnostic remark = user->emitRemark();
      if (auto name = dyn_cast<NameLoc>(user->getLoc()))
        remark << "node '" << name.getName().getValue() << "': ";
      remark << "'" << user->getName()
             << "' runs in float on dequantized values";
    }
  }
};

} // namespace

void cambrian::populateFoldQuantizationPatterns(RewritePatternSet &patterns) {
  patterns.add<FoldQuantizedProduct<ConvOp>, FoldQuantizedProduct<MatmulOp>,
               FoldDequantizedProduct<ConvOp>, FoldDequantizedProduct<MatmulOp>,
               FoldQuantizedElementwise, MoveQuantizeBeforeClamp,
               FoldQuantizedBinary<AddOp>,
               FoldQuantizedBinary<MulOp>, SinkDequantizeThroughPad,
               SinkDequantizeThroughMaxPool,
               SinkDequantizeThroughReshape<tensor::CollapseShapeOp>,
               SinkDequantizeThroughReshape<tensor::ExpandShapeOp>,
               SinkDequantizeThroughTranspose, FoldQuantizeOfDequantize>(
      patterns.getContext());
}
