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

TEST_CASE("activations: a block of rows, the gaps between them untouched",
          "[activation]") {
  CMB_REQUIRE_ISA();
  // 5 rows of 37 floats (two full AVX-512 vectors and a partial one), 41
  // apart: the 4 floats after each row must keep their value.
  const int64_t rows = 5, n = 37, ld = 41;
  std::vector<float> p((size_t)(rows * ld));
  for (size_t i = 0; i < p.size(); ++i)
    p[i] = 0.25f * (float)((int)(i % 23) - 11);
  const std::vector<float> before = p;
  cmb_act act = {CMB_CONV_ACT_SILU, 0.0f, 0.0f};
  cmb_act_apply_rows(p.data(), rows, n, ld, &act);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < ld; ++j) {
      const size_t i = (size_t)(r * ld + j);
      const double v = before[i];
      const double want = j < n ? v / (1.0 + std::exp(-v)) : v;
      INFO("row " << r << " column " << j);
      CHECK(std::fabs(p[i] - want) <= 1e-6 * (1.0 + std::fabs(want)));
    }
}
