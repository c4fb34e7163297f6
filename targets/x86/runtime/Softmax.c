//===- Softmax.c - Softmax over the last dimension ------------------------===//
//
// The importer writes Softmax as four loop nests (max, exp(x - max), sum,
// divide), each a pass over the whole tensor on one thread. Here each row is
// done at once while it is in L1: its max, then exp(x - max) written to y
// with the sum on the way, then y scaled by 1 / sum; rows go to the pool.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

#include <math.h>

typedef struct SoftmaxJob {
  const float *x;
  float *y;
  int64_t rows, cols, rowsPerTask;
} SoftmaxJob;


static void softmaxRow(const float *x, float *y, int64_t n) {
  int64_t j = 0;
  vec_t vmax = V_SET1(-INFINITY);
  for (; j + VLEN <= n; j += VLEN)
    vmax = cmb_vmax_nan(vmax, V_LOAD(x + j));
  float mx;
  {
    float lanes[VLEN];
    V_STORE(lanes, vmax);
    mx = lanes[0];
    // NaN wins, as in the vector max (no libm calls in this loop).
    for (int i = 1; i < VLEN; ++i)
      mx = (mx != mx || lanes[i] != lanes[i]) ? NAN
           : lanes[i] > mx                    ? lanes[i]
                                              : mx;
    for (; j < n; ++j)
      mx = (mx != mx || x[j] != x[j]) ? NAN : x[j] > mx ? x[j] : mx;
  }
  const vec_t m = V_SET1(mx);
  vec_t vsum = V_ZERO();
  for (j = 0; j + VLEN <= n; j += VLEN) {
    vec_t e = cmb_vexp(V_SUB(V_LOAD(x + j), m));
    V_STORE(y + j, e);
    vsum = V_ADD(vsum, e);
  }
  float sum;
  {
    float lanes[VLEN];
    V_STORE(lanes, vsum);
    sum = 0.0f;
    for (int i = 0; i < VLEN; ++i)
      sum += lanes[i];
    if (j < n) {
      const int rest = (int)(n - j);
      vec_t e = cmb_vexp(V_SUB(V_LOAD_PART(x + j, rest), m));
      V_STORE_PART(y + j, e, rest);
      V_STORE(lanes, e);
      for (int i = 0; i < rest; ++i)
        sum += lanes[i];
    }
  }
  const vec_t inv = V_SET1(1.0f / sum);
  for (j = 0; j + VLEN <= n; j += VLEN)
    V_STORE(y + j, V_MUL(V_LOAD(y + j), inv));
  if (j < n) {
    const int rest = (int)(n - j);
    V_STORE_PART(y + j, V_MUL(V_LOAD_PART(y + j, rest), inv), rest);
  }
}

static void softmaxTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const SoftmaxJob *job = (const SoftmaxJob *)ctx;
  const int64_t r0 = task * job->rowsPerTask;
  const int64_t r1 = cmb_min64(job->rows, r0 + job->rowsPerTask);
  for (int64_t r = r0; r < r1; ++r)
    softmaxRow(job->x + r * job->cols, job->y + r * job->cols, job->cols);
}

/// Rows per task: enough work to pay for handing it out.
static const int64_t kTaskFloats = 16 * 1024;

CMB_EXPORT void cmb_x86_softmax(const float *x, float *y, int64_t rows,
                                int64_t cols) {
  if (rows <= 0 || cols <= 0)
    return;
  SoftmaxJob job = {x, y, rows, cols,
                    cmb_max64(1, kTaskFloats / cols)};
  cmb_parallel_for(cmb_ceil_div(rows, job.rowsPerTask), softmaxTask, &job);
}
