//===- LowerToKernels.cpp - Matmul and conv to kernel-library calls -------===//
//
// After bufferization, the heavy linalg ops read and write memrefs. The
// patterns here replace matmuls and convolutions by calls of the x86 kernel
// library, passing base pointers, extents and leading dimensions (see
// Kernels.h for the ABI); LowerPooling.cpp, LowerNormalizations.cpp and
// LowerTranspose.cpp add the other kernel calls to the same pass.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/ConstantWeights.h"
#include "targets/x86/ConvFusion.h"
#include "targets/x86/ConvPacked.h"
#include "targets/x86/KernelCall.h"
#include "targets/x86/MapQuantized.h"
#include "targets/x86/MaxPool.h"
#include "targets/x86/Passes.h"
#include "targets/x86/Winograd.h"
#include "targets/x86/X86KernelOps.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/PackedPanels.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_LOWERTOKERNELSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;
using namespace cambrian::x86;

namespace {

constexpr StringLiteral kSgemm = "cmb_x86_sgemm";
constexpr StringLiteral kSgemmEpilogue = "cmb_x86_sgemm_epilogue";
constexpr StringLiteral kConv2d = "cmb_x86_conv2d";
constexpr StringLiteral kConv2dWinograd = "cmb_x86_conv2d_winograd";
constexpr StringLiteral kConv2dPacked = "cmb_x86_conv2d_packed";
constexpr StringLiteral kConv2dMaxPool = "cmb_x86_conv2d_maxpool";

/// Up to this many rows of A the kernel streams row-major B row by row
/// (SgemmSmallM.c, Gemv.c), which packed panels would not speed up.
constexpr int64_t kRowStreamedM = 4;

/// Weights of a model beyond this (a large L3) do not stay in cache from
/// one inference to the next.
constexpr int64_t kCachedWeightBytes = 32 << 20;

/// Whether `b` reads a constant global of a module whose constants exceed
/// the caches: then every inference reads it from memory.
bool isStreamedWeight(Value b, Operation *anchor) {
  auto get = rootBuffer(b).getDefiningOp<memref::GetGlobalOp>();
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

/// What the GEMM kernel applies as it stores: a bias per column, the
/// activation, and whether it adds to what C holds.
struct GemmEpilogue {
  Value bias;
  KernelActivation act;
  bool accumulate = false;
};

/// C[b] (+)= A[b] * B[b] with A, B, C of rank 2 (batch 1) or 3, then the
/// epilogue.
LogicalResult lowerGemm(Operation *op, Value a, Value b, Value c,
                        const GemmEpilogue &epi, PatternRewriter &rewriter) {
  auto sa = staticStrides(a), sb = staticStrides(b), sc = staticStrides(c);
  if (failed(sa) || failed(sb) || failed(sc))
    return rewriter.notifyMatchFailure(op, "needs static f32 strided memrefs");
  if (sa->back() != 1 || sb->back() != 1 || sc->back() != 1 ||
      (epi.bias && !isDenseRowMajor(epi.bias)))
    return rewriter.notifyMatchFailure(op, "needs unit inner strides");
  auto as = cast<MemRefType>(a.getType()).getShape();
  auto cs = cast<MemRefType>(c.getType()).getShape();
  bool batched = as.size() == 3;
  int64_t batch = batched ? as[0] : 1;
  int64_t M = as[as.size() - 2], K = as.back(), N = cs.back();
  auto ld = [](ArrayRef<int64_t> s) { return s[s.size() - 2]; };
  auto bs = [&](ArrayRef<int64_t> s) { return batched ? s[0] : 0; };
  Location loc = op->getLoc();
  int64_t flags = epi.accumulate ? CMB_SGEMM_ACCUMULATE : 0;
  if (isStreamedWeight(b, op))
    flags |= CMB_SGEMM_STREAM_B;
  const bool epilogue = epi.bias || epi.act.kind != CMB_CONV_ACT_NONE;

  // Constant weights (a whole K x N global, so one GEMM) go into the module
  // packed.
  if (M > kRowStreamedM && N > 1 && batch == 1) {
    auto bType = cast<MemRefType>(b.getType());
    if (Value packed = transformConstantWeights(
            op, b, bType.getShape(), "panels",
            {cmb_packed_panels_floats(K, N)},
            [&](ArrayRef<float> w, std::vector<float> &out) {
              cmb_pack_panels(w.data(), /*strideK=*/N, /*strideN=*/1, K, N,
                              out.data());
            },
            rewriter)) {
      b = packed;
      // Passed on as ldb, which the kernel ignores for packed B.
      (*sb)[sb->size() - 2] = CMB_B_PANEL;
      flags |= CMB_SGEMM_PACKED_B;
    }
  }

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
        {epi.bias ? elementPointer(rewriter, loc, epi.bias)
                  : LLVM::ZeroOp::create(rewriter, loc, ptrType).getResult(),
         i64Const(rewriter, loc, epi.act.kind),
         i64Const(rewriter, loc, llvm::bit_cast<uint32_t>(epi.act.alpha)),
         i64Const(rewriter, loc, llvm::bit_cast<uint32_t>(epi.act.beta))});
  }
  declareKernel(op, kernel, ValueRange(args).getTypes());
  func::CallOp::create(rewriter, loc, kernel, TypeRange{}, args);
  rewriter.eraseOp(op);
  return success();
}

