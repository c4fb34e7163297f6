//===- PlaneTest.cpp - cmb_x86_plane_sums / _scale against references -----===//
//
// Plane sizes below, at and past a vector and two (1, 7, 16, 17, 33, 49,
// 784), plane counts from one to more than a task holds, over 1 and 2
// threads; the sums add to what y held, the scaling also in place.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

TEST_CASE("plane_sums: each plane's sum added to y", "[plane]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(5);
  for (int threads : {1, 2})
    for (int64_t size : {1, 7, 16, 17, 33, 49, 784})
      for (int64_t planes : {1, 3, 40, 1100}) {
        cambrian_module_set_threads(threads);
        std::vector<float> x = randomFloats(rng, planes * size);
        std::vector<float> y = randomFloats(rng, planes);
        const std::vector<float> y0 = y;
        cmb_x86_plane_sums(x.data(), y.data(), planes, size);
        int64_t bad = 0;
        for (int64_t p = 0; p < planes; ++p) {
          double want = y0[p];
          for (int64_t i = 0; i < size; ++i)
            want += x[p * size + i];
          bad += !(std::fabs(y[p] - want) <= 1e-5 * (1.0 + std::sqrt(size)));
        }
        INFO("threads " << threads << ", " << planes << " planes of " << size);
        REQUIRE(bad == 0);
      }
  cambrian_module_set_threads(1);
}

TEST_CASE("plane_scale: each plane times its factor", "[plane]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(6);
  for (int threads : {1, 2})
    for (int64_t size : {1, 7, 16, 17, 49, 784})
      for (int64_t planes : {1, 3, 40, 1100})
        for (bool inPlace : {false, true}) {
          cambrian_module_set_threads(threads);
          std::vector<float> x = randomFloats(rng, planes * size);
          std::vector<float> s = randomFloats(rng, planes);
          // One past the end: a kernel writing beyond the tensor changes it.
          std::vector<float> y(planes * size + 1, -7.0f);
          const std::vector<float> x0 = x;
          float *out = inPlace ? x.data() : y.data();
          cmb_x86_plane_scale(x.data(), s.data(), out, planes, size);
          int64_t bad = 0;
          for (int64_t p = 0; p < planes; ++p)
            for (int64_t i = 0; i < size; ++i)
              bad += out[p * size + i] != x0[p * size + i] * s[p];
          INFO("threads " << threads << ", " << planes << " planes of " << size
                          << (inPlace ? ", in place" : ""));
          REQUIRE(bad == 0);
          REQUIRE(y.back() == -7.0f);
        }
  cambrian_module_set_threads(1);
}
