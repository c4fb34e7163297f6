//===- Phase.cpp - Where compilation can stop -----------------------------===//

#include "cambrian/Pipeline/Phase.h"

#include "llvm/ADT/StringSwitch.h"

using namespace cambrian;

llvm::StringRef cambrian::phaseName(Phase phase) {
  switch (phase) {
  case Phase::Import: return "import";
  case Phase::Graph: return "graph";
  case Phase::Target: return "target";
  case Phase::Module: return "module";
  }
  return "?";
}

std::optional<Phase> cambrian::parsePhase(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Phase>>(name)
      .Case("import", Phase::Import)
      .Case("graph", Phase::Graph)
      .Case("target", Phase::Target)
      .Case("module", Phase::Module)
      .Default(std::nullopt);
}
