//===- ThreadPoolTest.cpp - Thread count and concurrent kernel calls ------===//
//
// The module ABI allows cambrian_module_run from several threads at once,
// so the kernels must be callable concurrently, also while another thread
// resizes the pool. Results are compared with single-threaded ones.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

TEST_CASE("thread pool: set and query the thread count", "[threads]") {
  CMB_REQUIRE_ISA();
  REQUIRE(cmb_x86_num_threads() >= 1);
  cambrian_module_set_threads(3);
  REQUIRE(cmb_x86_num_threads() == 3);
  cambrian_module_set_threads(0);
  REQUIRE(cmb_x86_num_threads() == 1);
  cambrian_module_set_threads(-5);
  REQUIRE(cmb_x86_num_threads() == 1);
  // Resizing a pool whose workers have run.
  std::vector<float> a(64 * 64, 1.0f), c(64 * 64);
  for (int n : {2, 4, 1, 3, 2}) {
    cambrian_module_set_threads(n);
    cmb_x86_sgemm(1, 64, 64, 64, a.data(), 0, 64, a.data(), 0, 64, c.data(), 0,
                  64, 0);
    REQUIRE(c[0] == 64.0f);
    REQUIRE(c[64 * 64 - 1] == 64.0f);
  }
  cambrian_module_set_threads(1);
}

namespace {

/// One unit of work of a caller thread: a GEMM and a convolution whose
/// single-threaded results are known.
struct Work {
  std::vector<float> A, B, x, w, bias;
  std::vector<float> gemmWant, convWant;
  int64_t params[CMB_CONV_NUM_PARAMS];
};

constexpr int64_t kM = 48, kN = 150, kK = 70;

void runGemm(Work &wk, std::vector<float> &C) {
  cmb_x86_sgemm(1, kM, kN, kK, wk.A.data(), 0, kK, wk.B.data(), 0, kN, C.data(),
                0, kN, 0);
}

void runConv(Work &wk, std::vector<float> &y) {
  cmb_x86_conv2d(wk.x.data(), wk.w.data(), wk.bias.data(), y.data(), wk.params);
}

Work makeWork(std::mt19937 &rng) {
  Work wk;
  wk.A = randomFloats(rng, kM * kK);
  wk.B = randomFloats(rng, kK * kN);
  // 3x3, 12 -> 20 channels, 16x16, pad 1, bias, relu.
  const int64_t vals[CMB_CONV_NUM_PARAMS] = {1, 12, 16, 16, 20, 3, 3, 16, 16,
                                             1, 1,  1,  1,  1,  1, 1, 0,  1};
  for (int i = 0; i < CMB_CONV_NUM_PARAMS; ++i)
    wk.params[i] = vals[i];
  wk.x = randomFloats(rng, 12 * 16 * 16);
  wk.w = randomFloats(rng, 20 * 12 * 9);
  wk.bias = randomFloats(rng, 20);
  wk.gemmWant.resize(kM * kN);
  wk.convWant.resize(20 * 16 * 16);
  cambrian_module_set_threads(1);
  runGemm(wk, wk.gemmWant);
  runConv(wk, wk.convWant);
  return wk;
}

bool close(const std::vector<float> &got, const std::vector<float> &want) {
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::fabs(got[i] - want[i]) <= 1e-4f * (1.0f + std::fabs(want[i]))))
      return false;
  return true;
}

} // namespace

TEST_CASE("thread pool: concurrent callers and resizing", "[threads]") {
  CMB_REQUIRE_ISA();
  std::mt19937 rng(21);
  constexpr int kCallers = 3, kIters = 200;
  std::vector<Work> work;
  for (int i = 0; i < kCallers; ++i)
    work.push_back(makeWork(rng));

  cambrian_module_set_threads(2);
  std::atomic<int> bad{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> callers;
  for (int t = 0; t < kCallers; ++t)
    callers.emplace_back([&, t] {
      std::vector<float> C(kM * kN), y(20 * 16 * 16);
      for (int i = 0; i < kIters; ++i) {
        runGemm(work[t], C);
        runConv(work[t], y);
        if (!close(C, work[t].gemmWant) || !close(y, work[t].convWant))
          ++bad;
      }
    });
  std::thread resizer([&] {
    for (int i = 0; !stop.load(); ++i) {
      cambrian_module_set_threads(1 + i % 3);
      std::this_thread::yield();
    }
  });
  for (std::thread &t : callers)
    t.join();
  stop = true;
  resizer.join();
  cambrian_module_set_threads(1);
  REQUIRE(bad.load() == 0);
}

extern "C" {
#include "targets/x86/runtime/ThreadPool.h"
}

namespace {

/// What the tasks of one cmb_parallel_for saw.
struct ShareLog {
  std::vector<std::atomic<int>> runs;
  cmb_scratch *callerScratch = nullptr;
  std::atomic<int64_t> otherFirst{-1}; ///< first task another thread ran
  explicit ShareLog(int64_t n) : runs(n) {}
};

void countTask(void *ctx, int64_t t, cmb_scratch *) {
  ++static_cast<ShareLog *>(ctx)->runs[t];
}

/// Task 0 (the caller's first) waits until another thread has started one:
/// which one that is shows where the worker's share begins.
void firstTaskOfWorker(void *ctx, int64_t t, cmb_scratch *scratch) {
  auto *log = static_cast<ShareLog *>(ctx);
  ++log->runs[t];
  if (t == 0) {
    log->callerScratch = scratch;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (log->otherFirst.load() < 0 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    return;
  }
  if (scratch != log->callerScratch) {
    int64_t none = -1;
    log->otherFirst.compare_exchange_strong(none, t);
  }
}

} // namespace

TEST_CASE("thread pool: every task runs once, a thread starts on its share",
          "[threads]") {
  CMB_REQUIRE_ISA();
  for (int threads : {1, 2, 3}) {
    cambrian_module_set_threads(threads);
    for (int64_t n : {1, 2, 3, 5, 8, 31, 64}) {
      ShareLog log(n);
      cmb_parallel_for(n, countTask, &log);
      for (int64_t t = 0; t < n; ++t) {
        INFO("threads " << threads << ", tasks " << n << ", task " << t);
        REQUIRE(log.runs[t].load() == 1);
      }
    }
  }
  // Two threads, eight tasks: the worker's share is [4, 8), so the first
  // task it runs is 4 (with one shared counter it would be 1).
  cambrian_module_set_threads(2);
  ShareLog log(8);
  cmb_parallel_for(8, firstTaskOfWorker, &log);
  cambrian_module_set_threads(1);
  for (int64_t t = 0; t < 8; ++t)
    REQUIRE(log.runs[t].load() == 1);
  REQUIRE(log.otherFirst.load() == 4);
}
