//===- Pooling.cpp - Average, max, Lp and global pooling ------------------===//
//
// Max and average pooling as cambrian.pool; Lp pooling as a window
// reduction over the spatial dims of an N, C, spatial... input; the global
// pools as reductions.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <limits>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// One cambrian.pool for the window `g` computed from the node's
/// attributes.
Value emitPool(NodeContext &nc, cmb::PoolKind kind, const WindowGeometry &g,
               bool countIncludePad) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  SmallVector<int64_t> padding(g.padBegin.begin(), g.padBegin.end());
  padding.append(g.explicitPadEnd.begin(), g.explicitPadEnd.end());
  SmallVector<int64_t> outShape = {xs[0], xs[1]};
  outShape.append(g.outSpatial.begin(), g.outSpatial.end());
  Value x = nc.operand(0);
  auto type = RankedTensorType::get(outShape, TensorBuilder::elementTypeOf(x));
  return cmb::PoolOp::create(nc.builder(), nc.loc(), type, kind, x, g.kernel,
                             g.strides, g.dilations, padding, countIncludePad,
                             nc.attrInt("ceil_mode", 0) != 0);
}

/// The window of a Max/AveragePool node over its N, C, spatial... input.
FailureOr<WindowGeometry> poolWindow(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (xs.size() < 3)
    return nc.emitError() << "input needs rank >= 3 (N, C, spatial...)";
  return computeWindow(nc, xs.drop_front(2), {}, /*allowCeilMode=*/true);
}

LogicalResult importAveragePool(NodeContext &nc) {
  if (!isFloatType(nc.inputType(0)))
    return nc.emitError() << "expects a floating-point input";
  auto g = poolWindow(nc);
  if (failed(g))
    return failure();
  bool includePad = nc.attrInt("count_include_pad", 0) != 0;
  nc.setResult(0, emitPool(nc, cmb::PoolKind::Average, *g, includePad),
               nc.inputType(0));
  return success();
}

LogicalResult importMaxPool(NodeContext &nc) {
  if (nc.hasOutput(1))
    return nc.emitError() << "the Indices output is not supported";
  if (nc.attrInt("storage_order", 0) != 0)
    return nc.emitError() << "storage_order=1 is not supported";
  int32_t type = nc.inputType(0);
  if (failed(nc.checkInputType(0, {kFloat, kFloat16, kBFloat16, kDouble, kInt8,
                                   kUInt8})))
    return failure();
  auto g = poolWindow(nc);
  if (failed(g))
    return failure();
  if (!isUnsignedType(type)) {
    nc.setResult(0, emitPool(nc, cmb::PoolKind::Max, *g, false), type);
    return success();
  }
  // uint8 lives in signless i8 whose signedness only the ONNX type keeps,
  // so its unsigned maximum is spelled out here.
  TensorBuilder tb = nc.tb();
  SmallVector<int64_t> low(2, 0), high(2, 0);
  low.append(g->padBegin.begin(), g->padBegin.end());
  high.append(g->padEnd.begin(), g->padEnd.end());
  Value x = tb.pad(nc.operand(0), low, high, 0.0);
  Value y = tb.windowReduce(x, g->kernel, g->strides, g->dilations,
                            g->outSpatial, 0.0,
                            [](OpBuilder &b, Location loc, ValueRange v) {
                              return arith::MaxUIOp::create(b, loc, v[0], v[1])
                                  .getResult();
                            });
  nc.setResult(0, y, type);
  return success();
}

/// LpPool (1, 2, 11, 18, 22): (sum over the window of |x|^p)^(1/p);
/// `ceil_mode` exists from 18 on.
LogicalResult importLpPool(NodeContext &nc, bool allowCeilMode) {
  int32_t type = nc.inputType(0);
  if (failed(checkFloatNCSpatial(nc)))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  auto g = computeWindow(nc, xs.drop_front(2), {},
                         allowCeilMode);
  if (failed(g))
    return failure();
  double p = nc.attrInt("p", 2);
  TensorBuilder tb = nc.tb();
  Type elem = TensorBuilder::elementTypeOf(nc.operand(0));
  Value powered = tb.elementwise(
      {nc.operand(0)}, xs, elem, [p](OpBuilder &b, Location loc, ValueRange v) {
        Value a = math::AbsFOp::create(b, loc, v[0]);
        return math::PowFOp::create(b, loc, a, floatLike(b, loc, a, p))
            .getResult();
      });
  SmallVector<int64_t> low(2, 0), high(2, 0);
  low.append(g->padBegin.begin(), g->padBegin.end());
  high.append(g->padEnd.begin(), g->padEnd.end());
  Value sum = tb.windowReduce(tb.pad(powered, low, high, 0.0), g->kernel,
                              g->strides, g->dilations, g->outSpatial, 0.0,
                              [](OpBuilder &b, Location loc, ValueRange v) {
                                return arith::AddFOp::create(b, loc, v[0], v[1])
                                    .getResult();
                              });
  Value y = tb.elementwise(
      {sum}, TensorBuilder::shapeOf(sum), elem,
      [p](OpBuilder &b, Location loc, ValueRange v) {
        return math::PowFOp::create(b, loc, v[0], floatLike(b, loc, v[0], 1.0 / p))
            .getResult();
      });
  nc.setResult(0, y, type);
  return success();
}

LogicalResult importLpPool2(NodeContext &nc) {
  return importLpPool(nc, /*allowCeilMode=*/false);
}

LogicalResult importLpPool18(NodeContext &nc) {
  return importLpPool(nc, /*allowCeilMode=*/true);
}

LogicalResult importGlobalPool(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (failed(checkFloatNCSpatial(nc)))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  bool isMax = nc.opType() == "GlobalMaxPool";
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < (int64_t)xs.size(); ++d)
    axes.push_back(d);
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0);
  Type elem = TensorBuilder::elementTypeOf(x);
  Value r = tb.reduce(
      x, axes, true, isMax ? -std::numeric_limits<double>::infinity() : 0.0,
      elem, [isMax](OpBuilder &b, Location loc, ValueRange v) -> Value {
        if (isMax)
          return arith::MaximumFOp::create(b, loc, v[0], v[1]);
        return arith::AddFOp::create(b, loc, v[0], v[1]);
      });
  if (!isMax) {
    double inv = 1.0 / numElements(xs.drop_front(2));
    r = tb.elementwise({r}, TensorBuilder::shapeOf(r), elem,
                       [inv](OpBuilder &b, Location loc, ValueRange v) {
                         return arith::MulFOp::create(b, loc, v[0],
                                                      floatLike(b, loc, v[0], inv))
                             .getResult();
                       });
  }
  nc.setResult(0, r, type);
  return success();
}

} // namespace

void cambrian::onnx_import::registerPooling(OpRegistry &r) {
  r.add("", "AveragePool", 7, importAveragePool);
  r.add("", {"GlobalAveragePool", "GlobalMaxPool"}, 1, importGlobalPool);
  r.add("", "LpPool", 2, importLpPool2);
  r.add("", "LpPool", 18, importLpPool18);
  r.add("", "MaxPool", 8, importMaxPool);
}
