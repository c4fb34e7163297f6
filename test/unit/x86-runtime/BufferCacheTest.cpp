//===- BufferCacheTest.cpp - Reuse of the tensors' memory -----------------===//
//
// Generated code allocates its tensors through the runtime's buffer cache.
// A freed block must come back for a request of about its size (that is
// what saves the page faults), aligned, and never to two holders at once.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "targets/x86/runtime/Kernels.h"

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

TEST_CASE("buffer cache: freed blocks are reused", "[memory]") {
  CMB_REQUIRE_ISA();
  const size_t bytes = 5 << 20;
  void *a = _mlir_memref_to_llvm_alloc(bytes);
  REQUIRE(a);
  REQUIRE(reinterpret_cast<uintptr_t>(a) % 64 == 0);
  std::memset(a, 1, bytes);
  _mlir_memref_to_llvm_free(a);
  void *b = _mlir_memref_to_llvm_alloc(bytes);
  REQUIRE(b == a);
  // A much smaller request does not take the big block.
  void *small = _mlir_memref_to_llvm_alloc(100);
  REQUIRE(small);
  REQUIRE(reinterpret_cast<uintptr_t>(small) % 64 == 0);
  REQUIRE(small != a);
  _mlir_memref_to_llvm_free(small);
  _mlir_memref_to_llvm_free(b);
  // Aligned requests up to 64 bytes, and empty ones, work too.
  void *c = _mlir_memref_to_llvm_aligned_alloc(64, 0);
  REQUIRE(c);
  _mlir_memref_to_llvm_free(c);
  _mlir_memref_to_llvm_free(nullptr);
}

TEST_CASE("buffer cache: live blocks are distinct across threads", "[memory]") {
  CMB_REQUIRE_ISA();
  // Catch2's assertions are not thread-safe: the threads only count.
  std::atomic<int> clobbered{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<void *>> held(4);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([t, &held, &clobbered] {
      for (int round = 0; round < 50; ++round) {
        std::vector<void *> mine;
        for (size_t size : {4096u, 65536u, 1u << 20})
          mine.push_back(_mlir_memref_to_llvm_alloc(size));
        for (void *p : mine)
          std::memset(p, t, 4096);
        for (void *p : mine)
          if (*static_cast<unsigned char *>(p) != t)
            ++clobbered;
        if (round == 49)
          held[t] = mine;
        else
          for (void *p : mine)
            _mlir_memref_to_llvm_free(p);
      }
    });
  for (std::thread &t : threads)
    t.join();
  REQUIRE(clobbered == 0);
  std::set<void *> all;
  for (auto &v : held)
    for (void *p : v)
      REQUIRE(all.insert(p).second);
  for (void *p : all)
    _mlir_memref_to_llvm_free(p);
}

TEST_CASE("buffer cache: the most recently freed block, a close fit first",
          "[memory]") {
  CMB_REQUIRE_ISA();
  // Larger than any block the other tests leave cached (5 MiB at most), so
  // that none of theirs fits these requests.
  const size_t size = 6000000;
  void *p = _mlir_memref_to_llvm_alloc(size);
  void *q = _mlir_memref_to_llvm_alloc(size);
  _mlir_memref_to_llvm_free(p);
  _mlir_memref_to_llvm_free(q);
  // Last freed, first reused: it is the likeliest to be in cache.
  void *r = _mlir_memref_to_llvm_alloc(size);
  CHECK(r == q);
  _mlir_memref_to_llvm_free(r);
  // A block three times as large, freed after both: a close fit still
  // comes first, the large one only when no close fit is left.
  void *big = _mlir_memref_to_llvm_alloc(3 * size);
  _mlir_memref_to_llvm_free(big);
  void *s = _mlir_memref_to_llvm_alloc(size);
  void *t = _mlir_memref_to_llvm_alloc(size);
  void *u = _mlir_memref_to_llvm_alloc(size);
  CHECK(s == q);
  CHECK(t == p);
  CHECK(u == big);
  // Beyond 4x the size, a block is not taken.
  _mlir_memref_to_llvm_free(u);
  void *v = _mlir_memref_to_llvm_alloc(size / 2);
  CHECK(v != big);
  for (void *w : {s, t, v})
    _mlir_memref_to_llvm_free(w);
}
