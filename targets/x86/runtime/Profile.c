//===- Profile.c - The clock of profiled modules --------------------------===//
//
// Modules compiled with --profile read this clock around every kernel call
// and loop nest (see targets/x86/InstrumentProfile.cpp). CLOCK_MONOTONIC is
// read through the vDSO: about 20 ns, no system call.
//
//===----------------------------------------------------------------------===//

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"

#include <time.h>

CMB_EXPORT int64_t cmb_x86_profile_clock(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
