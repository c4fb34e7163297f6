//===- Activation.cpp - Activations, Softmax and LogSoftmax ---------------===//
//
// Pointwise activations (each a scalar body for importUnary, so they fold
// on constants) and the normalised exponentials Softmax and LogSoftmax.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

LogicalResult importElu(NodeContext &nc) {
  return importActivation(nc, cmb::ActivationKind::Elu,
                          nc.attrFloat("alpha", 1.0));
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

LogicalResult importHardSigmoid(NodeContext &nc) {
  return importActivation(nc, cmb::ActivationKind::HardSigmoid,
                          nc.attrFloat("alpha", 0.2), nc.attrFloat("beta", 0.5));
}

LogicalResult importHardSwish(NodeContext &nc) {
  return importActivation(nc, cmb::ActivationKind::HardSwish);
}

LogicalResult importLeakyRelu(NodeContext &nc) {
  return importActivation(nc, cmb::ActivationKind::LeakyRelu,
                          nc.attrFloat("alpha", 0.01));
}

LogicalResult importGelu(NodeContext &nc) {
  std::string approx = nc.attrString("approximate", "none");
  if (approx != "none" && approx != "tanh")
    return nc.emitError() << "unsupported approximate='" << approx << "'";
  return importActivation(nc, approx == "tanh" ? cmb::ActivationKind::GeluTanh
                                               : cmb::ActivationKind::GeluErf);
}

/// Softmax and LogSoftmax. Before opset 13 the input is coerced to 2-D at
/// `axis` (default 1); from 13 on (`singleAxis`) they normalise over the
/// one axis `axis` (default -1).
LogicalResult importSoftmaxFamily(NodeContext &nc, bool singleAxis) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t dflt = singleAxis ? -1 : 1;
  auto axis = nc.normalizeAxis(nc.attrInt("axis", dflt), xs.size());
  if (failed(axis))
    return failure();
  if (!isFloatType(nc.inputType(0)))
    return nc.emitError() << "expects a floating-point input";
  bool log = nc.opType() == "LogSoftmax";
  Value y;
  if (singleAxis) {
    y = cmb::SoftmaxOp::create(nc.builder(), nc.loc(),
                               nc.operand(0).getType(), nc.operand(0), *axis,
                               log);
  } else {
    // Before opset 13 the input is coerced to 2-D at `axis`.
    TensorBuilder tb = nc.tb();
    y = emitSoftmax(tb, nc.operand(0), *axis, log);
  }
  nc.setResult(0, y, nc.inputType(0));
  return success();
}

LogicalResult importSoftmaxFamily1(NodeContext &nc) {
  return importSoftmaxFamily(nc, /*singleAxis=*/false);
}

LogicalResult importSoftmaxFamily13(NodeContext &nc) {
  return importSoftmaxFamily(nc, /*singleAxis=*/true);
}

LogicalResult importPRelu(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  SmallVector<int64_t> s;
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (!broadcastShapes(xs, nc.inputShape(1), s) || ArrayRef<int64_t>(s) != xs)
    return nc.emitError() << "slope does not broadcast to the input";
  Value y = nc.tb().elementwise(
      {nc.operand(0), nc.operand(1)}, xs,
      TensorBuilder::elementTypeOf(nc.operand(0)),
      [](OpBuilder &b, Location loc, ValueRange v) {
        Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                          v[0], floatLike(b, loc, v[0], 0.0));
        Value scaled = arith::MulFOp::create(b, loc, v[0], v[1]);
        return arith::SelectOp::create(b, loc, neg, scaled, v[0]).getResult();
      });
  nc.setResult(0, y, type);
  return success();
}

LogicalResult importRelu(NodeContext &nc) {
  if (isFloatType(nc.inputType(0)))
    return importActivation(nc, cmb::ActivationKind::Relu);
  // Integer Relu (14 on), and the shape arithmetic that folds on the host.
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        Value zero = scalarConstant(b, loc, t, 0);
        return emitBinary(b, loc, BinaryKind::Max, x, zero, t);
      },
      /*floatOnly=*/false);
}

LogicalResult importSigmoid(NodeContext &nc) {
  return importActivation(nc, cmb::ActivationKind::Sigmoid);
}

LogicalResult importSelu(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 1.67326319217681884765625);
  double gamma = nc.attrFloat("gamma", 1.05070102214813232421875);
  return importUnary(nc, [=](OpBuilder &b, Location loc, Value x, int32_t) {
    Value neg = arith::MulFOp::create(b, loc, floatLike(b, loc, x, alpha),
                                      math::ExpM1Op::create(b, loc, x));
    Value isPos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                        floatLike(b, loc, x, 0.0));
    Value v = arith::SelectOp::create(b, loc, isPos, x, neg);
    return arith::MulFOp::create(b, loc, v, floatLike(b, loc, x, gamma)).getResult();
  });
}

