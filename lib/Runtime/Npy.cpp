//===- Npy.cpp - NumPy .npy files -----------------------------------------===//

#include "cambrian/Runtime/Npy.h"
#include "cambrian/Runtime/LoadedModule.h"
#include "cambrian-c/ModuleABI.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string_view>

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

static int32_t typeFromDtype(std::string_view d) {
  // '=' and '<' are both little-endian on the machines Cambrian targets.
  if (d.size() == 3)
    d.remove_prefix(1);
  static const struct {
    const char *dtype;
    int32_t type;
  } kTypes[] = {{"f4", CAMBRIAN_FLOAT},  {"f8", CAMBRIAN_DOUBLE},
                {"f2", CAMBRIAN_FLOAT16}, {"i1", CAMBRIAN_INT8},
                {"u1", CAMBRIAN_UINT8},  {"i2", CAMBRIAN_INT16},
                {"u2", CAMBRIAN_UINT16}, {"i4", CAMBRIAN_INT32},
                {"u4", CAMBRIAN_UINT32}, {"i8", CAMBRIAN_INT64},
                {"u8", CAMBRIAN_UINT64}, {"b1", CAMBRIAN_BOOL},
                {"V2", CAMBRIAN_BFLOAT16}};
  for (const auto &t : kTypes)
    if (d == t.dtype)
      return t.type;
  return 0;
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace((unsigned char)s.front()))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace((unsigned char)s.back()))
    s.remove_suffix(1);
  return s;
}

/// `s` up to the first of `stops` (all of it if none occurs).
static std::string_view takeUntil(std::string_view s, std::string_view stops) {
  return s.substr(0, std::min(s.find_first_of(stops), s.size()));
}

/// Value of `key` in the header dict, e.g. 'descr': '<f4'.
static std::string_view dictValue(std::string_view header,
                                  std::string_view key) {
  std::string quoted = "'" + std::string(key) + "'";
  size_t at = header.find(quoted);
  if (at == std::string_view::npos)
    return "";
  std::string_view rest = trim(header.substr(at + quoted.size()));
  if (rest.empty() || rest.front() != ':')
    return "";
  rest = trim(rest.substr(1));
  if (!rest.empty() && rest.front() == '\'')
    return takeUntil(rest.substr(1), "'");
  if (!rest.empty() && rest.front() == '(')
    return takeUntil(rest.substr(1), ")");
  return trim(takeUntil(rest, ",}"));
}

/// Parses a non-negative decimal integer, all of `s`.
static bool parseDim(std::string_view s, int64_t &out) {
  if (s.empty() || s.size() > 18)
    return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

std::string cambrian::readNpy(const std::string &path, NpyArray &array) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return path + ": cannot read: " + std::strerror(errno);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (in.bad())
    return path + ": cannot read: " + std::strerror(errno);
  std::string_view data = bytes;
  if (data.size() < 10 || data.substr(0, 6) != "\x93NUMPY")
    return path + ": not a .npy file";
  uint8_t major = data[6];
  size_t headerLen, start;
  if (major == 1) {
    headerLen = (uint8_t)data[8] | ((uint8_t)data[9] << 8);
    start = 10;
  } else if (major == 2 || major == 3) {
    if (data.size() < 12)
      return path + ": truncated .npy header";
    headerLen = (uint8_t)data[8] | ((uint8_t)data[9] << 8) |
                ((uint8_t)data[10] << 16) | ((size_t)(uint8_t)data[11] << 24);
    start = 12;
  } else {
    return path + ": unsupported .npy version " + std::to_string(major);
  }
  if (start + headerLen > data.size())
    return path + ": truncated .npy header";
  std::string_view header = data.substr(start, headerLen);
  std::string_view descr = dictValue(header, "descr");
  array.elemType = typeFromDtype(descr);
  if (!array.elemType || (!descr.empty() && descr.front() == '>'))
    return path + ": unsupported dtype '" + std::string(descr) + "'";
  if (dictValue(header, "fortran_order") == "True")
    return path + ": Fortran-ordered arrays are not supported";
  array.shape.clear();
  std::string_view dims = dictValue(header, "shape");
  while (!dims.empty()) {
    size_t comma = std::min(dims.find(','), dims.size());
    std::string_view d = trim(dims.substr(0, comma));
    dims.remove_prefix(std::min(comma + 1, dims.size()));
    if (d.empty())
      continue;
    int64_t v;
    if (!parseDim(d, v))
      return path + ": bad shape in .npy header";
    array.shape.push_back(v);
  }
  int64_t n = 1;
  for (int64_t d : array.shape)
    n *= d;
  size_t expected = n * elementSize(array.elemType);
  std::string_view payload = data.substr(start + headerLen);
  if (payload.size() != expected)
    return path + ": has " + std::to_string(payload.size()) +
           " bytes of data, its shape needs " + std::to_string(expected);
  array.data.assign(payload.begin(), payload.end());
  return "";
}

std::string cambrian::writeNpy(const std::string &path, const NpyArray &array) {
  std::string dtype = npyDtype(array.elemType);
  if (dtype.empty())
    return path + ": element type has no .npy dtype";
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
  std::string tmp = path + ".tmp";
  {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os)
      return path + ": cannot write: " + std::strerror(errno);
    os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
       << char(header.size() >> 8) << header;
    os.write(array.data.data(), array.data.size());
    os.flush();
    if (!os) {
      std::remove(tmp.c_str());
      return path + ": write failed";
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    return path + ": cannot write: " + reason;
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
