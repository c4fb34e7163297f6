//===- Activation.cpp - The scalar body of an activation ------------------===//
//
// The op order follows ONNX's definitions term by term; targets that match
// these bodies (and the host folder) rely on it staying the same.
//
//===----------------------------------------------------------------------===//

#include "dialects/Cambrian/Utils/Activation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace cambrian::cmb;

namespace {

Value floatConst(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
}

/// min(max(alpha * x + beta, 0), 1) as ONNX's HardSigmoid: min first.
Value hardSigmoid(OpBuilder &b, Location loc, Value x, double alpha,
                  double beta) {
  Type t = x.getType();
  Value v = arith::AddFOp::create(
      b, loc, arith::MulFOp::create(b, loc, x, floatConst(b, loc, t, alpha)),
      floatConst(b, loc, t, beta));
  v = arith::MinimumFOp::create(b, loc, v, floatConst(b, loc, t, 1.0));
  return arith::MaximumFOp::create(b, loc, v, floatConst(b, loc, t, 0.0));
}

/// 1 / (1 + exp(-x)).
Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  Value d = arith::AddFOp::create(b, loc, floatConst(b, loc, t, 1.0), e);
  return arith::DivFOp::create(b, loc, floatConst(b, loc, t, 1.0), d);
}

} // namespace

Value cambrian::cmb::emitActivation(OpBuilder &b, Location loc, Value x,
                                    ActivationAttr act) {
  if (!act)
    return x;
  Type t = x.getType();
  double alpha = act.getAlphaF32(), beta = act.getBetaF32();
  auto c = [&](double v) { return floatConst(b, loc, t, v); };
  switch (act.getKind()) {
  case ActivationKind::None:
    return x;
  case ActivationKind::Relu:
    return arith::MaximumFOp::create(b, loc, x, c(0.0));
  case ActivationKind::Clip:
    return arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, c(alpha)), c(beta));
  case ActivationKind::LeakyRelu: {
    Value isNeg =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, c(0.0));
    Value scaled = arith::MulFOp::create(b, loc, x, c(alpha));
    return arith::SelectOp::create(b, loc, isNeg, scaled, x);
  }
  case ActivationKind::HardSigmoid:
    return hardSigmoid(b, loc, x, alpha, beta);
  case ActivationKind::HardSwish:
    return arith::MulFOp::create(b, loc, x,
                                 hardSigmoid(b, loc, x, 1.0 / 6.0, 0.5));
  case ActivationKind::Sigmoid:
    return sigmoid(b, loc, x);
  case ActivationKind::Silu:
    return arith::MulFOp::create(b, loc, x, sigmoid(b, loc, x));
  case ActivationKind::Tanh:
    return math::TanhOp::create(b, loc, x);
  case ActivationKind::GeluErf:
  case ActivationKind::GeluTanh: {
    Value half = c(0.5), one = c(1.0);
    Value inner;
    if (act.getKind() == ActivationKind::GeluTanh) {
      // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
      Value x3 = arith::MulFOp::create(b, loc, x,
                                       arith::MulFOp::create(b, loc, x, x));
      Value s = arith::AddFOp::create(
          b, loc, x, arith::MulFOp::create(b, loc, x3, c(0.044715)));
      inner = math::TanhOp::create(
          b, loc, arith::MulFOp::create(b, loc, s, c(std::sqrt(2.0 / M_PI))));
    } else {
      inner = math::ErfOp::create(
          b, loc, arith::MulFOp::create(b, loc, x, c(M_SQRT1_2)));
    }
    Value sum = arith::AddFOp::create(b, loc, one, inner);
    return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, half),
                                 sum);
  }
  case ActivationKind::Elu: {
    Value zero = c(0.0);
    Value e = math::ExpM1Op::create(b, loc, x);
    Value neg = arith::MulFOp::create(b, loc, e, c(alpha));
    Value isNeg =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
    return arith::SelectOp::create(b, loc, isNeg, neg, x);
  }
  }
  llvm_unreachable("unknown activation");
}
