//===- ApproximateMath.cpp - Vectorizable transcendental functions --------===//

#include "targets/x86/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_APPROXIMATEMATHPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {
struct ApproximateMathPass
    : cambrian::x86::impl::ApproximateMathPassBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    // exp/log/tanh/erf/... become arithmetic; sqrt and rsqrt stay (they map
    // to single instructions).
    populateMathPolynomialApproximationPatterns(
        patterns, [](StringRef name) {
          return name != "sqrt" && name != "rsqrt";
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
