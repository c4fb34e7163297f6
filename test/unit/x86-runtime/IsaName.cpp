//===- IsaName.cpp - Which archive this test executable links -------------===//
//
// The only per-executable source: everything else is shared between the
// generic, avx2 and avx512 test binaries.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

const char *const cmbTestIsa = CMB_TEST_ISA;
