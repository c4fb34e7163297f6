//===- LoadedModule.h - A compiled module, ready to run ---------*- C++ -*-===//
//
// The run half of Cambrian: plain C++17 and libc, no MLIR or LLVM, so that
// cambrian-run, the C API's run half and framework plugins stay small.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_RUNTIME_LOADEDMODULE_H
#define CAMBRIAN_RUNTIME_LOADEDMODULE_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cambrian {

/// One input or output as a module describes it.
struct TensorInfo {
  std::string name;
  int32_t elemType = 0; ///< ONNX TensorProto data type
  std::vector<int64_t> shape;
  int64_t numElements() const;
  int64_t byteSize() const;
};

/// One row of a profiled module's counters (see cambrian_profile_entry).
struct ProfileEntry {
  std::string node; ///< ONNX node name
  std::string kind; ///< kernel or loop-nest kind
  uint64_t calls = 0;
  uint64_t nanoseconds = 0;
};

/// A module a ModuleLoader has validated and opened.
class LoadedModule {
public:
  virtual ~LoadedModule();
  /// The target the module was compiled for, as it describes itself.
  virtual const std::string &target() const = 0;
  virtual const std::vector<TensorInfo> &inputs() const = 0;
  virtual const std::vector<TensorInfo> &outputs() const = 0;
  virtual void setThreads(int32_t n) = 0;
  /// Runs once; buffers are dense and sized as `inputs()`/`outputs()` say.
  /// Returns an error message or "".
  virtual std::string run(const std::vector<const void *> &inputs,
                          const std::vector<void *> &outputs) = 0;
  /// Whether the module was compiled with profiling (`--profile`).
  virtual bool hasProfile() const { return false; }
  /// The profile counters accumulated since loading, in program order;
  /// empty without profiling.
  virtual std::vector<ProfileEntry> readProfile() const { return {}; }
};

/// A module that is a shared object exporting the C ABI of
/// cambrian-c/ModuleABI.h (the x86 target's format; any target whose host
/// part is such a shared object can reuse it). `expectedTarget` is checked
/// against the module's own description before anything else is used.
std::unique_ptr<LoadedModule> loadSharedObjectModule(const std::string &path,
                                                     const std::string &expectedTarget,
                                                     std::string &error);

/// Bytes per element of an ONNX type; 0 if unknown.
int64_t elementSize(int32_t elemType);

} // namespace cambrian

#endif // CAMBRIAN_RUNTIME_LOADEDMODULE_H
