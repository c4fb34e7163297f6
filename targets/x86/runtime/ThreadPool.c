//===- ThreadPool.c - The module's worker threads -------------------------===//
//
// A fork-join pool: the caller publishes a job by bumping a generation
// counter, each thread takes the tasks of its own contiguous share of the
// indices and then helps with the others' remaining ones, and the caller
// joins when the count of busy workers drops to zero. Workers spin briefly
// before sleeping on a condition variable, because a model runs one kernel
// after another and a futex wake-up per layer would cost tens of
// microseconds.
//
//===----------------------------------------------------------------------===//

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "targets/x86/runtime/ThreadPool.h"
#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/// Upper bound on cambrian_module_set_threads; larger requests are clamped.
enum { kMaxThreads = 256 };

/// One thread's share of a job's task indices: [next, end) still to run.
/// Own cache line each: the owner claims from it on every task.
typedef struct cmb_share {
  _Alignas(64) _Atomic int64_t next;
  int64_t end;
} cmb_share;

/// How long an idle worker (or a joining caller) spins before it sleeps.
static const int64_t kSpinNanos = 200 * 1000;

typedef struct cmb_pool {
  /// Held by the thread that runs a parallel region, and while the pool is
  /// reconfigured; never waited for by a parallel region (see trylock).
  pthread_mutex_t dispatch;
  /// Protects the sleeping side of `generation` and `pending`.
  pthread_mutex_t mu;
  pthread_cond_t wake;
  pthread_cond_t done;

  _Atomic int configured; ///< requested threads, caller included
  int numWorkers;         ///< started worker threads (caller excluded)
  pthread_t *threads;
  cmb_scratch *slots; ///< one per thread; slot 0 is the caller's
  int numSlots;
  int atforkRegistered;

  // The current job; written by the caller before it bumps `generation`.
  cmb_task_fn fn;
  void *ctx;
  int numShares;     ///< threads taking part in the current job
  cmb_share *shares; ///< [numShares], slot s owns shares[s]
  _Atomic uint64_t generation;
  _Atomic int pending; ///< workers still busy with the current job
  _Atomic int quit;
  uint64_t spawnGeneration; ///< the generation new workers start from
} cmb_pool;

static cmb_pool pool = {
    .dispatch = PTHREAD_MUTEX_INITIALIZER,
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
    .configured = 1,
};

void cmb_fatal(const char *what) {
  fprintf(stderr, "cambrian x86 runtime: %s\n", what);
  abort();
}

static int64_t nowNanos(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/// Spins until `*word` differs from `old` (or `quit` is set) for at most
/// kSpinNanos; returns whether it did.
static int spinUntilChanged(_Atomic uint64_t *word, uint64_t old) {
  int64_t deadline = 0;
  for (unsigned i = 0;; ++i) {
    if (atomic_load_explicit(word, memory_order_acquire) != old ||
        atomic_load_explicit(&pool.quit, memory_order_relaxed))
      return 1;
    __builtin_ia32_pause();
    if ((i & 255) == 255) {
      int64_t t = nowNanos();
      if (deadline == 0)
        deadline = t + kSpinNanos;
      else if (t > deadline)
        return 0;
    }
  }
}

/// Runs the tasks of the slot's own share, then whatever is left of the
/// others' (a late or slower thread's). Shares are contiguous so that a
/// thread works on the same part of the data from one kernel to the next
/// (kernels order their tasks by output position): what the previous kernel
/// wrote there is still in this core's L2.
static void runTasks(int slot) {
  cmb_task_fn fn = pool.fn;
  void *ctx = pool.ctx;
  cmb_scratch *scratch = &pool.slots[slot];
  const int n = pool.numShares;
  for (int k = 0; k < n; ++k) {
    cmb_share *share = &pool.shares[(slot + k) % n];
    for (;;) {
      int64_t t =
          atomic_fetch_add_explicit(&share->next, 1, memory_order_relaxed);
      if (t >= share->end)
        break;
      fn(ctx, t, scratch);
    }
  }
}

static void *workerMain(void *arg) {
  int slot = (int)(intptr_t)arg;
  uint64_t seen = pool.spawnGeneration;
  for (;;) {
    if (!spinUntilChanged(&pool.generation, seen)) {
      pthread_mutex_lock(&pool.mu);
      while (atomic_load(&pool.generation) == seen && !atomic_load(&pool.quit))
        pthread_cond_wait(&pool.wake, &pool.mu);
      pthread_mutex_unlock(&pool.mu);
    }
    if (atomic_load(&pool.quit))
      break;
    seen = atomic_load(&pool.generation);
    runTasks(slot);
    if (atomic_fetch_sub(&pool.pending, 1) == 1) {
      pthread_mutex_lock(&pool.mu);
      pthread_cond_broadcast(&pool.done);
      pthread_mutex_unlock(&pool.mu);
    }
  }
  return NULL;
}

/// Joins all workers. Requires `dispatch`.
static void stopWorkers(void) {
  if (pool.numWorkers == 0)
    return;
  pthread_mutex_lock(&pool.mu);
  atomic_store(&pool.quit, 1);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mu);
  for (int i = 0; i < pool.numWorkers; ++i)
    pthread_join(pool.threads[i], NULL);
  atomic_store(&pool.quit, 0);
  free(pool.threads);
  pool.threads = NULL;
  pool.numWorkers = 0;
}

