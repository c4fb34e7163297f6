//===- LayerNorm.c - LayerNormalization over the last dimension -----------===//
//
// The importer writes LayerNormalization as six loop nests (sum, mean,
// difference, sum of squares, reciprocal deviation, scale and shift), each a
// pass over the tensor on one thread. Here each row is done while it is in
// L1: its mean, its variance around the mean, then the normalized, scaled
// and shifted values; rows go to the pool.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <math.h>

typedef struct LayerNormJob {
  const float *x, *gamma, *beta;
  float *y;
  int64_t rows, cols, rowsPerTask;
  float epsilon;
} LayerNormJob;

/// Sum over the row of d or d * d, d = (p[j] - x0) - m.
static float rowSum(const float *p, int64_t n, float x0, float m,
                    int squares) {
  const vec_t vx0 = V_SET1(x0), vm = V_SET1(m);
  vec_t acc = V_ZERO();
  int64_t j = 0;
  for (; j + VLEN <= n; j += VLEN) {
    vec_t d = V_SUB(V_SUB(V_LOAD(p + j), vx0), vm);
    acc = squares ? V_FMA(d, d, acc) : V_ADD(acc, d);
  }
  float lanes[VLEN];
  V_STORE(lanes, acc);
  float sum = 0.0f;
  for (int i = 0; i < VLEN; ++i)
    sum += lanes[i];
  for (; j < n; ++j) {
    const float d = (p[j] - x0) - m;
    sum += squares ? d * d : d;
  }
  return sum;
}

static void layerNormTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const LayerNormJob *job = (const LayerNormJob *)ctx;
  const int64_t n = job->cols;
  const int64_t r0 = task * job->rowsPerTask;
  const int64_t r1 = cmb_min64(job->rows, r0 + job->rowsPerTask);
  for (int64_t r = r0; r < r1; ++r) {
    const float *x = job->x + r * n;
    float *y = job->y + r * n;
    // Everything relative to the row's first value x0: x - x0 is exact for
    // values near x0, so rows far from zero keep the digits of their
    // spread (the mean itself, rounded at their scale, would not).
    const float x0 = x[0];
    const float m = rowSum(x, n, x0, 0.0f, 0) / (float)n; // mean - x0
    const float var = rowSum(x, n, x0, m, 1) / (float)n;
    const vec_t vx0 = V_SET1(x0), vm = V_SET1(m);
    const vec_t inv = V_SET1(1.0f / sqrtf(var + job->epsilon));
    for (int64_t j = 0; j < n; j += VLEN) {
      const int rest = (int)cmb_min64(VLEN, n - j);
      vec_t v = rest == VLEN ? V_LOAD(x + j) : V_LOAD_PART(x + j, rest);
      vec_t g = rest == VLEN ? V_LOAD(job->gamma + j)
                             : V_LOAD_PART(job->gamma + j, rest);
      v = V_MUL(V_MUL(V_SUB(V_SUB(v, vx0), vm), inv), g);
      if (job->beta)
        v = V_ADD(v, rest == VLEN ? V_LOAD(job->beta + j)
                                  : V_LOAD_PART(job->beta + j, rest));
      if (rest == VLEN)
        V_STORE(y + j, v);
      else
        V_STORE_PART(y + j, v, rest);
    }
  }
}

/// Rows per task: enough work to pay for handing it out.
static const int64_t kTaskFloats = 16 * 1024;

CMB_EXPORT void cmb_x86_layernorm(const float *x, const float *gamma,
                                  const float *beta, float *y, int64_t rows,
                                  int64_t cols, int64_t epsilonBits) {
  if (rows <= 0 || cols <= 0)
    return;
  LayerNormJob job = {x,    gamma, beta, y,
                      rows, cols,  cmb_max64(1, kTaskFloats / cols),
                      cmb_float_from_bits(epsilonBits)};
  cmb_parallel_for(cmb_ceil_div(rows, job.rowsPerTask), layerNormTask, &job);
}
