//===- cambrian-c/ModuleABI.h - The C ABI of a compiled Cambrian module -*- C -*-===//
//
// A compiled module (for the x86 target: one shared object) exports exactly the
// symbols declared here (cambrian_module_profile only when compiled for
// profiling). The loader in lib/Runtime and any framework plugin reach a
// module only through them. The header is plain C99 and depends on
// nothing but <stdint.h>.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_C_MODULEABI_H
#define CAMBRIAN_C_MODULEABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Version of the layout of the structs below and of the exported symbols.
/// A loader refuses a module whose version differs from its own.
#define CAMBRIAN_MODULE_ABI_VERSION 1u

/// Magic number at the start of `cambrian_module_info`, so that a shared
/// object that merely happens to export the symbol is not mistaken for a module.
#define CAMBRIAN_MODULE_MAGIC 0x434d4252u /* "CMBR" */

/// Element types use the numbering of ONNX's TensorProto.DataType.
typedef enum cambrian_elem_type {
  CAMBRIAN_FLOAT = 1,
  CAMBRIAN_UINT8 = 2,
  CAMBRIAN_INT8 = 3,
  CAMBRIAN_UINT16 = 4,
  CAMBRIAN_INT16 = 5,
  CAMBRIAN_INT32 = 6,
  CAMBRIAN_INT64 = 7,
  CAMBRIAN_BOOL = 9, /* one byte per element, 0 or 1 */
  CAMBRIAN_FLOAT16 = 10,
  CAMBRIAN_DOUBLE = 11,
  CAMBRIAN_UINT32 = 12,
  CAMBRIAN_UINT64 = 13,
  CAMBRIAN_BFLOAT16 = 16,
  /* Small types: one element per byte. Float8/float4 codes are stored as
     their bit patterns; 4- and 2-bit integers sign-extended (signed) or
     zero-extended (unsigned). */
  CAMBRIAN_FLOAT8E4M3FN = 17,
  CAMBRIAN_FLOAT8E4M3FNUZ = 18,
  CAMBRIAN_FLOAT8E5M2 = 19,
  CAMBRIAN_FLOAT8E5M2FNUZ = 20,
  CAMBRIAN_UINT4 = 21,
  CAMBRIAN_INT4 = 22,
  CAMBRIAN_FLOAT4E2M1 = 23,
  CAMBRIAN_FLOAT8E8M0 = 24,
  CAMBRIAN_UINT2 = 25,
  CAMBRIAN_INT2 = 26,
} cambrian_elem_type;

/// One input or output of the model: dense, row-major, no padding.
typedef struct cambrian_tensor_info {
  const char *name;      ///< the ONNX graph input/output name
  int32_t elem_type;     ///< a cambrian_elem_type
  int32_t rank;          ///< number of dimensions
  const int64_t *shape;  ///< `rank` static extents
} cambrian_tensor_info;

/// Everything a loader needs to know about a module before running it.
typedef struct cambrian_module_info {
  uint32_t magic;        ///< CAMBRIAN_MODULE_MAGIC
  uint32_t abi_version;  ///< CAMBRIAN_MODULE_ABI_VERSION
  const char *target;    ///< "x86", ...
  const char *producer;  ///< the compiler that wrote the module, with version
  const char *model;     ///< the model's file name (for messages)
  int32_t num_inputs;
  int32_t num_outputs;
  const cambrian_tensor_info *inputs;
  const cambrian_tensor_info *outputs;
} cambrian_module_info;

/// Describes the module. The returned pointer refers to static data.
const cambrian_module_info *cambrian_module_describe(void);

/// Runs the model once. `inputs[i]` points to the dense data of input i,
/// `outputs[i]` to a caller-owned buffer large enough for output i. Returns 0
/// on success, non-zero if the module could not allocate its work memory.
/// Calls from several threads at once are allowed.
int32_t cambrian_module_run(const void *const *inputs, void *const *outputs);

/// Sets the number of threads the module's kernels use (>= 1). The module
/// keeps one thread pool for its lifetime; the default is 1.
void cambrian_module_set_threads(int32_t num_threads);

/// One row of a module's profile: the work done for one ONNX node by one
/// generated operation (a kernel call or a loop nest), in program order.
typedef struct cambrian_profile_entry {
  const char *node;      ///< the ONNX node's name (or "?" if unknown)
  const char *kind;      ///< what runs: "conv2d", "sgemm", "linalg.generic", ...
  uint64_t calls;        ///< how often it ran since the module was loaded
  uint64_t nanoseconds;  ///< total wall-clock time of those runs
} cambrian_profile_entry;

/// Exported only by modules compiled with profiling (`cambrian-compile
/// --profile`): sets `*count` to the number of entries and returns the
/// module's live table. The counters grow with every run (updated
/// atomically); read them when no run is in flight. A loader must treat
/// the symbol as optional.
const cambrian_profile_entry *cambrian_module_profile(int32_t *count);

#ifdef __cplusplus
}
#endif

#endif // CAMBRIAN_C_MODULEABI_H
