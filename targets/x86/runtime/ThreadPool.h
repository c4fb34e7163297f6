//===- ThreadPool.h - The module's worker threads -*- C -*-===//
//
// One pool per loaded module: the archive is linked into every model.so, so
// the static pool below is private to it. The pool starts no thread until the
// first parallel region after cambrian_module_set_threads(n > 1).
//
// Concurrency: a parallel region owns the pool for its whole duration. A
// region that starts while another one (from a different cambrian_module_run,
// or nested inside a task) owns the pool runs its tasks serially on the
// calling thread instead of waiting, so concurrent runs are safe and never
// deadlock; they just do not share the workers.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_THREADPOOL_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_THREADPOOL_H

#include "targets/x86/runtime/Scratch.h"

#include <stdint.h>

#pragma GCC visibility push(hidden)

/// One unit of a parallel region. `scratch` belongs to the executing thread
/// for the duration of the call and keeps its memory between calls.
typedef void (*cmb_task_fn)(void *ctx, int64_t task, cmb_scratch *scratch);

/// Runs fn(ctx, t, scratch) once for every t in [0, numTasks) and returns when
/// all have finished. Thread i of n (the caller is 0) first runs the tasks
/// [numTasks * i / n, numTasks * (i + 1) / n) in increasing order, then helps
/// with what is left of the others'. Kernels that order tasks by output
/// position thus give each core the same part of a map in consecutive layers.
void cmb_parallel_for(int64_t numTasks, cmb_task_fn fn, void *ctx);

/// The configured number of threads (>= 1), including the caller.
int cmb_pool_size(void);

/// Reports an unrecoverable error (out of memory) and aborts; the kernel ABI
/// has no error channel.
__attribute__((noreturn)) void cmb_fatal(const char *what);

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_THREADPOOL_H
