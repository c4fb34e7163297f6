//===- LowerToKernels.cpp - Matmul and conv to kernel-library calls -------===//
//
// After bufferization, the heavy linalg ops read and write memrefs. The
// patterns here replace them by calls of the x86 kernel library, passing
// base pointers, extents and leading dimensions. See Kernels.h for the ABI.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/ConvFusion.h"
#include "targets/x86/Passes.h"
#include "targets/x86/Winograd.h"
#include "targets/x86/runtime/Kernels.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_LOWERTOKERNELSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

constexpr StringLiteral kSgemm = "cmb_x86_sgemm";
constexpr StringLiteral kSgemmEpilogue = "cmb_x86_sgemm_epilogue";
constexpr StringLiteral kConv2d = "cmb_x86_conv2d";
constexpr StringLiteral kConv2dWinograd = "cmb_x86_conv2d_winograd";
constexpr StringLiteral kMaxPool2d = "cmb_x86_maxpool2d";
constexpr StringLiteral kSoftmax = "cmb_x86_softmax";
constexpr StringLiteral kTranspose = "cmb_x86_transpose";
constexpr StringLiteral kLayerNorm = "cmb_x86_layernorm";

/// A memref operand as the kernels see it: a pointer to its first element
/// and its strides in elements.
struct Operand {
  Value ptr;
  SmallVector<int64_t> strides;
};

/// Static strides of `v`, or failure for dynamic layouts.
FailureOr<SmallVector<int64_t>> staticStrides(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
    return failure();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return failure();
  if (llvm::any_of(strides, ShapedType::isDynamic))
    return failure();
  return strides;
}

bool isDenseRowMajor(Value v) {
  auto s = staticStrides(v);
  if (failed(s))
    return false;
  auto shape = cast<MemRefType>(v.getType()).getShape();
  int64_t expect = 1;
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    if (shape[d] != 1 && (*s)[d] != expect)
      return false;
    expect *= shape[d];
  }
  return true;
}

/// `!llvm.ptr` to the first element of `v` (offset applied).
Value elementPointer(OpBuilder &b, Location loc, Value v) {
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, v);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(
      b, loc, meta.getBaseBuffer());
  Value offset = meta.getOffset();
  Value bytes = arith::MulIOp::create(
      b, loc, offset, arith::ConstantIndexOp::create(b, loc, 4));
  Value addr = arith::AddIOp::create(b, loc, base, bytes);
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), addr);
  return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                                  i64);
}

Value i64Const(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
}

/// Declares `name` with `argTypes` and no results if the module lacks it.
void declareKernel(Operation *anchor, StringRef name, TypeRange argTypes) {
  auto module = anchor->getParentOfType<ModuleOp>();
  if (module.lookupSymbol(name))
    return;
  OpBuilder b(module.getBodyRegion());
  auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                 b.getFunctionType(argTypes, {}));
  fn.setPrivate();
}

/// If a `linalg.fill` of `out` with a value `accept`s precedes `op` with no
/// other use of `out` in between, erases it and returns true: the kernel
/// starts from that value instead.
bool foldFill(Operation *op, Value out, PatternRewriter &rewriter,
              llvm::function_ref<bool(APFloat)> accept) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev)) {
      if (fill.getOutputs()[0] == out) {
        auto cst = fill.getInputs()[0].getDefiningOp<arith::ConstantOp>();
        auto f = cst ? dyn_cast<FloatAttr>(cst.getValue()) : nullptr;
        if (!f || !accept(f.getValue()))
          return false;
        rewriter.eraseOp(fill);
        return true;
      }
    }
    if (llvm::is_contained(prev->getOperands(), out))
      return false;
  }
  return false;
}

/// foldFill for a zero fill: the kernel overwrites instead.
bool foldZeroFill(Operation *op, Value out, PatternRewriter &rewriter) {
  return foldFill(op, out, rewriter, [](APFloat v) { return v.isZero(); });
}