//===----------------------------------------------------------------------===//
// fork: a child has no workers; forget them instead of waiting on them.
//===----------------------------------------------------------------------===//

static void atforkPrepare(void) { pthread_mutex_lock(&pool.dispatch); }
static void atforkParent(void) { pthread_mutex_unlock(&pool.dispatch); }
static void atforkChild(void) {
  free(pool.threads);
  pool.threads = NULL;
  pool.numWorkers = 0;
  pthread_mutex_init(&pool.mu, NULL);
  pthread_cond_init(&pool.wake, NULL);
  pthread_cond_init(&pool.done, NULL);
  pthread_mutex_unlock(&pool.dispatch);
}

/// Makes sure `n` scratch slots exist. Requires `dispatch`.
static void ensureSlots(int n) {
  if (pool.numSlots >= n)
    return;
  cmb_scratch *s = realloc(pool.slots, (size_t)n * sizeof(cmb_scratch));
  if (!s)
    cmb_fatal("out of memory (thread pool)");
  memset(s + pool.numSlots, 0, (size_t)(n - pool.numSlots) * sizeof(*s));
  pool.slots = s;
  pool.numSlots = n;
  cmb_share *shares = aligned_alloc(_Alignof(cmb_share),
                                    (size_t)n * sizeof(cmb_share));
  if (!shares)
    cmb_fatal("out of memory (thread pool)");
  free(pool.shares);
  pool.shares = shares;
}

/// Starts the configured number of workers if none run. Requires `dispatch`.
static void startWorkers(void) {
  int want = atomic_load(&pool.configured) - 1;
  if (pool.numWorkers > 0 || want <= 0)
    return;
  if (!pool.atforkRegistered) {
    pthread_atfork(atforkPrepare, atforkParent, atforkChild);
    pool.atforkRegistered = 1;
  }
  pool.threads = calloc((size_t)want, sizeof(pthread_t));
  if (!pool.threads)
    return; // run serially rather than fail
  ensureSlots(want + 1);
  pool.spawnGeneration = atomic_load(&pool.generation);
  // Workers must not receive the application's asynchronous signals.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int started = 0;
  for (; started < want; ++started)
    if (pthread_create(&pool.threads[started], NULL, workerMain,
                       (void *)(intptr_t)(started + 1)) != 0)
      break;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  pool.numWorkers = started;
  if (started == 0) { // run serially; retried at the next region
    free(pool.threads);
    pool.threads = NULL;
  }
}

/// Runs all tasks on the calling thread with a borrowed buffer.
static void runSerialBorrowed(int64_t numTasks, cmb_task_fn fn, void *ctx) {
  cmb_scratch s = cmb_scratch_borrow();
  for (int64_t t = 0; t < numTasks; ++t)
    fn(ctx, t, &s);
  cmb_scratch_return(s);
}

