//===- TransposeTest.cpp - cmb_x86_transpose against index arithmetic ------===//
//
// Attention's permutations ([S, H, D] -> [H, S, D], -> [H, D, S]), every
// permutation of small 4-D shapes with extents around the 16 x 16 tiles,
// unit dimensions (dropped) and merged neighbours, rank 1 and 8, on 1 and 2
// threads. A permutation only moves values, so they must match exactly.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

namespace {

/// Number of elements of y that differ from x permuted by `perm`.
int64_t mismatches(const std::vector<int64_t> &shape,
                   const std::vector<int64_t> &perm) {
  const int64_t rank = shape.size();
  int64_t total = 1;
  for (int64_t d : shape)
    total *= d;
  std::vector<float> x((size_t)total), y((size_t)total, -1.0f);
  std::iota(x.begin(), x.end(), 0.0f); // every value tells where it was
  std::vector<int64_t> params = {rank};
  params.insert(params.end(), shape.begin(), shape.end());
  params.insert(params.end(), perm.begin(), perm.end());
  cmb_x86_transpose(x.data(), y.data(), params.data());

  std::vector<int64_t> istr(rank), oshape(rank);
  for (int64_t d = rank - 1, s = 1; d >= 0; --d) {
    istr[d] = s;
    s *= shape[d];
  }
  for (int64_t d = 0; d < rank; ++d)
    oshape[d] = shape[perm[d]];
  int64_t bad = 0;
  for (int64_t o = 0; o < total; ++o) {
    int64_t rest = o, in = 0;
    for (int64_t d = rank - 1; d >= 0; --d) {
      in += (rest % oshape[d]) * istr[perm[d]];
      rest /= oshape[d];
    }
    bad += y[(size_t)o] != x[(size_t)in];
  }
  return bad;
}

std::string describe(const std::vector<int64_t> &shape,
                     const std::vector<int64_t> &perm) {
  std::ostringstream os;
  os << "shape";
  for (int64_t d : shape)
    os << " " << d;
  os << " perm";
  for (int64_t p : perm)
    os << " " << p;
  return os.str();
}

} // namespace

TEST_CASE("transpose: permutations of every kind", "[transpose]") {
  CMB_REQUIRE_ISA();
  for (int threads : {1, 2}) {
    cambrian_module_set_threads(threads);
    // ViT's head split and K^T, BERT's, a plain matrix.
    const std::vector<std::pair<std::vector<int64_t>, std::vector<int64_t>>>
        cases = {{{197, 6, 64}, {1, 0, 2}},
                 {{6, 197, 64}, {1, 0, 2}},
                 {{197, 6, 64}, {1, 2, 0}},
                 {{1, 128, 12, 64}, {0, 2, 3, 1}},
                 {{33, 47}, {1, 0}},
                 {{1, 1, 5}, {2, 0, 1}},
                 {{40}, {0}},
                 {{2, 1, 3, 1, 2, 2, 1, 3}, {7, 6, 5, 4, 3, 2, 1, 0}}};
    for (const auto &[shape, perm] : cases) {
      INFO("threads " << threads << " " << describe(shape, perm));
      CHECK(mismatches(shape, perm) == 0);
    }
    // Every permutation of two 4-D shapes.
    for (const std::vector<int64_t> &shape :
         {std::vector<int64_t>{3, 17, 2, 18}, std::vector<int64_t>{5, 1, 33, 7}}) {
      std::vector<int64_t> perm = {0, 1, 2, 3};
      do {
        INFO("threads " << threads << " " << describe(shape, perm));
        CHECK(mismatches(shape, perm) == 0);
      } while (std::next_permutation(perm.begin(), perm.end()));
    }
  }
  cambrian_module_set_threads(1);
}