/// A pointer to `params` as a constant i64 global, one per distinct block.
Value parameterBlock(Operation *op, StringRef prefix, ArrayRef<int64_t> params,
                     PatternRewriter &rewriter) {
  auto module = op->getParentOfType<ModuleOp>();
  Location loc = op->getLoc();
  std::string name = prefix.str();
  for (int64_t p : params)
    name += "_" + std::to_string(p);
  const int64_t n = params.size();
  auto type = MemRefType::get({n}, rewriter.getI64Type());
  if (!module.lookupSymbol(name)) {
    OpBuilder mb(module.getBodyRegion());
    auto init = DenseIntElementsAttr::get(
        RankedTensorType::get({n}, rewriter.getI64Type()), params);
    memref::GlobalOp::create(mb, loc, name, mb.getStringAttr("private"), type,
                             init, /*constant=*/true, /*alignment=*/nullptr);
  }
  Value block = memref::GetGlobalOp::create(rewriter, loc, type, name);
  Value blockIdx =
      memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, block);
  Value blockInt =
      arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), blockIdx);
  return LLVM::IntToPtrOp::create(
      rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext()),
      blockInt);
}

/// Weights of a model beyond this (a large L3) do not stay in cache from
/// one inference to the next.
constexpr int64_t kCachedWeightBytes = 32 << 20;

/// Whether `b` reads a constant global of a module whose constants exceed
/// the caches: then every inference reads it from memory.
bool isStreamedWeight(Value b, Operation *anchor) {
  while (auto view = b.getDefiningOp<ViewLikeOpInterface>())
    b = view.getViewSource();
  auto get = b.getDefiningOp<memref::GetGlobalOp>();
  if (!get)
    return false;
  auto module = anchor->getParentOfType<ModuleOp>();
  int64_t bytes = 0;
  for (auto global : module.getOps<memref::GlobalOp>()) {
    auto type = global.getType();
    if (global.getConstant() && type.hasStaticShape() &&
        type.getElementType().isIntOrFloat())
      bytes += type.getNumElements() *
               (int64_t)llvm::divideCeil(type.getElementTypeBitWidth(), 8);
  }
  return bytes > kCachedWeightBytes;
}

