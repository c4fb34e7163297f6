//===- Activation.c - Activations applied as results are stored -----------===//
//
// The clamps (relu, relu6) are applied in registers by every kernel. The
// others cost a few dozen instructions per vector; the GEMM micro-kernel
// applies them with cmb_act_apply_rows on each tile it has just stored
// (still in L1), which keeps its unrolled register loop small: one call and
// one dispatch on the kind per tile, not per row (14 per AVX-512 tile;
// MobileNetV3-Large 1 thread 3.38 -> 3.34 ms by the per-node profile). The
// scalar form serves the edge and small-matrix paths.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/runtime/Runtime.h"
#include "targets/x86/runtime/Vector.h"

#include <math.h>

float cmb_activate(float v, const cmb_act *a) {
  switch (a->kind) {
  case CMB_CONV_ACT_RELU:
    return v < 0.0f ? 0.0f : v;
  case CMB_CONV_ACT_RELU6:
    return v < 0.0f ? 0.0f : v > 6.0f ? 6.0f : v;
  case CMB_CONV_ACT_LEAKY_RELU:
    return v < 0.0f ? a->alpha * v : v;
  case CMB_CONV_ACT_HARDSIGMOID:
  case CMB_CONV_ACT_HARDSWISH: {
    float h = a->alpha * v + a->beta;
    h = h > 1.0f ? 1.0f : h < 0.0f ? 0.0f : h;
    return a->kind == CMB_CONV_ACT_HARDSWISH ? v * h : h;
  }
  case CMB_CONV_ACT_SIGMOID:
    return 1.0f / (1.0f + expf(-v));
  case CMB_CONV_ACT_SILU:
    return v / (1.0f + expf(-v));
  case CMB_CONV_ACT_TANH:
    return tanhf(v);
  case CMB_CONV_ACT_GELU:
    return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
  case CMB_CONV_ACT_GELU_TANH:
    return 0.5f * v *
           (1.0f + tanhf(0.79788456080286536f * (v + 0.044715f * v * v * v)));
  default:
    return v;
  }
}

/// cmb_act_apply for one `kind`, a constant once inlined: no switch per
/// vector.
CMB_INLINE void applyKind(float *p, int64_t n, const int kind, float alpha,
                          float beta) {
  int64_t i = 0;
  for (; i + VLEN <= n; i += VLEN)
    V_STORE(p + i, cmb_vactivate(V_LOAD(p + i), kind, alpha, beta));
  if (i < n) {
    const int rest = (int)(n - i);
    V_STORE_PART(p + i,
                 cmb_vactivate(V_LOAD_PART(p + i, rest), kind, alpha, beta),
                 rest);
  }
}

/// applyKind over `rows` rows of `n` floats, `ld` apart.
CMB_INLINE void applyRowsKind(float *p, int64_t rows, int64_t n, int64_t ld,
                              const int kind, float alpha, float beta) {
  for (int64_t r = 0; r < rows; ++r)
    applyKind(p + r * ld, n, kind, alpha, beta);
}

void cmb_act_apply_rows(float *p, int64_t rows, int64_t n, int64_t ld,
                        const cmb_act *a) {
  // Rows that follow each other are one run: short rows (a 1x1 map's
  // output planes) would each take a whole vector for a few floats.
  if (ld == n) {
    n *= rows;
    rows = 1;
  }
  const float alpha = a->alpha, beta = a->beta;
  switch (a->kind) {
  case CMB_CONV_ACT_NONE:
    return;
#define CASE(kind)                                                             \
  case kind:                                                                   \
    applyRowsKind(p, rows, n, ld, kind, alpha, beta);                          \
    return;
    CASE(CMB_CONV_ACT_RELU)
    CASE(CMB_CONV_ACT_RELU6)
    CASE(CMB_CONV_ACT_LEAKY_RELU)
    CASE(CMB_CONV_ACT_HARDSIGMOID)
    CASE(CMB_CONV_ACT_HARDSWISH)
    CASE(CMB_CONV_ACT_SIGMOID)
    CASE(CMB_CONV_ACT_SILU)
    CASE(CMB_CONV_ACT_TANH)
    CASE(CMB_CONV_ACT_GELU)
    CASE(CMB_CONV_ACT_GELU_TANH)
#undef CASE
  default:
    applyRowsKind(p, rows, n, ld, a->kind, alpha, beta);
    return;
  }
}

void cmb_act_apply(float *p, int64_t n, const cmb_act *a) {
  cmb_act_apply_rows(p, 1, n, n, a);
}
