//===- SgemmTest.cpp - cmb_x86_sgemm against a double reference -----------===//
//
// Shapes are chosen around the register tiles of all three archives
// (6x8, 6x16, 14x32), the cache blocks (MC, KC, NC), and the special paths
// (M <= MR reads B in place, N == 1 is a matrix-vector product). Every
// element of the output buffer is checked, including the gaps between rows
// (ldc > N), which must stay untouched.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/PackedPanels.h"
#include "targets/x86/runtime/Sgemm.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <utility>

namespace {

struct GemmCase {
  int64_t batch, M, N, K;
  int64_t lda, ldb, ldc;
  int64_t strideA, strideB, strideC;
  int accumulate;
  int streamB = 0; // CMB_SGEMM_STREAM_B
  int packedB = 0;  // CMB_SGEMM_PACKED_B: B passed as packed panels
  // Epilogue (cmb_x86_sgemm_epilogue): a bias per column, an activation.
  bool colBias = false;
  int act = CMB_CONV_ACT_NONE; // RELU, SILU or GELU here
};


std::string describe(const GemmCase &c) {
  std::ostringstream os;
  os << "batch " << c.batch << " M " << c.M << " N " << c.N << " K " << c.K
     << " lda " << c.lda << " ldb " << c.ldb << " ldc " << c.ldc << " sA "
     << c.strideA << " sB " << c.strideB << " sC " << c.strideC << " acc "
     << c.accumulate << (c.streamB ? " streamB" : "")
     << (c.packedB ? " packedB" : "")
     << (c.colBias ? " colBias" : "") << " act " << c.act;
  return os.str();
}

/// Floats spanned by `batch` matrices of rows x cols, `ld` and `stride` apart.
size_t span(int64_t batch, int64_t stride, int64_t rows, int64_t ld,
            int64_t cols) {
  if (batch <= 0 || rows <= 0 || cols <= 0)
    return 1;
  return (size_t)((batch - 1) * stride + (rows - 1) * ld + cols);
}

/// A case with dense operands and disjoint batches.
GemmCase dense(int64_t batch, int64_t M, int64_t N, int64_t K, int acc) {
  return {batch, M, N, K, K, N, N, M * K, K * N, M * N, acc};
}

/// Runs one case and checks the whole C buffer.
void runCase(const GemmCase &c, std::mt19937 &rng, Checker &chk) {
  std::vector<float> A =
      randomFloats(rng, span(c.batch, c.strideA, c.M, c.lda, c.K));
  std::vector<float> B =
      randomFloats(rng, span(c.batch, c.strideB, c.K, c.ldb, c.N));
  std::vector<float> C =
      randomFloats(rng, span(c.batch, c.strideC, c.M, c.ldc, c.N));
  std::vector<float> bias = randomFloats(rng, (size_t)c.N);

  // The reference applies the batch in order, so overlapping outputs
  // (strideC == 0) get the sequential meaning.
  std::vector<double> want(C.begin(), C.end());
  std::vector<double> mag(C.size());
  for (size_t i = 0; i < C.size(); ++i)
    mag[i] = std::fabs(C[i]);
  // Row by row in i-k-j order, so that B is read sequentially.
  std::vector<double> s(c.N), m(c.N);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t i = 0; i < c.M; ++i) {
      std::fill(s.begin(), s.end(), 0.0);
      std::fill(m.begin(), m.end(), 0.0);
      for (int64_t k = 0; k < c.K; ++k) {
        const double a = A[b * c.strideA + i * c.lda + k];
        const float *row = &B[b * c.strideB + k * c.ldb];
        for (int64_t j = 0; j < c.N; ++j) {
          double p = a * (double)row[j];
          s[j] += p;
          m[j] += std::fabs(p);
        }
      }
      for (int64_t j = 0; j < c.N; ++j) {
        size_t idx = (size_t)(b * c.strideC + i * c.ldc + j);
        double v = c.accumulate ? want[idx] + s[j] : s[j];
        double mg = c.accumulate ? mag[idx] + m[j] : m[j];
        if (c.colBias) {
          v += bias[j];
          mg += std::fabs(bias[j]);
        }
        want[idx] = activationReference(c.act, v, 0.0, 0.0);
        // The activations' slopes are at most about 1.13 (GELU).
        mag[idx] = c.act != CMB_CONV_ACT_NONE ? 1.2 * mg : mg;
      }
    }

