/*===- cambrian-c/Cambrian.h - Cambrian's C API -------------------*- C -*-===*\
|*                                                                            *|
|* The contract for framework plugins and other languages: compile an ONNX    *|
|* model to a module, load a module, run it. Everything the command-line      *|
|* tools do goes through the same library.                                    *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef CAMBRIAN_C_CAMBRIAN_H
#define CAMBRIAN_C_CAMBRIAN_H

#include "cambrian-c/ModuleABI.h"

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

/// A loaded module.
typedef struct cambrian_loaded_module cambrian_loaded_module;

/// Loads a module of any target; NULL on failure (message in `error`).
cambrian_loaded_module *cambrian_load(const char *path, char **error);
void cambrian_unload(cambrian_loaded_module *module);

int32_t cambrian_num_inputs(const cambrian_loaded_module *module);
int32_t cambrian_num_outputs(const cambrian_loaded_module *module);
/// Describes input/output `index`; the pointers inside stay valid while the
/// module is loaded. Returns 0, or non-zero for a bad index.
int32_t cambrian_input_info(const cambrian_loaded_module *module, int32_t index,
                            cambrian_tensor_info *info);
int32_t cambrian_output_info(const cambrian_loaded_module *module,
                             int32_t index, cambrian_tensor_info *info);

void cambrian_set_threads(cambrian_loaded_module *module, int32_t threads);

/// Runs the module on dense buffers in the order of the infos. Returns 0 on
/// success, else non-zero with a message in `error`.
int32_t cambrian_run(cambrian_loaded_module *module, const void *const *inputs,
                     void *const *outputs, char **error);

void cambrian_free_string(char *s);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* CAMBRIAN_C_CAMBRIAN_H */