void cmb_parallel_for(int64_t numTasks, cmb_task_fn fn, void *ctx) {
  if (numTasks <= 0)
    return;
  if (pthread_mutex_trylock(&pool.dispatch) != 0) {
    // Another run (or an enclosing region on this thread) owns the pool.
    runSerialBorrowed(numTasks, fn, ctx);
    return;
  }
  ensureSlots(1);
  if (numTasks == 1 || atomic_load(&pool.configured) <= 1) {
    for (int64_t t = 0; t < numTasks; ++t)
      fn(ctx, t, &pool.slots[0]);
    pthread_mutex_unlock(&pool.dispatch);
    return;
  }
  startWorkers();
  pool.fn = fn;
  pool.ctx = ctx;
  const int n = pool.numWorkers + 1;
  pool.numShares = n;
  for (int i = 0; i < n; ++i) {
    atomic_store_explicit(&pool.shares[i].next, numTasks * i / n,
                          memory_order_relaxed);
    pool.shares[i].end = numTasks * (i + 1) / n;
  }
  atomic_store(&pool.pending, pool.numWorkers);
  pthread_mutex_lock(&pool.mu);
  atomic_fetch_add(&pool.generation, 1);
  pthread_cond_broadcast(&pool.wake);
  pthread_mutex_unlock(&pool.mu);

  runTasks(0);

  // Join: spin first (the workers usually finish within microseconds of the
  // caller), then sleep.
  int64_t deadline = 0;
  for (unsigned i = 0; atomic_load(&pool.pending) != 0; ++i) {
    __builtin_ia32_pause();
    if ((i & 255) == 255) {
      int64_t t = nowNanos();
      if (deadline == 0) {
        deadline = t + kSpinNanos;
      } else if (t > deadline) {
        pthread_mutex_lock(&pool.mu);
        while (atomic_load(&pool.pending) != 0)
          pthread_cond_wait(&pool.done, &pool.mu);
        pthread_mutex_unlock(&pool.mu);
        break;
      }
    }
  }
  pthread_mutex_unlock(&pool.dispatch);
}

int cmb_pool_size(void) { return atomic_load(&pool.configured); }

//===----------------------------------------------------------------------===//
// Public entry points
//===----------------------------------------------------------------------===//

CMB_EXPORT void cambrian_module_set_threads(int32_t numThreads) {
  int n = numThreads < 1             ? 1
          : numThreads > kMaxThreads ? kMaxThreads
                                     : numThreads;
  // Waits for a running region: resizing under a live job is not allowed.
  pthread_mutex_lock(&pool.dispatch);
  if (n != atomic_load(&pool.configured)) {
    stopWorkers();
    atomic_store(&pool.configured, n);
    // Drop the buffers of threads that no longer exist.
    for (int i = n; i < pool.numSlots; ++i)
      cmb_scratch_release(&pool.slots[i]);
    if (pool.numSlots > n)
      pool.numSlots = n;
  }
  pthread_mutex_unlock(&pool.dispatch);
}

CMB_EXPORT int32_t cmb_x86_num_threads(void) {
  return atomic_load(&pool.configured);
}

/// Joins the workers before the module's code is unmapped (dlclose) or the
/// process exits; a worker left sleeping in unmapped code would crash on its
/// next wake-up.
__attribute__((destructor)) static void poolFini(void) {
  if (pthread_mutex_trylock(&pool.dispatch) != 0)
    return; // a region is still running (exit from a task); leave it alone
  stopWorkers();
  for (int i = 0; i < pool.numSlots; ++i)
    cmb_scratch_release(&pool.slots[i]);
  free(pool.slots);
  pool.slots = NULL;
  free(pool.shares);
  pool.shares = NULL;
  pool.numSlots = 0;
  pthread_mutex_unlock(&pool.dispatch);
  cmb_scratch_drain_cache();
}
