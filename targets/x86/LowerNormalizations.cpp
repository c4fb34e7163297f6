//===- LowerNormalizations.cpp - Softmax, LayerNorm to kernel calls -------===//
//
// Softmax and LayerNormalization over the last axis reach the buffers as
// chains of reductions and elementwise loop nests; each chain becomes one
// kernel call that does a row at a time (runtime/Softmax.c, LayerNorm.c).
//
//===----------------------------------------------------------------------===//

#include "targets/x86/ConvFusion.h"
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

constexpr StringLiteral kSoftmax = "cmb_x86_softmax";
constexpr StringLiteral kLayerNorm = "cmb_x86_layernorm";

/// The buffer behind `v`: through expand_shape views (a reduction's result
/// read with its dimension kept).
Value throughExpand(Value v) {
  while (auto e = v.getDefiningOp<memref::ExpandShapeOp>())
    v = e.getSrc();
  return v;
}

/// Whether the kernel may read `x` and write `y` row by row: the same
/// buffer, or buffers with different roots (a partial overlap would be
/// overwritten before it is read).
bool rowsDoNotOverlap(Value x, Value y) {
  return x == y || rootBuffer(x) != rootBuffer(y);
}

/// Whether every user of `buffer` is one of `allowed` (the chain's
/// temporaries serve the chain only).
bool onlyUsers(Value buffer, ArrayRef<Operation *> allowed) {
  return llvm::all_of(buffer.getUsers(), [&](Operation *u) {
    return llvm::is_contained(allowed, u);
  });
}

/// Whether `g`'s body is `yield op(a, b)` of its block arguments `a` and `b`
/// (either order when `commutative`).
template <typename OpTy>
bool isBinaryBody(linalg::GenericOp g, unsigned a, unsigned b,
                  bool commutative) {
  Block &body = g.getRegion().front();
  if (body.getOperations().size() != 2)
    return false;
  auto op = body.getTerminator()->getOperand(0).getDefiningOp<OpTy>();
  if (!op)
    return false;
  Value x = body.getArgument(a), y = body.getArgument(b);
  return (op->getOperand(0) == x && op->getOperand(1) == y) ||
         (commutative && op->getOperand(0) == y && op->getOperand(1) == x);
}

/// A reduction over the last loop of `in` (identity) into `out` (the other
/// loops), combining with OpTy: the max and sum of a softmax.
template <typename OpTy>
bool isLastDimReduction(linalg::GenericOp g, Value in, Value out) {
  const unsigned n = g.getNumLoops();
  if (!g.hasPureBufferSemantics() || g.getNumDpsInputs() != 1 ||
      g.getNumDpsInits() != 1 || g.getDpsInputs()[0] != in ||
      g.getDpsInits()[0] != out || g.getNumReductionLoops() != 1 ||
      g.getIteratorTypesArray().back() != utils::IteratorType::reduction)
    return false;
  auto maps = g.getIndexingMapsArray();
  return maps[0].isIdentity() &&
         maps[1] == AffineMap::getMultiDimIdentityMap(n, g.getContext())
                        .dropResult(n - 1) &&
         isBinaryBody<OpTy>(g, 0, 1, /*commutative=*/true);
}

/// A generic over the shape of `in` reading `in` (identity) and a per-row
/// value (every loop but the last).
bool isRowBroadcast(linalg::GenericOp g, unsigned operand) {
  AffineMap map = g.getIndexingMapsArray()[operand];
  const unsigned n = g.getNumLoops();
  if (map.getNumResults() == n - 1)
    return map == AffineMap::getMultiDimIdentityMap(n, g.getContext())
                      .dropResult(n - 1);
  if (map.getNumResults() != n)
    return false;
  for (unsigned i = 0; i + 1 < n; ++i)
    if (map.getResult(i) != getAffineDimExpr(i, g.getContext()))
      return false;
  auto c = dyn_cast<AffineConstantExpr>(map.getResult(n - 1));
  return c && c.getValue() == 0;
}

/// The linalg.fill of `buffer` with a float constant `accept`s, among its
/// users.
linalg::FillOp findFill(Value buffer,
                        llvm::function_ref<bool(const APFloat &)> accept) {
  for (Operation *user : buffer.getUsers())
    if (auto fill = dyn_cast<linalg::FillOp>(user);
        fill && isConstantInit(fill, buffer, accept))
      return fill;
  return {};
}

