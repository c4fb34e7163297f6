//===- MapQuantized.cpp - quantized conv/matmul to the int8 kernels -------===//
//
// A quantized cambrian.conv or cambrian.matmul whose weights are constants
// becomes an x86kernel.qconv2d / qgemm here, on tensors: the weights are
// packed, the zero-point correction folded into the bias and the
// requantization factors laid out in the kernels' channel table, all on
// the host, once (Int8Packing.h). What the kernels cannot take (unsigned
// or asymmetric weights, factors of 1 or more, other ranks) is left to the
// shared decomposition.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/MapQuantized.h"
#include "targets/x86/X86KernelOps.h"
#include "targets/x86/runtime/Int8Kernels.h"
#include "targets/x86/runtime/Int8Packing.h"

#include "dialects/Cambrian/CambrianOps.h"
#include "dialects/Cambrian/Utils/MatmulOperands.h"
#include "dialects/Cambrian/Utils/Requantize.h"
#include "dialects/Cambrian/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"

#include <cstring>

using namespace mlir;
using namespace cambrian;

namespace {

quant::QuantizedType quantizedElement(Value v) {
  return dyn_cast<quant::QuantizedType>(
      cast<ShapedType>(v.getType()).getElementType());
}

/// The values of an integer constant of element type T (dense or a dense
/// resource), behind a quant.scast if there is one; nullopt otherwise.
template <typename T>
std::optional<std::vector<T>> constantValues(Value v) {
  while (auto cast = v.getDefiningOp<quant::StorageCastOp>())
    v = cast.getInput();
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!cst || !type || !type.getElementType().isInteger(8 * sizeof(T)))
    return std::nullopt;
  Attribute attr = cst.getValue();
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr))
    return std::vector<T>(dense.getValues<T>().begin(),
                          dense.getValues<T>().end());
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    if ((int64_t)data.size() != type.getNumElements() * (int64_t)sizeof(T))
      return std::nullopt;
    std::vector<T> values(type.getNumElements());
    std::memcpy(values.data(), data.data(), data.size());
    return values;
  }
  return std::nullopt;
}

/// What the kernels need of a quantized product, checked.
struct Int8Product {
  /// `result` is null for a float result (the accumulator dequantized,
  /// CMB_Q_OUT_F32, with `scales`); else `requant` applies.
  quant::UniformQuantizedType input, result;
  cmb::Requantization requant;
  llvm::SmallVector<float> scales;
  std::vector<int8_t> weights;
  std::optional<std::vector<int32_t>> bias;

  int outputMode() const {
    if (!result)
      return CMB_Q_OUT_F32;
    return result.isSigned() ? CMB_Q_OUT_S8 : CMB_Q_OUT_U8;
  }
};

/// The product's parameters when the kernels take it; the weights are read
/// only with `readWeights` (checking needs no copy of them).
template <typename OpTy>
std::optional<Int8Product> matchInt8Product(OpTy op, bool readWeights) {
  Value x = op->getOperand(0), w = op->getOperand(1);
  auto xt = dyn_cast_or_null<quant::UniformQuantizedType>(quantizedElement(x));
  auto wt = quantizedElement(w);
  auto yt = dyn_cast_or_null<quant::UniformQuantizedType>(
      quantizedElement(op.getOutput()));
  bool floatResult = op.getOutput().getType().getElementType().isF32();
  if (!xt || !wt || (!yt && !floatResult) ||
      !xt.getStorageType().isInteger(8) ||
      (yt && !yt.getStorageType().isInteger(8)) || !wt.isSigned() ||
      !wt.getStorageType().isInteger(8))
    return std::nullopt;
  // The float output stage applies no activation.
  cmb::ActivationAttr act = op.getActivationAttr();
  if (floatResult && act && !act.isNone())
    return std::nullopt;
  // Symmetric weights: the kernels do no zero-point work on them.
  if (llvm::any_of(cmb::quantizedZeroPoints(wt),
                   [](int64_t z) { return z != 0; }))
    return std::nullopt;
  for (Value v : op->getOperands())
    if (!cast<ShapedType>(v.getType()).hasStaticShape())
      return std::nullopt;
  if (!op.getOutput().getType().hasStaticShape())
    return std::nullopt;
  Int8Product p{xt, yt, {}, {}, {}, std::nullopt};
  if (floatResult) {
    p.scales = cmb::accumulatorScales(xt, wt);
  } else {
    FailureOr<cmb::Requantization> r =
        cmb::getRequantization(xt, wt, yt, op.getActivationAttr());
    // The kernels take factors in [2^-32, 1).
    if (failed(r) || llvm::any_of(r->scales, [](cmb::FixedPointScale s) {
          return s.shift < 31 || s.shift > 62 || s.multiplier < (1 << 30);
        }))
      return std::nullopt;
    p.requant = *r;
  }
  if (!readWeights) {
    Value c = w;
    while (auto cast = c.getDefiningOp<quant::StorageCastOp>())
      c = cast.getInput();
    if (!matchPattern(c, m_Constant()))
      return std::nullopt;
  } else if (std::optional<std::vector<int8_t>> weights = constantValues<int8_t>(w)) {
    p.weights = std::move(*weights);
  } else {
    return std::nullopt;
  }
  if (Value b = op.getBias()) {
    p.bias = constantValues<int32_t>(b);
    if (!p.bias)
      return std::nullopt;
  }
  return p;
}