/// C[b] (+)= A[b] * B[b] with A, B, C of rank 2 (batch 1) or 3.
LogicalResult lowerGemm(Operation *op, Value a, Value b, Value c,
                        PatternRewriter &rewriter) {
  auto sa = staticStrides(a), sb = staticStrides(b), sc = staticStrides(c);
  if (failed(sa) || failed(sb) || failed(sc))
    return rewriter.notifyMatchFailure(op, "needs static f32 strided memrefs");
  if (sa->back() != 1 || sb->back() != 1 || sc->back() != 1)
    return rewriter.notifyMatchFailure(op, "needs unit inner strides");
  auto as = cast<MemRefType>(a.getType()).getShape();
  auto cs = cast<MemRefType>(c.getType()).getShape();
  bool batched = as.size() == 3;
  int64_t batch = batched ? as[0] : 1;
  int64_t M = as[as.size() - 2], K = as.back(), N = cs.back();
  auto ld = [](ArrayRef<int64_t> s) { return s[s.size() - 2]; };
  auto bs = [&](ArrayRef<int64_t> s) { return batched ? s[0] : 0; };
  Location loc = op->getLoc();
  int64_t flags = foldZeroFill(op, c, rewriter) ? 0 : CMB_SGEMM_ACCUMULATE;
  if (isStreamedWeight(b, op))
    flags |= CMB_SGEMM_STREAM_B;

  // Bias per column, residual and activation from the generics that read C
  // next (Gemm's bias, BERT's GELU and residual adds).
  cambrian::x86::EpilogueSite site;
  site.op = op;
  site.y = c;
  site.reads = {a, b};
  site.biasDim = cs.size() - 1;
  site.biasSize = N;
  site.reshapable = true;
  site.accumulate = flags & CMB_SGEMM_ACCUMULATE;
  cambrian::x86::foldEpilogue(site, rewriter);
  if (site.y != c) {
    // A dense buffer with as many elements, maybe of another rank: address
    // it as C would be laid out densely.
    c = site.y;
    if (cs.size() == 3)
      *sc = {M * N, N, 1};
    else
      *sc = {N, 1};
  }
  if (site.accumulate)
    flags |= CMB_SGEMM_ACCUMULATE;
  const bool epilogue = site.bias || site.act.kind != CMB_CONV_ACT_NONE;

  SmallVector<Value> args = {
      i64Const(rewriter, loc, batch), i64Const(rewriter, loc, M),
      i64Const(rewriter, loc, N),     i64Const(rewriter, loc, K),
      elementPointer(rewriter, loc, a), i64Const(rewriter, loc, bs(*sa)),
      i64Const(rewriter, loc, ld(*sa)),
      elementPointer(rewriter, loc, b), i64Const(rewriter, loc, bs(*sb)),
      i64Const(rewriter, loc, ld(*sb)),
      elementPointer(rewriter, loc, c), i64Const(rewriter, loc, bs(*sc)),
      i64Const(rewriter, loc, ld(*sc)),
      i64Const(rewriter, loc, flags)};
  StringRef kernel = kSgemm;
  if (epilogue) {
    kernel = kSgemmEpilogue;
    auto ptrType = LLVM::LLVMPointerType::get(rewriter.getContext());
    args.append(
        {site.bias ? elementPointer(rewriter, loc, site.bias)
                   : LLVM::ZeroOp::create(rewriter, loc, ptrType).getResult(),
         i64Const(rewriter, loc, site.act.kind),
         i64Const(rewriter, loc, llvm::bit_cast<uint32_t>(site.act.alpha)),
         i64Const(rewriter, loc, llvm::bit_cast<uint32_t>(site.act.beta))});
  }
  declareKernel(op, kernel, ValueRange(args).getTypes());
  func::CallOp::create(rewriter, loc, kernel, TypeRange{}, args);
  rewriter.eraseOp(op);
  for (Operation *dead : site.deadAfter)
    rewriter.eraseOp(dead);
  return success();
}

struct MatmulToKernel : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || !std::remove_reference_t<decltype(op)>::isDefaultIndexingMaps(op.getIndexingMaps()) ||
        op.getCast() != linalg::TypeFn::cast_signed)
      return failure();
    return lowerGemm(op, op.getInputs()[0], op.getInputs()[1],
                     op.getOutputs()[0], rewriter);
  }
};

struct BatchMatmulToKernel : OpRewritePattern<linalg::BatchMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::BatchMatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || !std::remove_reference_t<decltype(op)>::isDefaultIndexingMaps(op.getIndexingMaps()))
      return failure();
    return lowerGemm(op, op.getInputs()[0], op.getInputs()[1],
                     op.getOutputs()[0], rewriter);
  }
};

