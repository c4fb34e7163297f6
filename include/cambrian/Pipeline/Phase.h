//===- Phase.h - Where compilation can stop ---------------------*- C++ -*-===//

#ifndef CAMBRIAN_PIPELINE_PHASE_H
#define CAMBRIAN_PIPELINE_PHASE_H

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace cambrian {

/// The phases every compilation has, in order. `--emit=<phase>` prints the
/// IR after that phase and stops. A target may add phases of its own
/// between Target and Module (Target::phases(), e.g. x86's `llvm`).
enum class Phase {
  Import, ///< MLIR straight from the ONNX importer
  Graph,  ///< after the target-independent graph passes
  Target, ///< after the target pipeline (for x86: the LLVM dialect)
  Module, ///< the deployable module itself
};

llvm::StringRef phaseName(Phase phase);
/// The common phase called `name`; nullopt for any other name (which may
/// be a phase of the target).
std::optional<Phase> parsePhase(llvm::StringRef name);

} // namespace cambrian

#endif // CAMBRIAN_PIPELINE_PHASE_H
