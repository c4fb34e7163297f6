//===- Plane.c - Per-plane sums and scaling -------------------------------===//
//
// Squeeze-and-excitation blocks (MobileNetV3, EfficientNet) and the global
// average pooling before a classifier reduce each channel's plane to one
// value and later scale each plane by one value. As generated loops they ran
// on one thread, a plane at a time; here the planes are split over the pool
// in contiguous ranges, the same ranges of the map that the convolutions
// around them give each thread.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Kernels.h"
#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/ThreadPool.h"
#include "targets/x86/runtime/Vector.h"

/// Work per task: enough to pay for handing it out.
static const int64_t kTaskFloats = 16 * 1024;

typedef struct PlaneJob PlaneJob;
struct PlaneJob {
  const float *x, *s;
  float *y;
  int64_t planes, size, planesPerTask;
  void (*plane)(const PlaneJob *job, int64_t p); ///< the work on one plane
};

/// Sums plane p into y[p].
static void sumPlane(const PlaneJob *job, int64_t p) {
  const int64_t size = job->size;
  const float *x = job->x + p * size;
  // Two sums cover the add latency on planes of a few vectors.
  vec_t a = V_ZERO(), b = V_ZERO();
  int64_t i = 0;
  for (; i + 2 * VLEN <= size; i += 2 * VLEN) {
    a = V_ADD(a, V_LOAD(x + i));
    b = V_ADD(b, V_LOAD(x + i + VLEN));
  }
  if (i + VLEN <= size) {
    a = V_ADD(a, V_LOAD(x + i));
    i += VLEN;
  }
  if (i < size)
    b = V_ADD(b, V_LOAD_PART(x + i, (int)(size - i)));
  float lanes[VLEN];
  V_STORE(lanes, V_ADD(a, b));
  float sum = 0.0f;
  for (int l = 0; l < VLEN; ++l)
    sum += lanes[l];
  job->y[p] += sum;
}

/// Scales plane p by s[p].
static void scalePlane(const PlaneJob *job, int64_t p) {
  const int64_t size = job->size;
  const float *x = job->x + p * size;
  float *y = job->y + p * size;
  const vec_t s = V_SET1(job->s[p]);
  int64_t i = 0;
  for (; i + VLEN <= size; i += VLEN)
    V_STORE(y + i, V_MUL(V_LOAD(x + i), s));
  if (i < size)
    V_STORE_PART(y + i, V_MUL(V_LOAD_PART(x + i, (int)(size - i)), s),
                 (int)(size - i));
}

/// The planes of one task.
static void planesTask(void *ctx, int64_t task, cmb_scratch *scratch) {
  (void)scratch;
  const PlaneJob *job = (const PlaneJob *)ctx;
  const int64_t end =
      cmb_min64(job->planes, (task + 1) * job->planesPerTask);
  for (int64_t p = task * job->planesPerTask; p < end; ++p)
    job->plane(job, p);
}

/// Runs job->plane over the planes in tasks of about kTaskFloats floats, at
/// least one plane each.
static void runPlanes(PlaneJob *job) {
  if (job->planes <= 0 || job->size <= 0)
    return;
  job->planesPerTask = cmb_max64(1, kTaskFloats / job->size);
  cmb_parallel_for(cmb_ceil_div(job->planes, job->planesPerTask), planesTask,
                   job);
}

CMB_EXPORT void cmb_x86_plane_sums(const float *x, float *y, int64_t planes,
                                   int64_t size) {
  PlaneJob job = {x, NULL, y, planes, size, 1, sumPlane};
  runPlanes(&job);
}

CMB_EXPORT void cmb_x86_plane_scale(const float *x, const float *s, float *y,
                                    int64_t planes, int64_t size) {
  PlaneJob job = {x, s, y, planes, size, 1, scalePlane};
  runPlanes(&job);
}
