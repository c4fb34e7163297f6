//===- Convolution.cpp - Conv and ConvTranspose ---------------------------===//
//
// 1-D and 2-D convolutions as cambrian.conv behind a tensor.pad;
// ConvTranspose as a stride-1 convolution of the dilated input.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <array>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

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
  Value bias;
  if (nc.hasInput(2)) {
    if (nc.inputShape(2) != ArrayRef<int64_t>{F})
      return nc.emitError() << "bias must have shape [" << F << "]";
    bias = nc.operand(2);
  }
  nc.setResult(0, emitConv(nc, nc.operand(0), nc.operand(1), bias, *g, group),
               kFloat);
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
  Value bias;
  if (nc.hasInput(2)) {
    if (nc.inputShape(2) != ArrayRef<int64_t>{M})
      return nc.emitError() << "bias must have shape [" << M << "]";
    bias = nc.operand(2);
  }
  Value y = emitConv(nc, x, wT, bias, geo, group);
  if (nd == 1)
    y = tb.reshape(y, {N, M, out4[1]});
  nc.setResult(0, y, kFloat);
  return success();
}

} // namespace

Value cambrian::onnx_import::emitConv(NodeContext &nc, Value x, Value w,
                                      Value bias, const WindowGeometry &geo,
                                      int64_t group) {
  TensorBuilder tb = nc.tb();
  ArrayRef<int64_t> xs = TensorBuilder::shapeOf(x);
  SmallVector<int64_t> low(2, 0), high(2, 0);
  low.append(geo.padBegin.begin(), geo.padBegin.end());
  high.append(geo.padEnd.begin(), geo.padEnd.end());
  SmallVector<int64_t> yShape = {xs[0], TensorBuilder::shapeOf(w)[0]};
  yShape.append(geo.outSpatial.begin(), geo.outSpatial.end());
  x = tb.pad(x, low, high, 0.0);
  auto type = RankedTensorType::get(yShape, nc.builder().getF32Type());
  return cmb::ConvOp::create(nc.builder(), nc.loc(), type, x, w, bias,
                             /*residual=*/Value(), geo.strides,
                             geo.dilations, group, /*activation=*/nullptr,
                             /*pool=*/nullptr);
}

void cambrian::onnx_import::registerConvolution(OpRegistry &r) {
  r.add("", "Conv", 1, importConv);
  r.add("", "ConvTranspose", 1, importConvTranspose);
}
