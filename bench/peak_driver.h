/*
 * peak_driver.h - the driver shared by peak_fma.c and peak_vnni.c: run a
 * register-only loop on 1..N threads at once, keep the best of REPEATS
 * (the machine may be busy), print one JSON object per thread count.
 *
 * The including file defines, before including this:
 *   PEAK_NAME        the program's name, for messages ("peak_fma")
 *   PEAK_UNIT        the JSON key of the rate ("gflops", "gops")
 *   PEAK_LANES_KEY   the JSON key of the vector width ("vector_floats")
 *   ISA, LANES, NACC its vector ISA, lanes and independent chains
 *   PEAK_OPS_PER_CALL  operations of one peak_loop call (all chains)
 * and the loop itself: `static void *peak_loop(void *sink)`, which writes
 * a result through `sink` (at least 8 bytes) so the chains stay live.
 */
#ifndef CAMBRIAN_BENCH_PEAK_DRIVER_H
#define CAMBRIAN_BENCH_PEAK_DRIVER_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define REPEATS 5
#define MAX_THREADS 64

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *peak_loop(void *sink);

/* The rate (in 10^9 operations a second) of `threads` threads running
 * peak_loop at once (one repetition). */
static double run_once(int threads) {
  pthread_t tid[MAX_THREADS];
  double sink[MAX_THREADS];
  double t0 = now();
  for (int i = 1; i < threads; ++i)
    if (pthread_create(&tid[i], NULL, peak_loop, &sink[i]) != 0) {
      fprintf(stderr, PEAK_NAME ": pthread_create failed\n");
      exit(1);
    }
  peak_loop(&sink[0]);
  for (int i = 1; i < threads; ++i)
    pthread_join(tid[i], NULL);
  double secs = now() - t0;
  return (double)threads * (PEAK_OPS_PER_CALL) / secs * 1e-9;
}

int main(int argc, char **argv) {
  int counts[MAX_THREADS], n = 0;
  for (int i = 1; i < argc && n < MAX_THREADS; ++i) {
    int t = atoi(argv[i]);
    if (t < 1 || t > MAX_THREADS) {
      fprintf(stderr, PEAK_NAME ": thread count must be 1..%d\n",
              MAX_THREADS);
      return 2;
    }
    counts[n++] = t;
  }
  if (n == 0) {
    counts[n++] = 1;
    counts[n++] = 2;
  }
  for (int k = 0; k < n; ++k) {
    double best = 0.0;
    run_once(counts[k]); /* warm-up: lets the clock ramp up */
    for (int r = 0; r < REPEATS; ++r) {
      double g = run_once(counts[k]);
      if (g > best)
        best = g;
    }
    printf("{\"threads\": %d, \"" PEAK_UNIT "\": %.2f, \"isa\": \"%s\", "
           "\"" PEAK_LANES_KEY "\": %d, \"accumulators\": %d, "
           "\"repeats\": %d}\n",
           counts[k], best, ISA, LANES, NACC, REPEATS);
  }
  return 0;
}

#endif /* CAMBRIAN_BENCH_PEAK_DRIVER_H */
