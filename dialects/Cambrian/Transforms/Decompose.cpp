//===- Decompose.cpp - cambrian ops to linalg/tensor ----------------------===//
//
// The shared lowering for targets that compile loops: each cambrian op
// becomes the linalg/tensor/arith IR that computes it. Targets with kernels
// for some ops match those first and let these patterns take the rest.
//
//===----------------------------------------------------------------------===//

#include "dialects/Cambrian/CambrianOps.h"
#include "dialects/Cambrian/Passes.h"
#include "dialects/Cambrian/Utils/Activation.h"
#include "dialects/Cambrian/Utils/MatmulOperands.h"
#include "dialects/Cambrian/Utils/Requantize.h"
#include "dialects/Cambrian/Utils/TensorBuilder.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include "llvm/ADT/StringSet.h"

#include <cmath>
#include <limits>

namespace cambrian::cmb {
#define GEN_PASS_DEF_DECOMPOSEPASS
#include "dialects/Cambrian/Passes.h.inc"
} // namespace cambrian::cmb

using namespace mlir;
using namespace cambrian;
using namespace cambrian::cmb;

namespace {

Value floatConst(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
}

Value addF(OpBuilder &b, Location loc, ValueRange v) {
  return arith::AddFOp::create(b, loc, v[0], v[1]);
}

Value maxF(OpBuilder &b, Location loc, ValueRange v) {
  return arith::MaximumFOp::create(b, loc, v[0], v[1]);
}

/// `y + bias + residual`, then the activation, each step that is present as
/// its own elementwise generic (the graph passes fuse them as they fuse the
/// importer's elementwise ops). `biasShape` reshapes the bias so that it
/// broadcasts along its dimension.
Value emitEpilogue(TensorBuilder &tb, Value y, Value bias,
                   ArrayRef<int64_t> biasShape, Value residual,
                   ActivationAttr act) {
  ArrayRef<int64_t> shape = TensorBuilder::shapeOf(y);
  Type elem = TensorBuilder::elementTypeOf(y);
  if (bias)
    y = tb.elementwise({y, tb.reshape(bias, biasShape)}, shape, elem, addF);
  if (residual)
    y = tb.elementwise({y, residual}, shape, elem, addF);
  if (act && !act.isNone())
    y = tb.elementwise({y}, shape, elem,
                       [&](OpBuilder &b, Location loc, ValueRange v) {
                         return emitActivation(b, loc, v[0], act);
                       });
  return y;
}

Value zeroOf(TensorBuilder &tb, Type elem) { return tb.scalar(elem, 0.0); }

/// The requantization of a quantized conv or matmul, or a match failure
/// naming the factor that has no fixed-point form.
template <typename OpTy>
FailureOr<Requantization> requantizationOf(OpTy op,
                                           PatternRewriter &rewriter) {
  auto elem = [](Value v) {
    return cast<ShapedType>(v.getType()).getElementType();
  };
  auto r = getRequantization(
      cast<quant::UniformQuantizedType>(elem(op->getOperand(0))),
      cast<quant::QuantizedType>(elem(op->getOperand(1))),
      cast<quant::UniformQuantizedType>(elem(op.getOutput())),
      op.getActivationAttr());
  if (failed(r))
    return rewriter.notifyMatchFailure(op, "a requantization factor has no "
                                           "fixed-point form");
  return r;
}

/// The accumulator scales of a quantized conv or matmul.
template <typename OpTy>
SmallVector<float> accumulatorScalesOf(OpTy op) {
  auto elem = [](Value v) {
    return cast<ShapedType>(v.getType()).getElementType();
  };
  return accumulatorScales(
      cast<quant::UniformQuantizedType>(elem(op->getOperand(0))),
      cast<quant::QuantizedType>(elem(op->getOperand(1))));
}

/// Every op of this file works on static shapes; symbolic shapes are a
/// later step (the verifiers already accept them).
LogicalResult requireStatic(PatternRewriter &rewriter, Operation *op) {
  for (Type t : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
    if (!cast<ShapedType>(t).hasStaticShape())
      return rewriter.notifyMatchFailure(op, "dynamic shapes are not "
                                             "decomposed yet");
  return success();
}

/// A decomposition of one op, which leaves alone the ops the target maps
/// itself (`keep`): its own patterns take them later.
template <typename OpTy>
struct DecomposePattern : OpRewritePattern<OpTy> {
  DecomposePattern(MLIRContext *ctx, KeepOpFn keep)
      : OpRewritePattern<OpTy>(ctx), keep(std::move(keep)) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const final {
    if (keep && keep(op))
      return rewriter.notifyMatchFailure(op, "the target maps this op itself");
    if (failed(requireStatic(rewriter, op)))
      return failure();
    return decompose(op, rewriter);
  }
  virtual LogicalResult decompose(OpTy op, PatternRewriter &rewriter) const = 0;

private:
  KeepOpFn keep;
};

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

struct DecomposeConv : DecomposePattern<ConvOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(ConvOp op,
                          PatternRewriter &rewriter) const override {
    int64_t nd = op.getSpatialRank(), group = op.getGroups();
    RankedTensorType resultType = op.getOutput().getType();
    bool quantized =
        isa<quant::QuantizedType>(op.getInput().getType().getElementType());
    if (!quantized && !isa<FloatType>(resultType.getElementType()))
      return rewriter.notifyMatchFailure(op, "integer convolutions come "
                                             "from quantized ones");
    if (nd == 3 && group != 1)
      return rewriter.notifyMatchFailure(op, "3-D convolutions decompose "
                                             "only without groups");
    FailureOr<Requantization> requant;
    if (quantized && isa<quant::QuantizedType>(resultType.getElementType()) &&
        failed(requant = requantizationOf(op, rewriter)))
      return failure();
    TensorBuilder tb(rewriter, op.getLoc());
    Value x = op.getInput(), w = op.getFilter();
    if (quantized) {
      // int32 products of the centered values.
      x = emitCenteredInt32(tb, x);
      w = emitCenteredInt32(tb, w);
    }
    ArrayRef<int64_t> xs = TensorBuilder::shapeOf(x),
                      ws = TensorBuilder::shapeOf(w);
    SmallVector<int64_t> strides(op.getStrides()),
        dilations(op.getDilations());
    // The convolution's own result; a fused pooling window shrinks it after
    // the epilogue.
    SmallVector<int64_t> ys = {xs[0], ws[0]};
    for (int64_t i = 0; i < nd; ++i)
      ys.push_back(windowOutputSize(xs[2 + i], ws[2 + i], strides[i],
                                    dilations[i]));
    SmallVector<int64_t> ys4(ys);
    if (nd == 1) {
      // A 1-D convolution is a 2-D one over a height of 1.
      x = tb.reshape(x, {xs[0], xs[1], 1, xs[2]});
      w = tb.reshape(w, {ws[0], ws[1], 1, ws[2]});
      strides.insert(strides.begin(), 1);
      dilations.insert(dilations.begin(), 1);
      ys4 = {ys[0], ys[1], 1, ys[2]};
    }
    Type elem = TensorBuilder::elementTypeOf(x);
    SmallVector<NamedAttribute> attrs = {
        rewriter.getNamedAttr("strides", rewriter.getI64VectorAttr(strides)),
        rewriter.getNamedAttr("dilations",
                              rewriter.getI64VectorAttr(dilations))};
    Location loc = op.getLoc();
    Value y;
    ArrayRef<int64_t> xs4 = TensorBuilder::shapeOf(x),
                      ws4 = TensorBuilder::shapeOf(w);
    int64_t C = xs4[1], F = ws4[0];
    if (nd == 3) {
      Value init = tb.splat(zeroOf(tb, elem), ys);
      y = linalg::Conv3DNcdhwFcdhwOp::create(rewriter, loc,
                                             TypeRange{init.getType()},
                                             ValueRange{x, w},
                                             ValueRange{init}, attrs)
              .getResult(0);
    } else if (group == 1) {
      Value init = tb.splat(zeroOf(tb, elem), ys4);
      y = linalg::Conv2DNchwFchwOp::create(rewriter, loc,
                                           TypeRange{init.getType()},
                                           ValueRange{x, w}, ValueRange{init},
                                           attrs)
              .getResult(0);
    } else if (group == C && F == C) {
      Value init = tb.splat(zeroOf(tb, elem), ys4);
      Value w3 = tb.reshape(w, {C, ws4[2], ws4[3]});
      y = linalg::DepthwiseConv2DNchwChwOp::create(
              rewriter, loc, TypeRange{init.getType()}, ValueRange{x, w3},
              ValueRange{init}, attrs)
              .getResult(0);
    } else {
      int64_t Cg = C / group, Fg = F / group;
      Value x5 = tb.reshape(x, {xs4[0], group, Cg, xs4[2], xs4[3]});
      Value w5 = tb.reshape(w, {group, Fg, Cg, ws4[2], ws4[3]});
      Value init =
          tb.splat(zeroOf(tb, elem), {ys4[0], group, Fg, ys4[2], ys4[3]});
      Value y5 = linalg::Conv2DNgchwGfchwOp::create(
                     rewriter, loc, TypeRange{init.getType()},
                     ValueRange{x5, w5}, ValueRange{init}, attrs)
                     .getResult(0);
      y = tb.reshape(y5, ys4);
    }
    if (quantized) {
      Value acc = tb.reshape(y, ys);
      rewriter.replaceOp(
          op, succeeded(requant)
                  ? emitRequantize(tb, acc, op.getBias(), /*channelDim=*/1,
                                   *requant, resultType)
                  : emitDequantizedAccumulator(
                        tb, acc, op.getBias(), /*channelDim=*/1,
                        accumulatorScalesOf(op), op.getActivationAttr(),
                        resultType));
      return success();
    }
    SmallVector<int64_t> biasShape(TensorBuilder::shapeOf(y).size() - 1, 1);
    biasShape[0] = F;
    Value residual = op.getResidual();
    if (residual && nd == 1)
      residual = tb.reshape(residual, ys4);
    y = emitEpilogue(tb, y, op.getBias(), biasShape, residual,
                     op.getActivationAttr());
    y = tb.reshape(y, ys);
    if (WindowAttr pool = op.getPoolAttr())
      y = PoolOp::create(rewriter, op.getLoc(), op.getOutput().getType(),
                         pool.getKind(), y, pool.getKernel(),
                         pool.getStrides(), pool.getDilations(),
                         pool.getPadding(), /*count_include_pad=*/false,
                         pool.getCeilMode());
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

struct DecomposeMatmul : DecomposePattern<MatmulOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(MatmulOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    RankedTensorType resultType = op.getOutput().getType();
    ArrayRef<int64_t> ys = resultType.getShape();
    Type elem = resultType.getElementType();
    int64_t N = ys.back();
    bool quantized =
        isa<quant::QuantizedType>(op.getLhs().getType().getElementType());
    FailureOr<Requantization> requant;
    if (quantized && isa<quant::QuantizedType>(elem) &&
        failed(requant = requantizationOf(op, rewriter)))
      return failure();
    Value lhs = op.getLhs(), rhs = op.getRhs();
    if (quantized) {
      lhs = emitCenteredInt32(tb, lhs);
      rhs = emitCenteredInt32(tb, rhs);
      elem = rewriter.getI32Type();
    }
    FlatMatmul flat = flattenMatmul(tb, lhs, rhs, ys);
    Value init = tb.splat(tb.scalar(elem, 0.0), flat.shape);
    Value y;
    if (flat.isBatch())
      y = linalg::BatchMatmulOp::create(rewriter, op.getLoc(),
                                        TypeRange{init.getType()},
                                        ValueRange{flat.lhs, flat.rhs},
                                        ValueRange{init})
              .getResult(0);
    else
      y = linalg::MatmulOp::create(rewriter, op.getLoc(),
                                   TypeRange{init.getType()},
                                   ValueRange{flat.lhs, flat.rhs},
                                   ValueRange{init})
              .getResult(0);
    y = tb.reshape(y, ys);
    if (quantized) {
      int64_t channelDim = ys.size() - 1;
      rewriter.replaceOp(
          op, succeeded(requant)
                  ? emitRequantize(tb, y, op.getBias(), channelDim, *requant,
                                   resultType)
                  : emitDequantizedAccumulator(
                        tb, y, op.getBias(), channelDim,
                        accumulatorScalesOf(op), op.getActivationAttr(),
                        resultType));
      return success();
    }
    SmallVector<int64_t> biasShape = {N};
    y = emitEpilogue(tb, y, op.getBias(), biasShape, op.getResidual(),
                     op.getActivationAttr());
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

struct DecomposePool : DecomposePattern<PoolOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(PoolOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    Value x = op.getInput();
    ArrayRef<int64_t> xs = TensorBuilder::shapeOf(x),
                      ys = op.getOutput().getType().getShape();
    Type elem = TensorBuilder::elementTypeOf(x);
    // A quantized max pooling: the max of the storage, compared with the
    // type's signedness.
    auto quantized = dyn_cast<quant::QuantizedType>(elem);
    if (quantized) {
      elem = quantized.getStorageType();
      x = quant::StorageCastOp::create(
          rewriter, op.getLoc(), op.getInput().getType().clone(elem), x);
    }
    bool isUnsigned = quantized ? !quantized.isSigned()
                                : elem.isUnsignedInteger();
    int64_t nd = xs.size() - 2;
    ArrayRef<int64_t> kernel = op.getKernel(), strides = op.getStrides(),
                      dilations = op.getDilations(), pad = op.getPadding();
    bool isMax = op.getKind() == PoolKind::Max;
    // The trailing padding grows to cover the last window (ceil mode).
    SmallVector<int64_t> low(2, 0), high(2, 0);
    for (int64_t i = 0; i < nd; ++i) {
      int64_t span = dilations[i] * (kernel[i] - 1) + 1;
      int64_t need = (ys[2 + i] - 1) * strides[i] + span - (xs[2 + i] + pad[i]);
      low.push_back(pad[i]);
      high.push_back(std::max(pad[nd + i], need));
    }
    double init;
    if (auto ft = dyn_cast<FloatType>(elem))
      init = isMax ? -std::numeric_limits<double>::infinity() : 0.0;
    else if (!isMax)
      return rewriter.notifyMatchFailure(op, "integer average pooling is "
                                             "lowered by quantization");
    else
      init = isUnsigned ? 0.0
                        : double(APInt::getSignedMinValue(
                                     elem.getIntOrFloatBitWidth())
                                     .getSExtValue());
    Value padded = tb.pad(x, low, high, init);
    Value y = tb.windowReduce(
        padded, kernel, strides, dilations, ys.drop_front(2), init,
        [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
          if (!isMax)
            return arith::AddFOp::create(b, loc, v[0], v[1]);
          if (isa<FloatType>(elem))
            return arith::MaximumFOp::create(b, loc, v[0], v[1]);
          if (isUnsigned)
            return arith::MaxUIOp::create(b, loc, v[0], v[1]);
          return arith::MaxSIOp::create(b, loc, v[0], v[1]);
        });
    if (!isMax) {
      // Divisor per output position: window cells inside the input (or
      // inside the explicitly padded input with count_include_pad).
      ArrayRef<int64_t> outSpatial = ys.drop_front(2);
      int64_t n = ShapedType::getNumElements(outSpatial);
      SmallVector<APFloat> inv;
      inv.reserve(n);
      for (int64_t i = 0; i < n; ++i) {
        int64_t rem = i, count = 1;
        for (int64_t d = nd - 1; d >= 0; --d) {
          int64_t o = rem % outSpatial[d];
          rem /= outSpatial[d];
          int64_t lo = op.getCountIncludePad() ? -pad[d] : 0;
          int64_t hi = op.getCountIncludePad() ? xs[2 + d] + pad[nd + d]
                                               : xs[2 + d];
          int64_t cells = 0;
          for (int64_t k = 0; k < kernel[d]; ++k) {
            int64_t pos = o * strides[d] + k * dilations[d] - pad[d];
            cells += pos >= lo && pos < hi;
          }
          count *= cells;
        }
        APFloat v(1.0 / double(std::max<int64_t>(count, 1)));
        bool lost;
        v.convert(cast<FloatType>(elem).getFloatSemantics(),
                  APFloat::rmNearestTiesToEven, &lost);
        inv.push_back(v);
      }
      auto type = RankedTensorType::get(outSpatial, elem);
      Value counts = arith::ConstantOp::create(
          rewriter, op.getLoc(), DenseElementsAttr::get(type, inv));
      y = tb.elementwise({y, counts}, ys, elem,
                         [](OpBuilder &b, Location loc, ValueRange v) {
                           return arith::MulFOp::create(b, loc, v[0], v[1])
                               .getResult();
                         });
    }
    if (quantized)
      y = quant::StorageCastOp::create(rewriter, op.getLoc(),
                                       op.getOutput().getType(), y);
    rewriter.replaceOp(op, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax and the normalizations
//===----------------------------------------------------------------------===//

/// Softmax over the trailing dims from `axis` on.
Value emitSoftmax(TensorBuilder &tb, Value x, int64_t axis, bool log) {
  ArrayRef<int64_t> shape = TensorBuilder::shapeOf(x);
  Type elem = TensorBuilder::elementTypeOf(x);
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < (int64_t)shape.size(); ++d)
    axes.push_back(d);
  Value mx = tb.reduce(x, axes, /*keepDims=*/true,
                       -std::numeric_limits<double>::infinity(), elem, maxF);
  Value shifted = tb.elementwise(
      {x, mx}, shape, elem, [](OpBuilder &b, Location loc, ValueRange v) {
        return arith::SubFOp::create(b, loc, v[0], v[1]).getResult();
      });
  Value e = tb.elementwise({shifted}, shape, elem,
                           [](OpBuilder &b, Location loc, ValueRange v) {
                             return math::ExpOp::create(b, loc, v[0]).getResult();
                           });
  Value sum = tb.reduce(e, axes, /*keepDims=*/true, 0.0, elem, addF);
  if (log)
    return tb.elementwise({shifted, sum}, shape, elem,
                          [](OpBuilder &b, Location loc, ValueRange v) {
                            Value l = math::LogOp::create(b, loc, v[1]);
                            return arith::SubFOp::create(b, loc, v[0], l)
                                .getResult();
                          });
  return tb.elementwise({e, sum}, shape, elem,
                        [](OpBuilder &b, Location loc, ValueRange v) {
                          return arith::DivFOp::create(b, loc, v[0], v[1])
                              .getResult();
                        });
}

/// `perm` moving `axis` last, and its inverse.
void moveLast(int64_t rank, int64_t axis, SmallVectorImpl<int64_t> &perm,
              SmallVectorImpl<int64_t> &inverse) {
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      perm.push_back(d);
  perm.push_back(axis);
  inverse.resize(rank);
  for (int64_t i = 0; i < rank; ++i)
    inverse[perm[i]] = i;
}

//===----------------------------------------------------------------------===//
// Elementwise arithmetic on tensors
//===----------------------------------------------------------------------===//

/// arith.addf / mulf on two tensors of one shape (an ONNX Add or Mul that
/// epilogue fusion did not take) as an elementwise generic.
template <typename ArithOp>
struct DecomposeTensorArith : OpRewritePattern<ArithOp> {
  using OpRewritePattern<ArithOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(ArithOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !type.hasStaticShape())
      return rewriter.notifyMatchFailure(op, "not a static tensor op");
    TensorBuilder tb(rewriter, op.getLoc());
    rewriter.replaceOp(
        op, tb.elementwise({op.getLhs(), op.getRhs()}, type.getShape(),
                           type.getElementType(),
                           [](OpBuilder &b, Location loc, ValueRange v) {
                             return ArithOp::create(b, loc, v[0], v[1])
                                 .getResult();
                           }));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Activation
//===----------------------------------------------------------------------===//

struct DecomposeActivation : DecomposePattern<ActivationOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(ActivationOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    ActivationAttr act = op.getActivation();
    RankedTensorType type = op.getOutput().getType();
    rewriter.replaceOp(
        op, tb.elementwise({op.getInput()}, type.getShape(),
                           type.getElementType(),
                           [&](OpBuilder &b, Location loc, ValueRange v) {
                             return emitActivation(b, loc, v[0], act);
                           }));
    return success();
  }
};

struct DecomposeSoftmax : DecomposePattern<SoftmaxOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(SoftmaxOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    int64_t rank = op.getInput().getType().getRank();
    // Normalise over one axis: move it last, reduce, move it back.
    SmallVector<int64_t> perm, inverse;
    moveLast(rank, op.getAxis(), perm, inverse);
    Value t = tb.transpose(op.getInput(), perm);
    Value y = tb.transpose(emitSoftmax(tb, t, rank - 1, op.getLog()), inverse);
    rewriter.replaceOp(op, y);
    return success();
  }
};

SmallVector<int64_t> trailingAxes(int64_t axis, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  return axes;
}

struct DecomposeLayerNorm : DecomposePattern<LayerNormOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(LayerNormOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    Value x = op.getInput();
    Moments m = computeMoments(
        tb, x, trailingAxes(op.getAxis(), op.getInput().getType().getRank()),
        op.getEpsilon().convertToDouble());
    rewriter.replaceOp(op, scaleAndShift(tb, m.centered, m.invStdDev,
                                         op.getScale(), op.getBias()));
    return success();
  }
};

struct DecomposeRmsNorm : DecomposePattern<RmsNormOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(RmsNormOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    Value x = op.getInput();
    Moments m = computeMoments(
        tb, x, trailingAxes(op.getAxis(), op.getInput().getType().getRank()),
        op.getEpsilon().convertToDouble(), /*center=*/false);
    rewriter.replaceOp(
        op, scaleAndShift(tb, x, m.invStdDev, op.getScale(), nullptr));
    return success();
  }
};

struct DecomposeGroupNorm : DecomposePattern<GroupNormOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(GroupNormOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    ArrayRef<int64_t> xs = op.getInput().getType().getShape();
    int64_t G = op.getNumGroups(), N = xs[0], C = xs[1];
    int64_t spatial = ShapedType::getNumElements(xs.drop_front(2));
    // [N, G, C/G, spatial]: one row of statistics per (n, group).
    Value grouped = tb.reshape(op.getInput(), {N, G, C / G, spatial});
    Moments m = computeMoments(tb, grouped, {2, 3},
                               op.getEpsilon().convertToDouble());
    Value normed = scaleAndShift(tb, m.centered, m.invStdDev, nullptr, nullptr);
    normed = scaleAndShift(tb, tb.reshape(normed, {N, C, spatial}), nullptr,
                           tb.reshape(op.getScale(), {1, C, 1}),
                           tb.reshape(op.getBias(), {1, C, 1}));
    rewriter.replaceOp(op, tb.reshape(normed, xs));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

struct DecomposeAttention : DecomposePattern<AttentionOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(AttentionOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    Location loc = op.getLoc();
    ArrayRef<int64_t> qs = op.getQuery().getType().getShape(),
                      ks = op.getKey().getType().getShape(),
                      vs = op.getValue().getType().getShape();
    int64_t B = qs[0], Hq = qs[1], Sq = qs[2], D = qs[3], Hkv = ks[1],
            Skv = ks[2], Dv = vs[3], rep = Hq / Hkv;
    Type elem = op.getOutput().getType().getElementType();
    // Grouped-query attention: each k/v head serves `rep` query heads.
    auto repeatHeads = [&](Value t, int64_t S, int64_t Dh) {
      if (rep == 1)
        return t;
      Value t5 = tb.reshape(t, {B, Hkv, 1, S, Dh});
      return tb.reshape(tb.broadcastTo(t5, {B, Hkv, rep, S, Dh}),
                        {B, Hq, S, Dh});
    };
    Value k = repeatHeads(op.getKey(), Skv, D);
    Value v = repeatHeads(op.getValue(), Skv, Dv);
    int64_t BH = B * Hq;
    Value q3 = tb.reshape(op.getQuery(), {BH, Sq, D});
    Value kT = tb.transpose(tb.reshape(k, {BH, Skv, D}), {0, 2, 1});
    auto bmm = [&](Value a, Value b, int64_t M, int64_t N) {
      Value init = tb.splat(tb.scalar(elem, 0.0), {BH, M, N});
      return linalg::BatchMatmulOp::create(rewriter, loc,
                                           TypeRange{init.getType()},
                                           ValueRange{a, b}, ValueRange{init})
          .getResult(0);
    };
    double scale = op.getScaleAttr() ? op.getScaleAttr().getValueAsDouble()
                                     : 1.0 / std::sqrt(double(D));
    double softcap = op.getSoftcap().convertToDouble();
    Value scores = tb.reshape(bmm(q3, kT, Sq, Skv), {B, Hq, Sq, Skv});
    SmallVector<Value> operands = {scores};
    Value mask = op.getMask();
    if (mask)
      operands.push_back(mask);
    bool causal = op.getIsCausal();
    bool boolMask = mask && cast<ShapedType>(mask.getType())
                                .getElementType()
                                .isInteger(1);
    // scale, softcap, mask and causality in one elementwise pass.
    scores = tb.elementwiseIndexed(
        operands, {B, Hq, Sq, Skv}, elem,
        [&](OpBuilder &b, Location l, ValueRange args) -> Value {
          Value s = arith::MulFOp::create(b, l, args[0],
                                          floatConst(b, l, elem, scale));
          if (softcap > 0.0) {
            Value cap = floatConst(b, l, elem, softcap);
            s = arith::MulFOp::create(
                b, l, cap,
                math::TanhOp::create(b, l,
                                     arith::DivFOp::create(b, l, s, cap)));
          }
          Value ninf = floatConst(b, l, elem,
                                  -std::numeric_limits<double>::infinity());
          unsigned idx = mask ? 2 : 1;
          if (mask && boolMask)
            s = arith::SelectOp::create(b, l, args[1], s, ninf);
          else if (mask)
            s = arith::AddFOp::create(b, l, s, args[1]);
          if (causal) {
            // Query i sees keys up to i + (Skv - Sq).
            Value qi = args[idx + 2], kj = args[idx + 3];
            Value limit = arith::AddIOp::create(
                b, l, qi, arith::ConstantIndexOp::create(b, l, Skv - Sq));
            Value future = arith::CmpIOp::create(
                b, l, arith::CmpIPredicate::sgt, kj, limit);
            s = arith::SelectOp::create(b, l, future, ninf, s);
          }
          return s;
        });
    // A softmax op of its own, so that a target with a softmax kernel can
    // keep it; the others get it decomposed in turn.
    Value probs = SoftmaxOp::create(rewriter, loc, scores.getType(), scores,
                                    rewriter.getI64IntegerAttr(3),
                                    rewriter.getBoolAttr(false));
    Value out = bmm(tb.reshape(probs, {BH, Sq, Skv}),
                    tb.reshape(v, {BH, Skv, Dv}), Sq, Dv);
    rewriter.replaceOp(op, tb.reshape(out, {B, Hq, Sq, Dv}));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Quantize and dequantize
//===----------------------------------------------------------------------===//

/// Scales and zero points of a uniform type, one per slice of `axis` (or a
/// single one with axis -1).
struct QuantParams {
  SmallVector<double> scales;
  SmallVector<int64_t> zeroPoints;
  int64_t axis = -1;
  IntegerType storage;
  int64_t qmin, qmax;
  bool isSigned;
};

QuantParams quantParams(quant::QuantizedType qt) {
  QuantParams p;
  p.storage = cast<IntegerType>(qt.getStorageType());
  p.qmin = qt.getStorageTypeMin();
  p.qmax = qt.getStorageTypeMax();
  p.isSigned = qt.isSigned();
  if (auto u = dyn_cast<quant::UniformQuantizedType>(qt)) {
    p.scales.push_back(u.getScale());
    p.zeroPoints.push_back(u.getZeroPoint());
  } else {
    auto a = cast<quant::UniformQuantizedPerAxisType>(qt);
    p.scales.assign(a.getScales().begin(), a.getScales().end());
    p.zeroPoints.assign(a.getZeroPoints().begin(), a.getZeroPoints().end());
    p.axis = a.getQuantizedDimension();
  }
  return p;
}

/// Per-axis parameters as a [n, 1, ..., 1] tensor that broadcasts along the
/// axis of a rank-`rank` tensor (or a rank-0 scalar for per-tensor).
Value paramTensor(TensorBuilder &tb, Type elem, ArrayRef<double> values,
                  int64_t axis, int64_t rank) {
  SmallVector<int64_t> shape;
  if (axis >= 0) {
    shape.assign(rank - axis, 1);
    shape[0] = values.size();
  }
  auto type = RankedTensorType::get(shape, elem);
  SmallVector<Attribute> attrs;
  for (double v : values)
    attrs.push_back(isa<FloatType>(elem)
                        ? Attribute(FloatAttr::get(elem, v))
                        : Attribute(IntegerAttr::get(elem, (int64_t)v)));
  return arith::ConstantOp::create(tb.builder(), tb.location(),
                                   DenseElementsAttr::get(type, attrs));
}

struct DecomposeQuantize : DecomposePattern<QuantizeOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(QuantizeOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    RankedTensorType out = op.getOutput().getType();
    QuantParams p =
        quantParams(cast<quant::QuantizedType>(out.getElementType()));
    Type f = op.getInput().getType().getElementType();
    SmallVector<double> zps(p.zeroPoints.begin(), p.zeroPoints.end());
    Value scale = paramTensor(tb, f, p.scales, p.axis, out.getRank());
    Value zp = paramTensor(tb, f, zps, p.axis, out.getRank());
    double qmin = p.qmin, qmax = p.qmax;
    bool isSigned = p.isSigned;
    IntegerType storage = p.storage;
    Value q = tb.elementwise(
        {op.getInput(), scale, zp}, out.getShape(), storage,
        [&](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value r = math::RoundEvenOp::create(
              b, l, arith::DivFOp::create(b, l, v[0], v[1]));
          r = arith::AddFOp::create(b, l, r, v[2]);
          r = arith::MaximumFOp::create(b, l, r, floatConst(b, l, f, qmin));
          r = arith::MinimumFOp::create(b, l, r, floatConst(b, l, f, qmax));
          if (isSigned)
            return arith::FPToSIOp::create(b, l, storage, r);
          return arith::FPToUIOp::create(b, l, storage, r);
        });
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, out, q);
    return success();
  }
};

struct DecomposeDequantize : DecomposePattern<DequantizeOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(DequantizeOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    RankedTensorType in = op.getInput().getType();
    RankedTensorType out = op.getOutput().getType();
    QuantParams p =
        quantParams(cast<quant::QuantizedType>(in.getElementType()));
    Type f = out.getElementType();
    // 32-bit integers are exact only in f64.
    Type compute = p.storage.getWidth() > 16 ? Type(rewriter.getF64Type()) : f;
    Value stored = quant::StorageCastOp::create(
        rewriter, op.getLoc(),
        RankedTensorType::get(in.getShape(), p.storage), op.getInput());
    SmallVector<double> zps(p.zeroPoints.begin(), p.zeroPoints.end());
    Value scale = paramTensor(tb, compute, p.scales, p.axis, in.getRank());
    Value zp = paramTensor(tb, compute, zps, p.axis, in.getRank());
    bool isSigned = p.isSigned;
    Value y = tb.elementwise(
        {stored, scale, zp}, out.getShape(), f,
        [&](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value x =
              isSigned
                  ? arith::SIToFPOp::create(b, l, compute, v[0]).getResult()
                  : arith::UIToFPOp::create(b, l, compute, v[0]).getResult();
          Value y = arith::MulFOp::create(
              b, l, arith::SubFOp::create(b, l, x, v[2]), v[1]);
          if (compute != f)
            y = arith::TruncFOp::create(b, l, f, y);
          return y;
        });
    rewriter.replaceOp(op, y);
    return success();
  }
};

/// cambrian.add / cambrian.mul: one elementwise generic on the storage,
/// in float32 as the ops define it (ONNX's dequantize, op, quantize).
template <typename OpTy>
struct DecomposeQuantizedBinary : DecomposePattern<OpTy> {
  using DecomposePattern<OpTy>::DecomposePattern;

