//===- ModuleLoader.h - The run side of a target ----------------*- C++ -*-===//
//
// Each target registers a ModuleLoader that recognises its module files by
// their first bytes and opens them for running. Like the rest of
// lib/Runtime, this needs neither MLIR nor LLVM: the compile side of a
// target is cambrian/Target/Target.h.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_RUNTIME_MODULELOADER_H
#define CAMBRIAN_RUNTIME_MODULELOADER_H

#include "cambrian/Runtime/LoadedModule.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cambrian {

/// Opens the module files of one target.
class ModuleLoader {
public:
  virtual ~ModuleLoader();

  /// The target's name, as `cambrian-compile --target` spells it.
  virtual std::string_view name() const = 0;
  /// Whether `header` (the first kHeaderBytes bytes of a file, fewer for a
  /// short file) starts a module of this target.
  virtual bool recognizes(std::string_view header) const = 0;
  /// Validates the module at `path` (target, format version) and opens it;
  /// null with a one-line `error` naming the file on failure.
  virtual std::unique_ptr<LoadedModule> load(const std::string &path,
                                             std::string &error) const = 0;

  /// How many bytes of a file `recognizes` is shown.
  static constexpr size_t kHeaderBytes = 4096;
};

/// Every registered loader, in registration order.
class LoaderRegistry {
public:
  /// Adds `loader`; a second loader with the same name is ignored.
  static void add(std::unique_ptr<ModuleLoader> loader);
  static const ModuleLoader *lookup(std::string_view name);
  static std::vector<const ModuleLoader *> all();
};

/// Registers the loader of every target Cambrian was built with (the
/// generated RegisterLoaders.cpp, see cambrian_add_target in CMake).
void registerAllLoaders();

/// Opens a module of any registered target, recognised by its content.
std::unique_ptr<LoadedModule> loadModule(const std::string &path,
                                         std::string &error);

} // namespace cambrian

#endif // CAMBRIAN_RUNTIME_MODULELOADER_H
