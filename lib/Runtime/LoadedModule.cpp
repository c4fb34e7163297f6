//===- LoadedModule.cpp - A compiled module, ready to run -----------------===//

#include "cambrian/Runtime/LoadedModule.h"
#include "cambrian-c/ModuleABI.h"

using namespace cambrian;

LoadedModule::~LoadedModule() = default;

int64_t cambrian::elementSize(int32_t t) {
  switch (t) {
  case CAMBRIAN_FLOAT: case CAMBRIAN_INT32: case CAMBRIAN_UINT32: return 4;
  case CAMBRIAN_UINT8: case CAMBRIAN_INT8: case CAMBRIAN_BOOL: return 1;
  case CAMBRIAN_UINT16: case CAMBRIAN_INT16: case CAMBRIAN_FLOAT16:
  case CAMBRIAN_BFLOAT16: return 2;
  case CAMBRIAN_INT64: case CAMBRIAN_DOUBLE: case CAMBRIAN_UINT64: return 8;
  default:
    // float8, float4, int4 and int2 are stored one element per byte.
    return t >= CAMBRIAN_FLOAT8E4M3FN && t <= CAMBRIAN_INT2 ? 1 : 0;
  }
}

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t TensorInfo::byteSize() const { return numElements() * elementSize(elemType); }
