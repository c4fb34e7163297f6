//===- DefaultDomainAtoF.cpp - ONNX ops Abs .. Floor ----------------------===//

#include "lib/Import/Ops/OpHelpers.h"
#include "lib/Import/SmallTypes.h"

#include "onnx/onnx_pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult importAbs(NodeContext &nc) {
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        if (isFloatType(t))
          return math::AbsFOp::create(b, loc, x);
        if (isUnsignedType(t))
          return x;
        return math::AbsIOp::create(b, loc, x);
      },
      /*floatOnly=*/false);
}

LogicalResult importCast(NodeContext &nc) {
  if (!nc.hasAttr("to"))
    return nc.emitError() << "missing attribute 'to'";
  return importCastTo(nc, nc.attrInt("to", 0));
}

} // namespace

/// Casts from or to the byte-stored small types (float8, float4, int4,
/// int2), with Cast's `saturate` and `round_mode` (float8e8m0).
static LogicalResult importSmallCast(NodeContext &nc, int32_t from,
                                     int32_t to) {
  bool saturate = nc.attrInt("saturate", 1) != 0;
  std::string mode = nc.attrString("round_mode", "up");
  E8M0Rounding rounding = mode == "down"      ? E8M0Rounding::Down
                          : mode == "nearest" ? E8M0Rounding::Nearest
                                              : E8M0Rounding::Up;
  // The wide type a small source is read as.
  int32_t wide = isSmallFloat(from)                   ? int32_t(kFloat)
                 : from == kInt4 || from == kInt2     ? int32_t(kInt8)
                 : from == kUInt4 || from == kUInt2   ? int32_t(kUInt8)
                                                      : from;
  if (const HostTensor *c = nc.constantInput(0);
      c && c->size() <= kHostFoldLimit) {
    HostTensor r(to, c->shape());
    char *out = const_cast<char *>(r.bytes().data());
    for (int64_t i = 0, e = c->size(); i < e; ++i) {
      bool fromFloat = isFloatType(wide);
      double d = fromFloat ? c->getDouble(i) : double(c->getInt(i));
      if (isSmallFloat(to))
        out[i] = static_cast<char>(encodeSmallFloat(to, d, saturate, rounding));
      else if (isSmallType(to))
        r.setInt(i, fromFloat ? (std::isfinite(d) ? int64_t(d) : 0)
                              : c->getInt(i));
      else if (isFloatType(to))
        r.setDouble(i, d);
      else
        r.setInt(i, fromFloat ? int64_t(d) : c->getInt(i));
    }
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  Value y = nc.tb().elementwise(
      {nc.operand(0)}, nc.inputShape(0), mlirElementType(nc.context(), to),
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        Value x = v[0];
        if (isSmallFloat(from))
          x = emitDecodeSmallFloat(b, loc, x, from);
        if (isSmallFloat(to)) {
          Value f = TensorBuilder::castScalar(b, loc, x, wide, kFloat);
          return emitEncodeSmallFloat(b, loc, f, to, saturate, rounding);
        }
        if (isSmallType(to))
          return emitToSmallInt(b, loc, x, isFloatType(wide),
                                isUnsignedType(wide), to);
        return TensorBuilder::castScalar(b, loc, x, wide, to);
      });
  nc.setResult(0, y, to);
  return success();
}

