//===- Quantization.cpp - QuantizeLinear, DequantizeLinear and friends ----===//
//
// Linear (de)quantization with per-tensor, per-axis and blocked scales, and
// the dynamic variant. Known int8/uint8 parameters make cambrian.quantize /
// cambrian.dequantize on !quant.uniform tensors; the rest (16-, 4- and 2-bit
// integers, float8, blocks, run-time parameters) are spelled out. The
// QOperator ops are in QOperator.cpp.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/QuantParams.h"
#include "lib/Import/SmallTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// The parameters of QuantizeLinear (`y_...`) or DequantizeLinear
/// (`x_...`): inputs 1 and 2, along `axis`, possibly blocked.
QuantParamInputs linearParams(NodeContext &nc, StringRef prefix) {
  QuantParamInputs p;
  p.scale = 1;
  p.zeroPoint = 2;
  p.scaleName = prefix == "y" ? "y_scale" : "x_scale";
  p.zeroPointName = prefix == "y" ? "y_zero_point" : "x_zero_point";
  p.axis = nc.attrInt("axis", 1);
  p.blockSize = nc.attrInt("block_size", 0);
  return p;
}

/// QuantizeLinear (10, 13, 19, 21, 23, 24, 25).
LogicalResult importQuantizeLinear(NodeContext &nc) {
  int32_t xt = nc.inputType(0);
  if (!isFloatType(xt) && xt != kInt32)
    return nc.emitError() << "expects a float or int32 input";
  // output_dtype (21) and the zero point's type must agree; the check below
  // says so when they do not.
  int32_t qt = (int32_t)nc.attrInt("output_dtype", 0);
  if (qt == 0)
    qt = nc.hasInput(2) ? nc.inputType(2) : int32_t(kUInt8);
  bool toFloat8 = isSmallFloat(qt) && qt != kFloat8E8M0;
  if (!quantRange(qt) && !toFloat8) {
    if (nc.hasInput(2) && !nc.hasAttr("output_dtype"))
      return nc.emitError() << "y_zero_point has element type "
                            << onnxTypeName(qt)
                            << ", which is not a type to quantize to";
    return nc.emitError() << "quantizing to " << onnxTypeName(qt)
                          << " is not supported";
  }
  bool saturate = nc.attrInt("saturate", 1) != 0;
  ArrayRef<int64_t> xs = nc.inputShape(0);
  QuantParamInputs p = linearParams(nc, "y");
  if (failed(checkQuantParams(nc, p, xs, qt)))
    return failure();
  // One cambrian.quantize; its storage (i8) is what flows on.
  if (xt == kFloat && nc.inputType(1) == kFloat &&
      quantizedType(nc, p, xs, qt)) {
    nc.setResult(0, quantizeValue(nc, nc.operand(0), p, qt), qt);
    return success();
  }
  SmallVector<Value> ops = {
      nc.tb().convert(nc.operand(0), xt, kFloat),
      nc.tb().convert(broadcastParam(nc, 1, xs, p), nc.inputType(1), kFloat)};
  if (nc.hasInput(2))
    ops.push_back(broadcastParam(nc, 2, xs, p));
  Value y = nc.tb().elementwise(
      ops, xs, mlirElementType(nc.context(), qt),
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        Value q = arith::DivFOp::create(b, loc, v[0], v[1]);
        Value zp = v.size() > 2 ? quantizedToFloat(b, loc, v[2], qt) : Value();
        if (toFloat8) {
          // Float8 targets round once, in the format itself.
          if (zp)
            q = arith::AddFOp::create(b, loc, q, zp);
          return emitEncodeSmallFloat(b, loc, q, qt, saturate);
        }
        q = math::RoundEvenOp::create(b, loc, q);
        if (zp)
          q = arith::AddFOp::create(b, loc, q, zp);
        return saturateToInt(b, loc, q, qt);
      });
  nc.setResult(0, y, qt);
  return success();
}

