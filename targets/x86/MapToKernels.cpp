//===- MapToKernels.cpp - cambrian ops to x86 kernel ops ------------------===//
//
// The x86 target's own lowering of the cambrian ops it has kernels for: on
// tensors, before bufferization, so that nothing has to be recognised later
// in the loops that a decomposition would have made.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/KernelCall.h"
#include "targets/x86/MapQuantized.h"
#include "targets/x86/Passes.h"
#include "targets/x86/X86KernelOps.h"

#include "dialects/Cambrian/CambrianOps.h"
#include "dialects/Cambrian/Utils/MatmulOperands.h"
#include "dialects/Cambrian/Utils/TensorBuilder.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_MAPTOKERNELSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;
using namespace cambrian;

namespace {

/// Whether `v` is a statically shaped f32 tensor.
bool isStaticF32(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32();
}

/// The product of the dimensions of `type` from `axis` on.
int64_t trailingElements(RankedTensorType type, int64_t axis) {
  int64_t n = 1;
  for (int64_t d : type.getShape().drop_front(axis))
    n *= d;
  return n;
}

bool mapsSoftmax(cmb::SoftmaxOp op) {
  return !op.getLog() && isStaticF32(op.getInput()) &&
         op.getInput().getType().getRank() >= 1;
}

/// The kernel normalizes rows of `cols` elements with `cols` scales and
/// shifts: a scale broadcast from fewer elements is left to the loops.
bool mapsLayerNorm(cmb::LayerNormOp op) {
  if (!isStaticF32(op.getInput()) || !isStaticF32(op.getScale()) ||
      (op.getBias() && !isStaticF32(op.getBias())))
    return false;
  int64_t cols = trailingElements(op.getInput().getType(), op.getAxis());
  auto elements = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getNumElements();
  };
  return elements(op.getScale()) == cols &&
         (!op.getBias() || elements(op.getBias()) == cols);
}

/// 2-D max pooling on f32; the kernel pads with -inf implicitly, so any
/// padding and ceil mode map.
bool mapsPool(cmb::PoolOp op) {
  return op.getKind() == cmb::PoolKind::Max && isStaticF32(op.getInput()) &&
         op.getInput().getType().getRank() == 4;
}

/// f32 static operands and an activation the GEMM kernel applies as it
/// stores.
bool mapsMatmul(cmb::MatmulOp op) {
  return isStaticF32(op.getLhs()) && isStaticF32(op.getRhs()) &&
         isStaticF32(op.getOutput()) &&
         (!op.getBias() || isStaticF32(op.getBias())) &&
         (!op.getResidual() || isStaticF32(op.getResidual())) &&
         x86::kernelActivation(op.getActivationAttr()).has_value();
}

/// 1-D or 2-D f32 convolutions without a pooling window, with an
/// activation the kernels apply.
bool mapsConv(cmb::ConvOp op) {
  int64_t rank = op.getInput().getType().getRank();
  return (rank == 3 || rank == 4) && isStaticF32(op.getInput()) &&
         isStaticF32(op.getFilter()) && isStaticF32(op.getOutput()) &&
         (!op.getBias() || isStaticF32(op.getBias())) &&
         (!op.getResidual() || isStaticF32(op.getResidual())) &&
         !op.getPoolAttr() &&
         x86::kernelActivation(op.getActivationAttr()).has_value();
}

/// The leading spatial pads of a zero `tensor.pad` in front of a
/// convolution, which the kernel applies implicitly (the trailing ones
/// follow from the output size); none for any other padding.
std::optional<SmallVector<int64_t>> implicitPadding(tensor::PadOp pad) {
  Value value = pad.getConstantPaddingValue();
  if (!value || !matchPattern(value, m_AnyZeroFloat()))
    return std::nullopt;
  ArrayRef<int64_t> low = pad.getStaticLow(), high = pad.getStaticHigh();
  if (llvm::any_of(low, ShapedType::isDynamic) ||
      llvm::any_of(high, ShapedType::isDynamic) || low[0] || low[1] ||
      high[0] || high[1])
    return std::nullopt;
  return SmallVector<int64_t>(low.drop_front(2));
}

