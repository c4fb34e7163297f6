//===- Runtime.h - Internal helpers of the x86 kernel library -*- C -*-===//
//
// Shared by every source file of the kernel library; never installed and
// never seen by generated code. Everything declared between the visibility
// pragmas below is hidden, so that the references compile to direct
// PC-relative calls and the symbols stay private to the module that links the
// archive (each model.so gets its own copy).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_RUNTIME_RUNTIME_H
#define CAMBRIAN_TARGETS_X86_RUNTIME_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "targets/x86/runtime/Kernels.h"

/// Marks the few symbols a module exports (Kernels.h,
/// cambrian_module_set_threads).
#define CMB_EXPORT __attribute__((visibility("default")))

/// Forces inlining of the small templates the micro-kernels are built from.
#define CMB_INLINE static inline __attribute__((always_inline))

#define CMB_LIKELY(x) __builtin_expect(!!(x), 1)
#define CMB_UNLIKELY(x) __builtin_expect(!!(x), 0)

/// Alignment of every scratch buffer: one cache line, also one zmm register.
#define CMB_ALIGN 64

#pragma GCC visibility push(hidden)

static inline int64_t cmb_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t cmb_max64(int64_t a, int64_t b) { return a > b ? a : b; }

/// ceil(a / b) for a >= 0, b > 0.
static inline int64_t cmb_ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

/// Rounds a >= 0 up to a multiple of b > 0.
static inline int64_t cmb_round_up(int64_t a, int64_t b) {
  return cmb_ceil_div(a, b) * b;
}

/// An activation applied as a result is stored: a CMB_CONV_ACT_* of
/// Kernels.h with its parameters.
typedef struct cmb_act {
  int kind;
  float alpha, beta;
} cmb_act;

/// The float32 whose bits are the low 32 bits of `bits` (how the parameter
/// block carries activation parameters).
static inline float cmb_float_from_bits(int64_t bits) {
  union {
    uint32_t u;
    float f;
  } pun = {(uint32_t)bits};
  return pun.f;
}

/// Whether `kind` is a clamp that the micro-kernels apply in registers; the
/// others go through cmb_act_apply once a tile is stored.
static inline int cmb_act_in_register(int kind) {
  return kind <= CMB_CONV_ACT_RELU6;
}

/// The activation `a` of one value (libm's expf, erff and tanhf).
float cmb_activate(float v, const cmb_act *a);

/// Applies `a` in place to p[0, n), vectorized (Activation.c).
void cmb_act_apply(float *p, int64_t n, const cmb_act *a);

/// Applies `a` in place to `rows` rows of `n` floats, `ld` apart: one call
/// (and one dispatch on the kind) for a whole stored tile.
void cmb_act_apply_rows(float *p, int64_t rows, int64_t n, int64_t ld,
                        const cmb_act *a);

/// Rounds a byte count up to the scratch alignment, so that buffers carved
/// one after another out of a scratch block all stay aligned.
static inline size_t cmb_align_bytes(size_t n) {
  return (n + CMB_ALIGN - 1) & ~(size_t)(CMB_ALIGN - 1);
}

#pragma GCC visibility pop

#endif // CAMBRIAN_TARGETS_X86_RUNTIME_RUNTIME_H
