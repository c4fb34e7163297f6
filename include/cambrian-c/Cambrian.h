/*===- cambrian-c/Cambrian.h - Cambrian's C API -------------------*- C -*-===*\
|*                                                                            *|
|* The contract for framework plugins and other languages: compile an ONNX    *|
|* model to a module, load a module, run it. Everything the command-line      *|
|* tools do goes through the same library (libcambrian.so). Loading and       *|
|* running alone are cambrian-c/Runtime.h (also in libcambrian_runtime.so,    *|
|* which needs neither MLIR nor LLVM).                                        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef CAMBRIAN_C_CAMBRIAN_H
#define CAMBRIAN_C_CAMBRIAN_H

#include "cambrian-c/ModuleABI.h"
#include "cambrian-c/Runtime.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* libcambrian.so hides everything but this API. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

/// Options of one compilation. Zero-initialise, then set what you need.
typedef struct cambrian_compile_options {
  const char *target; /* "x86" if NULL */
  const char *cpu;    /* x86: LLVM CPU name; NULL or "" for the host (the
                         same as the target option "cpu=NAME") */
  int32_t opt_level;  /* 0..3; values outside mean 2 */
  /* The target's own options, "key=value" each (`cambrian-compile
     --target-opt`); an unknown key or a bad value fails the compilation. */
  const char *const *target_options;
  int32_t num_target_options;
} cambrian_compile_options;

/// Compiles the ONNX model at `model_path` into a module at `output_path`.
/// Returns 0 on success. On failure returns non-zero and, if `error` is not
/// NULL, stores a message to release with cambrian_free_string.
int32_t cambrian_compile(const char *model_path, const char *output_path,
                         const cambrian_compile_options *options, char **error);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* CAMBRIAN_C_CAMBRIAN_H */
