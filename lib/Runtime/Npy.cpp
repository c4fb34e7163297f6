//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "cambrian/Runtime/Npy.h"
#include "cambrian/Runtime/LoadedModule.h"
#include "cambrian-c/ModuleABI.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace cambrian;

std::string cambrian::npyDtype(int32_t t) {
  switch (t) {
  case CAMBRIAN_FLOAT: return "<f4";
  case CAMBRIAN_DOUBLE: return "<f8";
  case CAMBRIAN_FLOAT16: return "<f2";
  case CAMBRIAN_INT8: return "|i1";
  case CAMBRIAN_UINT8: return "|u1";
  case CAMBRIAN_INT16: return "<i2";
  case CAMBRIAN_UINT16: return "<u2";
  case CAMBRIAN_INT32: return "<i4";
  case CAMBRIAN_UINT32: return "<u4";
  case CAMBRIAN_INT64: return "<i8";
  case CAMBRIAN_UINT64: return "<u8";
  case CAMBRIAN_BOOL: return "|b1";
  case CAMBRIAN_BFLOAT16: return "<V2"; // numpy has no bfloat16; raw bits
  // Small types travel as their bytes.
  case CAMBRIAN_INT4: case CAMBRIAN_INT2: return "|i1";
  case CAMBRIAN_FLOAT8E4M3FN: case CAMBRIAN_FLOAT8E4M3FNUZ:
  case CAMBRIAN_FLOAT8E5M2: case CAMBRIAN_FLOAT8E5M2FNUZ:
  case CAMBRIAN_UINT4: case CAMBRIAN_FLOAT4E2M1: case CAMBRIAN_FLOAT8E8M0:
  case CAMBRIAN_UINT2: return "|u1";
  default: return "";
  }
}

static int32_t typeFromDtype(llvm::StringRef d) {
  // '=' and '<' are both little-endian on the machines Cambrian targets.
  if (d.size() == 3 && d[0] == '=')
    d = d.drop_front();
  else if (d.size() == 3)
    d = d.drop_front();
  return llvm::StringSwitch<int32_t>(d)
      .Case("f4", CAMBRIAN_FLOAT).Case("f8", CAMBRIAN_DOUBLE)
      .Case("f2", CAMBRIAN_FLOAT16).Case("i1", CAMBRIAN_INT8)
      .Case("u1", CAMBRIAN_UINT8).Case("i2", CAMBRIAN_INT16)
      .Case("u2", CAMBRIAN_UINT16).Case("i4", CAMBRIAN_INT32)
      .Case("u4", CAMBRIAN_UINT32).Case("i8", CAMBRIAN_INT64)
      .Case("u8", CAMBRIAN_UINT64).Case("b1", CAMBRIAN_BOOL)
      .Case("V2", CAMBRIAN_BFLOAT16).Default(0);
}

/// Value of `key` in the header dict, e.g. 'descr': '<f4'.
static llvm::StringRef dictValue(llvm::StringRef header, llvm::StringRef key) {
  size_t at = header.find(("'" + key + "'").str());
  if (at == llvm::StringRef::npos)
    return "";
  llvm::StringRef rest = header.drop_front(at + key.size() + 2).ltrim();
  if (!rest.consume_front(":"))
    return "";
  rest = rest.ltrim();
  if (rest.starts_with("'"))
    return rest.drop_front().take_until([](char c) { return c == '\''; });
  if (rest.starts_with("("))
    return rest.drop_front().take_until([](char c) { return c == ')'; });
  return rest.take_until([](char c) { return c == ',' || c == '}'; }).trim();
}

std::string cambrian::readNpy(llvm::StringRef path, NpyArray &array) {
  auto buffer = llvm::MemoryBuffer::getFile(path, false, false);
  if (!buffer)
    return path.str() + ": cannot read: " + buffer.getError().message();
  llvm::StringRef data = (*buffer)->getBuffer();
  if (!data.starts_with("\x93NUMPY") || data.size() < 10)
    return path.str() + ": not a .npy file";
  uint8_t major = data[6];
  size_t headerLen, start;
  if (major == 1) {
    headerLen = (uint8_t)data[8] | ((uint8_t)data[9] << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12)
      return path.str() + ": truncated .npy header";
    headerLen = (uint8_t)data[8] | ((uint8_t)data[9] << 8) |
                ((uint8_t)data[10] << 16) | ((size_t)(uint8_t)data[11] << 24);
    start = 12;
  } else {
    return path.str() + ": unsupported .npy version " + std::to_string(major);
  }
  if (start + headerLen > data.size())
    return path.str() + ": truncated .npy header";
  llvm::StringRef header = data.substr(start, headerLen);
  llvm::StringRef descr = dictValue(header, "descr");
  array.elemType = typeFromDtype(descr);
  if (!array.elemType || descr.starts_with(">"))
    return path.str() + ": unsupported dtype '" + descr.str() + "'";
  if (dictValue(header, "fortran_order") == "True")
    return path.str() + ": Fortran-ordered arrays are not supported";
  array.shape.clear();
  llvm::SmallVector<llvm::StringRef> dims;
  dictValue(header, "shape").split(dims, ',', -1, false);
  for (llvm::StringRef d : dims) {
    d = d.trim();
    if (d.empty())
      continue;
    int64_t v;
    if (d.getAsInteger(10, v) || v < 0)
      return path.str() + ": bad shape in .npy header";
    array.shape.push_back(v);
  }
  int64_t n = 1;
  for (int64_t d : array.shape)
    n *= d;
  size_t bytes = n * elementSize(array.elemType);
  llvm::StringRef payload = data.drop_front(start + headerLen);
  if (payload.size() != bytes)
    return path.str() + ": has " + std::to_string(payload.size()) +
           " bytes of data, its shape needs " + std::to_string(bytes);
  array.data.assign(payload.begin(), payload.end());
  return "";
}

std::string cambrian::writeNpy(llvm::StringRef path, const NpyArray &array) {
  std::string dtype = npyDtype(array.elemType);
  if (dtype.empty())
    return path.str() + ": element type has no .npy dtype";
  std::string shape = "(";
  for (int64_t d : array.shape)
    shape += std::to_string(d) + ",";
  if (array.shape.size() > 1)
    shape.pop_back();
  shape += ")";
  std::string header = "{'descr': '" + dtype +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts on a 64-byte boundary, ending with '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string tmp = path.str() + ".tmp";
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(tmp, ec);
    if (ec)
      return path.str() + ": cannot write: " + ec.message();
    os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
       << char(header.size() >> 8) << header;
    os.write(array.data.data(), array.data.size());
    if (os.has_error())
      return path.str() + ": write failed";
  }
  if (auto ec = llvm::sys::fs::rename(tmp, path)) {
    llvm::sys::fs::remove(tmp);
    return path.str() + ": cannot write: " + ec.message();
  }
  return "";
}

bool cambrian::npyHolds(int32_t fileType, int32_t wanted) {
  if (fileType == wanted)
    return true;
  // A byte-per-element small type is read from any one-byte integer file.
  bool smallWanted = wanted >= CAMBRIAN_FLOAT8E4M3FN && wanted <= CAMBRIAN_INT2;
  return smallWanted && (fileType == CAMBRIAN_UINT8 || fileType == CAMBRIAN_INT8);
}