/// Softmax over the last dimension as the importer writes it, after
/// bufferization: m = max(x), e = exp(x - m), s = sum(e), y = e / s, with m,
/// e and s buffers of their own. Anchored at the division; the whole chain
/// becomes one cmb_x86_softmax call.
struct SoftmaxToKernel : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp div,
                                PatternRewriter &rewriter) const override {
    if (!div.hasPureBufferSemantics() || div.getNumDpsInputs() != 2 ||
        div.getNumDpsInits() != 1 ||
        div.getNumLoops() != div.getNumParallelLoops() ||
        div.getNumLoops() < 1 ||
        !div.getIndexingMapsArray()[0].isIdentity() ||
        !div.getIndexingMapsArray()[2].isIdentity() || !isRowBroadcast(div, 1) ||
        !isBinaryBody<arith::DivFOp>(div, 0, 1, /*commutative=*/false))
      return failure();
    Value e = div.getDpsInputs()[0], sView = div.getDpsInputs()[1];
    Value y = div.getDpsInits()[0];
    Value sum = throughExpand(sView);
    if (!e.getDefiningOp<memref::AllocOp>() ||
        !sum.getDefiningOp<memref::AllocOp>() || !isDenseRowMajor(y))
      return failure();

    // e is written by exp(x - m) and read by the sum and the division only.
    linalg::GenericOp expOp, sumOp;
    for (Operation *user : e.getUsers()) {
      auto g = dyn_cast<linalg::GenericOp>(user);
      if (!g)
        return failure();
      if (g == div)
        continue;
      if (isLastDimReduction<arith::AddFOp>(g, e, sum) && !sumOp)
        sumOp = g;
      else if (g.getNumDpsInits() == 1 && g.getDpsInits()[0] == e && !expOp)
        expOp = g;
      else
        return failure();
    }
    if (!expOp || !sumOp || !expOp.hasPureBufferSemantics() ||
        expOp.getNumDpsInputs() != 2 ||
        expOp.getNumLoops() != expOp.getNumParallelLoops() ||
        !expOp.getIndexingMapsArray()[0].isIdentity() ||
        !expOp.getIndexingMapsArray()[2].isIdentity() ||
        !isRowBroadcast(expOp, 1))
      return failure();
    {
      Block &body = expOp.getRegion().front();
      auto exp = body.getTerminator()->getOperand(0).getDefiningOp<math::ExpOp>();
      auto sub = exp ? exp.getOperand().getDefiningOp<arith::SubFOp>() : nullptr;
      if (!sub || body.getOperations().size() != 3 ||
          sub.getLhs() != body.getArgument(0) ||
          sub.getRhs() != body.getArgument(1))
        return failure();
    }
    Value x = expOp.getDpsInputs()[0], mView = expOp.getDpsInputs()[1];
    Value max = throughExpand(mView);
    if (!max.getDefiningOp<memref::AllocOp>() || !isDenseRowMajor(x) ||
        cast<MemRefType>(x.getType()).getShape() !=
            cast<MemRefType>(y.getType()).getShape())
      return failure();

    // m is filled with -inf and reduced by max over x; s filled with 0.
    linalg::GenericOp maxOp;
    for (Operation *user : max.getUsers())
      if (auto g = dyn_cast<linalg::GenericOp>(user);
          g && isLastDimReduction<arith::MaximumFOp>(g, x, max))
        maxOp = g;
    linalg::FillOp maxFill = findFill(max, [](const APFloat &v) {
      return v.isInfinity() && v.isNegative();
    });
    linalg::FillOp sumFill =
        findFill(sum, [](const APFloat &v) { return v.isZero(); });
    if (!maxOp || !maxFill || !sumFill)
      return failure();
    // Nothing else touches the temporaries, and the chain is in order.
    Operation *sExpand = sView.getDefiningOp<memref::ExpandShapeOp>();
    Operation *mExpand = mView.getDefiningOp<memref::ExpandShapeOp>();
    if (!onlyUsers(sum, {sumFill, sumOp, sExpand ? sExpand : div}) ||
        !onlyUsers(max, {maxFill, maxOp, mExpand ? mExpand : expOp.getOperation()}) ||
        (sExpand && !sView.hasOneUse()) || (mExpand && !mView.hasOneUse()))
      return failure();
    Block *block = div->getBlock();
    SmallVector<Operation *> chain = {maxFill, maxOp, expOp, sumFill, sumOp,
                                      div};
    for (size_t i = 0; i + 1 < chain.size(); ++i)
      if (chain[i]->getBlock() != block ||
          !chain[i]->isBeforeInBlock(chain[i + 1]))
        return failure();
    // x must not change, nor y be written, while the chain runs.
    if (cambrian::x86::mayBeWrittenBetween(maxOp, div, x) ||
        cambrian::x86::mayBeWrittenBetween(maxOp, div, y) ||
        !rowsDoNotOverlap(x, y))
      return failure();

    ArrayRef<int64_t> shape = shapeOf(x);
    int64_t rows = 1;
    for (int64_t d : shape.drop_back())
      rows *= d;
    Location loc = div.getLoc();
    SmallVector<Value> args = {elementPointer(rewriter, loc, x),
                               elementPointer(rewriter, loc, y),
                               i64Const(rewriter, loc, rows),
                               i64Const(rewriter, loc, shape.back())};
    declareKernel(div, kSoftmax, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kSoftmax, TypeRange{}, args);
    // Users first, then what they used.
    for (Operation *op : {(Operation *)div, sExpand, (Operation *)sumOp,
                          (Operation *)sumFill, (Operation *)expOp, mExpand,
                          (Operation *)maxOp, (Operation *)maxFill})
      if (op)
        rewriter.eraseOp(op);
    for (Value buffer : {sum, max, e})
      rewriter.eraseOp(buffer.getDefiningOp());
    return success();
  }
};

