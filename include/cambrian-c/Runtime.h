/*===- cambrian-c/Runtime.h - Cambrian's C API, the run half ------*- C -*-===*\
|*                                                                            *|
|* Load a compiled module of any target and run it. This half of the C API is *|
|* in libcambrian.so and, alone, in libcambrian_runtime.so: the library a     *|
|* plugin links when it only runs modules (no MLIR, no LLVM).                 *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef CAMBRIAN_C_RUNTIME_H
#define CAMBRIAN_C_RUNTIME_H

#include "cambrian-c/ModuleABI.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The libraries hide everything but this API. */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

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

/// Releases a message stored through an `error` argument.
void cambrian_free_string(char *s);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif

#endif /* CAMBRIAN_C_RUNTIME_H */
