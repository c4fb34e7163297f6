//===- LowerQuantized.cpp - x86kernel int8 ops to kernel calls -------------===//
//
// After bufferization: x86kernel.qconv2d and qgemm become calls of
// cmb_x86_qconv2d[_depthwise] and cmb_x86_qgemm with their parameter block
// as a constant global. The kernels address dense row-major buffers; an
// operand with another layout goes through a dense copy.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/KernelCall.h"
#include "targets/x86/MapQuantized.h"
#include "targets/x86/X86KernelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace cambrian;
using namespace cambrian::x86;

namespace {

constexpr StringLiteral kQConv2d = "cmb_x86_qconv2d";
constexpr StringLiteral kQConv2dDepthwise = "cmb_x86_qconv2d_depthwise";
constexpr StringLiteral kQGemm = "cmb_x86_qgemm";

/// Whether `v` is a memref laid out densely, row-major.
bool isDense(Value v) {
  auto type = cast<MemRefType>(v.getType());
  return type.getLayout().isIdentity() ||
         type.getLayout().getAffineMap().isIdentity();
}

/// `v`, or a dense copy of it.
Value denseInput(OpBuilder &b, Location loc, Value v) {
  if (isDense(v))
    return v;
  auto type = cast<MemRefType>(v.getType());
  Value copy = memref::AllocOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()));
  memref::CopyOp::create(b, loc, v, copy);
  return copy;
}

/// One call of `kernel(input, weights, channels, output, params)` in place
/// of `op`.
LogicalResult emitCall(Operation *op, StringRef kernel, StringRef prefix,
                       ArrayRef<int64_t> params, PatternRewriter &rewriter) {
  Location loc = op->getLoc();
  Value out = op->getOperand(3);
  Value dense = out;
  if (!isDense(out)) {
    auto type = cast<MemRefType>(out.getType());
    dense = memref::AllocOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()));
  }
  SmallVector<Value> args;
  for (unsigned i = 0; i < 3; ++i)
    args.push_back(elementPointer(
        rewriter, loc, denseInput(rewriter, loc, op->getOperand(i))));
  args.push_back(elementPointer(rewriter, loc, dense));
  args.push_back(parameterBlock(op, prefix, params, rewriter));
  declareKernel(op, kernel, ValueRange(args).getTypes());
  func::CallOp::create(rewriter, loc, kernel, TypeRange{}, args);
  if (dense != out)
    memref::CopyOp::create(rewriter, loc, dense, out);
  rewriter.eraseOp(op);
  return success();
}

struct QConv2dToCall : OpRewritePattern<QConv2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QConv2dOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized yet");
    return emitCall(op, op.getDepthwise() ? kQConv2dDepthwise : kQConv2d,
                    "__cmb_qconv_params", op.getParams(), rewriter);
  }
};

struct QGemmToCall : OpRewritePattern<QGemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QGemmOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized yet");
    return emitCall(op, kQGemm, "__cmb_qgemm_params", op.getParams(),
                    rewriter);
  }
};

} // namespace

void cambrian::x86::populateLowerQuantizedPatterns(
    RewritePatternSet &patterns) {
  patterns.add<QConv2dToCall, QGemmToCall>(patterns.getContext());
}
