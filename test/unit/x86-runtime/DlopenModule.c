//===- DlopenModule.c - A stand-in model.so for the unload test -----------===//
//
// Linked against one kernel archive like a compiled module; the symbols it
// references pull the kernels (and the pool) into the shared object, which
// then exports cmb_x86_* and cambrian_module_set_threads.
//
//===----------------------------------------------------------------------===//

#include "cambrian-c/ModuleABI.h"
#include "targets/x86/runtime/Kernels.h"

/// Multiplies two n x n matrices with the module's pool; returns C[0].
__attribute__((visibility("default"))) float
cambrian_test_module_gemm(const float *a, const float *b, float *c, int n,
                          int threads) {
  cambrian_module_set_threads(threads);
  cmb_x86_sgemm(1, n, n, n, a, 0, n, b, 0, n, c, 0, n, 0);
  return c[0];
}