/// Whether `operand` of `g` is indexed by the last loop alone: a per-column
/// vector of `size` dense floats (LayerNorm's scale and shift).
bool isPerLastDim(linalg::GenericOp g, OpOperand *operand, int64_t size) {
  AffineMap map = g.getMatchingIndexingMap(operand);
  auto type = dyn_cast<MemRefType>(operand->get().getType());
  if (!type || type.getNumElements() != size ||
      !isDenseRowMajor(operand->get()) || map.getNumResults() < 1)
    return false;
  for (unsigned i = 0; i + 1 < map.getNumResults(); ++i) {
    auto c = dyn_cast<AffineConstantExpr>(map.getResult(i));
    if (!c || c.getValue() != 0)
      return false;
  }
  auto d = dyn_cast<AffineDimExpr>(map.getResults().back());
  return d && d.getPosition() == g.getNumLoops() - 1;
}

/// The float constant `v` is, if any.
std::optional<double> floatConstant(Value v) {
  APFloat f(0.0f);
  if (!matchPattern(v, m_ConstantFloat(&f)))
    return std::nullopt;
  return f.convertToDouble();
}

/// The generic among `buffer`'s users that writes it.
linalg::GenericOp writerOf(Value buffer) {
  for (Operation *user : buffer.getUsers())
    if (auto g = dyn_cast<linalg::GenericOp>(user);
        g && g.getNumDpsInits() == 1 && g.getDpsInits()[0] == buffer)
      return g;
  return {};
}

