//===- QOperator.cpp - QLinear*, ConvInteger and MatMulInteger ------------===//
//
// The QOperator format: ops that read and write quantized tensors, each with
// the scales and zero points of its inputs and output as inputs of its own.
// Each imports as what a QDQ model spells with separate nodes:
// cambrian.dequantize of every quantized input, the float op the float
// importer uses (cambrian.conv, cambrian.matmul, cambrian.pool,
// cambrian.activation, arith on tensors, a concatenation), and
// cambrian.quantize to the output's type. The quantization passes then make
// the group integer, as they do for QDQ.
//
// ConvInteger and MatMulInteger return int32: their operands dequantize with
// the implied scale 1 and their zero points, and the float result is
// quantized to !quant.uniform<i32:f32, 1.0> (zero point 0) and stored as
// i32. The pass folds the group into an int32 accumulation without
// requantization, which is exact; where it stays float (not folded, or a
// zero point known only at run time, as DynamicQuantizeLinear gives
// ConvInteger) every value is still an integer, exact while the partial
// sums stay below 2^24 in magnitude. A
// QLinearConv bias is int32 at scale x_scale * w_scale (per output channel
// when w is), zero point 0; it is seen as that !quant.uniform<i32:f32, ...>
// type and dequantized, so the pass can take the int32 values as they are.
//
// Parameters known only at run time cannot make a !quant.uniform type: the
// affected inputs and outputs are then dequantized and quantized by float
// loops (correct, not fast). The integer matrix products keep their exact
// int32 loops in that case.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/QuantParams.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Quant/IR/Quant.h"

#include <limits>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// Parameters at inputs `scale` and `zeroPoint` with their ONNX names, per
/// tensor or along `axis`.
QuantParamInputs params(int scale, int zeroPoint, std::string scaleName,
                        std::string zeroPointName,
                        std::optional<int64_t> axis = std::nullopt) {
  QuantParamInputs p;
  p.scale = scale;
  p.zeroPoint = zeroPoint;
  p.scaleName = std::move(scaleName);
  p.zeroPointName = std::move(zeroPointName);
  p.axis = axis;
  return p;
}

/// Input `i` holds int8 or uint8 values.
LogicalResult checkInt8(NodeContext &nc, unsigned i, StringRef name) {
  int32_t t = nc.inputType(i);
  if (t == kInt8 || t == kUInt8)
    return success();
  return nc.emitError() << name << " has element type " << onnxTypeName(t)
                        << "; this op takes int8 or uint8";
}

/// The output's quantized type: its zero point's type, else `dflt`.
int32_t outputType(NodeContext &nc, unsigned zeroPoint, int32_t dflt) {
  return nc.hasInput(zeroPoint) ? nc.inputType(zeroPoint) : dflt;
}

//===----------------------------------------------------------------------===//
// Convolutions
//===----------------------------------------------------------------------===//

/// Checks the data `x` and weights `w` of a quantized 1-D or 2-D
/// convolution and computes its window and group.
FailureOr<WindowGeometry> convWindow(NodeContext &nc, unsigned x, unsigned w,
                                     int64_t &group) {
  ArrayRef<int64_t> xs = nc.inputShape(x), ws = nc.inputShape(w);
  if (xs.size() != 3 && xs.size() != 4)
    return nc.emitError() << (int64_t)xs.size() - 2
                          << "-D convolutions are not supported (1-D and 2-D "
                             "are)";
  if (ws.size() != xs.size())
    return nc.emitError() << "weight rank " << ws.size()
                          << " differs from input rank " << xs.size();
  group = nc.attrInt("group", 1);
  int64_t C = xs[1], F = ws[0];
  if (group < 1 || C % group || F % group || ws[1] * group != C)
    return nc.emitError() << "group " << group << " does not fit " << C
                          << " input channels and weight shape";
  return computeWindow(nc, xs.drop_front(2), ws.drop_front(2),
                       /*allowCeilMode=*/false);
}