/// Common lowering of the three NCHW convolution forms. `shape` holds N, C,
/// H, W, F, KH, KW, OH, OW; `groups` as in ONNX. Padding, bias and
/// activation around the op are folded into the call where possible.
template <typename ConvOp>
LogicalResult lowerConv(ConvOp op, ArrayRef<int64_t> shape, int64_t groups,
                        bool allowWinograd, PatternRewriter &rewriter) {
  cambrian::x86::ConvCall call;
  call.x = op.getInputs()[0];
  call.w = op.getInputs()[1];
  call.y = op.getOutputs()[0];
  call.params.assign(CMB_CONV_NUM_PARAMS, 0);
  for (int i = 0; i < 9; ++i)
    call.params[CMB_CONV_N + i] = shape[i];
  auto strides = llvm::to_vector(op.getStrides().template getValues<int64_t>());
  auto dilations =
      llvm::to_vector(op.getDilations().template getValues<int64_t>());
  call.params[CMB_CONV_STRIDE_H] = strides[0];
  call.params[CMB_CONV_STRIDE_W] = strides[1];
  call.params[CMB_CONV_DILATION_H] = dilations[0];
  call.params[CMB_CONV_DILATION_W] = dilations[1];
  call.params[CMB_CONV_GROUPS] = groups;
  if (isa<MemRefType>(call.x.getType()) &&
      cast<MemRefType>(call.x.getType()).getRank() == 4)
    cambrian::x86::foldInputPadding(op, call);
  if (!isDenseRowMajor(call.x) || !isDenseRowMajor(call.w) ||
      !isDenseRowMajor(call.y))
    return rewriter.notifyMatchFailure(op, "needs dense f32 operands");
  Location loc = op->getLoc();
  call.params[CMB_CONV_ACCUMULATE] = !foldZeroFill(op, call.y, rewriter);
  if (cast<MemRefType>(call.y.getType()).getRank() == 4)
    cambrian::x86::foldEpilogue(op, call, rewriter);

  StringRef kernel = kConv2d;
  if (allowWinograd && cambrian::x86::preferWinograd(call.params)) {
    if (Value u =
            cambrian::x86::transformWinogradWeights(op, call.w, rewriter)) {
      call.w = u;
      kernel = kConv2dWinograd;
    }
  }

  Value blockPtr = parameterBlock(op, "__cmb_conv_params", call.params,
                                  rewriter);
  auto ptrType = LLVM::LLVMPointerType::get(rewriter.getContext());
  Value bias = call.bias ? elementPointer(rewriter, loc, call.bias)
                         : LLVM::ZeroOp::create(rewriter, loc, ptrType);
  SmallVector<Value> args = {elementPointer(rewriter, loc, call.x),
                             elementPointer(rewriter, loc, call.w), bias,
                             elementPointer(rewriter, loc, call.y), blockPtr};
  declareKernel(op, kernel, ValueRange(args).getTypes());
  func::CallOp::create(rewriter, loc, kernel, TypeRange{}, args);
  rewriter.eraseOp(op);
  for (Operation *dead : call.deadAfter)
    rewriter.eraseOp(dead);
  return success();
}

ArrayRef<int64_t> shapeOf(Value v) {
  return cast<MemRefType>(v.getType()).getShape();
}

struct ConvNchwFchwToKernel : OpRewritePattern<linalg::Conv2DNchwFchwOp> {
  ConvNchwFchwToKernel(MLIRContext *ctx, bool winograd)
      : OpRewritePattern(ctx), winograd(winograd) {}
  bool winograd;
  LogicalResult matchAndRewrite(linalg::Conv2DNchwFchwOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return failure();
    auto x = shapeOf(op.getInputs()[0]), w = shapeOf(op.getInputs()[1]),
         y = shapeOf(op.getOutputs()[0]);
    int64_t shape[9] = {x[0], x[1], x[2], x[3], w[0], w[2], w[3], y[2], y[3]};
    return lowerConv(op, shape, /*groups=*/1, winograd, rewriter);
  }
};

struct DepthwiseConvToKernel
    : OpRewritePattern<linalg::DepthwiseConv2DNchwChwOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::DepthwiseConv2DNchwChwOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return failure();
    auto x = shapeOf(op.getInputs()[0]), w = shapeOf(op.getInputs()[1]),
         y = shapeOf(op.getOutputs()[0]);
    int64_t shape[9] = {x[0], x[1], x[2], x[3], x[1], w[1], w[2], y[2], y[3]};
    return lowerConv(op, shape, /*groups=*/x[1], /*allowWinograd=*/false,
                     rewriter);
  }
};

struct GroupedConvToKernel : OpRewritePattern<linalg::Conv2DNgchwGfchwOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::Conv2DNgchwGfchwOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return failure();
    // x: N G Cg H W, w: G Fg Cg KH KW, y: N G Fg OH OW
    auto x = shapeOf(op.getInputs()[0]), w = shapeOf(op.getInputs()[1]),
         y = shapeOf(op.getOutputs()[0]);
    int64_t shape[9] = {x[0],        x[1] * x[2], x[3], x[4], w[0] * w[1],
                        w[3],        w[4],        y[3], y[4]};
    return lowerConv(op, shape, /*groups=*/x[1], /*allowWinograd=*/false,
                     rewriter);
  }
};

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