/// cambrian.conv to x86kernel.conv2d: a zero padding in front is absorbed
/// (leading pads as attributes), a 1-D convolution is a 2-D one of unit
/// height, and a residual is the destination, accumulated into.
struct ConvToKernel : OpRewritePattern<cmb::ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(cmb::ConvOp op,
                                PatternRewriter &rewriter) const override {
    if (!mapsConv(op))
      return rewriter.notifyMatchFailure(op, "no kernel: not 1-D/2-D static "
                                             "f32, pooled, or an activation "
                                             "it lacks");
    TensorBuilder tb(rewriter, op.getLoc());
    Value x = op.getInput(), w = op.getFilter();
    bool is1d = op.getInput().getType().getRank() == 3;
    SmallVector<int64_t> pads(is1d ? 1 : 2, 0);
    if (auto pad = x.getDefiningOp<tensor::PadOp>())
      if (std::optional<SmallVector<int64_t>> p = implicitPadding(pad)) {
        x = pad.getSource();
        pads = *p;
      }
    SmallVector<int64_t> strides(op.getStrides()),
        dilations(op.getDilations());
    RankedTensorType type = op.getOutput().getType();
    SmallVector<int64_t> ys(type.getShape());
    Value residual = op.getResidual();
    if (is1d) {
      // N x C x L as N x C x 1 x L, F x C/g x K as F x C/g x 1 x K.
      auto unitHeight = [](ArrayRef<int64_t> s) {
        return SmallVector<int64_t>{s[0], s[1], 1, s[2]};
      };
      x = tb.reshape(x, unitHeight(TensorBuilder::shapeOf(x)));
      w = tb.reshape(w, unitHeight(TensorBuilder::shapeOf(w)));
      ys = unitHeight(ys);
      if (residual)
        residual = tb.reshape(residual, ys);
      strides.insert(strides.begin(), 1);
      dilations.insert(dilations.begin(), 1);
      pads.insert(pads.begin(), 0);
    }
    Value init = residual ? residual : tb.empty(ys, rewriter.getF32Type());
    auto kernel = x86::Conv2dOp::create(
        rewriter, op.getLoc(), TypeRange{init.getType()}, x, w, op.getBias(),
        init, rewriter.getDenseI64ArrayAttr(strides),
        rewriter.getDenseI64ArrayAttr(dilations),
        rewriter.getDenseI64ArrayAttr(pads), op.getGroupsAttr(),
        op.getActivationAttr(),
        residual ? rewriter.getUnitAttr() : UnitAttr());
    rewriter.replaceOp(op, tb.reshape(kernel.getResult()[0], type.getShape()));
    return success();
  }
};

/// cambrian.matmul to x86kernel.matmul, cut as the decomposition cuts it
/// (cmb::flattenMatmul). A residual is the destination, accumulated into.
struct MatmulToKernel : OpRewritePattern<cmb::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(cmb::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!mapsMatmul(op))
      return rewriter.notifyMatchFailure(op, "no kernel: not static f32, or "
                                             "an activation it lacks");
    TensorBuilder tb(rewriter, op.getLoc());
    ArrayRef<int64_t> ys = op.getOutput().getType().getShape();
    cmb::FlatMatmul flat = cmb::flattenMatmul(tb, op);
    Value a = flat.lhs, b = flat.rhs;
    ArrayRef<int64_t> shape = flat.shape;
    Value init = op.getResidual()
                     ? tb.reshape(op.getResidual(), shape)
                     : tb.empty(shape, rewriter.getF32Type());
    auto kernel = x86::MatmulOp::create(
        rewriter, op.getLoc(), TypeRange{init.getType()}, a, b, op.getBias(),
        init, op.getActivationAttr(),
        op.getResidual() ? rewriter.getUnitAttr() : UnitAttr());
    rewriter.replaceOp(op, tb.reshape(kernel.getResult()[0], ys));
    return success();
  }
};

