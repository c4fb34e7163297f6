//===- LowerNormalizations.cpp - Softmax, LayerNorm to kernel calls -------===//
//
// x86kernel.softmax and x86kernel.layer_norm on memrefs (made from the
// cambrian ops by cambrian-x86-map-to-kernels, then bufferized) become
// calls of the kernels that do a row at a time (runtime/Softmax.c,
// LayerNorm.c).
//
//===----------------------------------------------------------------------===//

#include "targets/x86/KernelCall.h"
#include "targets/x86/X86KernelOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;
using namespace cambrian::x86;

namespace {

constexpr StringLiteral kSoftmax = "cmb_x86_softmax";
constexpr StringLiteral kLayerNorm = "cmb_x86_layernorm";

/// `rows x cols` of the static `shape` split before `axis`.
std::pair<int64_t, int64_t> rowsAndCols(ArrayRef<int64_t> shape,
                                        int64_t axis) {
  int64_t rows = 1, cols = 1;
  for (int64_t d = 0; d < (int64_t)shape.size(); ++d)
    (d < axis ? rows : cols) *= shape[d];
  return {rows, cols};
}

struct SoftmaxToCall : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized yet");
    Location loc = op.getLoc();
    DenseOperands dense(rewriter, loc, op.getOutput());
    Value x = dense.input(op.getInput()), y = dense.output();
    ArrayRef<int64_t> shape = shapeOf(x);
    auto [rows, cols] = rowsAndCols(shape, shape.size() - 1);
    SmallVector<Value> args = {
        elementPointer(rewriter, loc, x), elementPointer(rewriter, loc, y),
        i64Const(rewriter, loc, rows), i64Const(rewriter, loc, cols)};
    declareKernel(op, kSoftmax, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kSoftmax, TypeRange{}, args);
    dense.finish();
    rewriter.eraseOp(op);
    return success();
  }
};

struct LayerNormToCall : OpRewritePattern<LayerNormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LayerNormOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized yet");
    Location loc = op.getLoc();
    DenseOperands dense(rewriter, loc, op.getOutput());
    Value x = dense.input(op.getInput()), gamma = dense.input(op.getScale());
    Value beta = op.getBias() ? dense.input(op.getBias()) : Value();
    Value y = dense.output();
    auto [rows, cols] = rowsAndCols(shapeOf(x), op.getAxis());
    auto ptrType = LLVM::LLVMPointerType::get(rewriter.getContext());
    float epsilon = op.getEpsilon().convertToFloat();
    SmallVector<Value> args = {
        elementPointer(rewriter, loc, x),
        elementPointer(rewriter, loc, gamma),
        beta ? elementPointer(rewriter, loc, beta)
             : LLVM::ZeroOp::create(rewriter, loc, ptrType).getResult(),
        elementPointer(rewriter, loc, y),
        i64Const(rewriter, loc, rows),
        i64Const(rewriter, loc, cols),
        i64Const(rewriter, loc, llvm::bit_cast<uint32_t>(epsilon))};
    declareKernel(op, kLayerNorm, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kLayerNorm, TypeRange{}, args);
    dense.finish();
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void cambrian::x86::populateLowerNormalizationPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SoftmaxToCall, LayerNormToCall>(patterns.getContext());
}
