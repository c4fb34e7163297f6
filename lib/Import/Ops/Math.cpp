//===- Math.cpp - Arithmetic and math functions ---------------------------===//
//
// Elementwise arithmetic: the broadcasting binary ops, Clip and Mean, the
// math-dialect unary functions, and the float tests IsNaN and IsInf.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include <limits>
#include <optional>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

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

/// Clip: bounds from the `min`/`max` attributes (6) or from the optional
/// inputs 1 and 2 (11 on).
LogicalResult importClip(NodeContext &nc, bool boundsFromInputs) {
  int32_t type = nc.inputType(0);
  // Both bounds known on a float input: the clip activation, which the
  // epilogue of a producing convolution or matmul can take.
  if (isFloatType(type)) {
    std::optional<double> lo, hi;
    if (!boundsFromInputs) {
      lo = nc.attrFloat("min", -std::numeric_limits<float>::max());
      hi = nc.attrFloat("max", std::numeric_limits<float>::max());
    } else {
      auto bound = [&](unsigned i) -> std::optional<double> {
        const HostTensor *c = nc.hasInput(i) ? nc.constantInput(i) : nullptr;
        if (!c || c->size() != 1)
          return std::nullopt;
        return c->getDouble(0);
      };
      lo = bound(1);
      hi = bound(2);
    }
    if (lo && hi && std::isfinite(*lo) && std::isfinite(*hi) && *lo <= *hi)
      return importActivation(nc, cmb::ActivationKind::Clip, *lo, *hi);
  }
  Value x = nc.operand(0);
  Value lo, hi;
  OpBuilder &b = nc.builder();
  if (!boundsFromInputs) {
    lo = scalarConstant(b, nc.loc(), type,
                        nc.attrFloat("min", -std::numeric_limits<float>::max()));
    hi = scalarConstant(b, nc.loc(), type,
                        nc.attrFloat("max", std::numeric_limits<float>::max()));
  }
  SmallVector<Value> operands = {x};
  int loIdx = -1, hiIdx = -1;
  if (boundsFromInputs) {
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

LogicalResult importClip6(NodeContext &nc) {
  return importClip(nc, /*boundsFromInputs=*/false);
}

LogicalResult importClip11(NodeContext &nc) {
  return importClip(nc, /*boundsFromInputs=*/true);
}

LogicalResult importLog(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    return math::LogOp::create(b, loc, x).getResult();
  });
}

LogicalResult importNeg(NodeContext &nc) {
  // Shape arithmetic negates axes and counts (LayerNormalization's function
  // body does): fold it so the shapes stay static.
  if (const HostTensor *c = nc.constantInput(0);
      c && c->size() <= kHostFoldLimit) {
    HostTensor r(c->type(), c->shape());
    for (int64_t i = 0, e = c->size(); i < e; ++i)
      isFloatType(c->type()) ? r.setDouble(i, -c->getDouble(i))
                             : r.setInt(i, -c->getInt(i));
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        if (isFloatType(t))
          return arith::NegFOp::create(b, loc, x);
        Value zero = scalarConstant(b, loc, t, 0);
        return arith::SubIOp::create(b, loc, zero, x);
      },
      /*floatOnly=*/false);
}

LogicalResult importMean(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects floating-point inputs";
  SmallVector<int64_t> shape(nc.inputShape(0));
  SmallVector<Value> operands;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    SmallVector<int64_t> next;
    if (nc.inputType(i) != type || !broadcastShapes(shape, nc.inputShape(i), next))
      return nc.emitError() << "input " << i
                            << " differs in type or does not broadcast";
    shape = next;
    operands.push_back(nc.operand(i));
  }
  double inv = 1.0 / operands.size();
  Value y = nc.tb().elementwise(
      operands, shape, TensorBuilder::elementTypeOf(operands[0]),
      [inv](OpBuilder &b, Location loc, ValueRange v) {
        Value acc = v[0];
        for (size_t i = 1; i < v.size(); ++i)
          acc = arith::AddFOp::create(b, loc, acc, v[i]);
        return arith::MulFOp::create(b, loc, acc, floatLike(b, loc, acc, inv))
            .getResult();
      });
  nc.setResult(0, y, type);
  return success();
}

LogicalResult importSign(NodeContext &nc) {
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        Value zero = scalarConstant(b, loc, t, 0);
        Value one = scalarConstant(b, loc, t, 1);
        Value minus = scalarConstant(b, loc, t, isUnsignedType(t) ? 0 : -1);
        Value gt = emitBinary(b, loc, BinaryKind::Greater, x, zero, t);
        Value lt = emitBinary(b, loc, BinaryKind::Less, x, zero, t);
        Value r = arith::SelectOp::create(b, loc, lt, minus, zero);
        return arith::SelectOp::create(b, loc, gt, one, r);
      },
      /*floatOnly=*/false);
}