/// DequantizeLinear (10, 13, 19, 21, 23, 24, 25).
LogicalResult importDequantizeLinear(NodeContext &nc) {
  int32_t qt = nc.inputType(0);
  if (!quantRange(qt) && qt != kInt32 &&
      !(isSmallFloat(qt) && qt != kFloat8E8M0))
    return nc.emitError() << "dequantizing " << onnxTypeName(qt)
                          << " is not supported";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  QuantParamInputs p = linearParams(nc, "x");
  if (failed(checkQuantParams(nc, p, xs, qt)))
    return failure();
  int32_t st = nc.inputType(1);
  int32_t yt = (int32_t)nc.attrInt("output_dtype", 0);
  if (yt == 0)
    yt = st;
  // The storage seen as its quantized type, then one cambrian.dequantize.
  if (yt == kFloat && st == kFloat && quantizedType(nc, p, xs, qt)) {
    nc.setResult(0, dequantizeInput(nc, 0, p), kFloat);
    return success();
  }
  TensorBuilder tb = nc.tb();
  // Integers up to 16 bits are exact in float32 (int32 needs double).
  int32_t ct = qt == kInt32 ? int32_t(kDouble) : int32_t(kFloat);
  auto toCompute = [&](Value v, int32_t t) {
    if (!isSmallType(t))
      return tb.convert(v, t, ct);
    return tb.elementwise({v}, TensorBuilder::shapeOf(v),
                          nc.builder().getF32Type(),
                          [t](OpBuilder &b, Location loc, ValueRange x) {
                            return quantizedToFloat(b, loc, x[0], t);
                          });
  };
  SmallVector<Value> ops = {toCompute(nc.operand(0), qt),
                            tb.convert(broadcastParam(nc, 1, xs, p), st, ct)};
  if (nc.hasInput(2))
    ops.push_back(toCompute(broadcastParam(nc, 2, xs, p), qt));
  Value y = tb.elementwise(ops, xs, mlirElementType(nc.context(), ct),
                           [](OpBuilder &b, Location loc, ValueRange v) {
                             Value d = v[0];
                             if (v.size() > 2)
                               d = arith::SubFOp::create(b, loc, d, v[2]);
                             return arith::MulFOp::create(b, loc, d, v[1])
                                 .getResult();
                           });
  nc.setResult(0, tb.convert(y, ct, yt), yt);
  return success();
}

/// DynamicQuantizeLinear (11): uint8 with a scale and zero point covering
/// [min(0, x), max(0, x)].
LogicalResult importDynamicQuantizeLinear(NodeContext &nc) {
  if (failed(nc.checkInputType(0, {kFloat})))
    return failure();
  TensorBuilder tb = nc.tb();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  Value x = nc.operand(0);
  Type f32 = nc.builder().getF32Type();
  SmallVector<int64_t> all;
  for (size_t d = 0; d < xs.size(); ++d)
    all.push_back(d);
  auto reduceTo = [&](bool max) {
    return tb.reduce(x, all, false, 0.0, f32,
                     [max](OpBuilder &b, Location loc, ValueRange v) -> Value {
                       if (max)
                         return arith::MaximumFOp::create(b, loc, v[0], v[1]);
                       return arith::MinimumFOp::create(b, loc, v[0], v[1]);
                     });
  };
  // Starting the reductions at 0 includes 0 in the range, as ONNX asks.
  Value mx = reduceTo(true), mn = reduceTo(false);
  Value scale = tb.elementwise(
      {mx, mn}, {}, f32, [](OpBuilder &b, Location loc, ValueRange v) {
        Value range = arith::SubFOp::create(b, loc, v[0], v[1]);
        Value same = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                           v[0], v[1]);
        range = arith::SelectOp::create(b, loc, same, floatLike(b, loc, range, 1.0),
                                        range);
        return arith::DivFOp::create(b, loc, range,
                                     floatLike(b, loc, range, 255.0))
            .getResult();
      });
  Value zpF = tb.elementwise(
      {mn, scale}, {}, f32, [](OpBuilder &b, Location loc, ValueRange v) {
        Value z = arith::NegFOp::create(
            b, loc, arith::DivFOp::create(b, loc, v[0], v[1]));
        z = arith::MaximumFOp::create(b, loc, z, floatLike(b, loc, z, 0.0));
        z = arith::MinimumFOp::create(b, loc, z, floatLike(b, loc, z, 255.0));
        return math::RoundEvenOp::create(b, loc, z).getResult();
      });
  Value y = tb.elementwise(
      {x, scale, zpF}, xs, nc.builder().getI8Type(),
      [](OpBuilder &b, Location loc, ValueRange v) {
        Value q = math::RoundEvenOp::create(
            b, loc, arith::DivFOp::create(b, loc, v[0], v[1]));
        return saturateToInt(b, loc, arith::AddFOp::create(b, loc, q, v[2]),
                             kUInt8);
      });
  nc.setResult(0, y, kUInt8);
  nc.setResult(1, scale, kFloat);
  nc.setResult(2, tb.convert(zpF, kFloat, kUInt8), kUInt8);
  return success();
}

} // namespace

void cambrian::onnx_import::registerQuantization(OpRegistry &r) {
  r.add("", "DequantizeLinear", 10, importDequantizeLinear,
        OpFlag::MovesSmallTypes);
  r.add("", "DynamicQuantizeLinear", 11, importDynamicQuantizeLinear);
  r.add("", "QuantizeLinear", 10, importQuantizeLinear,
        OpFlag::MovesSmallTypes);
  // ONNX Runtime's own spelling, same inputs and `axis`.
  r.add("com.microsoft", "DequantizeLinear", 1, importDequantizeLinear,
        OpFlag::MovesSmallTypes);
  r.add("com.microsoft", "QuantizeLinear", 1, importQuantizeLinear,
        OpFlag::MovesSmallTypes);
}
