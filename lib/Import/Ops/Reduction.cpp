//===- Reduction.cpp - ReduceSum, ReduceMean and the other reductions -----===//
//
// The Reduce* ops over constant axes, keepdims and noop_with_empty_axes.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// The Reduce* ops; `axesFromInput`: the axes are input 1 (ReduceSum from
/// 13, the others from 18) instead of the `axes` attribute.
LogicalResult importReduce(NodeContext &nc, bool axesFromInput) {
  StringRef op = nc.opType();
  int32_t type = nc.inputType(0);
  bool isFloat = isFloatType(type);
  bool boolMinMax = type == kBool && (op == "ReduceMax" || op == "ReduceMin");
  if (!mlirElementType(nc.context(), type) || (type == kBool && !boolMinMax))
    return nc.emitError() << "unsupported element type " << onnxTypeName(type);
  if (!isFloat && op != "ReduceSum" && op != "ReduceMax" && op != "ReduceMin" &&
      op != "ReduceProd")
    return nc.emitError() << "expects a floating-point input";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  bool noop = false;
  auto axes = readReduceAxes(nc, xs.size(), axesFromInput, noop);
  if (failed(axes))
    return failure();
  if (noop) {
    nc.setResult(0, nc.operand(0), type);
    return success();
  }
  bool keep = nc.attrInt("keepdims", 1) != 0;
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0);
  Type elem = TensorBuilder::elementTypeOf(x);
  if (boolMinMax) {
    // Over bools, max is "any" and min is "all".
    bool any = op == "ReduceMax";
    Value r = tb.reduce(x, *axes, keep, any ? 0.0 : 1.0, elem,
                        [any](OpBuilder &b, Location loc, ValueRange v) -> Value {
                          if (any)
                            return arith::OrIOp::create(b, loc, v[0], v[1]);
                          return arith::AndIOp::create(b, loc, v[0], v[1]);
                        });
    nc.setResult(0, r, kBool);
    return success();
  }
  double count = 1;
  for (int64_t a : *axes)
    count *= xs[a];
  auto bin = [type](BinaryKind k) {
    return [type, k](OpBuilder &b, Location loc, ValueRange v) {
      return emitBinary(b, loc, k, v[0], v[1], type);
    };
  };
  ScalarFn square = [](OpBuilder &b, Location loc, ValueRange v) {
    return arith::MulFOp::create(b, loc, v[0], v[0]).getResult();
  };
  ScalarFn abs = [](OpBuilder &b, Location loc, ValueRange v) {
    return math::AbsFOp::create(b, loc, v[0]).getResult();
  };
  ScalarFn exp = [](OpBuilder &b, Location loc, ValueRange v) {
    return math::ExpOp::create(b, loc, v[0]).getResult();
  };
  double inf = std::numeric_limits<double>::infinity();
  double lowest = isFloat ? -inf : (double)std::numeric_limits<int64_t>::min();
  double highest = isFloat ? inf : (double)std::numeric_limits<int64_t>::max();
  if (!isFloat) {
    unsigned w = elem.getIntOrFloatBitWidth();
    bool u = isUnsignedType(type);
    lowest = u ? 0 : -std::ldexp(1.0, w - 1);
    highest = u ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1;
  }
  Value r;
  if (op == "ReduceSum" || op == "ReduceMean")
    r = tb.reduce(x, *axes, keep, 0.0, elem, bin(BinaryKind::Add));
  else if (op == "ReduceMax")
    r = tb.reduce(x, *axes, keep, lowest, elem, bin(BinaryKind::Max));
  else if (op == "ReduceMin")
    r = tb.reduce(x, *axes, keep, highest, elem, bin(BinaryKind::Min));
  else if (op == "ReduceProd")
    r = tb.reduce(x, *axes, keep, 1.0, elem, bin(BinaryKind::Mul));
  else if (op == "ReduceSumSquare" || op == "ReduceL2")
    r = tb.reduce(x, *axes, keep, 0.0, elem, bin(BinaryKind::Add), square);
  else if (op == "ReduceL1")
    r = tb.reduce(x, *axes, keep, 0.0, elem, bin(BinaryKind::Add), abs);
  else if (op == "ReduceLogSum")
    r = tb.reduce(x, *axes, keep, 0.0, elem, bin(BinaryKind::Add));
  else if (op == "ReduceLogSumExp") {
    // log(sum(exp(x - max))) + max, for range.
    Value mx = tb.reduce(x, *axes, true, -inf, elem, bin(BinaryKind::Max));
    Value shifted = tb.elementwise(
        {x, mx}, xs, elem, [](OpBuilder &b, Location loc, ValueRange v) {
          return math::ExpOp::create(b, loc,
                                     arith::SubFOp::create(b, loc, v[0], v[1]))
              .getResult();
        });
    Value s = tb.reduce(shifted, *axes, true, 0.0, elem, bin(BinaryKind::Add));
    r = tb.elementwise({s, mx}, TensorBuilder::shapeOf(s), elem,
                       [](OpBuilder &b, Location loc, ValueRange v) {
                         return arith::AddFOp::create(
                                    b, loc, math::LogOp::create(b, loc, v[0]), v[1])
                             .getResult();
                       });
    if (!keep) {
      SmallVector<int64_t> shape;
      for (int64_t d = 0; d < (int64_t)xs.size(); ++d)
        if (!llvm::is_contained(*axes, d))
          shape.push_back(xs[d]);
      r = tb.reshape(r, shape);
    }
    (void)exp;
  } else {
    return nc.emitError() << "unknown reduction";
  }
  auto post = [&](ScalarFn fn) {
    r = tb.elementwise({r}, TensorBuilder::shapeOf(r), elem, fn);
  };
  if (op == "ReduceMean")
    post([count](OpBuilder &b, Location loc, ValueRange v) {
      return arith::DivFOp::create(b, loc, v[0], floatLike(b, loc, v[0], count))
          .getResult();
    });
  else if (op == "ReduceL2")
    post([](OpBuilder &b, Location loc, ValueRange v) {
      return math::SqrtOp::create(b, loc, v[0]).getResult();
    });
  else if (op == "ReduceLogSum")
    post([](OpBuilder &b, Location loc, ValueRange v) {
      return math::LogOp::create(b, loc, v[0]).getResult();
    });
  nc.setResult(0, r, type);
  return success();
}

LogicalResult importReduceAxesAttr(NodeContext &nc) {
  return importReduce(nc, /*axesFromInput=*/false);
}

LogicalResult importReduceAxesInput(NodeContext &nc) {
  return importReduce(nc, /*axesFromInput=*/true);
}

} // namespace

void cambrian::onnx_import::registerReduction(OpRegistry &r) {
  r.add("", {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
             "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
             "ReduceSumSquare"},
        1, importReduceAxesAttr);
  r.add("", "ReduceSum", 13, importReduceAxesInput);
  r.add("", {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
             "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd",
             "ReduceSumSquare"},
        18, importReduceAxesInput);
}
