//===- LowerPlanes.cpp - Per-plane sums and scaling to kernel calls -------===//
//
// Two elementwise shapes that squeeze-and-excitation blocks and global
// average pooling leave as linalg.generics, each becoming one threaded call:
//  - the sum of each plane: leading parallel loops (the planes, e.g. N and
//    C), trailing reduction loops (H and W), yielding out + in:
//    cmb_x86_plane_sums;
//  - the product of each plane with a value broadcast over it (the
//    excitation's factor per channel): cmb_x86_plane_scale.
// A generated loop nest would run either on one thread.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/KernelCall.h"
#include "targets/x86/runtime/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

using namespace mlir;
using namespace cambrian::x86;

namespace {

constexpr StringLiteral kPlaneSums = "cmb_x86_plane_sums";
constexpr StringLiteral kPlaneScale = "cmb_x86_plane_scale";

/// Whether `map` reads loops 0..k-1 in order, then (when `zeros`) only
/// constant zeros: an operand indexed by the plane alone.
bool readsPlanePrefix(AffineMap map, unsigned k, bool zeros) {
  if (map.getNumResults() < k || (!zeros && map.getNumResults() != k))
    return false;
  for (unsigned i = 0; i < map.getNumResults(); ++i) {
    AffineExpr e = map.getResult(i);
    if (i < k ? e != getAffineDimExpr(i, map.getContext())
              : e != getAffineConstantExpr(0, map.getContext()))
      return false;
  }
  return true;
}

/// The generic's body is `yield op(a, b)` of its first two block arguments,
/// in either order.
template <typename OpTy> bool yieldsOfArgs(linalg::GenericOp g) {
  Block *body = g.getBody();
  if (body->getOperations().size() != 2)
    return false;
  auto op = dyn_cast<OpTy>(&body->front());
  auto yield = dyn_cast<linalg::YieldOp>(body->getTerminator());
  if (!op || !yield || yield.getNumOperands() != 1 ||
      yield.getOperand(0) != op.getResult())
    return false;
  Value a = body->getArgument(0), b = body->getArgument(1);
  return (op.getLhs() == a && op.getRhs() == b) ||
         (op.getLhs() == b && op.getRhs() == a);
}

/// Product of ranges[begin, end).
int64_t product(ArrayRef<int64_t> ranges, unsigned begin, unsigned end) {
  int64_t n = 1;
  for (unsigned i = begin; i < end; ++i)
    n *= ranges[i];
  return n;
}

/// out[planes] += sum over the trailing reduction loops of in.
struct PlaneSumsToKernel : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!g.hasPureBufferSemantics() || g.getNumDpsInputs() != 1 ||
        g.getNumDpsInits() != 1)
      return failure();
    const unsigned k = g.getNumParallelLoops(), n = g.getNumLoops();
    if (k == 0 || k == n)
      return failure();
    auto iters = g.getIteratorTypesArray();
    for (unsigned d = 0; d < n; ++d)
      if ((d < k) != (iters[d] == utils::IteratorType::parallel))
        return rewriter.notifyMatchFailure(g, "reductions not trailing");
    OpOperand *in = g.getDpsInputOperand(0), *out = g.getDpsInitOperand(0);
    Value x = in->get(), y = out->get();
    if (!g.getMatchingIndexingMap(in).isIdentity() ||
        !readsPlanePrefix(g.getMatchingIndexingMap(out), k, /*zeros=*/false) ||
        !isDenseRowMajor(x) || !isDenseRowMajor(y) ||
        rootBuffer(x) == rootBuffer(y) || !yieldsOfArgs<arith::AddFOp>(g))
      return failure();
    SmallVector<int64_t> ranges = g.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic))
      return failure();
    Location loc = g.getLoc();
    SmallVector<Value> args = {elementPointer(rewriter, loc, x),
                               elementPointer(rewriter, loc, y),
                               i64Const(rewriter, loc, product(ranges, 0, k)),
                               i64Const(rewriter, loc, product(ranges, k, n))};
    declareKernel(g, kPlaneSums, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kPlaneSums, TypeRange{}, args);
    rewriter.eraseOp(g);
    return success();
  }
};

/// out = in * factor, the factor indexed by the leading loops only.
struct PlaneScaleToKernel : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp g,
                                PatternRewriter &rewriter) const override {
    if (!g.hasPureBufferSemantics() || g.getNumDpsInputs() != 2 ||
        g.getNumDpsInits() != 1 ||
        g.getNumParallelLoops() != g.getNumLoops())
      return failure();
    const unsigned n = g.getNumLoops();
    OpOperand *out = g.getDpsInitOperand(0);
    if (!g.getMatchingIndexingMap(out).isIdentity() ||
        g.payloadUsesValueFromOperand(out) || !yieldsOfArgs<arith::MulFOp>(g))
      return failure();
    // One input over the whole iteration space, the other over a prefix.
    Value x, s;
    unsigned k = 0;
    for (unsigned i = 0; i < 2; ++i) {
      OpOperand *full = g.getDpsInputOperand(i);
      OpOperand *factor = g.getDpsInputOperand(1 - i);
      AffineMap map = g.getMatchingIndexingMap(factor);
      unsigned prefix = 0;
      while (prefix < map.getNumResults() &&
             map.getResult(prefix) ==
                 getAffineDimExpr(prefix, map.getContext()))
        ++prefix;
      if (g.getMatchingIndexingMap(full).isIdentity() && prefix > 0 &&
          prefix < n && readsPlanePrefix(map, prefix, /*zeros=*/true)) {
        x = full->get();
        s = factor->get();
        k = prefix;
        break;
      }
    }
    Value y = out->get();
    if (!x || !isDenseRowMajor(x) || !isDenseRowMajor(s) ||
        !isDenseRowMajor(y))
      return failure();
    // The kernel reads one factor per plane, contiguously: the dimensions
    // of s read at index 0 must be unit ones.
    if (llvm::any_of(shapeOf(s).drop_front(k),
                     [](int64_t d) { return d != 1; }))
      return rewriter.notifyMatchFailure(g, "factors not contiguous");
    // In place is fine; a partial overlap is not.
    if (rootBuffer(y) == rootBuffer(s) ||
        (rootBuffer(y) == rootBuffer(x) && y != x))
      return rewriter.notifyMatchFailure(g, "output overlaps an input");
    SmallVector<int64_t> ranges = g.getStaticLoopRanges();
    if (llvm::any_of(ranges, ShapedType::isDynamic))
      return failure();
    Location loc = g.getLoc();
    SmallVector<Value> args = {elementPointer(rewriter, loc, x),
                               elementPointer(rewriter, loc, s),
                               elementPointer(rewriter, loc, y),
                               i64Const(rewriter, loc, product(ranges, 0, k)),
                               i64Const(rewriter, loc, product(ranges, k, n))};
    declareKernel(g, kPlaneScale, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kPlaneScale, TypeRange{}, args);
    rewriter.eraseOp(g);
    return success();
  }
};

} // namespace

void cambrian::x86::populateLowerPlanePatterns(RewritePatternSet &patterns) {
  patterns.add<PlaneSumsToKernel, PlaneScaleToKernel>(patterns.getContext());
}