/// QLinearConv's bias (input 8: int32, one per filter) as f32. With known
/// x and w scales it is seen as !quant.uniform<i32:f32, x_scale * w_scale>
/// (per axis 0 when w is per channel) and dequantized; else spelled out.
Value dequantizeBias(NodeContext &nc) {
  OpBuilder &b = nc.builder();
  ArrayRef<int64_t> bs = nc.inputShape(8);
  const HostTensor *xScale = nc.constantInput(1), *wScale = nc.constantInput(4);
  if (xScale && wScale) {
    // The products as float32 computes them, as ONNX Runtime's do.
    SmallVector<double> scales;
    for (int64_t i = 0, e = wScale->size(); i < e; ++i)
      scales.push_back(
          (double)((float)xScale->getDouble(0) * (float)wScale->getDouble(i)));
    MLIRContext *ctx = nc.context();
    auto i32 = IntegerType::get(ctx, 32);
    auto f32 = Float32Type::get(ctx);
    int64_t lo = std::numeric_limits<int32_t>::min(),
            hi = std::numeric_limits<int32_t>::max();
    quant::QuantizedType type =
        scales.size() == 1
            ? quant::QuantizedType(quant::UniformQuantizedType::get(
                  quant::QuantizationFlags::Signed, i32, f32, scales[0], 0, lo,
                  hi))
            : quant::UniformQuantizedPerAxisType::get(
                  quant::QuantizationFlags::Signed, i32, f32, scales,
                  SmallVector<int64_t>(scales.size(), 0), 0, lo, hi);
    Value q = quant::StorageCastOp::create(
        b, nc.loc(), RankedTensorType::get(bs, type), nc.operand(8));
    return cmb::DequantizeOp::create(b, nc.loc(),
                                     RankedTensorType::get(bs, f32), q);
  }
  // Scales known only at run time.
  TensorBuilder tb = nc.tb();
  auto scale = [&](unsigned i) {
    Value s = tb.convert(nc.operand(i), nc.inputType(i), kFloat);
    return tb.reshape(s, {numElements(nc.inputShape(i))});
  };
  return tb.elementwise(
      {tb.convert(nc.operand(8), kInt32, kFloat), scale(1), scale(4)}, bs,
      b.getF32Type(), [](OpBuilder &bb, Location loc, ValueRange v) {
        Value s = arith::MulFOp::create(bb, loc, v[1], v[2]);
        return arith::MulFOp::create(bb, loc, v[0], s).getResult();
      });
}

/// QLinearConv (10): x, x_scale, x_zero_point, w, w_scale, w_zero_point,
/// y_scale, y_zero_point, B.
LogicalResult importQLinearConv(NodeContext &nc) {
  if (failed(checkInt8(nc, 0, "x")) || failed(checkInt8(nc, 3, "w")))
    return failure();
  int32_t yt = outputType(nc, 7, nc.inputType(0));
  if (yt != kInt8 && yt != kUInt8)
    return nc.emitError() << "y_zero_point has element type "
                          << onnxTypeName(yt)
                          << "; this op takes int8 or uint8";
  int64_t group;
  auto g = convWindow(nc, 0, 3, group);
  if (failed(g))
    return failure();
  int64_t F = nc.inputShape(3)[0];
  QuantParamInputs px = params(1, 2, "x_scale", "x_zero_point"),
                   pw = params(4, 5, "w_scale", "w_zero_point", 0),
                   py = params(6, 7, "y_scale", "y_zero_point");
  ArrayRef<int64_t> xs = nc.inputShape(0), ws = nc.inputShape(3);
  SmallVector<int64_t> ys = {xs[0], F};
  ys.append(g->outSpatial.begin(), g->outSpatial.end());
  if (failed(checkQuantParams(nc, px, xs, nc.inputType(0))) ||
      failed(checkQuantParams(nc, pw, ws, nc.inputType(3))) ||
      failed(checkQuantParams(nc, py, ys, yt)))
    return failure();
  if (nc.hasInput(8) &&
      (nc.inputType(8) != kInt32 || nc.inputShape(8) != ArrayRef<int64_t>{F}))
    return nc.emitError() << "B must be int32 of shape [" << F << "]";
  Value x = dequantizeInput(nc, 0, px);
  Value w = dequantizeInput(nc, 3, pw);
  Value bias = nc.hasInput(8) ? dequantizeBias(nc) : Value();
  Value y = emitConv(nc, x, w, bias, *g, group);
  nc.setResult(0, quantizeValue(nc, y, py, yt), yt);
  return success();
}