  LogicalResult decompose(OpTy op,
                          PatternRewriter &rewriter) const override {
    constexpr bool isAdd = std::is_same_v<OpTy, AddOp>;
    TensorBuilder tb(rewriter, op.getLoc());
    Location loc = op.getLoc();
    auto typeOf = [](Value v) {
      return cast<quant::UniformQuantizedType>(
          cast<ShapedType>(v.getType()).getElementType());
    };
    quant::UniformQuantizedType a = typeOf(op.getLhs()), b = typeOf(op.getRhs()),
                                y = typeOf(op.getOutput());
    auto storage = [&](Value v) -> Value {
      auto t = cast<RankedTensorType>(v.getType());
      return quant::StorageCastOp::create(
          rewriter, loc, t.clone(typeOf(v).getStorageType()), v);
    };
    RankedTensorType out = op.getOutput().getType();
    float sa = (float)a.getScale(), sb = (float)b.getScale(),
          sy = (float)y.getScale();
    int64_t zy = y.getZeroPoint();
    int64_t lo = y.getStorageTypeMin() - zy, hi = y.getStorageTypeMax() - zy;
    Value res = tb.elementwise(
        {storage(op.getLhs()), storage(op.getRhs())}, out.getShape(),
        y.getStorageType(),
        [&](OpBuilder &bb, Location l, ValueRange v) -> Value {
          Type i32 = bb.getI32Type(), f32 = bb.getF32Type();
          auto centered = [&](Value x, quant::UniformQuantizedType t) {
            Value w = t.isSigned()
                          ? arith::ExtSIOp::create(bb, l, i32, x).getResult()
                          : arith::ExtUIOp::create(bb, l, i32, x).getResult();
            return arith::SubIOp::create(
                bb, l, w,
                arith::ConstantOp::create(
                    bb, l, bb.getI32IntegerAttr(t.getZeroPoint())));
          };
          auto cf = [&](float c) {
            return arith::ConstantOp::create(bb, l, bb.getF32FloatAttr(c));
          };
          Value fa = arith::MulFOp::create(
              bb, l, arith::SIToFPOp::create(bb, l, f32, centered(v[0], a)),
              cf(sa));
          Value fb = arith::MulFOp::create(
              bb, l, arith::SIToFPOp::create(bb, l, f32, centered(v[1], b)),
              cf(sb));
          Value f = isAdd ? arith::AddFOp::create(bb, l, fa, fb).getResult()
                          : arith::MulFOp::create(bb, l, fa, fb).getResult();
          f = arith::DivFOp::create(bb, l, f, cf(sy));
          f = math::RoundEvenOp::create(bb, l, f);
          f = arith::MaximumFOp::create(bb, l, f, cf((float)lo));
          f = arith::MinimumFOp::create(bb, l, f, cf((float)hi));
          Value q = arith::AddIOp::create(
              bb, l, arith::FPToSIOp::create(bb, l, i32, f),
              arith::ConstantOp::create(bb, l, bb.getI32IntegerAttr(zy)));
          return arith::TruncIOp::create(bb, l, y.getStorageType(), q);
        });
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, out, res);
    return success();
  }
};

