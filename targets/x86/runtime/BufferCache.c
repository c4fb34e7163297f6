//===- BufferCache.c - Memory for the model's intermediate tensors --------===//
//
// Generated code allocates its buffers through the functions MLIR's
// memref-to-LLVM lowering calls with `use-generic-functions`. A model
// allocates the same sizes run after run, and glibc serves large blocks with
// mmap, so plain malloc/free would pay a page fault (and the kernel's zeroing)
// for every 4 KiB of every intermediate tensor on every run. Freed blocks are
// kept here instead and handed out again for requests of about their size,
// the most recently freed first; from the second run on, a model's tensors
// cost no system call at all.
// The cache is freed when the module is unloaded.
//
//===----------------------------------------------------------------------===//

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Each block starts with a header that holds its usable size, so that the
/// pointer given back is CMB_ALIGN-aligned.
enum { kHeader = CMB_ALIGN };

/// Cached blocks above this total are freed for real.
static const size_t kMaxCachedBytes = (size_t)2 << 30;

typedef struct Block {
  char *base;  ///< what posix_memalign returned
  size_t size; ///< usable bytes after the header
} Block;

static pthread_mutex_t cacheLock = PTHREAD_MUTEX_INITIALIZER;
static Block *cached;
static size_t numCached, capCached, cachedBytes;

static void *newBlock(size_t size) {
  void *p = NULL;
  if (posix_memalign(&p, CMB_ALIGN, kHeader + size) != 0)
    return NULL;
  *(size_t *)p = size;
  return (char *)p + kHeader;
}

/// The most recently freed cached block of `size` to `limit` bytes, or
/// numCached. Requires cacheLock.
static size_t mostRecentFit(size_t size, size_t limit) {
  for (size_t i = numCached; i-- > 0;)
    if (cached[i].size >= size && cached[i].size <= limit)
      return i;
  return numCached;
}

void *_mlir_memref_to_llvm_alloc(size_t size) {
  size = cmb_align_bytes(size ? size : 1);
  // The most recently freed block is the likeliest to be still in L2 or
  // L3: a convolutional model's weights and tensors together exceed L3, so
  // a block last touched a run ago costs its writer a read from DRAM for
  // every line. The first choice is a block within a quarter of the size;
  // failing that, one up to 4x as large, so that a layer's output can
  // reuse the larger map just freed instead of a cold block of its own
  // (EfficientNet-B0's tensors 19.3 -> 11.2 MB; MobileNetV2 at 2 threads
  // 2.23 -> 1.94 ms, EfficientNet-B0 3.84 -> 3.52).
  pthread_mutex_lock(&cacheLock);
  size_t best = mostRecentFit(size, size + size / 4 + 4096);
  if (best == numCached)
    best = mostRecentFit(size, 4 * size + 4096);
  if (best != numCached) {
    Block b = cached[best];
    // Keep the rest in the order they were freed.
    memmove(cached + best, cached + best + 1,
            (numCached - best - 1) * sizeof(Block));
    --numCached;
    cachedBytes -= b.size;
    pthread_mutex_unlock(&cacheLock);
    return b.base + kHeader;
  }
  pthread_mutex_unlock(&cacheLock);
  void *p = newBlock(size);
  if (!p) {
    fprintf(stderr, "cambrian module: out of memory (%zu bytes)\n", size);
    abort();
  }
  return p;
}

void *_mlir_memref_to_llvm_aligned_alloc(size_t alignment, size_t size) {
  if (alignment > CMB_ALIGN) {
    fprintf(stderr, "cambrian module: alignment %zu is not supported\n",
            alignment);
    abort();
  }
  return _mlir_memref_to_llvm_alloc(size);
}

void _mlir_memref_to_llvm_free(void *ptr) {
  if (!ptr)
    return;
  char *base = (char *)ptr - kHeader;
  Block b = {base, *(size_t *)base};
  pthread_mutex_lock(&cacheLock);
  if (cachedBytes + b.size <= kMaxCachedBytes) {
    if (numCached == capCached) {
      size_t cap = capCached ? 2 * capCached : 64;
      Block *grown = realloc(cached, cap * sizeof(Block));
      if (grown) {
        cached = grown;
        capCached = cap;
      }
    }
    if (numCached < capCached) {
      cached[numCached++] = b;
      cachedBytes += b.size;
      b.base = NULL;
    }
  }
  pthread_mutex_unlock(&cacheLock);
  free(b.base);
}

/// Frees the cache when the module is unloaded or the process exits.
__attribute__((destructor)) static void bufferCacheFini(void) {
  pthread_mutex_lock(&cacheLock);
  for (size_t i = 0; i < numCached; ++i)
    free(cached[i].base);
  free(cached);
  cached = NULL;
  numCached = capCached = cachedBytes = 0;
  pthread_mutex_unlock(&cacheLock);
}
