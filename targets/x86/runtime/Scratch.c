//===- Scratch.c - Reusable aligned work buffers --------------------------===//
//
// See Scratch.h. The spare cache exists for concurrent cambrian_module_run
// calls: only one of them owns the pool at a time, the others run serially
// and still want warm buffers instead of a fresh mmap per layer.
//
//===----------------------------------------------------------------------===//

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "targets/x86/runtime/Scratch.h"
#include "targets/x86/runtime/Runtime.h"

#include <pthread.h>
#include <stdlib.h>

void *cmb_scratch_reserve(cmb_scratch *s, size_t bytes) {
  if (bytes == 0)
    bytes = CMB_ALIGN;
  if (s->ptr && s->size >= bytes)
    return s->ptr;
  free(s->ptr);
  s->ptr = NULL;
  s->size = 0;
  // Grow geometrically so that a sequence of slightly larger layers does not
  // reallocate on every call.
  size_t want = cmb_align_bytes(bytes + bytes / 4);
  void *p = NULL;
  if (posix_memalign(&p, CMB_ALIGN, want) != 0)
    return NULL;
  s->ptr = p;
  s->size = want;
  return p;
}

void cmb_scratch_release(cmb_scratch *s) {
  free(s->ptr);
  s->ptr = NULL;
  s->size = 0;
}

//===----------------------------------------------------------------------===//
// Spare buffers for work outside the pool
//===----------------------------------------------------------------------===//

enum { kSpareSlots = 8 };

static pthread_mutex_t spareLock = PTHREAD_MUTEX_INITIALIZER;
static cmb_scratch spare[kSpareSlots];
static int numSpare;

cmb_scratch cmb_scratch_borrow(void) {
  cmb_scratch s = {NULL, 0};
  pthread_mutex_lock(&spareLock);
  if (numSpare > 0)
    s = spare[--numSpare];
  pthread_mutex_unlock(&spareLock);
  return s;
}

void cmb_scratch_return(cmb_scratch s) {
  if (!s.ptr)
    return;
  pthread_mutex_lock(&spareLock);
  if (numSpare < kSpareSlots) {
    spare[numSpare++] = s;
    s.ptr = NULL;
  }
  pthread_mutex_unlock(&spareLock);
  free(s.ptr);
}

void cmb_scratch_drain_cache(void) {
  pthread_mutex_lock(&spareLock);
  while (numSpare > 0)
    cmb_scratch_release(&spare[--numSpare]);
  pthread_mutex_unlock(&spareLock);
}