LogicalResult cambrian::onnx_import::importCastTo(NodeContext &nc, int32_t to) {
  int32_t from = nc.inputType(0);
  if ((isSmallType(from) || isSmallType(to)) && from != to)
    return importSmallCast(nc, from, to);
  if (!mlirElementType(nc.context(), to))
    return nc.emitError() << "cast to " << onnxTypeName(to)
                          << " is not supported";
  if (!mlirElementType(nc.context(), from))
    return nc.emitError() << "cast from " << onnxTypeName(from)
                          << " is not supported";
  if (const HostTensor *c = nc.constantInput(0);
      c && c->size() <= kHostFoldLimit) {
    HostTensor r(to, c->shape());
    for (int64_t i = 0, e = c->size(); i < e; ++i) {
      if (isFloatType(from))
        r.setDouble(i, c->getDouble(i));
      else
        r.setInt(i, c->getInt(i));
    }
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  nc.setResult(0, nc.tb().convert(nc.operand(0), from, to), to);
  return success();
}

namespace {

LogicalResult importClip(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  Value x = nc.operand(0);
  Value lo, hi;
  OpBuilder &b = nc.builder();
  if (nc.opset() < 11) {
    lo = scalarConstant(b, nc.loc(), type,
                        nc.attrFloat("min", -std::numeric_limits<float>::max()));
    hi = scalarConstant(b, nc.loc(), type,
                        nc.attrFloat("max", std::numeric_limits<float>::max()));
  }
  SmallVector<Value> operands = {x};
  int loIdx = -1, hiIdx = -1;
  if (nc.opset() >= 11) {
    if (nc.hasInput(1)) {
      loIdx = operands.size();
      operands.push_back(nc.operand(1));
    }
    if (nc.hasInput(2)) {
      hiIdx = operands.size();
      operands.push_back(nc.operand(2));
    }
  }
  Value r = nc.tb().elementwise(
      operands, nc.inputShape(0), TensorBuilder::elementTypeOf(x),
      [&](OpBuilder &nb, Location loc, ValueRange args) {
        Value v = args[0];
        Value l = loIdx >= 0 ? args[loIdx] : lo;
        Value h = hiIdx >= 0 ? args[hiIdx] : hi;
        if (l)
          v = emitBinary(nb, loc, BinaryKind::Max, v, l, type);
        if (h)
          v = emitBinary(nb, loc, BinaryKind::Min, v, h, type);
        return v;
      });
  nc.setResult(0, r, type);
  return success();
}

LogicalResult importElu(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 1.0);
  return importUnary(nc, [alpha](OpBuilder &b, Location loc, Value x, int32_t) {
    Value zero = floatLike(b, loc, x, 0);
    Value e = math::ExpM1Op::create(b, loc, x);
    Value neg = arith::MulFOp::create(b, loc, e, floatLike(b, loc, x, alpha));
    Value isNeg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
    return arith::SelectOp::create(b, loc, isNeg, neg, x).getResult();
  });
}

LogicalResult importCelu(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 1.0);
  return importUnary(nc, [alpha](OpBuilder &b, Location loc, Value x, int32_t) {
    // max(0, x) + min(0, alpha * (exp(x / alpha) - 1))
    Value zero = floatLike(b, loc, x, 0);
    Value a = floatLike(b, loc, x, alpha);
    Value e = math::ExpM1Op::create(b, loc, arith::DivFOp::create(b, loc, x, a));
    Value neg = arith::MinimumFOp::create(b, loc, zero,
                                          arith::MulFOp::create(b, loc, a, e));
    Value pos = arith::MaximumFOp::create(b, loc, zero, x);
    return arith::AddFOp::create(b, loc, pos, neg).getResult();
  });
}

//===----------------------------------------------------------------------===//
// Constants and shapes
//===----------------------------------------------------------------------===//

LogicalResult importConstant(NodeContext &nc) {
  if (nc.hasAttr("value")) {
    auto t = nc.attrTensor("value");
    if (failed(t))
      return failure();
    nc.setConstantResult(0, std::move(*t));
    return success();
  }
  if (nc.hasAttr("value_float")) {
    nc.setConstantResult(
        0, HostTensor::fromDoubles(kFloat, {}, {nc.attrFloat("value_float", 0)}));
    return success();
  }
  if (nc.hasAttr("value_floats")) {
    auto v = nc.attrFloats("value_floats");
    nc.setConstantResult(
        0, HostTensor::fromDoubles(kFloat, {(int64_t)v.size()}, v));
    return success();
  }
  if (nc.hasAttr("value_int")) {
    nc.setConstantResult(
        0, HostTensor::fromInts(kInt64, {}, {nc.attrInt("value_int", 0)}));
    return success();
  }
  if (nc.hasAttr("value_ints")) {
    auto v = nc.attrInts("value_ints");
    nc.setConstantResult(0, HostTensor::fromInts(kInt64, {(int64_t)v.size()}, v));
    return success();
  }
  return nc.emitError() << "only tensor, float(s) and int(s) values are "
                           "supported (sparse and string constants are not)";
}