/// The kernels' channel table for `F` channels of `K` taps of `weights`
/// (element (f, k) at f * strideF + k * strideK; null for a depthwise
/// convolution, which corrects for the zero point itself).
std::vector<int32_t> channelTable(const Int8Product &p, int64_t F, int64_t K,
                                  const int8_t *weights, int64_t strideF,
                                  int64_t strideK) {
  std::vector<int32_t> table(3 * cmb_q_channels_padded(F));
  int32_t zx = cmb_q_zero_point_u8(p.input.getZeroPoint(), p.input.isSigned());
  const int32_t *bias = p.bias ? p.bias->data() : nullptr;
  if (!p.result) {
    std::vector<float> scale;
    for (int64_t f = 0; f < F; ++f)
      scale.push_back(p.scales[p.scales.size() == 1 ? 0 : f]);
    cmb_q_channels_f32(F, K, weights, strideF, strideK, zx, bias,
                       scale.data(), table.data());
    return table;
  }
  std::vector<int32_t> mult, shift;
  for (int64_t f = 0; f < F; ++f) {
    cmb::FixedPointScale s =
        p.requant.scales[p.requant.scales.size() == 1 ? 0 : f];
    mult.push_back(s.multiplier);
    shift.push_back(s.shift);
  }
  cmb_q_channels(F, K, weights, strideF, strideK, zx, bias, mult.data(),
                 shift.data(), table.data());
  return table;
}

template <typename T>
Value constantOf(OpBuilder &b, Location loc, ArrayRef<T> data,
                 Type elem, StringRef name) {
  auto type = RankedTensorType::get({(int64_t)data.size()}, elem);
  return arith::ConstantOp::create(
      b, loc,
      DenseResourceElementsAttr::get(
          type, name, HeapAsmResourceBlob::allocateAndCopyInferAlign(data)));
}

/// The leading pads of a `tensor.pad` of the input's storage with its zero
/// point, which the kernels apply implicitly; the input behind it.
std::pair<Value, SmallVector<int64_t>> absorbPadding(Value x,
                                                     int64_t zeroPoint) {
  SmallVector<int64_t> none = {0, 0};
  auto cast = x.getDefiningOp<quant::StorageCastOp>();
  auto pad = cast ? cast.getInput().getDefiningOp<tensor::PadOp>() : nullptr;
  if (!pad)
    return {x, none};
  Value value = pad.getConstantPaddingValue();
  APInt v;
  if (!value || !matchPattern(value, m_ConstantInt(&v)) ||
      v.getSExtValue() != (int8_t)zeroPoint)
    return {x, none};
  ArrayRef<int64_t> low = pad.getStaticLow(), high = pad.getStaticHigh();
  if (llvm::any_of(low, ShapedType::isDynamic) ||
      llvm::any_of(high, ShapedType::isDynamic) || low[0] || low[1] ||
      high[0] || high[1])
    return {x, none};
  return {pad.getSource(), SmallVector<int64_t>(low.drop_front(2))};
}

