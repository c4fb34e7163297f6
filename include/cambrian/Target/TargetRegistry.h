//===- TargetRegistry.h - The registered targets ----------------*- C++ -*-===//

#ifndef CAMBRIAN_TARGET_TARGETREGISTRY_H
#define CAMBRIAN_TARGET_TARGETREGISTRY_H

#include "cambrian/Target/Target.h"

namespace cambrian {

/// All registered targets, by name, in registration order.
class TargetRegistry {
public:
  /// Adds `target`; a second target with the same name is ignored.
  static void add(std::unique_ptr<Target> target);
  static const Target *lookup(llvm::StringRef name);
  static std::vector<const Target *> all();
  /// "x86, test": the names, for messages.
  static std::string names();
};

/// Registers every target Cambrian was built with: the generated
/// RegisterTargets.cpp, one call per `cambrian_add_target` in CMake.
void registerAllTargets();

/// Registers the dialects of every registered target in `registry`, and
/// (once per process) their passes and pipelines: what cambrian-opt needs.
void registerTargetDialectsAndPasses(mlir::DialectRegistry &registry);

} // namespace cambrian

#endif // CAMBRIAN_TARGET_TARGETREGISTRY_H