LogicalResult importReciprocal(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    return arith::DivFOp::create(b, loc, floatLike(b, loc, x, 1.0), x).getResult();
  });
}

/// Round (11): halves to even.
LogicalResult importRound(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    return math::RoundEvenOp::create(b, loc, x).getResult();
  });
}

/// A float-to-bool elementwise test.
LogicalResult importFloatTest(
    NodeContext &nc,
    llvm::function_ref<Value(OpBuilder &, Location, Value)> test) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input, got "
                          << onnxTypeName(type);
  Value r = nc.tb().elementwise(
      {nc.operand(0)}, nc.inputShape(0), nc.builder().getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange v) { return test(b, loc, v[0]); });
  nc.setResult(0, r, kBool);
  return success();
}

LogicalResult importIsNaN(NodeContext &nc) {
  return importFloatTest(nc, [](OpBuilder &b, Location loc, Value x) -> Value {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  });
}

/// IsInf (10): `detect_positive` / `detect_negative` pick the signs.
LogicalResult importIsInf(NodeContext &nc) {
  bool pos = nc.attrInt("detect_positive", 1) != 0;
  bool neg = nc.attrInt("detect_negative", 1) != 0;
  return importFloatTest(nc, [=](OpBuilder &b, Location loc, Value x) -> Value {
    Value inf = floatLike(b, loc, x, INFINITY);
    Value isPos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, inf);
    Value isNeg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x,
                                        floatLike(b, loc, x, -INFINITY));
    Value no = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
    Value r = pos ? isPos : no;
    return neg ? arith::OrIOp::create(b, loc, r, isNeg).getResult() : r;
  });
}

} // namespace

void cambrian::onnx_import::registerMath(OpRegistry &r) {
  r.add("", "Abs", 6, importAbs);
  r.add("", "Acos", 7, importMathUnary<math::AcosOp>);
  r.add("", "Acosh", 9, importMathUnary<math::AcoshOp>);
  r.add("", "Add", 7, importBinaryOf<BinaryKind::Add>);
  r.add("", "Asin", 7, importMathUnary<math::AsinOp>);
  r.add("", "Asinh", 9, importMathUnary<math::AsinhOp>);
  r.add("", "Atan", 7, importMathUnary<math::AtanOp>);
  r.add("", "Atanh", 9, importMathUnary<math::AtanhOp>);
  r.add("", "Ceil", 6, importMathUnary<math::CeilOp>);
  r.add("", "Clip", 6, importClip6);
  r.add("", "Clip", 11, importClip11);
  r.add("", "Cos", 7, importMathUnary<math::CosOp>);
  r.add("", "Cosh", 9, importMathUnary<math::CoshOp>);
  r.add("", "Div", 7, importBinaryOf<BinaryKind::Div>);
  r.add("", "Erf", 9, importMathUnary<math::ErfOp>);
  r.add("", "Exp", 6, importMathUnary<math::ExpOp>);
  r.add("", "Floor", 6, importMathUnary<math::FloorOp>);
  r.add("", "IsInf", 10, importIsInf);
  r.add("", "IsNaN", 9, importIsNaN);
  r.add("", "Log", 6, importLog);
  r.add("", "Max", 8, importBinaryOf<BinaryKind::Max>);
  r.add("", "Mean", 8, importMean);
  r.add("", "Min", 8, importBinaryOf<BinaryKind::Min>);
  r.add("", "Mod", 10, [](NodeContext &nc) {
    return importBinary(nc, nc.attrInt("fmod", 0) ? BinaryKind::FMod
                                                  : BinaryKind::Mod);
  });
  r.add("", "Mul", 7, importBinaryOf<BinaryKind::Mul>);
  r.add("", "Neg", 6, importNeg);
  r.add("", "Pow", 7, importBinaryOf<BinaryKind::Pow>);
  r.add("", "Reciprocal", 6, importReciprocal);
  r.add("", "Round", 11, importRound);
  r.add("", "Sign", 9, importSign);
  r.add("", "Sin", 7, importMathUnary<math::SinOp>);
  r.add("", "Sinh", 9, importMathUnary<math::SinhOp>);
  r.add("", "Sqrt", 6, importMathUnary<math::SqrtOp>);
  r.add("", "Sub", 7, importBinaryOf<BinaryKind::Sub>);
  r.add("", "Sum", 8, importBinaryOf<BinaryKind::Add>);
  r.add("", "Tan", 7, importMathUnary<math::TanOp>);
  r.add("", "Tanh", 6, importMathUnary<math::TanhOp>);
}
