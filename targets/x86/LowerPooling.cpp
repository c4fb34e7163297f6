//===- LowerPooling.cpp - Max pooling to a kernel call --------------------===//
//
// x86kernel.max_pool2d on memrefs becomes one cmb_x86_maxpool2d call with
// its parameters in a constant block; the kernel pads with -inf itself.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/KernelCall.h"
#include "targets/x86/MaxPool.h"
#include "targets/x86/runtime/Kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

using namespace mlir;
using namespace cambrian::x86;

SmallVector<int64_t> cambrian::x86::maxPoolParams(MaxPool2dOp op) {
  auto xs = cast<ShapedType>(op.getInput().getType()).getShape();
  auto ys = cast<ShapedType>(op.getOutput().getType()).getShape();
  SmallVector<int64_t> p(CMB_POOL_NUM_PARAMS, 0);
  p[CMB_POOL_PLANES] = ys[0] * ys[1];
  p[CMB_POOL_H] = xs[2];
  p[CMB_POOL_W] = xs[3];
  p[CMB_POOL_OH] = ys[2];
  p[CMB_POOL_OW] = ys[3];
  p[CMB_POOL_KH] = op.getKernel()[0];
  p[CMB_POOL_KW] = op.getKernel()[1];
  p[CMB_POOL_STRIDE_H] = op.getStrides()[0];
  p[CMB_POOL_STRIDE_W] = op.getStrides()[1];
  p[CMB_POOL_DILATION_H] = op.getDilations()[0];
  p[CMB_POOL_DILATION_W] = op.getDilations()[1];
  p[CMB_POOL_ACCUMULATE] = 0; // the op overwrites its output
  p[CMB_POOL_PAD_TOP] = op.getPadding()[0];
  p[CMB_POOL_PAD_LEFT] = op.getPadding()[1];
  return p;
}

std::optional<MaxPoolMatch> cambrian::x86::matchMaxPool(MaxPool2dOp op) {
  if (!op.hasPureBufferSemantics() || !isDenseRowMajor(op.getInput()) ||
      !isDenseRowMajor(op.getOutput()))
    return std::nullopt;
  return MaxPoolMatch{op, op.getInput(), op.getOutput(), maxPoolParams(op)};
}

namespace {

constexpr StringLiteral kMaxPool2d = "cmb_x86_maxpool2d";

struct MaxPoolToCall : OpRewritePattern<MaxPool2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxPool2dOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized yet");
    Location loc = op.getLoc();
    DenseOperands dense(rewriter, loc, op.getOutput());
    Value x = dense.input(op.getInput()), y = dense.output();
    Value block =
        parameterBlock(op, "__cmb_pool_params", maxPoolParams(op), rewriter);
    SmallVector<Value> args = {elementPointer(rewriter, loc, x),
                               elementPointer(rewriter, loc, y), block};
    declareKernel(op, kMaxPool2d, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kMaxPool2d, TypeRange{}, args);
    dense.finish();
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void cambrian::x86::populateLowerPoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPoolToCall>(patterns.getContext());
}
