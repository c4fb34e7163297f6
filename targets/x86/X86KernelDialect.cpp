//===- X86KernelDialect.cpp - The x86 kernel-call dialect -----------------===//

#include "targets/x86/X86KernelDialect.h"
#include "targets/x86/X86KernelOps.h"

using namespace mlir;
using namespace cambrian::x86;

#include "targets/x86/X86KernelOpsDialect.cpp.inc"

void X86KernelDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "targets/x86/X86KernelOps.cpp.inc"
      >();
}