/// What the kernel writes: 8-bit storage, or f32.
Type outputElement(const Int8Product &p, OpBuilder &b) {
  return p.result ? Type(b.getI8Type()) : Type(b.getF32Type());
}

/// Replaces `op` by the kernel's output `y`, seen as the op's quantized
/// type where it has one.
void replaceWithOutput(Operation *op, Value y, const Int8Product &p,
                       PatternRewriter &rewriter) {
  if (!p.result) {
    rewriter.replaceOp(op, y);
    return;
  }
  rewriter.replaceOpWithNewOp<quant::StorageCastOp>(
      op, op->getResult(0).getType(), y);
}

bool mapsConv(cmb::ConvOp op) {
  if (op.getInput().getType().getRank() != 4 || !matchInt8Product(op, false))
    return false;
  int64_t groups = op.getGroups();
  ArrayRef<int64_t> x = op.getInput().getType().getShape(),
                    w = op.getFilter().getType().getShape();
  return groups == 1 ||
         (groups == x[1] && w[0] == x[1] && w[1] == 1 && w[2] * w[3] <= 512);
}

bool mapsMatmul(cmb::MatmulOp op) {
  return op.getRhs().getType().getRank() == 2 &&
         matchInt8Product(op, false).has_value();
}

struct QConvToKernel : OpRewritePattern<cmb::ConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(cmb::ConvOp op,
                                PatternRewriter &rewriter) const override {
    if (!mapsConv(op))
      return rewriter.notifyMatchFailure(op, "no int8 kernel");
    std::optional<Int8Product> match = matchInt8Product(op, true);
    if (!match)
      return rewriter.notifyMatchFailure(op, "weights are not readable");
    Int8Product &p = *match;
    Location loc = op.getLoc();
    auto [x, pads] = absorbPadding(op.getInput(), p.input.getZeroPoint());
    ArrayRef<int64_t> xs = cast<ShapedType>(x.getType()).getShape(),
                      ws = op.getFilter().getType().getShape(),
                      ys = op.getOutput().getType().getShape();
    int64_t F = ws[0], C = ws[1], KH = ws[2], KW = ws[3];
    bool depthwise = op.getGroups() != 1;
    SmallVector<int64_t> params(CMB_QCONV_NUM_PARAMS, 0);
    int64_t geometry[] = {xs[0], xs[1], xs[2], xs[3], F, KH, KW, ys[2], ys[3]};
    for (int i = 0; i < 9; ++i)
      params[CMB_QCONV_N + i] = geometry[i];
    params[CMB_QCONV_STRIDE_H] = op.getStrides()[0];
    params[CMB_QCONV_STRIDE_W] = op.getStrides()[1];
    params[CMB_QCONV_DILATION_H] = op.getDilations()[0];
    params[CMB_QCONV_DILATION_W] = op.getDilations()[1];
    params[CMB_QCONV_PAD_TOP] = pads[0];
    params[CMB_QCONV_PAD_LEFT] = pads[1];
    params[CMB_QCONV_GROUPS] = op.getGroups();
    params[CMB_QCONV_X_SIGNED] = p.input.isSigned();
    params[CMB_QCONV_ZX] = p.input.getZeroPoint();
    params[CMB_QCONV_OUT] = p.outputMode();
    params[CMB_QCONV_ZY] = p.requant.zeroPoint;
    params[CMB_QCONV_LO] = p.requant.lo;
    params[CMB_QCONV_HI] = p.requant.hi;

    std::vector<int8_t> packed;
    std::vector<int32_t> table;
    int64_t K = C * KH * KW;
    if (depthwise) {
      packed = p.weights;
      table = channelTable(p, F, K, nullptr, K, 1);
    } else {
      packed.resize(cmb_q_conv_weights_bytes(F, C, KH, KW));
      cmb_q_pack_conv_weights(p.weights.data(), F, C, KH, KW, packed.data());
      table = channelTable(p, F, K, p.weights.data(), K, 1);
    }
    Type i8 = rewriter.getI8Type();
    // The absorbed padding's source is storage already.
    Value storage = x;
    if (quantizedElement(x))
      storage = quant::StorageCastOp::create(
          rewriter, loc, RankedTensorType::get(xs, p.input.getStorageType()),
          x);
    Value weights = constantOf<int8_t>(rewriter, loc, packed, i8, "qconv_w");
    Value channels = constantOf<int32_t>(rewriter, loc, table,
                                         rewriter.getI32Type(), "qconv_c");
    TensorBuilder tb(rewriter, loc);
    Value init = tb.empty(ys, outputElement(p, rewriter));
    auto kernel = x86::QConv2dOp::create(
        rewriter, loc, TypeRange{init.getType()}, storage, weights, channels,
        init, rewriter.getDenseI64ArrayAttr(params),
        depthwise ? rewriter.getUnitAttr() : UnitAttr());
    replaceWithOutput(op, kernel.getResult()[0], p, rewriter);
    return success();
  }
};

