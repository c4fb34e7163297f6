//===- Scratch.h - Reusable aligned work buffers -*- C -*-===//
//
// The kernels pack operands into scratch memory. Allocating it per call would
// cost a page fault per 4 KiB on every layer (glibc serves large blocks with
// mmap), so each pool thread owns a grow-only buffer that lives as long as the
// module, and callers that cannot use the pool borrow one from a small cache.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_SCRATCH_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_SCRATCH_H

#include <stddef.h>

#pragma GCC visibility push(hidden)

/// A grow-only, CMB_ALIGN-aligned buffer. Zero-initialise before first use.
typedef struct cmb_scratch {
  void *ptr;
  size_t size;
} cmb_scratch;

/// Returns a CMB_ALIGN-aligned buffer of at least `bytes` bytes whose contents
/// are unspecified, or NULL if memory is exhausted. Growing discards the old
/// contents.
void *cmb_scratch_reserve(cmb_scratch *s, size_t bytes);

/// Frees the buffer and resets `s` to empty.
void cmb_scratch_release(cmb_scratch *s);

/// Takes a buffer from the process-wide cache of spare buffers (or an empty
/// one), for work that runs outside the thread pool.
cmb_scratch cmb_scratch_borrow(void);

/// Gives a buffer borrowed with cmb_scratch_borrow back to the cache (or
/// frees it when the cache is full).
void cmb_scratch_return(cmb_scratch s);

/// Frees every cached spare buffer (called when the module is unloaded).
void cmb_scratch_drain_cache(void);

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_SCRATCH_H
