//===- LowerPooling.cpp - Max pooling to a kernel call --------------------===//
//
// The importer writes MaxPool as a generic over (n, c, oh, ow, kh, kw) with a
// window operand; on buffers it becomes one cmb_x86_maxpool2d call, reading
// a -inf padded copy of its input in place.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/ConvFusion.h"
#include "targets/x86/KernelCall.h"
#include "targets/x86/MaxPool.h"
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

constexpr StringLiteral kMaxPool2d = "cmb_x86_maxpool2d";

/// The coefficients of `e`, a sum of dims times constants, per dim; failure
/// for anything else (a constant term included).
FailureOr<SmallVector<int64_t>> linearCoefficients(AffineExpr e,
                                                   unsigned numDims) {
  SmallVector<int64_t> coeffs(numDims, 0);
  std::function<bool(AffineExpr, int64_t)> add = [&](AffineExpr x,
                                                     int64_t scale) {
    if (auto d = dyn_cast<AffineDimExpr>(x)) {
      coeffs[d.getPosition()] += scale;
      return true;
    }
    auto bin = dyn_cast<AffineBinaryOpExpr>(x);
    if (!bin)
      return false;
    if (bin.getKind() == AffineExprKind::Add)
      return add(bin.getLHS(), scale) && add(bin.getRHS(), scale);
    if (bin.getKind() == AffineExprKind::Mul)
      if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
        return add(bin.getLHS(), scale * c.getValue());
    return false;
  };
  if (!add(e, 1))
    return failure();
  return coeffs;
}

} // namespace

std::optional<MaxPoolMatch> cambrian::x86::matchMaxPool(linalg::GenericOp op) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 6)
    return std::nullopt;
  auto iters = op.getIteratorTypesArray();
  for (unsigned i = 0; i < 6; ++i)
    if ((i < 4) != (iters[i] == utils::IteratorType::parallel))
      return std::nullopt;
  // The body: yield maximumf(out, in) (either order).
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto max = yield.getValues()[0].getDefiningOp<arith::MaximumFOp>();
  if (!max || max->getBlock() != &body || body.getOperations().size() != 2)
    return std::nullopt;
  Value in = body.getArgument(0), acc = body.getArgument(2);
  if (!((max.getLhs() == in && max.getRhs() == acc) ||
        (max.getLhs() == acc && max.getRhs() == in)))
    return std::nullopt;

  Value x = op.getDpsInputs()[0], window = op.getDpsInputs()[1];
  Value y = op.getDpsInits()[0];
  if (!isDenseRowMajor(x) || !isDenseRowMajor(y) ||
      cast<MemRefType>(x.getType()).getRank() != 4)
    return std::nullopt;
  auto maps = op.getIndexingMapsArray();
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  if (maps[2] != AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx) ||
      maps[1] != AffineMap::get(6, 0, {d(4), d(5)}, ctx) ||
      maps[0].getNumResults() != 4 || maps[0].getResult(0) != d(0) ||
      maps[0].getResult(1) != d(1))
    return std::nullopt;
  auto rows = linearCoefficients(maps[0].getResult(2), 6);
  auto cols = linearCoefficients(maps[0].getResult(3), 6);
  if (failed(rows) || failed(cols))
    return std::nullopt;
  for (unsigned i = 0; i < 6; ++i)
    if (((*rows)[i] != 0 && i != 2 && i != 4) ||
        ((*cols)[i] != 0 && i != 3 && i != 5))
      return std::nullopt;
  MaxPoolMatch m;
  m.op = op;
  m.y = y;
  m.params.assign(CMB_POOL_NUM_PARAMS, 0);
  // A -inf padded copy of the input (pads, ceil mode) is read in place:
  // the kernel pads implicitly.
  std::optional<PaddedInput> padded =
      matchPaddedInput(op, x, [](const APFloat &v) {
        return v.isInfinity() && v.isNegative();
      });
  if (padded) {
    x = padded->src;
    m.params[CMB_POOL_PAD_TOP] = padded->padTop;
    m.params[CMB_POOL_PAD_LEFT] = padded->padLeft;
    llvm::append_range(m.deadAfter, padded->deadAfter);
  }
  m.x = x;
  auto xs = shapeOf(x), ys = shapeOf(y),
       ws = cast<ShapedType>(window.getType()).getShape();
  m.params[CMB_POOL_PLANES] = ys[0] * ys[1];
  m.params[CMB_POOL_H] = xs[2];
  m.params[CMB_POOL_W] = xs[3];
  m.params[CMB_POOL_OH] = ys[2];
  m.params[CMB_POOL_OW] = ys[3];
  m.params[CMB_POOL_KH] = ws[0];
  m.params[CMB_POOL_KW] = ws[1];
  m.params[CMB_POOL_STRIDE_H] = (*rows)[2];
  m.params[CMB_POOL_STRIDE_W] = (*cols)[3];
  m.params[CMB_POOL_DILATION_H] = (*rows)[4];
  m.params[CMB_POOL_DILATION_W] = (*cols)[5];
  for (int i : {CMB_POOL_STRIDE_H, CMB_POOL_STRIDE_W, CMB_POOL_DILATION_H,
                CMB_POOL_DILATION_W})
    if (m.params[i] <= 0)
      return std::nullopt;
  return m;
}

void cambrian::x86::foldMaxPoolFill(MaxPoolMatch &m,
                                    PatternRewriter &rewriter) {
  // A fill of -inf before is what the kernel starts from anyway.
  m.params[CMB_POOL_ACCUMULATE] =
      !foldFill(m.op, m.y, rewriter, [](const APFloat &v) {
        return v.isInfinity() && v.isNegative();
      });
}

namespace {

/// Max pooling as the importer writes it: a generic over (n, c, oh, ow, kh,
/// kw) reading x[n, c, oh*SH + kh*DH, ow*SW + kw*DW] and a KH x KW window
/// operand, combining with arith.maximumf into y[n, c, oh, ow].
struct MaxPoolToKernel : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<MaxPoolMatch> m = matchMaxPool(op);
    if (!m)
      return failure();
    foldMaxPoolFill(*m, rewriter);
    Location loc = op.getLoc();
    Value block = parameterBlock(op, "__cmb_pool_params", m->params, rewriter);
    SmallVector<Value> args = {elementPointer(rewriter, loc, m->x),
                               elementPointer(rewriter, loc, m->y), block};
    declareKernel(op, kMaxPool2d, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kMaxPool2d, TypeRange{}, args);
    rewriter.eraseOp(op);
    for (Operation *dead : m->deadAfter)
      rewriter.eraseOp(dead);
    return success();
  }
};

} // namespace

void cambrian::x86::populateLowerPoolingPatterns(RewritePatternSet &patterns) {
  patterns.add<MaxPoolToKernel>(patterns.getContext());
}