/// Max pooling as the importer writes it: a generic over (n, c, oh, ow, kh,
/// kw) reading x[n, c, oh*SH + kh*DH, ow*SW + kw*DW] and a KH x KW window
/// operand, combining with arith.maximumf into y[n, c, oh, ow].
struct MaxPoolToKernel : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
        op.getNumDpsInits() != 1 || op.getNumLoops() != 6)
      return failure();
    auto iters = op.getIteratorTypesArray();
    for (unsigned i = 0; i < 6; ++i)
      if ((i < 4) != (iters[i] == utils::IteratorType::parallel))
        return failure();
    // The body: yield maximumf(out, in) (either order).
    Block &body = op.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    auto max = yield.getValues()[0].getDefiningOp<arith::MaximumFOp>();
    if (!max || max->getBlock() != &body || body.getOperations().size() != 2)
      return failure();
    Value in = body.getArgument(0), acc = body.getArgument(2);
    if (!((max.getLhs() == in && max.getRhs() == acc) ||
          (max.getLhs() == acc && max.getRhs() == in)))
      return failure();

    Value x = op.getDpsInputs()[0], window = op.getDpsInputs()[1];
    Value y = op.getDpsInits()[0];
    if (!isDenseRowMajor(x) || !isDenseRowMajor(y) ||
        cast<MemRefType>(x.getType()).getRank() != 4)
      return rewriter.notifyMatchFailure(op, "needs dense f32 operands");
    auto maps = op.getIndexingMapsArray();
    MLIRContext *ctx = op.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    if (maps[2] != AffineMap::get(6, 0, {d(0), d(1), d(2), d(3)}, ctx) ||
        maps[1] != AffineMap::get(6, 0, {d(4), d(5)}, ctx) ||
        maps[0].getNumResults() != 4 || maps[0].getResult(0) != d(0) ||
        maps[0].getResult(1) != d(1))
      return failure();
    auto rows = linearCoefficients(maps[0].getResult(2), 6);
    auto cols = linearCoefficients(maps[0].getResult(3), 6);
    if (failed(rows) || failed(cols))
      return failure();
    for (unsigned i = 0; i < 6; ++i)
      if (((*rows)[i] != 0 && i != 2 && i != 4) ||
          ((*cols)[i] != 0 && i != 3 && i != 5))
        return failure();
    // A -inf padded copy of the input (pads, ceil mode) is read in place:
    // the kernel pads implicitly.
    std::optional<cambrian::x86::PaddedInput> padded =
        cambrian::x86::matchPaddedInput(op, x, [](const APFloat &v) {
          return v.isInfinity() && v.isNegative();
        });
    SmallVector<int64_t> params(CMB_POOL_NUM_PARAMS, 0);
    if (padded) {
      x = padded->src;
      params[CMB_POOL_PAD_TOP] = padded->padTop;
      params[CMB_POOL_PAD_LEFT] = padded->padLeft;
    }
    auto xs = shapeOf(x), ys = shapeOf(y),
         ws = cast<ShapedType>(window.getType()).getShape();
    params[CMB_POOL_PLANES] = ys[0] * ys[1];
    params[CMB_POOL_H] = xs[2];
    params[CMB_POOL_W] = xs[3];
    params[CMB_POOL_OH] = ys[2];
    params[CMB_POOL_OW] = ys[3];
    params[CMB_POOL_KH] = ws[0];
    params[CMB_POOL_KW] = ws[1];
    params[CMB_POOL_STRIDE_H] = (*rows)[2];
    params[CMB_POOL_STRIDE_W] = (*cols)[3];
    params[CMB_POOL_DILATION_H] = (*rows)[4];
    params[CMB_POOL_DILATION_W] = (*cols)[5];
    for (int i : {CMB_POOL_STRIDE_H, CMB_POOL_STRIDE_W, CMB_POOL_DILATION_H,
                  CMB_POOL_DILATION_W})
      if (params[i] <= 0)
        return failure();
    // A fill of -inf before is what the kernel starts from anyway.
    params[CMB_POOL_ACCUMULATE] = !foldFill(op, y, rewriter, [](APFloat v) {
      return v.isInfinity() && v.isNegative();
    });
    Location loc = op.getLoc();
    Value block = parameterBlock(op, "__cmb_pool_params", params, rewriter);
    SmallVector<Value> args = {elementPointer(rewriter, loc, x),
                               elementPointer(rewriter, loc, y), block};
    declareKernel(op, kMaxPool2d, ValueRange(args).getTypes());
    func::CallOp::create(rewriter, loc, kMaxPool2d, TypeRange{}, args);
    rewriter.eraseOp(op);
    if (padded)
      for (Operation *dead : padded->deadAfter)
        rewriter.eraseOp(dead);
    return success();
  }
};

