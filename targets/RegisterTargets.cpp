//===- RegisterTargets.cpp - Every target Cambrian has --------------------===//

#include "cambrian/Target/Target.h"
#include "targets/x86/X86Target.h"

void cambrian::registerAllTargets() {
  static bool done = [] {
    x86::registerX86Target();
    return true;
  }();
  (void)done;
}