/// LayerNormalization over the last dimension as the importer writes it,
/// after bufferization: s1 = sum(x), mean = s1 * (1/N), d = x - mean,
/// s2 = sum(d * d), r = rsqrt(s2 * (1/N) + eps), y = d * r * gamma (+ beta),
/// with buffers of their own. Anchored at the last op; the chain becomes one
/// cmb_x86_layernorm call.
struct LayerNormToKernel : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp fin,
                                PatternRewriter &rewriter) const override {
    const unsigned n = fin.getNumLoops();
    if (!fin.hasPureBufferSemantics() || fin.getNumDpsInits() != 1 || n < 1 ||
        fin.getNumParallelLoops() != n ||
        !fin.getMatchingIndexingMap(fin.getDpsInitOperand(0)).isIdentity() ||
        (fin.getNumDpsInputs() != 3 && fin.getNumDpsInputs() != 4))
      return failure();
    Value y = fin.getDpsInits()[0];
    if (!isDenseRowMajor(y))
      return failure();
    const int64_t cols = shapeOf(y).back();
    Block &body = fin.getRegion().front();
    // Operands: d (identity), r (per row), gamma and beta (per column).
    Value d, r, gamma, beta;
    BlockArgument dArg, rArg, gArg, bArg;
    for (OpOperand *in : fin.getDpsInputOperands()) {
      BlockArgument arg = fin.getMatchingBlockArgument(in);
      if (fin.getMatchingIndexingMap(in).isIdentity() && !d) {
        d = in->get();
        dArg = arg;
      } else if (isRowBroadcast(fin, in->getOperandNumber()) && !r) {
        r = in->get();
        rArg = arg;
      } else if (isPerLastDim(fin, in, cols) && !gamma) {
        gamma = in->get();
        gArg = arg;
      } else if (isPerLastDim(fin, in, cols) && !beta) {
        beta = in->get();
        bArg = arg;
      } else {
        return failure();
      }
    }
    if (!d || !r || !gamma)
      return failure();
    // Body: (d * r * gamma) + beta, the product in any association.
    Value v = body.getTerminator()->getOperand(0);
    if (beta) {
      auto add = v.getDefiningOp<arith::AddFOp>();
      if (!add)
        return failure();
      // gamma and beta came in operand order; the add says which is which.
      if (add.getRhs() == gArg || add.getLhs() == gArg) {
        std::swap(gamma, beta);
        std::swap(gArg, bArg);
      }
      if (add.getRhs() == bArg)
        v = add.getLhs();
      else if (add.getLhs() == bArg)
        v = add.getRhs();
      else
        return failure();
    }
    SmallVector<Value> leaves, work = {v};
    while (!work.empty()) {
      Value t = work.pop_back_val();
      if (auto mul = t.getDefiningOp<arith::MulFOp>();
          mul && mul->getBlock() == &body) {
        work.append({mul.getLhs(), mul.getRhs()});
        continue;
      }
      leaves.push_back(t);
    }
    llvm::sort(leaves, [](Value a, Value b) {
      return a.getAsOpaquePointer() < b.getAsOpaquePointer();
    });
    SmallVector<Value> want = {dArg, rArg, gArg};
    llvm::sort(want, [](Value a, Value b) {
      return a.getAsOpaquePointer() < b.getAsOpaquePointer();
    });
    if (leaves != want || body.getOperations().size() != (beta ? 4u : 3u))
      return failure();

    // r = rsqrt(s2v * c + eps), s2 = sum(d * d).
    linalg::GenericOp rOp = writerOf(r);
    if (!rOp || !r.getDefiningOp<memref::AllocOp>() ||
        rOp.getNumDpsInputs() != 1 || !rOp.hasPureBufferSemantics() ||
        !rOp.getIndexingMapsArray()[0].isIdentity())
      return failure();
    Block &rBody = rOp.getRegion().front();
    auto rsqrt =
        rBody.getTerminator()->getOperand(0).getDefiningOp<math::RsqrtOp>();
    auto addEps = rsqrt ? rsqrt.getOperand().getDefiningOp<arith::AddFOp>()
                        : nullptr;
    auto scale2 = addEps ? addEps.getLhs().getDefiningOp<arith::MulFOp>()
                         : nullptr;
    std::optional<double> eps = addEps ? floatConstant(addEps.getRhs())
                                       : std::nullopt;
    std::optional<double> c2 = scale2 ? floatConstant(scale2.getRhs())
                                      : std::nullopt;
    if (!eps || !c2 || scale2.getLhs() != rBody.getArgument(0) ||
        rBody.getOperations().size() != 4)
      return failure();
    Value s2View = rOp.getDpsInputs()[0], s2 = throughExpand(s2View);
    linalg::GenericOp sqOp = writerOf(s2);
    if (!sqOp || !s2.getDefiningOp<memref::AllocOp>() ||
        sqOp.getNumDpsInputs() != 1 || sqOp.getDpsInputs()[0] != d ||
        sqOp.getNumReductionLoops() != 1 ||
        sqOp.getIteratorTypesArray().back() != utils::IteratorType::reduction ||
        !sqOp.getIndexingMapsArray()[0].isIdentity())
      return failure();
    {
      Block &b = sqOp.getRegion().front();
      auto add = b.getTerminator()->getOperand(0).getDefiningOp<arith::AddFOp>();
      auto sq = add ? add.getRhs().getDefiningOp<arith::MulFOp>() : nullptr;
      if (!sq || add.getLhs() != b.getArgument(1) ||
          sq.getLhs() != b.getArgument(0) || sq.getRhs() != b.getArgument(0))
        return failure();
    }
    // d = x - mean, mean = s1v * c, s1 = sum(x).
    linalg::GenericOp dOp = writerOf(d);
    if (!dOp || !d.getDefiningOp<memref::AllocOp>() ||
        dOp.getNumDpsInputs() != 2 || !dOp.hasPureBufferSemantics() ||
        !dOp.getIndexingMapsArray()[0].isIdentity() || !isRowBroadcast(dOp, 1) ||
        !isBinaryBody<arith::SubFOp>(dOp, 0, 1, /*commutative=*/false))
      return failure();
    Value x = dOp.getDpsInputs()[0], mean = dOp.getDpsInputs()[1];
    linalg::GenericOp meanOp = writerOf(mean);
    if (!meanOp || !mean.getDefiningOp<memref::AllocOp>() ||
        meanOp.getNumDpsInputs() != 1 ||
        !meanOp.getIndexingMapsArray()[0].isIdentity())
      return failure();
    Block &mBody = meanOp.getRegion().front();
    auto scale1 =
        mBody.getTerminator()->getOperand(0).getDefiningOp<arith::MulFOp>();
    std::optional<double> c1 =
        scale1 ? floatConstant(scale1.getRhs()) : std::nullopt;
    if (!c1 || scale1.getLhs() != mBody.getArgument(0) ||
        mBody.getOperations().size() != 2)
      return failure();
    Value s1View = meanOp.getDpsInputs()[0], s1 = throughExpand(s1View);
    linalg::GenericOp sumOp = writerOf(s1);
    if (!sumOp || !s1.getDefiningOp<memref::AllocOp>() ||
        !isLastDimReduction<arith::AddFOp>(sumOp, x, s1) || !isDenseRowMajor(x) ||
        shapeOf(x) != shapeOf(y))
      return failure();
    // Both scales are 1/N (the kernel divides by the row length).
    auto isInvN = [&](double c) {
      return std::abs(c * (double)cols - 1.0) < 1e-6;
    };
    linalg::FillOp fill1 = findFill(s1, [](const APFloat &f) { return f.isZero(); });
    linalg::FillOp fill2 = findFill(s2, [](const APFloat &f) { return f.isZero(); });
    if (!isInvN(*c1) || !isInvN(*c2) || !fill1 || !fill2)
      return failure();

    // The temporaries serve the chain only, and the chain is in order.
    Operation *s1Expand = s1View.getDefiningOp<memref::ExpandShapeOp>();
    Operation *s2Expand = s2View.getDefiningOp<memref::ExpandShapeOp>();
    if (!onlyUsers(s1, {fill1, sumOp, s1Expand ? s1Expand : meanOp.getOperation()}) ||
        !onlyUsers(s2, {fill2, sqOp, s2Expand ? s2Expand : rOp.getOperation()}) ||
        !onlyUsers(mean, {meanOp, dOp}) || !onlyUsers(r, {rOp, fin}) ||
        !onlyUsers(d, {dOp, sqOp, fin}) || (s1Expand && !s1View.hasOneUse()) ||
        (s2Expand && !s2View.hasOneUse()))
      return failure();
    Block *block = fin->getBlock();
    SmallVector<Operation *> chain = {fill1, sumOp, meanOp, dOp,
                                      fill2, sqOp,  rOp,    fin};
    for (Operation *op : chain)
      if (op->getBlock() != block)
        return failure();
    if (!fill1->isBeforeInBlock(sumOp) || !sumOp->isBeforeInBlock(meanOp) ||
        !meanOp->isBeforeInBlock(dOp) || !fill2->isBeforeInBlock(sqOp) ||
        !dOp->isBeforeInBlock(sqOp) || !sqOp->isBeforeInBlock(rOp) ||
        !rOp->isBeforeInBlock(fin) ||
        !rowsDoNotOverlap(x, y) ||
        cambrian::x86::mayBeWrittenBetween(sumOp, fin, x) ||
        cambrian::x86::mayBeWrittenBetween(sumOp, fin, y) ||
        cambrian::x86::mayBeWrittenBetween(sumOp, fin, gamma) ||
        (beta && cambrian::x86::mayBeWrittenBetween(sumOp, fin, beta)))
      return failure();

    int64_t rows = 1;
    for (int64_t e : shapeOf(x).drop_back())
      rows *= e;
    Location loc = fin.getLoc();
    auto ptrType = LLVM::LLVMPointerType::get(rewriter.getContext());
    SmallVector<Value> args = {
        elementPointer(rewriter, loc, x), elementPointer(rewriter, loc, gamma),
        beta ? elementPointer(rewriter, loc, beta)
             : LLVM::ZeroOp::create(rewriter, loc, ptrType).getResult(),
        elementPointer(rewriter, loc, y), i64Const(rewriter, loc, rows),
        i64Const(rewriter, loc, cols),
        i64Const(rewriter, loc,
                 llvm::bit_cast<uint32_t>((float)*eps))};
    declareKernel(fin, kLayerNorm, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kLayerNorm, TypeRange{}, args);
    for (Operation *op :
         {(Operation *)fin, (Operation *)rOp, s2Expand, (Operation *)sqOp,
          (Operation *)fill2, (Operation *)dOp, (Operation *)meanOp, s1Expand,
          (Operation *)sumOp, (Operation *)fill1})
      if (op)
        rewriter.eraseOp(op);
    for (Value buffer : {r, s2, d, mean, s1})
      rewriter.eraseOp(buffer.getDefiningOp());
    return success();
  }
};

} // namespace

void cambrian::x86::populateLowerNormalizationPatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxToKernel, LayerNormToKernel>(patterns.getContext());
}