/// ConvInteger (10): x, w, x_zero_point, w_zero_point; an int32 result.
LogicalResult importConvInteger(NodeContext &nc) {
  if (failed(checkInt8(nc, 0, "x")) || failed(checkInt8(nc, 1, "w")))
    return failure();
  int64_t group;
  auto g = convWindow(nc, 0, 1, group);
  if (failed(g))
    return failure();
  QuantParamInputs px = params(-1, 2, "", "x_zero_point"),
                   pw = params(-1, 3, "", "w_zero_point", 0);
  if (failed(checkQuantParams(nc, px, nc.inputShape(0), nc.inputType(0))) ||
      failed(checkQuantParams(nc, pw, nc.inputShape(1), nc.inputType(1))))
    return failure();
  // Padding after the zero point is taken off is padding with the zero
  // point, as ONNX asks.
  Value x = dequantizeInput(nc, 0, px);
  Value w = dequantizeInput(nc, 1, pw);
  Value y = emitConv(nc, x, w, Value(), *g, group);
  nc.setResult(0, quantizeValue(nc, y, QuantParamInputs(), kInt32), kInt32);
  return success();
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

/// A cambrian.matmul of `a` and `b` (numpy's matmul, both at least 2-D).
Value emitMatmul(NodeContext &nc, Value a, Value b) {
  ArrayRef<int64_t> as = TensorBuilder::shapeOf(a),
                    bs = TensorBuilder::shapeOf(b);
  SmallVector<int64_t> shape;
  broadcastShapes(as.drop_back(2), bs.drop_back(2), shape);
  shape.append({as[as.size() - 2], bs.back()});
  auto type = RankedTensorType::get(shape, TensorBuilder::elementTypeOf(a));
  return cmb::MatmulOp::create(nc.builder(), nc.loc(), type, a, b,
                               /*bias=*/Value(), /*residual=*/Value(),
                               /*activation=*/nullptr);
}

/// Checks the shapes of a matrix product of inputs `a` and `b`; sets the
/// result's.
LogicalResult checkMatmulShapes(NodeContext &nc, unsigned a, unsigned b,
                                SmallVectorImpl<int64_t> &outShape) {
  ArrayRef<int64_t> as = nc.inputShape(a), bs = nc.inputShape(b);
  if (as.size() < 2 || bs.size() < 2)
    return nc.emitError() << "inputs must have rank >= 2";
  int64_t K = as.back();
  if (bs[bs.size() - 2] != K)
    return nc.emitError() << "inner dimensions differ (" << K << " vs "
                          << bs[bs.size() - 2] << ")";
  if (!broadcastShapes(as.drop_back(2), bs.drop_back(2), outShape))
    return nc.emitError() << "batch dimensions cannot be broadcast";
  outShape.append({as[as.size() - 2], bs.back()});
  return success();
}

/// (a - a_zero_point) @ (b - b_zero_point) in int32 loops, batched and
/// broadcast like MatMul; zero points per tensor, per row of a or per
/// column of b. The form for zero points known only at run time.
Value integerMatmul(NodeContext &nc, unsigned a, unsigned aZp, unsigned b,
                    unsigned bZp, ArrayRef<int64_t> outShape) {
  TensorBuilder tb = nc.tb();
  SmallVector<int64_t> as(nc.inputShape(a)), bs(nc.inputShape(b));
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  ArrayRef<int64_t> batch = outShape.drop_back(2);
  Type i32 = nc.builder().getI32Type();
  auto centered = [&](unsigned v, unsigned zp, ArrayRef<int64_t> shape,
                      bool rowWise) {
    Value x = tb.convert(nc.operand(v), nc.inputType(v), kInt32);
    if (!nc.hasInput(zp))
      return x;
    Value z = tb.convert(nc.operand(zp), nc.inputType(zp), kInt32);
    SmallVector<int64_t> s(shape.size(), 1);
    if (numElements(nc.inputShape(zp)) != 1) {
      // One zero point per row of a / column of b.
      int64_t d = rowWise ? shape.size() - 2 : shape.size() - 1;
      s[d] = shape[d];
    }
    z = tb.reshape(z, s);
    return tb.elementwise({x, z}, shape, i32,
                          [](OpBuilder &bb, Location loc, ValueRange v) {
                            return arith::SubIOp::create(bb, loc, v[0], v[1])
                                .getResult();
                          });
  };
  Value av = centered(a, aZp, as, true), bv = centered(b, bZp, bs, false);
  SmallVector<int64_t> aFull(batch), bFull(batch);
  aFull.append({M, K});
  bFull.append({K, N});
  int64_t B = numElements(batch);
  Value a3 = tb.reshape(tb.broadcastTo(av, aFull), {B, M, K});
  Value b3 = tb.reshape(tb.broadcastTo(bv, bFull), {B, K, N});
  Value init = tb.splat(tb.scalar(i32, 0.0), {B, M, N});
  Value y = linalg::BatchMatmulOp::create(nc.builder(), nc.loc(),
                                          TypeRange{init.getType()},
                                          ValueRange{a3, b3}, ValueRange{init})
                .getResult(0);
  return tb.reshape(y, outShape);
}

/// MatMulInteger (10): A, B, a_zero_point (per tensor or per row of A),
/// b_zero_point (per tensor or per column of B); an int32 result.
LogicalResult importMatMulInteger(NodeContext &nc) {
  if (failed(checkInt8(nc, 0, "A")) || failed(checkInt8(nc, 1, "B")))
    return failure();
  SmallVector<int64_t> shape;
  if (failed(checkMatmulShapes(nc, 0, 1, shape)))
    return failure();
  QuantParamInputs pa = params(-1, 2, "", "a_zero_point", -2),
                   pb = params(-1, 3, "", "b_zero_point", -1);
  ArrayRef<int64_t> as = nc.inputShape(0), bs = nc.inputShape(1);
  if (failed(checkQuantParams(nc, pa, as, nc.inputType(0))) ||
      failed(checkQuantParams(nc, pb, bs, nc.inputType(1))))
    return failure();
  if (!quantizedType(nc, pa, as, nc.inputType(0)) ||
      !quantizedType(nc, pb, bs, nc.inputType(1))) {
    nc.setResult(0, integerMatmul(nc, 0, 2, 1, 3, shape), kInt32);
    return success();
  }
  Value a = dequantizeInput(nc, 0, pa);
  Value b = dequantizeInput(nc, 1, pb);
  nc.setResult(0,
               quantizeValue(nc, emitMatmul(nc, a, b), QuantParamInputs(),
                             kInt32),
               kInt32);
  return success();
}

/// QLinearMatMul (10, 21): a, a_scale, a_zero_point (per tensor or per row),
/// b, b_scale, b_zero_point (per tensor or per column), y_scale,
/// y_zero_point (per tensor or per row).
LogicalResult importQLinearMatMul(NodeContext &nc) {
  if (failed(checkInt8(nc, 0, "a")) || failed(checkInt8(nc, 3, "b")))
    return failure();
  int32_t yt = outputType(nc, 7, nc.inputType(0));
  if (yt != kInt8 && yt != kUInt8)
    return nc.emitError() << "y_zero_point has element type "
                          << onnxTypeName(yt)
                          << "; this op takes int8 or uint8";
  SmallVector<int64_t> shape;
  if (failed(checkMatmulShapes(nc, 0, 3, shape)))
    return failure();
  QuantParamInputs pa = params(1, 2, "a_scale", "a_zero_point", -2),
                   pb = params(4, 5, "b_scale", "b_zero_point", -1),
                   py = params(6, 7, "y_scale", "y_zero_point", -2);
  ArrayRef<int64_t> as = nc.inputShape(0), bs = nc.inputShape(3);
  if (failed(checkQuantParams(nc, pa, as, nc.inputType(0))) ||
      failed(checkQuantParams(nc, pb, bs, nc.inputType(3))) ||
      failed(checkQuantParams(nc, py, shape, yt)))
    return failure();
  // Per-row or per-column scales known only at run time are dequantized in
  // loops like the rest; per-tensor ones keep the exact int32 product.
  bool perTensor = llvm::all_of(std::initializer_list<unsigned>{1, 4, 6},
                                [&](unsigned i) {
                                  return numElements(nc.inputShape(i)) == 1;
                                });
  if ((quantizedType(nc, pa, as, nc.inputType(0)) &&
       quantizedType(nc, pb, bs, nc.inputType(3)) &&
       quantizedType(nc, py, shape, yt)) ||
      !perTensor) {
    Value a = dequantizeInput(nc, 0, pa);
    Value b = dequantizeInput(nc, 3, pb);
    nc.setResult(0, quantizeValue(nc, emitMatmul(nc, a, b), py, yt), yt);
    return success();
  }
  // Per-tensor parameters known only at run time: the int32 product
  // requantized with a_scale * b_scale / y_scale, in loops.
  Value acc = integerMatmul(nc, 0, 2, 3, 5, shape);
  TensorBuilder tb = nc.tb();
  auto scalar = [&](unsigned i) {
    return tb.reshape(tb.convert(nc.operand(i), nc.inputType(i), kFloat),
                      SmallVector<int64_t>(shape.size(), 1));
  };
  SmallVector<Value> ops = {tb.convert(acc, kInt32, kFloat), scalar(1),
                            scalar(4), scalar(6)};
  if (nc.hasInput(7))
    ops.push_back(scalar(7));
  Value y = tb.elementwise(
      ops, shape, mlirElementType(nc.context(), yt),
      [&](OpBuilder &b, Location loc, ValueRange v) {
        Value s = arith::DivFOp::create(
            b, loc, arith::MulFOp::create(b, loc, v[1], v[2]), v[3]);
        Value d = arith::MulFOp::create(b, loc, v[0], s);
        if (v.size() > 4)
          d = arith::AddFOp::create(b, loc, d, v[4]);
        return saturateToInt(b, loc, d, yt);
      });
  nc.setResult(0, y, yt);
  return success();
}

//===----------------------------------------------------------------------===//
// com.microsoft: elementwise, pooling, concatenation
//===----------------------------------------------------------------------===//

/// QLinearAdd, QLinearMul (com.microsoft 1): A, A_scale, A_zero_point, B,
/// B_scale, B_zero_point, C_scale, C_zero_point; broadcasting.
LogicalResult importQLinearBinary(NodeContext &nc, bool add) {
  if (failed(checkInt8(nc, 0, "A")) || failed(checkInt8(nc, 3, "B")))
    return failure();
  if (nc.inputType(3) != nc.inputType(0))
    return nc.emitError() << "A and B have different element types";
  int32_t ct = outputType(nc, 7, nc.inputType(0));
  SmallVector<int64_t> shape;
  if (!broadcastShapes(nc.inputShape(0), nc.inputShape(3), shape))
    return nc.emitError() << "input shapes cannot be broadcast together";
  QuantParamInputs pa = params(1, 2, "A_scale", "A_zero_point"),
                   pb = params(4, 5, "B_scale", "B_zero_point"),
                   pc = params(6, 7, "C_scale", "C_zero_point");
  if (failed(checkQuantParams(nc, pa, nc.inputShape(0), nc.inputType(0))) ||
      failed(checkQuantParams(nc, pb, nc.inputShape(3), nc.inputType(3))) ||
      failed(checkQuantParams(nc, pc, shape, ct)))
    return failure();
  Value a = dequantizeInput(nc, 0, pa);
  Value b = dequantizeInput(nc, 3, pb);
  Value y;
  // Same shapes stay one op on tensors, as the float Add and Mul do.
  if (TensorBuilder::shapeOf(a) == ArrayRef<int64_t>(shape) &&
      TensorBuilder::shapeOf(b) == ArrayRef<int64_t>(shape))
    y = add ? Value(arith::AddFOp::create(nc.builder(), nc.loc(), a, b))
            : Value(arith::MulFOp::create(nc.builder(), nc.loc(), a, b));
  else
    y = nc.tb().elementwise({a, b}, shape, nc.builder().getF32Type(),
                            [add](OpBuilder &bb, Location loc, ValueRange v) {
                              if (add)
                                return arith::AddFOp::create(bb, loc, v[0],
                                                             v[1])
                                    .getResult();
                              return arith::MulFOp::create(bb, loc, v[0], v[1])
                                  .getResult();
                            });
  nc.setResult(0, quantizeValue(nc, y, pc, ct), ct);
  return success();
}

LogicalResult importQLinearAdd(NodeContext &nc) {
  return importQLinearBinary(nc, /*add=*/true);
}

LogicalResult importQLinearMul(NodeContext &nc) {
  return importQLinearBinary(nc, /*add=*/false);
}

/// The ops of the form (X, X_scale, X_zero_point, Y_scale, Y_zero_point):
/// input 0 dequantized with inputs 1 and 2, checked along with the output's
/// parameters 3 and 4 for an output of `outShape` (the input's when
/// empty). Sets `yt` to the output's type.
FailureOr<Value> dequantizeUnary(NodeContext &nc, StringRef in, StringRef out,
                                 QuantParamInputs &py, int32_t &yt,
                                 ArrayRef<int64_t> outShape = {}) {
  if (failed(checkInt8(nc, 0, "X")))
    return failure();
  yt = outputType(nc, 4, nc.inputType(0));
  QuantParamInputs px = params(1, 2, (in + "_scale").str(),
                               (in + "_zero_point").str());
  py = params(3, 4, (out + "_scale").str(), (out + "_zero_point").str());
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (failed(checkQuantParams(nc, px, xs, nc.inputType(0))) ||
      failed(checkQuantParams(nc, py, outShape.empty() ? xs : outShape, yt)))
    return failure();
  return dequantizeInput(nc, 0, px);
}

/// QLinearSigmoid, QLinearLeakyRelu (com.microsoft 1) as
/// cambrian.activation.
LogicalResult importQLinearActivation(NodeContext &nc,
                                      cmb::ActivationKind kind, float alpha) {
  QuantParamInputs py;
  int32_t yt;
  auto x = dequantizeUnary(nc, "X", "Y", py, yt);
  if (failed(x))
    return failure();
  auto act = cmb::ActivationAttr::get(nc.context(), kind, alpha, 0.0f);
  Value y = cmb::ActivationOp::create(nc.builder(), nc.loc(), x->getType(),
                                      *x, act);
  nc.setResult(0, quantizeValue(nc, y, py, yt), yt);
  return success();
}

LogicalResult importQLinearSigmoid(NodeContext &nc) {
  return importQLinearActivation(nc, cmb::ActivationKind::Sigmoid, 0.0f);
}

LogicalResult importQLinearLeakyRelu(NodeContext &nc) {
  return importQLinearActivation(nc, cmb::ActivationKind::LeakyRelu,
                                 nc.attrFloat("alpha", 0.01));
}

/// `x` in N, C, spatial... order: channels_last inputs (N, spatial..., C)
/// are transposed; `back` gets the permutation that undoes it.
Value toChannelsFirst(NodeContext &nc, Value x,
                      SmallVectorImpl<int64_t> &back) {
  int64_t rank = TensorBuilder::shapeOf(x).size();
  back.clear();
  if (!nc.attrInt("channels_last", 0))
    return x;
  SmallVector<int64_t> perm = {0, rank - 1};
  back.push_back(0);
  for (int64_t d = 1; d < rank - 1; ++d) {
    perm.push_back(d);
    back.push_back(d + 1);
  }
  back.push_back(1);
  return nc.tb().transpose(x, perm);
}

/// QLinearAveragePool and QLinearGlobalAveragePool (com.microsoft 1) as one
/// average cambrian.pool; the global one's window is the whole map.
LogicalResult importQLinearAveragePool(NodeContext &nc) {
  bool global = nc.opType() == "QLinearGlobalAveragePool";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (xs.size() < 3)
    return nc.emitError() << "X needs rank >= 3 (N, C, spatial...)";
  bool last = nc.attrInt("channels_last", 0) != 0;
  SmallVector<int64_t> nchw = {xs[0], last ? xs.back() : xs[1]};
  ArrayRef<int64_t> spatial = last ? xs.drop_front().drop_back()
                                   : xs.drop_front(2);
  nchw.append(spatial.begin(), spatial.end());
  WindowGeometry g;
  if (global) {
    int64_t nd = spatial.size();
    g.kernel.assign(spatial.begin(), spatial.end());
    g.strides.assign(nd, 1);
    g.dilations.assign(nd, 1);
    g.padBegin.assign(nd, 0);
    g.explicitPadEnd.assign(nd, 0);
    g.outSpatial.assign(nd, 1);
  } else {
    auto w = computeWindow(nc, spatial, {}, /*allowCeilMode=*/true);
    if (failed(w))
      return failure();
    g = *w;
  }
  SmallVector<int64_t> outShape = {nchw[0], nchw[1]};
  outShape.append(g.outSpatial.begin(), g.outSpatial.end());
  SmallVector<int64_t> back, out(outShape);
  if (last) {
    out.erase(out.begin() + 1);
    out.push_back(nchw[1]);
  }
  QuantParamInputs py;
  int32_t yt;
  auto x = dequantizeUnary(nc, "x", "y", py, yt, out);
  if (failed(x))
    return failure();
  Value in = toChannelsFirst(nc, *x, back);
  SmallVector<int64_t> padding(g.padBegin.begin(), g.padBegin.end());
  padding.append(g.explicitPadEnd.begin(), g.explicitPadEnd.end());
  Value y = cmb::PoolOp::create(
      nc.builder(), nc.loc(),
      RankedTensorType::get(outShape, nc.builder().getF32Type()),
      cmb::PoolKind::Average, in, g.kernel, g.strides, g.dilations, padding,
      nc.attrInt("count_include_pad", 0) != 0,
      !global && nc.attrInt("ceil_mode", 0) != 0);
  if (!back.empty())
    y = nc.tb().transpose(y, back);
  nc.setResult(0, quantizeValue(nc, y, py, yt), yt);
  return success();
}

/// QLinearConcat (com.microsoft 1): Y_scale, Y_zero_point, then X, X_scale,
/// X_zero_point for each input; `axis`.
LogicalResult importQLinearConcat(NodeContext &nc) {
  unsigned n = nc.numInputs();
  if (n < 5 || (n - 2) % 3 != 0)
    return nc.emitError() << "expects Y_scale, Y_zero_point and then three "
                             "inputs (X, X_scale, X_zero_point) per tensor, "
                             "got "
                          << n << " inputs";
  int64_t rank = nc.inputShape(2).size();
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int32_t yt = outputType(nc, 1, nc.inputType(2));
  SmallVector<int64_t> shape(nc.inputShape(2));
  shape[*axis] = 0;
  SmallVector<Value> parts;
  for (unsigned i = 2; i < n; i += 3) {
    unsigned k = (i - 2) / 3;
    std::string x = "X" + std::to_string(k);
    if (failed(checkInt8(nc, i, x)))
      return failure();
    ArrayRef<int64_t> s = nc.inputShape(i);
    if ((int64_t)s.size() != rank)
      return nc.emitError() << x << " has rank " << s.size() << ", X0 "
                            << rank;
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && s[d] != shape[d])
        return nc.emitError() << x << " has extent " << s[d] << " in dim "
                              << d << ", X0 has " << shape[d];
    shape[*axis] += s[*axis];
    QuantParamInputs p = params(i + 1, i + 2, x + "_scale", x + "_zero_point");
    if (failed(checkQuantParams(nc, p, s, nc.inputType(i))))
      return failure();
    parts.push_back(dequantizeInput(nc, i, p));
  }
  QuantParamInputs py = params(0, 1, "Y_scale", "Y_zero_point");
  if (failed(checkQuantParams(nc, py, shape, yt)))
    return failure();
  Value y = nc.tb().concat(parts, *axis);
  nc.setResult(0, quantizeValue(nc, y, py, yt), yt);
  return success();
}

} // namespace

void cambrian::onnx_import::registerQOperator(OpRegistry &r) {
  r.add("", "ConvInteger", 10, importConvInteger);
  r.add("", "MatMulInteger", 10, importMatMulInteger);
  r.add("", "QLinearConv", 10, importQLinearConv);
  r.add("", "QLinearMatMul", 10, importQLinearMatMul);
  r.add("com.microsoft", "QLinearAdd", 1, importQLinearAdd);
  r.add("com.microsoft", {"QLinearAveragePool", "QLinearGlobalAveragePool"},
        1, importQLinearAveragePool);
  r.add("com.microsoft", "QLinearConcat", 1, importQLinearConcat);
  r.add("com.microsoft", "QLinearLeakyRelu", 1, importQLinearLeakyRelu);
  r.add("com.microsoft", "QLinearMul", 1, importQLinearMul);
  r.add("com.microsoft", "QLinearSigmoid", 1, importQLinearSigmoid);
}