  const int64_t flags = (c.accumulate ? CMB_SGEMM_ACCUMULATE : 0) |
                        (c.streamB ? CMB_SGEMM_STREAM_B : 0) |
                        (c.packedB ? CMB_SGEMM_PACKED_B : 0);
  // Packed B: each batch's B (one when broadcast) in panels, as the
  // compiler lays out constant weights; ldb is then ignored.
  const float *bArg = B.data();
  int64_t strideB = c.strideB, ldb = c.ldb;
  std::vector<float> packed;
  if (c.packedB) {
    const int64_t floats = cmb_packed_panels_floats(c.K, c.N);
    const int64_t count = c.strideB ? c.batch : 1;
    packed.assign((size_t)std::max<int64_t>(1, count * floats), NAN);
    for (int64_t b = 0; b < count; ++b)
      cmb_pack_panels(B.data() + b * c.strideB, c.ldb, 1, c.K, c.N,
                      packed.data() + b * floats);
    bArg = packed.data();
    strideB = c.strideB ? floats : 0;
    ldb = 7;
  }
  if (c.colBias || c.act != CMB_CONV_ACT_NONE)
    cmb_x86_sgemm_epilogue(c.batch, c.M, c.N, c.K, A.data(), c.strideA, c.lda,
                           bArg, strideB, ldb, C.data(), c.strideC, c.ldc,
                           flags, c.colBias ? bias.data() : nullptr, c.act, 0,
                           0);
  else
    cmb_x86_sgemm(c.batch, c.M, c.N, c.K, A.data(), c.strideA, c.lda, bArg,
                  strideB, ldb, C.data(), c.strideC, c.ldc, flags);

  std::string where = describe(c);
  for (size_t i = 0; i < C.size(); ++i)
    chk.check(C[i], want[i], mag[i], where + " at " + std::to_string(i));
}

void requireClean(const Checker &chk) {
  INFO(chk.report());
  CHECK(chk.checks() > 0);
  REQUIRE(chk.failures() == 0);
}

/// Runs `body` with 1 and then 2 pool threads, restoring 1 afterwards.
template <typename F> void withThreadCounts(F body) {
  for (int threads : {1, 2}) {
    cambrian_module_set_threads(threads);
    REQUIRE(cmb_x86_num_threads() == threads);
    body(threads);
  }
  cambrian_module_set_threads(1);
}

} // namespace