LogicalResult importSoftplus(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    // max(x, 0) + log1p(exp(-|x|)) does not overflow.
    Value ax = math::AbsFOp::create(b, loc, x);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, ax));
    Value l = math::Log1pOp::create(b, loc, e);
    Value m = arith::MaximumFOp::create(b, loc, x, floatLike(b, loc, x, 0.0));
    return arith::AddFOp::create(b, loc, m, l).getResult();
  });
}

LogicalResult importSoftsign(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    Value d = arith::AddFOp::create(b, loc, floatLike(b, loc, x, 1.0),
                                    math::AbsFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, x, d).getResult();
  });
}

LogicalResult importThresholdedRelu(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 1.0);
  return importUnary(nc, [=](OpBuilder &b, Location loc, Value x, int32_t) {
    Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                     floatLike(b, loc, x, alpha));
    return arith::SelectOp::create(b, loc, gt, x, floatLike(b, loc, x, 0.0))
        .getResult();
  });
}

/// Swish (24): x * sigmoid(alpha * x).
LogicalResult importSwish(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 1.0);
  return importUnary(nc, [=](OpBuilder &b, Location loc, Value x, int32_t) {
    Value ax = arith::MulFOp::create(b, loc, x, floatLike(b, loc, x, alpha));
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, ax));
    Value d = arith::AddFOp::create(b, loc, floatLike(b, loc, x, 1.0), e);
    return arith::DivFOp::create(b, loc, x, d).getResult();
  });
}

/// Mish (18): x * tanh(softplus(x)).
LogicalResult importMish(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    // softplus as max(x, 0) + log1p(exp(-|x|)) does not overflow.
    Value ax = math::AbsFOp::create(b, loc, x);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, ax));
    Value sp = arith::AddFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, floatLike(b, loc, x, 0.0)),
        math::Log1pOp::create(b, loc, e));
    return arith::MulFOp::create(b, loc, x, math::TanhOp::create(b, loc, sp))
        .getResult();
  });
}

/// Shrink (9): x < -lambd ? x + bias : x > lambd ? x - bias : 0.
LogicalResult importShrink(NodeContext &nc) {
  double lambd = nc.attrFloat("lambd", 0.5), bias = nc.attrFloat("bias", 0.0);
  int32_t type = nc.inputType(0);
  if (type == kBool)
    return nc.emitError() << "expects a numeric input";
  bool isFloat = isFloatType(type), isUnsigned = isUnsignedType(type);
  return importUnary(
      nc,
      [=](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        Value lo = scalarConstant(b, loc, t, -lambd);
        Value hi = scalarConstant(b, loc, t, lambd);
        Value bv = scalarConstant(b, loc, t, bias);
        Value zero = scalarConstant(b, loc, t, 0);
        Value below, above, plus, minus;
        if (isFloat) {
          below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, lo);
          above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, hi);
          plus = arith::AddFOp::create(b, loc, x, bv);
          minus = arith::SubFOp::create(b, loc, x, bv);
        } else {
          auto lt = isUnsigned ? arith::CmpIPredicate::ult
                               : arith::CmpIPredicate::slt;
          auto gt = isUnsigned ? arith::CmpIPredicate::ugt
                               : arith::CmpIPredicate::sgt;
          // For unsigned types nothing lies below -lambd.
          below = isUnsigned
                      ? arith::ConstantOp::create(b, loc, b.getBoolAttr(false))
                            .getResult()
                      : arith::CmpIOp::create(b, loc, lt, x, lo).getResult();
          above = arith::CmpIOp::create(b, loc, gt, x, hi);
          plus = arith::AddIOp::create(b, loc, x, bv);
          minus = arith::SubIOp::create(b, loc, x, bv);
        }
        Value r = arith::SelectOp::create(b, loc, above, minus, zero);
        return arith::SelectOp::create(b, loc, below, plus, r);
      },
      /*floatOnly=*/false);
}

} // namespace

void cambrian::onnx_import::registerActivation(OpRegistry &r) {
  r.add("", "Celu", 12, importCelu);
  r.add("", "Elu", 6, importElu);
  r.add("", "Gelu", 20, importGelu);
  r.add("", "HardSigmoid", 6, importHardSigmoid);
  r.add("", "HardSwish", 14, importHardSwish);
  r.add("", "LeakyRelu", 6, importLeakyRelu);
  r.add("", "LogSoftmax", 1, importSoftmaxFamily1);
  r.add("", "LogSoftmax", 13, importSoftmaxFamily13);
  r.add("", "Mish", 18, importMish);
  r.add("", "PRelu", 7, importPRelu);
  r.add("", "Relu", 6, importRelu);
  r.add("", "Selu", 6, importSelu);
  r.add("", "Shrink", 9, importShrink);
  r.add("", "Sigmoid", 6, importSigmoid);
  r.add("", "Softmax", 1, importSoftmaxFamily1);
  r.add("", "Softmax", 13, importSoftmaxFamily13);
  r.add("", "Softplus", 1, importSoftplus);
  r.add("", "Softsign", 1, importSoftsign);
  r.add("", "Swish", 24, importSwish);
  r.add("", "ThresholdedRelu", 10, importThresholdedRelu);
}
