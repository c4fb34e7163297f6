//===- RaisePadding.cpp - Splat-and-insert to tensor.pad ------------------===//

#include "cambrian/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian {
#define GEN_PASS_DEF_RAISEPADDINGPASS
#include "cambrian/Transforms/Passes.h.inc"
} // namespace cambrian

using namespace mlir;

namespace {

/// insert_slice %x into (fill %v into %init) -> tensor.pad %x, yielding %v.
struct InsertIntoFillToPad : OpRewritePattern<tensor::InsertSliceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(tensor::InsertSliceOp op,
                                PatternRewriter &rewriter) const override {
    auto fill = op.getDest().getDefiningOp<linalg::FillOp>();
    if (!fill || !fill.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "destination is not a fill");
    RankedTensorType srcType = op.getSourceType(), dstType = op.getType();
    if (!srcType.hasStaticShape() || !dstType.hasStaticShape() ||
        srcType.getRank() != dstType.getRank())
      return rewriter.notifyMatchFailure(op, "needs static, rank-preserving");
    if (!llvm::all_of(op.getStaticStrides(), [](int64_t s) { return s == 1; }))
      return rewriter.notifyMatchFailure(op, "needs unit strides");
    ArrayRef<int64_t> offsets = op.getStaticOffsets(),
                      sizes = op.getStaticSizes();
    if (llvm::any_of(offsets, ShapedType::isDynamic) ||
        sizes != srcType.getShape())
      return rewriter.notifyMatchFailure(op, "needs static offsets");
    SmallVector<OpFoldResult> low, high;
    for (int64_t d = 0, e = srcType.getRank(); d < e; ++d) {
      int64_t after = dstType.getDimSize(d) - offsets[d] - sizes[d];
      low.push_back(rewriter.getIndexAttr(offsets[d]));
      high.push_back(rewriter.getIndexAttr(after));
    }
    Value padValue = fill.getInputs()[0];
    auto pad = tensor::PadOp::create(rewriter, op.getLoc(), dstType,
                                     op.getSource(), low, high, padValue);
    rewriter.replaceOp(op, pad.getResult());
    return success();
  }
};

struct RaisePaddingPass
    : cambrian::impl::RaisePaddingPassBase<RaisePaddingPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    cambrian::populateRaisePaddingPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void cambrian::populateRaisePaddingPatterns(RewritePatternSet &patterns) {
  patterns.add<InsertIntoFillToPad>(patterns.getContext());
}
