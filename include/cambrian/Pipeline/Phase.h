//===- Phase.h - Where compilation can stop ---------------------*- C++ -*-===//

#ifndef CAMBRIAN_PIPELINE_PHASE_H
#define CAMBRIAN_PIPELINE_PHASE_H

#include "llvm/ADT/StringRef.h"

#include <optional>

namespace cambrian {

/// The phases of a compilation, in order. `--emit=<phase>` prints the IR
/// after that phase and stops.
enum class Phase {
  Import, ///< MLIR straight from the ONNX importer
  Graph,  ///< after the target-independent graph passes
  Target, ///< after the target pipeline (for x86: the LLVM dialect)
  LLVM,   ///< LLVM IR after optimization (targets that use LLVM)
  Module, ///< the deployable module itself
};

llvm::StringRef phaseName(Phase phase);
std::optional<Phase> parsePhase(llvm::StringRef name);

} // namespace cambrian

#endif // CAMBRIAN_PIPELINE_PHASE_H