TEST_CASE("sgemm: edge tiles in M, N and K", "[sgemm]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(1);
  withThreadCounts([&](int threads) {
    Checker chk;
    for (int64_t M : {1, 2, 5, 6, 7, 13, 14, 15, 29})
      for (int64_t N : {1, 2, 7, 8, 9, 16, 17, 31, 32, 33, 65})
        for (int64_t K : {0, 1, 5, 17, 64, 257})
          runCase(dense(1, M, N, K, (int)((M + N + K) % 2)), rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("sgemm: empty shapes write nothing", "[sgemm]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(2);
  Checker chk;
  for (GemmCase c : {dense(1, 0, 5, 3, 0), dense(1, 4, 0, 3, 0),
                     dense(0, 4, 5, 3, 0), dense(1, 0, 0, 0, 1)}) {
    std::vector<float> C = randomFloats(rng, 64);
    std::vector<float> before = C;
    float a = 1, b = 1;
    cmb_x86_sgemm(c.batch, c.M, c.N, c.K, &a, 0, c.lda, &b, 0, c.ldb, C.data(),
                  0, c.ldc, c.accumulate);
    for (size_t i = 0; i < C.size(); ++i)
      chk.check(C[i], before[i], 0.0, describe(c));
  }
  requireClean(chk);
}

TEST_CASE("sgemm: leading dimensions and cache blocking", "[sgemm]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(3);
  withThreadCounts([&](int threads) {
    Checker chk;
    // Padded rows in every operand.
    runCase({1, 37, 45, 29, 31, 50, 47, 0, 0, 0, 0}, rng, chk);
    runCase({1, 37, 45, 29, 31, 50, 47, 0, 0, 0, 1}, rng, chk);
    // M > MC and K > KC (several A blocks and K blocks, partial last ones),
    // B in place.
    runCase({1, 200, 70, 600, 603, 75, 71, 0, 0, 0, 0}, rng, chk);
    runCase({1, 170, 96, 520, 520, 96, 100, 0, 0, 0, 1}, rng, chk);
    // More rows: B packed, also over several NC blocks; A packed (many
    // panels) and in place (few).
    runCase({1, 270, 300, 530, 531, 301, 303, 0, 0, 0, 1}, rng, chk);
    runCase(dense(1, 262, 3100, 20, 0), rng, chk);
    runCase(dense(1, 300, 40, 70, 1), rng, chk);
    // N > NC.
    runCase(dense(1, 9, 3100, 20, 0), rng, chk);
    runCase(dense(1, 20, 3100, 40, 1), rng, chk);
    // A B of more than 32 MiB is treated as not cached: short K blocks with
    // M <= MR, packing otherwise.
    runCase({1, 6, 2050, 4100, 4100, 2053, 2050, 0, 0, 0, 1}, rng, chk);
    runCase(dense(1, 16, 2048, 4100, 0), rng, chk);
    // The caller can say so for a small B too (weights of a large model).
    for (GemmCase c : {dense(1, 6, 300, 200, 1), dense(1, 128, 768, 300, 0),
                       GemmCase{3, 40, 70, 90, 90, 75, 71, 0, 90 * 75, 40 * 71,
                                1}}) {
      c.streamB = 1;
      runCase(c, rng, chk);
    }
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("sgemm: batches, broadcast operands and accumulation", "[sgemm]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(4);
  withThreadCounts([&](int threads) {
    Checker chk;
    for (int acc : {0, 1}) {
      runCase(dense(3, 19, 40, 23, acc), rng, chk);
      runCase(dense(5, 1, 70, 33, acc), rng, chk);
      // Broadcast A (a shared weight), and broadcast B.
      runCase({4, 15, 33, 12, 12, 33, 33, 0, 12 * 33, 15 * 33, acc}, rng, chk);
      runCase({4, 15, 33, 12, 12, 33, 40, 15 * 12, 0, 15 * 40 + 3, acc}, rng,
              chk);
      // Both broadcast, separate outputs.
      runCase({2, 8, 9, 10, 10, 9, 9, 0, 0, 8 * 9, acc}, rng, chk);
      // Every batch writes the same C: in order (sum with accumulate, the
      // last product without).
      runCase({3, 16, 20, 8, 8, 20, 20, 16 * 8, 8 * 20, 0, acc}, rng, chk);
    }
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("sgemm: matrix-vector and rank-1 shapes", "[sgemm]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(5);
  withThreadCounts([&](int threads) {
    Checker chk;
    for (int acc : {0, 1}) {
      runCase(dense(1, 1, 1000, 2048, acc), rng, chk); // fc layer, batch 1
      runCase(dense(1, 1, 1, 1000, acc), rng, chk);    // dot product
      runCase(dense(1, 300, 1, 513, acc), rng, chk);   // gemv
      // gemv with a strided column of B.
      runCase({1, 70, 1, 100, 101, 3, 2, 0, 0, 0, acc}, rng, chk);
      runCase(dense(1, 100, 200, 1, acc), rng, chk); // rank-1 update
      runCase(dense(1, 3, 500, 300, acc), rng, chk); // M <= MR, B in place
      runCase({2, 4, 77, 64, 64, 80, 77, 0, 64 * 80, 4 * 77, acc}, rng, chk);
      // M <= 4 streams B by rows in strips of C: several strips, partial
      // vectors, padded leading dimensions, K not a multiple of 4.
      runCase({1, 1, 7000, 9, 9, 7003, 7001, 0, 0, 0, acc}, rng, chk);
      runCase({1, 2, 3500, 30, 31, 3500, 3517, 0, 0, 0, acc}, rng, chk);
      runCase({1, 3, 2100, 7, 8, 2113, 2100, 0, 0, 0, acc}, rng, chk);
      runCase({1, 4, 1601, 13, 13, 1601, 1601, 0, 0, 0, acc}, rng, chk);
    }
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("sgemm: random shapes", "[sgemm]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(6);
  withThreadCounts([&](int threads) {
    Checker chk;
    std::uniform_int_distribution<int64_t> dim(1, 90), pad(0, 5),
        batchDist(1, 3), coin(0, 1);
    for (int t = 0; t < 60; ++t) {
      int64_t M = dim(rng), N = dim(rng), K = dim(rng), batch = batchDist(rng);
      GemmCase c{batch,        M, N, K, K + pad(rng),  N + pad(rng),
                 N + pad(rng), 0, 0, 0, (int)coin(rng)};
      c.strideA = coin(rng) ? 0 : M * c.lda + pad(rng);
      c.strideB = coin(rng) ? 0 : K * c.ldb + pad(rng);
      c.strideC = M * c.ldc + pad(rng);
      runCase(c, rng, chk);
    }
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("sgemm: column bias and activation epilogue on every path",
          "[sgemm]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(31);
  auto fused = [](GemmCase c, int act, bool colBias = true) {
    c.act = act;
    c.colBias = colBias;
    return c;
  };
  withThreadCounts([&](int threads) {
    Checker chk;
    // Register tiles with edges in M and N, B in place and packed, A in
    // place and packed (many panels), a K split into blocks.
    runCase(fused({1, 37, 45, 29, 31, 50, 47, 0, 0, 0, 0}, CMB_CONV_ACT_RELU),
            rng, chk);
    runCase(fused(dense(1, 300, 40, 70, 1), CMB_CONV_ACT_GELU), rng, chk);
    runCase(fused(dense(1, 270, 400, 600, 0), CMB_CONV_ACT_SILU), rng, chk);
    runCase(fused(dense(1, 128, 768, 96, 1), CMB_CONV_ACT_NONE), rng, chk);
    // Few rows (streamed B), one column (matrix-vector), N split over
    // threads, a batch with broadcast weights, K = 0.
    runCase(fused(dense(1, 3, 200, 64, 1), CMB_CONV_ACT_GELU), rng, chk);
    runCase(fused(dense(1, 50, 1, 64, 0), CMB_CONV_ACT_RELU), rng, chk);
    runCase(fused(dense(1, 16, 3100, 20, 0), CMB_CONV_ACT_SILU), rng, chk);
    runCase(fused({3, 40, 70, 90, 90, 75, 71, 90 * 40, 0, 40 * 71, 1},
                  CMB_CONV_ACT_GELU),
            rng, chk);
    runCase(fused(dense(1, 20, 33, 0, 1), CMB_CONV_ACT_RELU), rng, chk);
    // An activation without bias.
    runCase(fused(dense(1, 30, 50, 40, 0), CMB_CONV_ACT_GELU, false), rng,
            chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("sgemm: B in packed panels (constant weights)", "[sgemm]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(32);
  auto packedB = [](GemmCase c, int act = CMB_CONV_ACT_NONE,
                    bool colBias = false) {
    c.packedB = 1;
    c.act = act;
    c.colBias = colBias;
    return c;
  };
  withThreadCounts([&](int threads) {
    Checker chk;
    // N around the panel (32) and the micro-panels of every ISA (8, 16,
    // 32), so the zero-padded last panel is read as a partial tile; M
    // around the register tiles.
    for (int64_t M : {1, 5, 14, 29})
      for (int64_t N : {1, 8, 9, 17, 31, 32, 33, 48, 65, 100})
        runCase(packedB(dense(1, M, N, 37, (int)((M + N) % 2))), rng, chk);
    // Several K blocks, M > MC (several A blocks), N > NC (several N
    // blocks of whole panels), A in place (few panels) and packed.
    runCase(packedB(dense(1, 128, 768, 600, 0), CMB_CONV_ACT_GELU, true), rng,
            chk);
    runCase(packedB(dense(1, 197, 3100, 40, 1), CMB_CONV_ACT_SILU, true), rng,
            chk);
    runCase(packedB(dense(1, 300, 200, 1100, 0), CMB_CONV_ACT_RELU), rng,
            chk);
    // Padded A and C rows; the B the panels came from had padded rows too.
    runCase(packedB({1, 37, 45, 29, 31, 50, 47, 0, 0, 0, 1}, CMB_CONV_ACT_NONE,
                    true),
            rng, chk);
    // A batch over one broadcast B, and a B per batch.
    runCase(packedB({3, 40, 70, 90, 90, 70, 71, 90 * 40, 0, 40 * 71, 1},
                    CMB_CONV_ACT_GELU, true),
            rng, chk);
    runCase(packedB(dense(2, 19, 40, 23, 0)), rng, chk);
    INFO("threads " << threads);
    requireClean(chk);
  });
}

TEST_CASE("sgemm: two threads split a GEMM into even blocks", "[sgemm]") {
  // The register tile is the archive's (14 x 32 for AVX-512, 6 x 16 for
  // AVX2, 6 x 8 for SSE), not this file's: the shapes suit all three.
  const auto split = [](int64_t batch, int64_t M, int64_t N, int64_t K) {
    int64_t pm = 0, pn = 0;
    cmb_gemm_choose_split(batch, M, N, K, 2, 32, &pm, &pn);
    return std::make_pair(pm, pn);
  };
  // A projection to 16 channels over a 112x112 map: cutting its row tiles
  // would give one thread 14 rows and the other 2 (AVX-512), or 6 and 10,
  // so N is cut instead.
  CHECK(split(1, 16, 112 * 112, 32) == std::make_pair(1L, 2L));
  // The same rows against 5 column tiles (blocks of 2 and 3): with the
  // balance counted in tiles, AVX-512's two row tiles looked perfect.
  CHECK(split(1, 16, 5 * 32, 256) == std::make_pair(1L, 2L));
  // Both cut evenly (84 rows are 6 tiles of 14 and 14 of 6): N, whose
  // blocks share the packing of A.
  CHECK(split(1, 84, 64 * 32, 256) == std::make_pair(1L, 2L));
  // One tile of columns: only M can be cut.
  CHECK(split(1, 16 * 84, 32, 256) == std::make_pair(2L, 1L));
  // Enough GEMMs in the batch to go around: none is cut.
  CHECK(split(8, 16 * 84, 64 * 32, 256) == std::make_pair(1L, 1L));
  // Too little work to wake a second thread.
  CHECK(split(1, 4, 4, 4) == std::make_pair(1L, 1L));
}