LogicalResult importConstantOfShape(NodeContext &nc) {
  auto shape = nc.requireConstantInts(0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return nc.emitError() << "shape has a negative extent " << d;
  HostTensor value = HostTensor::fromDoubles(kFloat, {1}, {0.0});
  if (nc.hasAttr("value")) {
    auto t = nc.attrTensor("value");
    if (failed(t))
      return failure();
    if (t->size() != 1)
      return nc.emitError() << "attribute 'value' must hold one element";
    value = *t;
  }
  int64_t n = numElements(*shape);
  if (n <= kHostFoldLimit) {
    HostTensor r(value.type(), *shape);
    for (int64_t i = 0; i < n; ++i) {
      if (isFloatType(value.type()))
        r.setDouble(i, value.getDouble(0));
      else
        r.setInt(i, value.getInt(0));
    }
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  TensorBuilder tb = nc.tb();
  Value s = scalarConstant(nc.builder(), nc.loc(), value.type(),
                           isFloatType(value.type()) ? value.getDouble(0)
                                                     : (double)value.getInt(0));
  nc.setResult(0, tb.splat(s, *shape), value.type());
  return success();
}

LogicalResult importConcat(NodeContext &nc) {
  if (!nc.hasAttr("axis"))
    return nc.emitError() << "missing attribute 'axis'";
  int64_t rank = nc.inputShape(0).size();
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int32_t type = nc.inputType(0);
  SmallVector<int64_t> shape(nc.inputShape(0));
  shape[*axis] = 0;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    ArrayRef<int64_t> s = nc.inputShape(i);
    if (nc.inputType(i) != type || (int64_t)s.size() != rank)
      return nc.emitError() << "input " << i
                            << " differs in element type or rank";
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && s[d] != shape[d])
        return nc.emitError() << "input " << i << " has extent " << s[d]
                              << " in dim " << d << ", input 0 has "
                              << shape[d];
    shape[*axis] += s[*axis];
  }
  if (nc.allInputsConstant() && numElements(shape) <= kHostFoldLimit) {
    HostTensor r(type, shape);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < *axis; ++d)
      outer *= shape[d];
    for (int64_t d = *axis + 1; d < rank; ++d)
      inner *= shape[d];
    int64_t at = 0;
    for (unsigned i = 0; i < nc.numInputs(); ++i) {
      const HostTensor *c = nc.constantInput(i);
      int64_t ext = c->shape()[*axis];
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t k = 0; k < ext * inner; ++k) {
          int64_t dst = o * shape[*axis] * inner + at * inner + k;
          int64_t src = o * ext * inner + k;
          if (isFloatType(type))
            r.setDouble(dst, c->getDouble(src));
          else
            r.setInt(dst, c->getInt(src));
        }
      at += ext;
    }
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  SmallVector<Value> values;
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    values.push_back(nc.operand(i));
  nc.setResult(0, nc.tb().concat(values, *axis), type);
  return success();
}