struct QMatmulToKernel : OpRewritePattern<cmb::MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(cmb::MatmulOp op,
                                PatternRewriter &rewriter) const override {
    if (!mapsMatmul(op))
      return rewriter.notifyMatchFailure(op, "no int8 kernel");
    std::optional<Int8Product> match = matchInt8Product(op, true);
    if (!match)
      return rewriter.notifyMatchFailure(op, "weights are not readable");
    Int8Product &p = *match;
    Location loc = op.getLoc();
    TensorBuilder tb(rewriter, loc);
    ArrayRef<int64_t> ys = op.getOutput().getType().getShape(),
                      bs = op.getRhs().getType().getShape();
    int64_t K = bs[0], N = bs[1];
    Type i8 = rewriter.getI8Type();
    Value lhs = quant::StorageCastOp::create(
        rewriter, loc,
        op.getLhs().getType().clone(p.input.getStorageType()), op.getLhs());
    // All rows of the lhs make one GEMM with the shared weights.
    cmb::FlatMatmul flat = cmb::flattenMatmul(tb, lhs, op.getRhs(), ys);
    int64_t M = flat.shape[0];
    SmallVector<int64_t> params(CMB_QGEMM_NUM_PARAMS, 0);
    params[CMB_QGEMM_M] = M;
    params[CMB_QGEMM_N] = N;
    params[CMB_QGEMM_K] = K;
    params[CMB_QGEMM_LDA] = K;
    params[CMB_QGEMM_LDC] = N;
    params[CMB_QGEMM_X_SIGNED] = p.input.isSigned();
    params[CMB_QGEMM_OUT] = p.outputMode();
    params[CMB_QGEMM_ZY] = p.requant.zeroPoint;
    params[CMB_QGEMM_LO] = p.requant.lo;
    params[CMB_QGEMM_HI] = p.requant.hi;
    std::vector<int8_t> packed(cmb_q_gemm_weights_bytes(K, N));
    cmb_q_pack_gemm_weights(p.weights.data(), N, 1, K, N, packed.data());
    std::vector<int32_t> table =
        channelTable(p, N, K, p.weights.data(), /*strideF=*/1,
                     /*strideK=*/N);
    Value weights = constantOf<int8_t>(rewriter, loc, packed, i8, "qgemm_w");
    Value channels = constantOf<int32_t>(rewriter, loc, table,
                                         rewriter.getI32Type(), "qgemm_c");
    Value init = tb.empty({M, N}, outputElement(p, rewriter));
    auto kernel = x86::QGemmOp::create(
        rewriter, loc, TypeRange{init.getType()}, flat.lhs, weights, channels,
        init, rewriter.getDenseI64ArrayAttr(params));
    replaceWithOutput(op, tb.reshape(kernel.getResult()[0], ys), p, rewriter);
    return success();
  }
};

} // namespace

bool cambrian::x86::mapsToInt8Kernel(Operation *op) {
  if (auto conv = dyn_cast<cmb::ConvOp>(op))
    return mapsConv(conv);
  if (auto matmul = dyn_cast<cmb::MatmulOp>(op))
    return mapsMatmul(matmul);
  return false;
}

void cambrian::x86::populateMapQuantizedPatterns(RewritePatternSet &patterns) {
  patterns.add<QConvToKernel, QMatmulToKernel>(patterns.getContext());
}