/// x86kernel.matmul, which carries its epilogue.
struct MatmulKernelToCall : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return failure();
    std::optional<KernelActivation> act =
        kernelActivation(op.getActivationAttr());
    if (!act)
      return rewriter.notifyMatchFailure(op, "an activation without kernel");
    return lowerGemm(op, op.getLhs(), op.getRhs(), op.getOutput(),
                     {op.getBias(), *act, op.getAccumulate()}, rewriter);
  }
};

/// A linalg matmul the target did not map (one a decomposition made, such
/// as attention's): a plain product, from a zero fill or accumulating.
LogicalResult lowerLinalgGemm(Operation *op, Value a, Value b, Value c,
                              PatternRewriter &rewriter) {
  // Checked before the fill goes: lowerGemm may still refuse the operands.
  for (Value v : {a, b, c})
    if (FailureOr<SmallVector<int64_t>> s = staticStrides(v);
        failed(s) || s->back() != 1)
      return rewriter.notifyMatchFailure(op, "needs static f32 strided "
                                             "memrefs, unit inner strides");
  GemmEpilogue epi;
  epi.accumulate = !foldZeroFill(op, c, rewriter);
  return lowerGemm(op, a, b, c, epi, rewriter);
}

struct MatmulToKernel : OpRewritePattern<linalg::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || !std::remove_reference_t<decltype(op)>::isDefaultIndexingMaps(op.getIndexingMaps()) ||
        op.getCast() != linalg::TypeFn::cast_signed)
      return failure();
    return lowerLinalgGemm(op, op.getInputs()[0], op.getInputs()[1],
                           op.getOutputs()[0], rewriter);
  }
};

struct BatchMatmulToKernel : OpRewritePattern<linalg::BatchMatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::BatchMatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics() || !std::remove_reference_t<decltype(op)>::isDefaultIndexingMaps(op.getIndexingMaps()))
      return failure();
    return lowerLinalgGemm(op, op.getInputs()[0], op.getInputs()[1],
                           op.getOutputs()[0], rewriter);
  }
};

/// The max pooling that is the only reader of the output of `conv` (about
/// to become `call`), if cmb_x86_conv2d_maxpool can compute both: an
/// ungrouped im2col convolution that overwrites a buffer of its own, which
/// nothing reads but the pooling.
std::optional<MaxPoolMatch> poolOfOutput(Operation *conv,
                                         const ConvCall &call) {
  ArrayRef<int64_t> p = call.params;
  if (p[CMB_CONV_GROUPS] != 1 || p[CMB_CONV_ACCUMULATE] != 0)
    return std::nullopt;
  // A 1x1 stride-1 convolution reads its input in place as the GEMM's B;
  // in bands it would be copied.
  if (p[CMB_CONV_KH] == 1 && p[CMB_CONV_KW] == 1 &&
      p[CMB_CONV_STRIDE_H] == 1 && p[CMB_CONV_STRIDE_W] == 1)
    return std::nullopt;
  auto alloc = call.y.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != conv->getBlock())
    return std::nullopt;
  auto isConvSide = [&](Operation *user) {
    return user == conv;
  };
  MaxPool2dOp candidate;
  for (Operation *user : call.y.getUsers()) {
    if (isConvSide(user))
      continue;
    auto pool = dyn_cast<MaxPool2dOp>(user);
    if (!pool || pool.getInput() != call.y ||
        (candidate && candidate != pool))
      return std::nullopt;
    candidate = pool;
  }
  if (!candidate)
    return std::nullopt;
  std::optional<MaxPoolMatch> pool = matchMaxPool(candidate);
  if (!pool)
    return std::nullopt;
  // The fused call runs where the pooling is: what the convolution reads
  // must still hold there, and the pooled output must not be its input.
  Operation *at = pool->op;
  if (at->getBlock() != conv->getBlock() || !conv->isBeforeInBlock(at) ||
      mayBeWrittenBetween(conv, at, call.x) ||
      mayBeWrittenBetween(conv, at, call.w) ||
      (call.bias && mayBeWrittenBetween(conv, at, call.bias)) ||
      rootBuffer(pool->y) == rootBuffer(call.x))
    return std::nullopt;
  return pool;
}