LogicalResult importExpand(NodeContext &nc) {
  auto target = nc.requireConstantInts(1, "shape");
  if (failed(target))
    return failure();
  SmallVector<int64_t> shape;
  if (!broadcastShapes(nc.inputShape(0), *target, shape))
    return nc.emitError() << "input cannot be broadcast to the given shape";
  int32_t type = nc.inputType(0);
  if (const HostTensor *c = nc.constantInput(0);
      c && numElements(shape) <= kHostFoldLimit) {
    // Broadcasting "x + 0" (or "x | false") is the expansion.
    HostTensor zero(type, {});
    HostTensor r = foldBinary(type == kBool ? BinaryKind::Or : BinaryKind::Add,
                              *c, zero, shape);
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  nc.setResult(0, nc.tb().broadcastTo(nc.operand(0), shape), type);
  return success();
}

LogicalResult importFlatten(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t rank = in.size();
  int64_t axis = nc.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return nc.emitError() << "axis " << nc.attrInt("axis", 1)
                          << " is out of range for rank " << rank;
  int64_t outer = numElements(in.take_front(axis));
  SmallVector<int64_t> shape = {outer, numElements(in.drop_front(axis))};
  if (const HostTensor *c = nc.constantInput(0)) {
    nc.setConstantResult(0, c->reshaped(shape));
    return success();
  }
  nc.setResult(0, nc.tb().reshape(nc.operand(0), shape), nc.inputType(0));
  return success();
}

LogicalResult importDropout(NodeContext &nc) {
  if (nc.opset() >= 12 && nc.hasInput(2)) {
    const HostTensor *training = nc.constantInput(2);
    if (!training)
      return nc.emitError() << "training_mode must be known at compile time";
    if (training->getInt(0))
      return nc.emitError() << "training mode is not supported";
  }
  if (nc.opset() < 7 && nc.attrInt("is_test", 0) == 0)
    return nc.emitError() << "training mode is not supported";
  const ImportedValue &x = nc.input(0);
  if (x.constant)
    nc.setConstantResult(0, *x.constant);
  else
    nc.setResult(0, nc.operand(0), x.type);
  if (nc.hasOutput(1)) {
    TensorBuilder tb = nc.tb();
    Value t = tb.scalar(nc.builder().getI1Type(), 1);
    nc.setResult(1, tb.splat(t, x.shape), kBool);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Convolution, normalisation, pooling
//===----------------------------------------------------------------------===//

DenseIntElementsAttr i64Vector(OpBuilder &b, ArrayRef<int64_t> v) {
  return DenseIntElementsAttr::get(
      RankedTensorType::get({(int64_t)v.size()}, b.getI64Type()), v);
}

/// Conv and ConvTranspose take float32 1-D or 2-D data and weights of the
/// same rank.
LogicalResult checkConvOperands(NodeContext &nc, StringRef what) {
  if (failed(nc.checkInputType(0, {kFloat})) ||
      failed(nc.checkInputType(1, {kFloat})))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0), ws = nc.inputShape(1);
  if (xs.size() != 3 && xs.size() != 4)
    return nc.emitError() << (int64_t)xs.size() - 2 << "-D " << what
                          << " are not supported (1-D and 2-D are)";
  if (ws.size() != xs.size())
    return nc.emitError() << "weight rank " << ws.size()
                          << " differs from input rank " << xs.size();
  return success();
}

/// A 2-D NCHW convolution of `x` [N, C, H, W] (padded here as `geo` says)
/// with `w` [F, C/group, KH, KW] as the linalg named op the x86 target
/// lowers to its kernels.
Value emitConv2d(NodeContext &nc, Value x, Value w, const WindowGeometry &geo,
                 int64_t group) {
  TensorBuilder tb = nc.tb();
  OpBuilder &b = nc.builder();
  int64_t C = TensorBuilder::shapeOf(x)[1], F = TensorBuilder::shapeOf(w)[0];
  ArrayRef<int64_t> xs4 = TensorBuilder::shapeOf(x);
  x = tb.pad(x, {0, 0, geo.padBegin[0], geo.padBegin[1]},
             {0, 0, geo.padEnd[0], geo.padEnd[1]}, 0.0);
  int64_t N = xs4[0], OH = geo.outSpatial[0], OW = geo.outSpatial[1];
  int64_t KH = geo.kernel[0], KW = geo.kernel[1];
  Type f32 = b.getF32Type();
  auto strides = i64Vector(b, geo.strides);
  auto dilations = i64Vector(b, geo.dilations);
  SmallVector<NamedAttribute> attrs = {b.getNamedAttr("strides", strides),
                                       b.getNamedAttr("dilations", dilations)};
  Value zero = tb.scalar(f32, 0.0);
  Value y;
  if (group == 1) {
    Value init = tb.splat(zero, {N, F, OH, OW});
    y = linalg::Conv2DNchwFchwOp::create(b, nc.loc(), TypeRange{init.getType()},
                                         ValueRange{x, w}, ValueRange{init},
                                         attrs)
            .getResult(0);
  } else if (group == C && F == C) {
    Value init = tb.splat(zero, {N, C, OH, OW});
    Value w3 = tb.reshape(w, {C, KH, KW});
    y = linalg::DepthwiseConv2DNchwChwOp::create(
            b, nc.loc(), TypeRange{init.getType()}, ValueRange{x, w3},
            ValueRange{init}, attrs)
            .getResult(0);
  } else {
    int64_t Cg = C / group, Fg = F / group;
    ArrayRef<int64_t> ps = TensorBuilder::shapeOf(x);
    Value x5 = tb.reshape(x, {N, group, Cg, ps[2], ps[3]});
    Value w5 = tb.reshape(w, {group, Fg, Cg, KH, KW});
    Value init = tb.splat(zero, {N, group, Fg, OH, OW});
    Value y5 = linalg::Conv2DNgchwGfchwOp::create(
                   b, nc.loc(), TypeRange{init.getType()}, ValueRange{x5, w5},
                   ValueRange{init}, attrs)
                   .getResult(0);
    y = tb.reshape(y5, {N, F, OH, OW});
  }
  return y;
}

LogicalResult importConv(NodeContext &nc) {
  if (failed(checkConvOperands(nc, "convolutions")))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0), ws = nc.inputShape(1);
  int64_t group = nc.attrInt("group", 1);
  int64_t C = xs[1], F = ws[0];
  if (group < 1 || C % group || F % group || ws[1] * group != C)
    return nc.emitError() << "group " << group << " does not fit " << C
                          << " input channels and weight shape";
  auto g = computeWindow(nc, xs.drop_front(2), ws.drop_front(2),
                         /*allowCeilMode=*/false);
  if (failed(g))
    return failure();
  TensorBuilder tb = nc.tb();
  OpBuilder &b = nc.builder();
  Value x = nc.operand(0), w = nc.operand(1);
  WindowGeometry geo = *g;
  bool is1d = xs.size() == 3;
  if (is1d) {
    // A 1-D convolution is a 2-D one over a height of 1.
    x = tb.reshape(x, {xs[0], xs[1], 1, xs[2]});
    w = tb.reshape(w, {ws[0], ws[1], 1, ws[2]});
    auto pre = [](SmallVector<int64_t, 3> &v, int64_t one) {
      v.insert(v.begin(), one);
    };
    pre(geo.kernel, 1); pre(geo.strides, 1); pre(geo.dilations, 1);
    pre(geo.padBegin, 0); pre(geo.padEnd, 0); pre(geo.outSpatial, 1);
  }
  Value y = emitConv2d(nc, x, w, geo, group);
  int64_t N = TensorBuilder::shapeOf(y)[0], OH = geo.outSpatial[0],
          OW = geo.outSpatial[1];
  Type f32 = b.getF32Type();
  if (nc.hasInput(2)) {
    if (nc.inputShape(2) != ArrayRef<int64_t>{F})
      return nc.emitError() << "bias must have shape [" << F << "]";
    Value bias = tb.reshape(nc.operand(2), {F, 1, 1});
    y = tb.elementwise({y, bias}, {N, F, OH, OW}, f32,
                       [](OpBuilder &nb, Location loc, ValueRange a) {
                         return arith::AddFOp::create(nb, loc, a[0], a[1])
                             .getResult();
                       });
  }
  if (is1d)
    y = tb.reshape(y, {N, F, OW});
  nc.setResult(0, y, kFloat);
  return success();
}

/// ConvTranspose (1, 11, 22), 1-D and 2-D: the gradient of a convolution,
/// computed as a stride-1 convolution of the input with zeros inserted
/// between its elements (stride - 1 per gap) and padded by the kernel's
/// reach, with the weights flipped and their channel dims swapped.
LogicalResult importConvTranspose(NodeContext &nc) {
  if (failed(checkConvOperands(nc, "transposed convolutions")))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0), ws = nc.inputShape(1);
  int64_t nd = xs.size() - 2, group = nc.attrInt("group", 1);
  int64_t N = xs[0], C = xs[1];
  if (group < 1 || C % group || ws[0] != C)
    return nc.emitError() << "group " << group << " does not fit " << C
                          << " input channels and weight shape";
  int64_t Cg = C / group, Mg = ws[1], M = Mg * group;
  auto vec = [&](StringRef name, int64_t dflt) {
    std::vector<int64_t> v = nc.attrInts(name);
    if (v.empty())
      v.assign(nd, dflt);
    return v;
  };
  std::vector<int64_t> kernel(ws.begin() + 2, ws.end());
  std::vector<int64_t> strides = vec("strides", 1), dil = vec("dilations", 1),
                       outPad = vec("output_padding", 0);
  std::vector<int64_t> pads = nc.attrInts("pads");
  if (pads.empty())
    pads.assign(2 * nd, 0);
  if ((int64_t)strides.size() != nd || (int64_t)dil.size() != nd ||
      (int64_t)outPad.size() != nd || (int64_t)pads.size() != 2 * nd)
    return nc.emitError() << "strides, dilations, output_padding and pads "
                             "must match the "
                          << nd << " spatial dims";
  std::string autoPad = nc.attrString("auto_pad", "NOTSET");
  std::vector<int64_t> outShapeAttr = nc.attrInts("output_shape");
  if (outShapeAttr.size() == (size_t)nd + 2)
    outShapeAttr.erase(outShapeAttr.begin(), outShapeAttr.begin() + 2);
  SmallVector<int64_t> out(nd), pb(nd), pe(nd);
  for (int64_t i = 0; i < nd; ++i) {
    int64_t in = xs[2 + i];
    int64_t full = strides[i] * (in - 1) + outPad[i] +
                   (kernel[i] - 1) * dil[i] + 1;
    bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
    if (same) {
      // Negative totals (output_shape beyond the full result) extend the
      // output with bias-only positions; halves round down as in ONNX.
      out[i] = !outShapeAttr.empty() ? outShapeAttr[i] : in * strides[i];
      int64_t total = full - out[i];
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
      pb[i] = autoPad == "SAME_UPPER" ? half : total - half;
      pe[i] = total - pb[i];
    } else if (!outShapeAttr.empty()) {
      out[i] = outShapeAttr[i];
      pb[i] = pads[i];
      pe[i] = full - pb[i] - out[i];
    } else {
      if (autoPad == "VALID")
        pads.assign(2 * nd, 0);
      else if (autoPad != "NOTSET")
        return nc.emitError() << "auto_pad '" << autoPad << "' is not valid";
      pb[i] = pads[i];
      pe[i] = pads[i + nd];
      out[i] = full - pb[i] - pe[i];
    }
    if (out[i] <= 0)
      return nc.emitError() << "the output would be empty";
  }

  TensorBuilder tb = nc.tb();
  OpBuilder &b = nc.builder();
  Value x = nc.operand(0);
  // Work in 2-D: a 1-D op gets a unit height.
  SmallVector<int64_t> xs4(xs), kern4(kernel.begin(), kernel.end());
  SmallVector<int64_t> s4(strides.begin(), strides.end()),
      d4(dil.begin(), dil.end()), out4(out), pb4(pb), pe4(pe),
      op4(outPad.begin(), outPad.end());
  if (nd == 1) {
    xs4.insert(xs4.begin() + 2, 1);
    for (auto *v : {&kern4, &s4, &d4, &out4})
      v->insert(v->begin(), 1);
    for (auto *v : {&pb4, &pe4, &op4})
      v->insert(v->begin(), 0);
    x = tb.reshape(x, xs4);
  }
  // Zeros between input elements.
  SmallVector<int64_t> up = {N, C, (xs4[2] - 1) * s4[0] + 1,
                             (xs4[3] - 1) * s4[1] + 1};
  if (up[2] != xs4[2] || up[3] != xs4[3]) {
    Value zeros = tb.splat(tb.scalar(b.getF32Type(), 0.0), up);
    auto ofr = [&](ArrayRef<int64_t> v) {
      SmallVector<OpFoldResult> r;
      for (int64_t e : v)
        r.push_back(b.getIndexAttr(e));
      return r;
    };
    x = tensor::InsertSliceOp::create(b, nc.loc(), x, zeros,
                                      ofr({0, 0, 0, 0}), ofr(xs4),
                                      ofr({1, 1, s4[0], s4[1]}));
  }
  // The kernel's reach minus the requested padding; negative amounts crop.
  WindowGeometry geo;
  geo.kernel.assign(kern4.begin(), kern4.end());
  geo.strides.assign(2, 1);
  geo.dilations.assign(d4.begin(), d4.end());
  geo.outSpatial.assign(out4.begin(), out4.end());
  SmallVector<int64_t> cropLo(4, 0), size(up);
  for (int i = 0; i < 2; ++i) {
    int64_t reach = (kern4[i] - 1) * d4[i];
    int64_t lo = reach - pb4[i], hi = reach - pe4[i] + op4[i];
    geo.padBegin.push_back(std::max<int64_t>(lo, 0));
    geo.padEnd.push_back(std::max<int64_t>(hi, 0));
    cropLo[2 + i] = std::max<int64_t>(-lo, 0);
    size[2 + i] -= cropLo[2 + i] + std::max<int64_t>(-hi, 0);
  }
  if (size != up)
    x = tb.slice(x, cropLo, size, {1, 1, 1, 1});
  geo.explicitPadEnd = geo.padEnd;

  // w'[g*Mg + m, c, kh, kw] = w[g*Cg + c, m, KH-1-kh, KW-1-kw].
  int64_t KH = kern4[0], KW = kern4[1];
  SmallVector<int64_t> wshape = {M, Cg, KH, KW};
  auto srcOf = [&](int64_t o, int64_t c, int64_t kh, int64_t kw) {
    int64_t g = o / Mg, m = o % Mg;
    return std::array<int64_t, 4>{g * Cg + c, m, KH - 1 - kh, KW - 1 - kw};
  };
  Value wT;
  if (const HostTensor *wc = nc.constantInput(1)) {
    HostTensor r(kFloat, wshape);
    int64_t i = 0;
    for (int64_t o = 0; o < M; ++o)
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t kh = 0; kh < KH; ++kh)
          for (int64_t kw = 0; kw < KW; ++kw, ++i) {
            auto s = srcOf(o, c, kh, kw);
            r.setDouble(i, wc->getDouble(((s[0] * Mg + s[1]) * KH + s[2]) * KW +
                                         s[3]));
          }
    wT = hostConstant(nc, r);
  } else {
    Value w = tb.reshape(nc.operand(1), {C, Mg, KH, KW});
    wT = tb.elementwiseIndexed(
        {}, wshape, b.getF32Type(),
        [&](OpBuilder &nb, Location loc, ValueRange idx) -> Value {
          auto cst = [&](int64_t v) {
            return arith::ConstantIndexOp::create(nb, loc, v);
          };
          Value g = arith::DivUIOp::create(nb, loc, idx[0], cst(Mg));
          Value m = arith::RemUIOp::create(nb, loc, idx[0], cst(Mg));
          Value c = arith::AddIOp::create(
              nb, loc, arith::MulIOp::create(nb, loc, g, cst(Cg)), idx[1]);
          Value kh = arith::SubIOp::create(nb, loc, cst(KH - 1), idx[2]);
          Value kw = arith::SubIOp::create(nb, loc, cst(KW - 1), idx[3]);
          return tensor::ExtractOp::create(nb, loc, w,
                                           ValueRange{c, m, kh, kw});
        });
  }
  Value y = emitConv2d(nc, x, wT, geo, group);
  SmallVector<int64_t> yShape = {N, M, out4[0], out4[1]};
  if (nc.hasInput(2)) {
    if (nc.inputShape(2) != ArrayRef<int64_t>{M})
      return nc.emitError() << "bias must have shape [" << M << "]";
    Value bias = tb.reshape(nc.operand(2), {M, 1, 1});
    y = tb.elementwise({y, bias}, yShape, b.getF32Type(),
                       [](OpBuilder &nb, Location loc, ValueRange a) {
                         return arith::AddFOp::create(nb, loc, a[0], a[1])
                             .getResult();
                       });
  }
  if (nd == 1)
    y = tb.reshape(y, {N, M, out4[1]});
  nc.setResult(0, y, kFloat);
  return success();
}

