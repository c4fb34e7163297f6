//===- TestSupport.cpp - Helpers shared by the x86 runtime tests ----------===//

#include "TestSupport.h"

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
