//===- Convolution.cpp - Conv and ConvTranspose ---------------------------===//
//
// 1-D and 2-D convolutions as linalg named convolutions (plain, depthwise,
// grouped); ConvTranspose as a stride-1 convolution of the dilated input.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <array>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

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

} // namespace

void cambrian::onnx_import::registerConvolution(OpRegistry &r) {
  r.add("", "Conv", 1, importConv);
  r.add("", "ConvTranspose", 1, importConvTranspose);
}
