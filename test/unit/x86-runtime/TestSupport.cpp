//===- TestSupport.cpp - Helpers shared by the x86 runtime tests ----------===//

#include "TestSupport.h"

#include "targets/x86/runtime/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>

bool cmbIsaSupported() {
  __builtin_cpu_init();
  if (std::strcmp(cmbTestIsa, "avx512") == 0)
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (std::strcmp(cmbTestIsa, "avx2") == 0)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
  return true;
}

std::vector<float> randomFloats(std::mt19937 &rng, size_t n) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

void Checker::check(double got, double want, double magnitude,
                    const std::string &where) {
  ++numChecks;
  double err = std::fabs(got - want);
  if (err <= relTol * magnitude + absTol) // false for NaN
    return;
  if (numFailures++ < 5) {
    std::ostringstream os;
    os << where << ": got " << got << ", want " << want << " (|err| " << err
       << ", magnitude " << magnitude << ")\n";
    messages += os.str();
  }
}

double activationReference(int kind, double v, double alpha, double beta) {
  if (std::isnan(v))
    return v;
  switch (kind) {
  case CMB_CONV_ACT_NONE:
    return v;
  case CMB_CONV_ACT_RELU:
    return std::max(v, 0.0);
  case CMB_CONV_ACT_RELU6:
    return std::min(std::max(v, 0.0), 6.0);
  case CMB_CONV_ACT_LEAKY_RELU:
    return v < 0 ? alpha * v : v;
  case CMB_CONV_ACT_HARDSIGMOID:
    return std::min(std::max(alpha * v + beta, 0.0), 1.0);
  case CMB_CONV_ACT_HARDSWISH:
    return v * std::min(std::max(alpha * v + beta, 0.0), 1.0);
  case CMB_CONV_ACT_SIGMOID:
    return 1.0 / (1.0 + std::exp(-v));
  case CMB_CONV_ACT_SILU:
    return v / (1.0 + std::exp(-v));
  case CMB_CONV_ACT_TANH:
    return std::tanh(v);
  case CMB_CONV_ACT_GELU:
    return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
  case CMB_CONV_ACT_GELU_TANH:
    return 0.5 * v *
           (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  }
  return std::nan("");
}
