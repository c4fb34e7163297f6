//===- ActivationTest.cpp - The epilogue activations over their range -----===//
//
// cmb_act_apply (vectorized exp, sigmoid via a refined reciprocal estimate,
// tanh, erf) against double-precision formulas, from -100 to 100 (where
// exp saturates) with zeros, tiny values and NaN, on full vectors and a
// partial last one.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

extern "C" {
#include "targets/x86/runtime/Runtime.h"
}

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>


TEST_CASE("activations: accuracy from -100 to 100, NaN propagates",
          "[activation]") {
  CMB_REQUIRE_ISA();
  std::vector<float> xs;
  for (int i = -2000; i <= 2000; ++i)
    xs.push_back(0.05f * (float)i);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 88.0f, -88.0f, 89.0f, -89.0f,
                  1e30f, -1e30f})
    xs.push_back(v);
  xs.push_back(NAN); // 4012 values: the last vector is partial everywhere
  const int kinds[] = {CMB_CONV_ACT_RELU,       CMB_CONV_ACT_RELU6,
                       CMB_CONV_ACT_LEAKY_RELU, CMB_CONV_ACT_HARDSIGMOID,
                       CMB_CONV_ACT_HARDSWISH,  CMB_CONV_ACT_SIGMOID,
                       CMB_CONV_ACT_SILU,       CMB_CONV_ACT_TANH,
                       CMB_CONV_ACT_GELU,       CMB_CONV_ACT_GELU_TANH};
  for (int kind : kinds) {
    const float alpha = kind == CMB_CONV_ACT_LEAKY_RELU ? 0.1f : 1.0f / 6;
    const float beta = 0.5f;
    cmb_act act = {kind, alpha, beta};
    std::vector<float> ys = xs;
    cmb_act_apply(ys.data(), (int64_t)ys.size(), &act);
    int64_t bad = 0;
    std::string first;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double want = activationReference(kind, xs[i], alpha, beta);
      const bool ok =
          std::isnan(want)
              ? std::isnan(ys[i])
              : std::fabs(ys[i] - want) <= 2e-6 + 2e-6 * std::fabs(want);
      if (!ok && bad++ == 0)
        first = "x=" + std::to_string(xs[i]) + " got " +
                std::to_string(ys[i]) + " want " + std::to_string(want);
    }
    INFO("kind " << kind << ": " << bad << " off, first " << first);
    CHECK(bad == 0);
  }
}