LogicalResult importBatchNormalization(NodeContext &nc) {
  if (nc.opset() >= 14 && nc.attrInt("training_mode", 0))
    return nc.emitError() << "training mode is not supported";
  if (nc.hasOutput(1) || nc.hasOutput(2) || nc.hasOutput(3) ||
      nc.hasOutput(4))
    return nc.emitError() << "training outputs (running mean/var) are not "
                             "supported";
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  double eps = nc.attrFloat("epsilon", 1e-5);
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (xs.size() < 2)
    return nc.emitError() << "input needs rank >= 2";
  int64_t C = xs[1];
  for (unsigned i = 1; i <= 4; ++i)
    if (nc.inputShape(i) != ArrayRef<int64_t>{C})
      return nc.emitError() << "input " << i << " must have shape [" << C
                            << "]";
  SmallVector<int64_t> bshape(xs.size() - 1, 1);
  bshape[0] = C;
  TensorBuilder tb = nc.tb();
  Type elem = mlirElementType(nc.context(), type);
  const HostTensor *scale = nc.constantInput(1), *bias = nc.constantInput(2),
                   *mean = nc.constantInput(3), *var = nc.constantInput(4);
  Value y;
  if (scale && bias && mean && var) {
    // Inference batch norm is an affine map per channel: fold it.
    HostTensor a(type, bshape), c(type, bshape);
    for (int64_t i = 0; i < C; ++i) {
      double s = scale->getDouble(i) / std::sqrt(var->getDouble(i) + eps);
      a.setDouble(i, s);
      c.setDouble(i, bias->getDouble(i) - mean->getDouble(i) * s);
    }
    Value av = hostConstant(nc, a), cv = hostConstant(nc, c);
    y = tb.elementwise({nc.operand(0), av, cv}, xs, elem,
                       [](OpBuilder &b, Location loc, ValueRange v) {
                         Value m = arith::MulFOp::create(b, loc, v[0], v[1]);
                         return arith::AddFOp::create(b, loc, m, v[2])
                             .getResult();
                       });
  } else {
    SmallVector<Value> ops = {nc.operand(0)};
    for (unsigned i = 1; i <= 4; ++i)
      ops.push_back(tb.reshape(nc.operand(i), bshape));
    y = tb.elementwise(ops, xs, elem,
                       [eps](OpBuilder &b, Location loc, ValueRange v) {
                         Value e = arith::ConstantOp::create(
                             b, loc, b.getFloatAttr(v[0].getType(), eps));
                         Value d = arith::SubFOp::create(b, loc, v[0], v[3]);
                         Value s = math::RsqrtOp::create(
                             b, loc, arith::AddFOp::create(b, loc, v[4], e));
                         Value n = arith::MulFOp::create(b, loc, d, s);
                         Value m = arith::MulFOp::create(b, loc, n, v[1]);
                         return arith::AddFOp::create(b, loc, m, v[2])
                             .getResult();
                       });
  }
  nc.setResult(0, y, type);
  return success();
}