/// cambrian.softmax to x86kernel.softmax over the last dimension, with
/// the axis moved last and back by transposes (as the decomposition does;
/// those become cmb_x86_transpose calls).
struct SoftmaxToKernel : OpRewritePattern<cmb::SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(cmb::SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    if (!mapsSoftmax(op))
      return rewriter.notifyMatchFailure(op, "no kernel: log-softmax, or "
                                             "not static f32");
    TensorBuilder tb(rewriter, op.getLoc());
    int64_t rank = op.getInput().getType().getRank(), axis = op.getAxis();
    SmallVector<int64_t> perm, inverse(rank);
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        perm.push_back(d);
    perm.push_back(axis);
    for (int64_t i = 0; i < rank; ++i)
      inverse[perm[i]] = i;
    Value x = tb.transpose(op.getInput(), perm);
    Value init = tb.empty(TensorBuilder::shapeOf(x), rewriter.getF32Type());
    Value y = x86::SoftmaxOp::create(rewriter, op.getLoc(),
                                     TypeRange{x.getType()}, x, init)
                  .getResult()[0];
    rewriter.replaceOp(op, tb.transpose(y, inverse));
    return success();
  }
};

struct LayerNormToKernel : OpRewritePattern<cmb::LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(cmb::LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    if (!mapsLayerNorm(op))
      return rewriter.notifyMatchFailure(op, "no kernel: not static f32, or "
                                             "a broadcast scale or bias");
    TensorBuilder tb(rewriter, op.getLoc());
    RankedTensorType type = op.getInput().getType();
    Value init = tb.empty(type.getShape(), type.getElementType());
    rewriter.replaceOpWithNewOp<x86::LayerNormOp>(
        op, TypeRange{type}, op.getInput(), op.getScale(), op.getBias(), init,
        op.getAxisAttr(), op.getEpsilonAttr());
    return success();
  }
};

struct PoolToKernel : OpRewritePattern<cmb::PoolOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(cmb::PoolOp op,
                                PatternRewriter &rewriter) const override {
    if (!mapsPool(op))
      return rewriter.notifyMatchFailure(op, "no kernel: not a 2-D f32 max "
                                             "pooling");
    TensorBuilder tb(rewriter, op.getLoc());
    RankedTensorType type = op.getOutput().getType();
    Value init = tb.empty(type.getShape(), type.getElementType());
    // Only the leading pads: the trailing ones are implicit in the kernel.
    ArrayRef<int64_t> pad = op.getPadding();
    rewriter.replaceOpWithNewOp<x86::MaxPool2dOp>(
        op, TypeRange{type}, op.getInput(), init, op.getKernelAttr(),
        op.getStridesAttr(), op.getDilationsAttr(),
        rewriter.getDenseI64ArrayAttr({pad[0], pad[1]}));
    return success();
  }
};

struct MapToKernelsPass
    : cambrian::x86::impl::MapToKernelsPassBase<MapToKernelsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    cambrian::x86::populateMapToKernelsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

bool cambrian::x86::mapsToKernel(Operation *op) {
  if (mapsToInt8Kernel(op))
    return true;
  if (auto softmax = dyn_cast<cmb::SoftmaxOp>(op))
    return mapsSoftmax(softmax);
  if (auto norm = dyn_cast<cmb::LayerNormOp>(op))
    return mapsLayerNorm(norm);
  if (auto pool = dyn_cast<cmb::PoolOp>(op))
    return mapsPool(pool);
  if (auto matmul = dyn_cast<cmb::MatmulOp>(op))
    return mapsMatmul(matmul);
  if (auto conv = dyn_cast<cmb::ConvOp>(op))
    return mapsConv(conv);
  return false;
}

void cambrian::x86::populateMapToKernelsPatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxToKernel, LayerNormToKernel, PoolToKernel,
               MatmulToKernel, ConvToKernel>(patterns.getContext());
  populateMapQuantizedPatterns(patterns);
}
