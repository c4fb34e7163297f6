//===- LowerTranspose.cpp - Transposes to a kernel call -------------------===//
//
// linalg.transpose of dense buffers becomes one threaded cmb_x86_transpose
// call with the shape and permutation in a parameter block.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/KernelCall.h"
#include "targets/x86/runtime/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace cambrian::x86;

namespace {

constexpr StringLiteral kTranspose = "cmb_x86_transpose";

/// linalg.transpose of dense f32 buffers: one threaded kernel call.
struct TransposeToKernel : OpRewritePattern<linalg::TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return failure();
    Value x = op.getInput(), y = op.getInit();
    if (!isDenseRowMajor(x) || !isDenseRowMajor(y))
      return rewriter.notifyMatchFailure(op, "needs dense f32 operands");
    // The kernel moves values from one buffer to another.
    if (rootBuffer(x) == rootBuffer(y))
      return rewriter.notifyMatchFailure(op, "input and output overlap");
    ArrayRef<int64_t> shape = shapeOf(x);
    if (shape.empty() || shape.size() > CMB_TRANSPOSE_MAX_RANK)
      return failure();
    SmallVector<int64_t> params = {(int64_t)shape.size()};
    llvm::append_range(params, shape);
    llvm::append_range(params, op.getPermutation());
    Location loc = op.getLoc();
    SmallVector<Value> args = {
        elementPointer(rewriter, loc, x), elementPointer(rewriter, loc, y),
        parameterBlock(op, "__cmb_transpose_params", params, rewriter)};
    declareKernel(op, kTranspose, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kTranspose, TypeRange{}, args);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void cambrian::x86::populateLowerTransposePatterns(RewritePatternSet &patterns) {
  patterns.add<TransposeToKernel>(patterns.getContext());
}