/// The buffer behind `v`: through expand_shape views (a reduction's result
/// read with its dimension kept).
Value throughExpand(Value v) {
  while (auto e = v.getDefiningOp<memref::ExpandShapeOp>())
    v = e.getSrc();
  return v;
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
    if (auto fill = dyn_cast<linalg::FillOp>(user)) {
      APFloat v(0.0f);
      if (fill.getOutputs()[0] == buffer &&
          matchPattern(fill.getInputs()[0], m_ConstantFloat(&v)) && accept(v))
        return fill;
    }
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
    auto onlyUsers = [](Value buffer, ArrayRef<Operation *> allowed) {
      return llvm::all_of(buffer.getUsers(), [&](Operation *u) {
        return llvm::is_contained(allowed, u);
      });
    };
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
        cambrian::x86::mayBeWrittenBetween(maxOp, div, y))
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
    auto onlyUsers = [](Value buffer, ArrayRef<Operation *> allowed) {
      return llvm::all_of(buffer.getUsers(), [&](Operation *u) {
        return llvm::is_contained(allowed, u);
      });
    };
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

/// A copy of a buffer onto itself (bufferization leaves one where a tensor
/// computed in place is inserted into the buffer it already lives in, as
/// for every Concat input): both sides are views of the same root with the
/// same static layout.
struct EraseSelfCopy : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    Value from = op.getSource(), to = op.getTarget();
    if (from.getType() != to.getType() || failed(staticStrides(from)))
      return failure();
    // Subviews with static layouts encode their whole offset from the root
    // in their type (other views, like memref.view, do not).
    auto subviewRoot = [](Value v) -> Value {
      while (auto view = v.getDefiningOp<memref::SubViewOp>()) {
        if (failed(staticStrides(view.getSource())))
          return {};
        v = view.getSource();
      }
      return v;
    };
    Value root = subviewRoot(from);
    if (!root || root != subviewRoot(to))
      return failure();
    rewriter.eraseOp(op);
    return success();
  }
};

struct LowerToKernelsPass
    : cambrian::x86::impl::LowerToKernelsPassBase<LowerToKernelsPass> {
  using LowerToKernelsPassBase::LowerToKernelsPassBase;
  void runOnOperation() override {
    // Self-copies first: they sit between a convolution and its epilogue.
    RewritePatternSet cleanup(&getContext());
    cleanup.add<EraseSelfCopy>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(cleanup))))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    cambrian::x86::populateLowerToKernelsPatterns(patterns, winograd);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void cambrian::x86::populateLowerToKernelsPatterns(RewritePatternSet &patterns,
                                                  bool winograd) {
  patterns.add<MatmulToKernel, BatchMatmulToKernel, DepthwiseConvToKernel,
               GroupedConvToKernel, MaxPoolToKernel, SoftmaxToKernel,
               LayerNormToKernel, TransposeToKernel>(patterns.getContext());
  patterns.add<ConvNchwFchwToKernel>(patterns.getContext(), winograd);
}