/// lookup(x, table): one elementwise generic reading the table at
/// storage(x) - storage_min.
struct DecomposeLookup : DecomposePattern<LookupOp> {
  using DecomposePattern::DecomposePattern;

  LogicalResult decompose(LookupOp op,
                          PatternRewriter &rewriter) const override {
    TensorBuilder tb(rewriter, op.getLoc());
    Location loc = op.getLoc();
    RankedTensorType in = op.getInput().getType(), table = op.getTable().getType(),
                     out = op.getOutput().getType();
    auto xt = cast<quant::QuantizedType>(in.getElementType());
    Type tableStorage =
        cast<quant::QuantizedType>(table.getElementType()).getStorageType();
    Value x = quant::StorageCastOp::create(
        rewriter, loc, in.clone(xt.getStorageType()), op.getInput());
    Value t = quant::StorageCastOp::create(
        rewriter, loc, table.clone(tableStorage), op.getTable());
    int64_t lo = xt.getStorageTypeMin();
    bool isSigned = xt.isSigned();
    Value y = tb.elementwise(
        {x}, in.getShape(), tableStorage,
        [&](OpBuilder &b, Location l, ValueRange v) -> Value {
          Type i32 = b.getI32Type();
          Value wide = isSigned ? arith::ExtSIOp::create(b, l, i32, v[0])
                                      .getResult()
                                : arith::ExtUIOp::create(b, l, i32, v[0])
                                      .getResult();
          Value index = arith::SubIOp::create(
              b, l, wide,
              arith::ConstantOp::create(b, l, b.getI32IntegerAttr(lo)));
          index = arith::IndexCastOp::create(b, l, b.getIndexType(), index);
          return tensor::ExtractOp::create(b, l, t, ValueRange{index});
        });
    rewriter.replaceOpWithNewOp<quant::StorageCastOp>(op, out, y);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct DecomposePass
    : public cambrian::cmb::impl::DecomposePassBase<DecomposePass> {
  using DecomposePassBase::DecomposePassBase;
  explicit DecomposePass(KeepOpFn keepFn) : keepFn(std::move(keepFn)) {}

  void runOnOperation() override {
    // The ops named by the `keep` option, or kept by the target's function.
    llvm::StringSet<> names;
    for (const std::string &name : keep)
      names.insert(name);
    KeepOpFn keepOp = [&](Operation *op) {
      return names.contains(op->getName().getStringRef()) ||
             (keepFn && keepFn(op));
    };
    RewritePatternSet patterns(&getContext());
    populateCambrianDecomposePatterns(patterns, keepOp);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // An op left over has no decomposition: say which, once.
    WalkResult r = getOperation()->walk([&](Operation *op) {
      if (isa<CambrianDialect>(op->getDialect()) && !keepOp(op)) {
        op->emitError() << "'" << op->getName()
                        << "' has no decomposition for these types or shapes";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }

private:
  KeepOpFn keepFn;
};

} // namespace

std::unique_ptr<Pass> cambrian::cmb::createDecomposePass(KeepOpFn keep) {
  return std::make_unique<DecomposePass>(std::move(keep));
}

void cambrian::cmb::populateCambrianDecomposePatterns(
    RewritePatternSet &patterns, KeepOpFn keep) {
  patterns.add<DecomposeTensorArith<arith::AddFOp>,
               DecomposeTensorArith<arith::MulFOp>>(patterns.getContext());
  patterns.add<DecomposeActivation, DecomposeConv, DecomposeMatmul,
               DecomposePool,
               DecomposeSoftmax, DecomposeLayerNorm, DecomposeRmsNorm,
               DecomposeGroupNorm, DecomposeAttention, DecomposeQuantize,
               DecomposeDequantize, DecomposeLookup,
               DecomposeQuantizedBinary<AddOp>,
               DecomposeQuantizedBinary<MulOp>>(patterns.getContext(), keep);
}