/// Replaces `conv` and `pool` by one cmb_x86_conv2d_maxpool call where the
/// pooling was; the convolution's output buffer goes away.
void emitConvMaxPool(Operation *conv, ConvCall &call, MaxPoolMatch &pool,
                     PatternRewriter &rewriter) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(pool.op);
  Location loc = rewriter.getFusedLoc({conv->getLoc(), pool.op.getLoc()});
  Value convBlock =
      parameterBlock(conv, "__cmb_conv_params", call.params, rewriter);
  Value poolBlock =
      parameterBlock(pool.op, "__cmb_pool_params", pool.params, rewriter);
  auto ptrType = LLVM::LLVMPointerType::get(rewriter.getContext());
  Value bias = call.bias ? elementPointer(rewriter, loc, call.bias)
                         : LLVM::ZeroOp::create(rewriter, loc, ptrType);
  SmallVector<Value> args = {elementPointer(rewriter, loc, call.x),
                             elementPointer(rewriter, loc, call.w),
                             bias,
                             elementPointer(rewriter, loc, pool.y),
                             convBlock,
                             poolBlock};
  declareKernel(conv, kConv2dMaxPool, ValueRange(args).getTypes());
  func::CallOp::create(rewriter, loc, kConv2dMaxPool, TypeRange{}, args);
  Operation *yAlloc = call.y.getDefiningOp();
  rewriter.eraseOp(pool.op);
  rewriter.eraseOp(conv);
  if (yAlloc->use_empty())
    rewriter.eraseOp(yAlloc);
}