LogicalResult importAveragePool(NodeContext &nc) {
  if (!isFloatType(nc.inputType(0)))
    return nc.emitError() << "expects a floating-point input";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (xs.size() < 3)
    return nc.emitError() << "input needs rank >= 3 (N, C, spatial...)";
  auto g = computeWindow(nc, xs.drop_front(2), {}, /*allowCeilMode=*/true);
  if (failed(g))
    return failure();
  bool includePad = nc.attrInt("count_include_pad", 0) != 0;
  TensorBuilder tb = nc.tb();
  size_t nd = g->kernel.size();
  SmallVector<int64_t> low(2, 0), high(2, 0);
  low.append(g->padBegin.begin(), g->padBegin.end());
  high.append(g->padEnd.begin(), g->padEnd.end());
  Value x = tb.pad(nc.operand(0), low, high, 0.0);
  Value sum = emitWindowReduce(nc, x, *g, 0.0,
                               [](OpBuilder &b, Location loc, ValueRange v) {
                                 return arith::AddFOp::create(b, loc, v[0], v[1])
                                     .getResult();
                               });
  // Divisor per output position: window cells inside the input (or inside
  // the explicitly padded input with count_include_pad).
  int32_t type = nc.inputType(0);
  HostTensor counts(type, g->outSpatial);
  for (int64_t i = 0, e = counts.size(); i < e; ++i) {
    int64_t rem = i, count = 1;
    for (int64_t d = nd - 1; d >= 0; --d) {
      int64_t o = rem % g->outSpatial[d];
      rem /= g->outSpatial[d];
      int64_t in = xs[2 + d];
      int64_t lo = includePad ? -g->padBegin[d] : 0;
      int64_t hi = includePad ? in + g->explicitPadEnd[d] : in;
      int64_t n = 0;
      for (int64_t k = 0; k < g->kernel[d]; ++k) {
        int64_t pos =
            o * g->strides[d] + k * g->dilations[d] - g->padBegin[d];
        n += pos >= lo && pos < hi;
      }
      count *= n;
    }
    counts.setDouble(i, 1.0 / std::max<int64_t>(count, 1));
  }
  SmallVector<int64_t> outShape = {xs[0], xs[1]};
  outShape.append(g->outSpatial.begin(), g->outSpatial.end());
  Value y = tb.elementwise({sum, hostConstant(nc, counts)}, outShape,
                           TensorBuilder::elementTypeOf(sum),
                           [](OpBuilder &b, Location loc, ValueRange v) {
                             return arith::MulFOp::create(b, loc, v[0], v[1])
                                 .getResult();
                           });
  nc.setResult(0, y, type);
  return success();
}

} // namespace

