//===- ActivationTest.cpp - emitActivation against the formulas -----------===//
//
// Builds each activation on a constant, lets MLIR's folders evaluate it (as
// the importer's host folding does) and compares with the definition.
//
//===----------------------------------------------------------------------===//

#include "dialects/Cambrian/Utils/Activation.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Rewrite/FrozenRewritePatternSet.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

using namespace mlir;
using namespace cambrian::cmb;

namespace {

/// `act(x)` evaluated by folding, or NaN when something did not fold.
double fold(ActivationKind kind, float alpha, float beta, float x) {
  MLIRContext ctx;
  ctx.loadDialect<CambrianDialect, arith::ArithDialect, math::MathDialect,
                  func::FuncDialect>();
  OpBuilder b(&ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  b.setInsertionPointToStart(module->getBody());
  auto f = func::FuncOp::create(b, loc, "f",
                                b.getFunctionType({}, {b.getF32Type()}));
  b.setInsertionPointToStart(f.addEntryBlock());
  Value v = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(x));
  Value y = emitActivation(b, loc, v,
                           ActivationAttr::get(&ctx, kind, alpha, beta));
  auto ret = func::ReturnOp::create(b, loc, y);
  // The greedy driver with no patterns only folds, as host folding does.
  if (failed(applyPatternsGreedily(f, FrozenRewritePatternSet())))
    return NAN;
  FloatAttr result;
  if (!matchPattern(ret.getOperand(0), m_Constant(&result)))
    return NAN;
  return result.getValueAsDouble();
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

struct Case {
  const char *name;
  ActivationKind kind;
  float alpha, beta;
  std::function<double(double)> ref;
};

} // namespace

TEST_CASE("each activation computes its definition", "[activation]") {
  const Case cases[] = {
      {"relu", ActivationKind::Relu, 0, 0,
       [](double x) { return std::max(x, 0.0); }},
      {"clip", ActivationKind::Clip, -1.0f, 6.0f,
       [](double x) { return std::min(std::max(x, -1.0), 6.0); }},
      {"leaky_relu", ActivationKind::LeakyRelu, 0.1f, 0,
       [](double x) { return x < 0 ? 0.1 * x : x; }},
      {"hard_sigmoid", ActivationKind::HardSigmoid, 0.2f, 0.5f,
       [](double x) { return std::min(std::max(0.2 * x + 0.5, 0.0), 1.0); }},
      {"hard_swish", ActivationKind::HardSwish, 0, 0,
       [](double x) {
         return x * std::min(std::max(x / 6.0 + 0.5, 0.0), 1.0);
       }},
      {"sigmoid", ActivationKind::Sigmoid, 0, 0, sigmoid},
      {"silu", ActivationKind::Silu, 0, 0,
       [](double x) { return x * sigmoid(x); }},
      {"tanh", ActivationKind::Tanh, 0, 0, [](double x) { return std::tanh(x); }},
      {"gelu_erf", ActivationKind::GeluErf, 0, 0,
       [](double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }},
      {"gelu_tanh", ActivationKind::GeluTanh, 0, 0,
       [](double x) {
         return 0.5 * x *
                (1.0 + std::tanh(std::sqrt(2.0 / M_PI) *
                                 (x + 0.044715 * x * x * x)));
       }},
      {"elu", ActivationKind::Elu, 1.5f, 0,
       [](double x) { return x < 0 ? 1.5 * std::expm1(x) : x; }},
  };
  for (const Case &c : cases) {
    for (float x : {-7.5f, -2.0f, -0.25f, 0.0f, 0.5f, 3.0f, 8.0f}) {
      INFO(c.name << "(" << x << ")");
      double got = fold(c.kind, c.alpha, c.beta, x);
      REQUIRE(!std::isnan(got));
      CHECK(got == Approx(c.ref(x)).margin(1e-6).epsilon(1e-5));
    }
  }
}

TEST_CASE("none passes its input through", "[activation]") {
  MLIRContext ctx;
  ctx.loadDialect<CambrianDialect, arith::ArithDialect>();
  OpBuilder b(&ctx);
  OwningOpRef<ModuleOp> module = ModuleOp::create(b.getUnknownLoc());
  b.setInsertionPointToStart(module->getBody());
  Value x = arith::ConstantOp::create(b, b.getUnknownLoc(),
                                      b.getF32FloatAttr(2.0f));
  CHECK(emitActivation(b, b.getUnknownLoc(), x, nullptr) == x);
  CHECK(emitActivation(b, b.getUnknownLoc(), x,
                       ActivationAttr::get(&ctx, ActivationKind::None)) == x);
}