/// The call of `call`'s convolution in place of `op`: Winograd or packed
/// weights where their cost models pick them and `allow...` says so, or
/// one call with the max pooling that alone reads its output.
LogicalResult emitConv(Operation *op, cambrian::x86::ConvCall &call,
                       bool allowWinograd, bool allowPacked,
                       bool allowPoolFusion, PatternRewriter &rewriter) {
  Location loc = op->getLoc();
  StringRef kernel = kConv2d;
  if (allowWinograd && cambrian::x86::preferWinograd(call.params)) {
    if (Value u =
            cambrian::x86::transformWinogradWeights(op, call.w, rewriter)) {
      call.w = u;
      kernel = kConv2dWinograd;
    }
  }
  if (allowPacked && kernel == kConv2d &&
      cambrian::x86::preferPackedConv(call.params)) {
    if (Value packed = cambrian::x86::packConvWeights(op, call.w, rewriter)) {
      call.w = packed;
      kernel = kConv2dPacked;
    }
  }

  if (allowPoolFusion && kernel == kConv2d) {
    if (std::optional<MaxPoolMatch> pool = poolOfOutput(op, call)) {
      emitConvMaxPool(op, call, *pool, rewriter);
      return success();
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
  return success();
}

/// x86kernel.conv2d, which carries its padding and epilogue: the
/// parameter block comes from the op, the kernel choice as for any
/// convolution (Winograd, packed weights and the max-pooling fusion for
/// ungrouped ones only).
struct Conv2dKernelToCall : OpRewritePattern<Conv2dOp> {
  Conv2dKernelToCall(MLIRContext *ctx, bool winograd, bool packed,
                     bool poolFusion)
      : OpRewritePattern(ctx), winograd(winograd), packed(packed),
        poolFusion(poolFusion) {}
  bool winograd, packed, poolFusion;
  LogicalResult matchAndRewrite(Conv2dOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "not bufferized yet");
    std::optional<KernelActivation> act =
        kernelActivation(op.getActivationAttr());
    if (!act)
      return rewriter.notifyMatchFailure(op, "an activation without kernel");
    // The kernel addresses dense buffers: others go through dense copies
    // (and then the call stays where the convolution is).
    Location loc = op.getLoc();
    Value bias = op.getBias();
    bool dense = isDenseRowMajor(op.getInput()) &&
                 isDenseRowMajor(op.getFilter()) &&
                 isDenseRowMajor(op.getOutput()) &&
                 (!bias || isDenseRowMajor(bias));
    DenseOperands operands(rewriter, loc, op.getOutput());
    cambrian::x86::ConvCall call;
    call.x = operands.input(op.getInput());
    call.w = operands.input(op.getFilter());
    call.y = operands.output();
    call.bias = bias ? operands.input(bias) : Value();
    if (op.getAccumulate() && call.y != op.getOutput())
      memref::CopyOp::create(rewriter, loc, op.getOutput(), call.y);
    auto x = shapeOf(call.x), w = shapeOf(call.w), y = shapeOf(call.y);
    int64_t groups = op.getGroups();
    call.params.assign(CMB_CONV_NUM_PARAMS, 0);
    int64_t shape[9] = {x[0], x[1], x[2], x[3], w[0], w[2], w[3], y[2], y[3]};
    for (int i = 0; i < 9; ++i)
      call.params[CMB_CONV_N + i] = shape[i];
    call.params[CMB_CONV_STRIDE_H] = op.getStrides()[0];
    call.params[CMB_CONV_STRIDE_W] = op.getStrides()[1];
    call.params[CMB_CONV_DILATION_H] = op.getDilations()[0];
    call.params[CMB_CONV_DILATION_W] = op.getDilations()[1];
    call.params[CMB_CONV_PAD_TOP] = op.getPadding()[0];
    call.params[CMB_CONV_PAD_LEFT] = op.getPadding()[1];
    call.params[CMB_CONV_GROUPS] = groups;
    call.params[CMB_CONV_ACCUMULATE] = op.getAccumulate();
    call.params[CMB_CONV_ACTIVATION] = act->kind;
    if (act->kind != CMB_CONV_ACT_NONE) {
      call.params[CMB_CONV_ACT_ALPHA] = llvm::bit_cast<uint32_t>(act->alpha);
      call.params[CMB_CONV_ACT_BETA] = llvm::bit_cast<uint32_t>(act->beta);
    }
    bool ungrouped = groups == 1;
    if (failed(emitConv(op, call, winograd && ungrouped, packed && ungrouped,
                        poolFusion && ungrouped && dense, rewriter)))
      return failure();
    operands.finish();
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
    // Convolutions next, while the max poolings that may fuse into them
    // are still x86kernel ops.
    RewritePatternSet convolutions(&getContext());
    cambrian::x86::populateLowerConvolutionPatterns(convolutions, winograd,
                                                    packedConv, convPool);
    if (failed(applyPatternsGreedily(getOperation(), std::move(convolutions))))
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    cambrian::x86::populateLowerToKernelsPatterns(patterns, winograd,
                                                  packedConv, convPool);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Last, single generics that may also be part of a chain lowered whole
    // above (a log-softmax's row sums): per-plane sums and scaling.
    RewritePatternSet planes(&getContext());
    cambrian::x86::populateLowerPlanePatterns(planes);
    if (failed(applyPatternsGreedily(getOperation(), std::move(planes))))
      signalPassFailure();
  }
};

} // namespace

void cambrian::x86::populateLowerConvolutionPatterns(
    RewritePatternSet &patterns, bool winograd, bool packedConv,
    bool convPool) {
  patterns.add<Conv2dKernelToCall>(patterns.getContext(), winograd,
                                   packedConv, convPool);
}

void cambrian::x86::populateLowerToKernelsPatterns(RewritePatternSet &patterns,
                                                  bool winograd,
                                                  bool packedConv,
                                                  bool convPool) {
  patterns.add<MatmulToKernel, BatchMatmulToKernel, MatmulKernelToCall>(
      patterns.getContext());
  populateLowerConvolutionPatterns(patterns, winograd, packedConv, convPool);
  populateLowerPoolingPatterns(patterns);
  populateLowerQuantizedPatterns(patterns);
  populateLowerNormalizationPatterns(patterns);
  populateLowerTransposePatterns(patterns);
}
