//===- LoadedModule.h - A compiled module, ready to run ---------*- C++ -*-===//

#ifndef CAMBRIAN_RUNTIME_LOADEDMODULE_H
#define CAMBRIAN_RUNTIME_LOADEDMODULE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

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

class LoadedModule {
public:
  virtual ~LoadedModule();
  virtual llvm::StringRef target() const = 0;
  virtual const std::vector<TensorInfo> &inputs() const = 0;
  virtual const std::vector<TensorInfo> &outputs() const = 0;
  virtual void setThreads(int32_t n) = 0;
  /// Runs once; buffers are dense and sized as `inputs()`/`outputs()` say.
  /// Returns an error message or "".
  virtual std::string run(llvm::ArrayRef<const void *> inputs,
                          llvm::ArrayRef<void *> outputs) = 0;
  /// Whether the module was compiled with profiling (`--profile`).
  virtual bool hasProfile() const { return false; }
  /// The profile counters accumulated since loading, in program order;
  /// empty without profiling.
  virtual std::vector<ProfileEntry> readProfile() const { return {}; }
};

/// A module that is a shared object exporting the C ABI of
/// cambrian-c/ModuleABI.h (the x86 target's format). `expectedTarget` is
/// checked against the module's own description.
std::unique_ptr<LoadedModule> loadSharedObjectModule(llvm::StringRef path,
                                                     llvm::StringRef expectedTarget,
                                                     std::string &error);

/// Opens a module of any registered target, recognised by its content.
std::unique_ptr<LoadedModule> loadModule(llvm::StringRef path,
                                         std::string &error);

/// Bytes per element of an ONNX type; 0 if unknown.
int64_t elementSize(int32_t elemType);

} // namespace cambrian

#endif // CAMBRIAN_RUNTIME_LOADEDMODULE_H