void cambrian::onnx_import::registerDefaultDomainAtoF(OpRegistry &r) {
  r.add("", "Abs", 6, importAbs);
  r.add("", "Acos", 7, importMathUnary<math::AcosOp>);
  r.add("", "Acosh", 9, importMathUnary<math::AcoshOp>);
  r.add("", "Add", 7, [](NodeContext &nc) { return importBinary(nc, BinaryKind::Add); });
  r.add("", "And", 7, [](NodeContext &nc) { return importBinary(nc, BinaryKind::And); });
  r.add("", "Asin", 7, importMathUnary<math::AsinOp>);
  r.add("", "Asinh", 9, importMathUnary<math::AsinhOp>);
  r.add("", "Atan", 7, importMathUnary<math::AtanOp>);
  r.add("", "Atanh", 9, importMathUnary<math::AtanhOp>);
  r.add("", "AveragePool", 7, importAveragePool);
  r.add("", "BatchNormalization", 7, importBatchNormalization);
  r.add("", "Cast", 6, importCast);
  r.add("", "Ceil", 6, importMathUnary<math::CeilOp>);
  r.add("", "Celu", 12, importCelu);
  r.add("", "Clip", 6, importClip);
  r.add("", "Concat", 4, importConcat);
  r.add("", "Constant", 1, importConstant);
  r.add("", "ConstantOfShape", 9, importConstantOfShape);
  r.add("", "Conv", 1, importConv);
  r.add("", "ConvTranspose", 1, importConvTranspose);
  r.add("", "Cos", 7, importMathUnary<math::CosOp>);
  r.add("", "Cosh", 9, importMathUnary<math::CoshOp>);
  r.add("", "Div", 7, [](NodeContext &nc) { return importBinary(nc, BinaryKind::Div); });
  r.add("", "Dropout", 7, importDropout);
  r.add("", "Elu", 6, importElu);
  r.add("", "Equal", 7, [](NodeContext &nc) { return importBinary(nc, BinaryKind::Equal); });
  r.add("", "Erf", 9, importMathUnary<math::ErfOp>);
  r.add("", "Exp", 6, importMathUnary<math::ExpOp>);
  r.add("", "Expand", 8, importExpand);
  r.add("", "Flatten", 1, importFlatten);
  r.add("", "Floor", 6, importMathUnary<math::FloorOp>);
}
