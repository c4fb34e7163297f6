//===- HostTensor.cpp - Tensors known while importing ---------------------===//

#include "lib/Import/HostTensor.h"
#include "lib/Import/SmallTypes.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

#include <cstring>

using namespace cambrian::onnx_import;

int64_t cambrian::onnx_import::onnxTypeSize(int32_t type) {
  switch (type) {
  case kFloat: case kInt32: case kUInt32: return 4;
  case kUInt8: case kInt8: case kBool: return 1;
  case 17: case 18: case 19: case 20: case 21: case 22: case 23: case 24:
  case 25: case 26: return 1; // small types: one element per byte
  case kUInt16: case kInt16: case kFloat16: case kBFloat16: return 2;
  case kInt64: case kDouble: case kUInt64: return 8;
  default: return 0;
  }
}

llvm::StringRef cambrian::onnx_import::onnxTypeName(int32_t type) {
  switch (type) {
  case kFloat: return "float";
  case kUInt8: return "uint8";
  case kInt8: return "int8";
  case kUInt16: return "uint16";
  case kInt16: return "int16";
  case kInt32: return "int32";
  case kInt64: return "int64";
  case kString: return "string";
  case kBool: return "bool";
  case kFloat16: return "float16";
  case kDouble: return "double";
  case kUInt32: return "uint32";
  case kUInt64: return "uint64";
  case kBFloat16: return "bfloat16";
  case 14: return "complex64";
  case 15: return "complex128";
  case 17: return "float8e4m3fn";
  case 18: return "float8e4m3fnuz";
  case 19: return "float8e5m2";
  case 20: return "float8e5m2fnuz";
  case 21: return "uint4";
  case 22: return "int4";
  case 23: return "float4e2m1";
  case 24: return "float8e8m0";
  case 25: return "uint2";
  case 26: return "int2";
  default: return "undefined";
  }
}

bool cambrian::onnx_import::isFloatType(int32_t type) {
  return type == kFloat || type == kDouble || type == kFloat16 ||
         type == kBFloat16;
}

bool cambrian::onnx_import::isUnsignedType(int32_t type) {
  return type == kUInt8 || type == kUInt16 || type == kUInt32 ||
         type == kUInt64 || type == kBool;
}

int64_t cambrian::onnx_import::numElements(llvm::ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

//===----------------------------------------------------------------------===//
// Element access
//===----------------------------------------------------------------------===//

static double halfBitsToDouble(uint16_t bits, bool bf16) {
  llvm::APFloat f(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
                  llvm::APInt(16, bits));
  return f.convertToDouble();
}

static uint16_t doubleToHalfBits(double v, bool bf16) {
  llvm::APFloat f(v);
  bool lost;
  f.convert(bf16 ? llvm::APFloat::BFloat() : llvm::APFloat::IEEEhalf(),
            llvm::APFloat::rmNearestTiesToEven, &lost);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

template <typename T> static T load(const char *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T> static void store(char *p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

HostTensor::HostTensor(int32_t type, llvm::ArrayRef<int64_t> shape)
    : type_(type), shape_(shape.begin(), shape.end()) {
  auto owned = std::make_shared<std::vector<char>>(
      numElements(shape) * onnxTypeSize(type), 0);
  bytes_ = llvm::ArrayRef<char>(owned->data(), owned->size());
  storage_ = owned;
}

HostTensor HostTensor::fromInts(int32_t type, llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<int64_t> values) {
  HostTensor t(type, shape);
  for (size_t i = 0; i < values.size(); ++i)
    t.setInt(i, values[i]);
  return t;
}

HostTensor HostTensor::fromDoubles(int32_t type, llvm::ArrayRef<int64_t> shape,
                                   llvm::ArrayRef<double> values) {
  HostTensor t(type, shape);
  for (size_t i = 0; i < values.size(); ++i)
    t.setDouble(i, values[i]);
  return t;
}

HostTensor HostTensor::borrow(int32_t type, llvm::ArrayRef<int64_t> shape,
                              llvm::ArrayRef<char> bytes,
                              std::shared_ptr<const void> keepAlive) {
  HostTensor t;
  t.type_ = type;
  t.shape_.assign(shape.begin(), shape.end());
  t.bytes_ = bytes;
  t.storage_ = std::move(keepAlive);
  return t;
}

char *HostTensor::mutableData() { return const_cast<char *>(bytes_.data()); }

int64_t HostTensor::getInt(int64_t i) const {
  const char *p = bytes_.data();
  switch (type_) {
  case kFloat: return static_cast<int64_t>(load<float>(p + 4 * i));
  case kDouble: return static_cast<int64_t>(load<double>(p + 8 * i));
  case kFloat16: case kBFloat16: return static_cast<int64_t>(getDouble(i));
  case kUInt8: case kBool: return load<uint8_t>(p + i);
  case kInt8: return load<int8_t>(p + i);
  case kUInt16: return load<uint16_t>(p + 2 * i);
  case kInt16: return load<int16_t>(p + 2 * i);
  case kInt32: return load<int32_t>(p + 4 * i);
  case kUInt32: return load<uint32_t>(p + 4 * i);
  case kInt64: return load<int64_t>(p + 8 * i);
  case kUInt64: return static_cast<int64_t>(load<uint64_t>(p + 8 * i));
  case kInt4: case kInt2: return load<int8_t>(p + i);
  case kUInt4: case kUInt2: return load<uint8_t>(p + i);
  default:
    if (isSmallFloat(type_))
      return static_cast<int64_t>(getDouble(i));
    return 0;
  }
}

double HostTensor::getDouble(int64_t i) const {
  const char *p = bytes_.data();
  switch (type_) {
  case kFloat: return load<float>(p + 4 * i);
  case kDouble: return load<double>(p + 8 * i);
  case kFloat16: return halfBitsToDouble(load<uint16_t>(p + 2 * i), false);
  case kBFloat16: return halfBitsToDouble(load<uint16_t>(p + 2 * i), true);
  case kUInt64: return static_cast<double>(load<uint64_t>(p + 8 * i));
  default:
    if (isSmallFloat(type_))
      return decodeSmallFloat(type_, load<uint8_t>(p + i));
    return static_cast<double>(getInt(i));
  }
}

void HostTensor::setInt(int64_t i, int64_t v) {
  char *p = mutableData();
  switch (type_) {
  case kFloat: case kDouble: case kFloat16: case kBFloat16:
    return setDouble(i, static_cast<double>(v));
  case kBool: return store<uint8_t>(p + i, v != 0);
  case kUInt8: case kInt8: return store<uint8_t>(p + i, static_cast<uint8_t>(v));
  case kUInt16: case kInt16:
    return store<uint16_t>(p + 2 * i, static_cast<uint16_t>(v));
  case kInt32: case kUInt32:
    return store<uint32_t>(p + 4 * i, static_cast<uint32_t>(v));
  case kInt64: case kUInt64:
    return store<uint64_t>(p + 8 * i, static_cast<uint64_t>(v));
  case kInt4: case kInt2: case kUInt4: case kUInt2:
    return store<uint8_t>(p + i, static_cast<uint8_t>(wrapSmallInt(type_, v)));
  default:
    if (isSmallFloat(type_))
      return setDouble(i, static_cast<double>(v));
    return;
  }
}

void HostTensor::setDouble(int64_t i, double v) {
  char *p = mutableData();
  switch (type_) {
  case kFloat: return store<float>(p + 4 * i, static_cast<float>(v));
  case kDouble: return store<double>(p + 8 * i, v);
  case kFloat16: return store<uint16_t>(p + 2 * i, doubleToHalfBits(v, false));
  case kBFloat16: return store<uint16_t>(p + 2 * i, doubleToHalfBits(v, true));
  case kBool: return store<uint8_t>(p + i, v != 0.0);
  default:
    if (isSmallFloat(type_))
      return store<uint8_t>(p + i, encodeSmallFloat(type_, v, /*saturate=*/true));
    return setInt(i, static_cast<int64_t>(v));
  }
}

std::vector<int64_t> HostTensor::toInts() const {
  std::vector<int64_t> out(size());
  for (int64_t i = 0, e = size(); i < e; ++i)
    out[i] = getInt(i);
  return out;
}

std::vector<double> HostTensor::toDoubles() const {
  std::vector<double> out(size());
  for (int64_t i = 0, e = size(); i < e; ++i)
    out[i] = getDouble(i);
  return out;
}

HostTensor HostTensor::reshaped(llvm::ArrayRef<int64_t> shape) const {
  HostTensor t = *this;
  t.shape_.assign(shape.begin(), shape.end());
  return t;
}

//===----------------------------------------------------------------------===//
// TensorProto decoding
//===----------------------------------------------------------------------===//

/// Reads the external-data region of `proto` from a file beside the model.
static std::string readExternalData(const onnx::TensorProto &proto,
                                    llvm::StringRef baseDir, int64_t expected,
                                    std::shared_ptr<std::vector<char>> &out) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : proto.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      offset = std::stoll(kv.value());
    else if (kv.key() == "length")
      length = std::stoll(kv.value());
  }
  if (location.empty())
    return "external data of tensor '" + proto.name() + "' has no location";
  if (llvm::sys::path::is_absolute(location) ||
      llvm::StringRef(location).contains(".."))
    return "external data location '" + location + "' of tensor '" +
           proto.name() + "' must be a relative path below the model's folder";
  llvm::SmallString<256> path(baseDir);
  llvm::sys::path::append(path, location);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return "cannot read external data file '" + std::string(path) +
           "' of tensor '" + proto.name() + "': " + buffer.getError().message();
  if (length < 0)
    length = expected;
  if (offset < 0 || offset + length > (int64_t)(*buffer)->getBufferSize())
    return "external data of tensor '" + proto.name() + "' lies outside '" +
           std::string(path) + "' (offset " + std::to_string(offset) +
           ", length " + std::to_string(length) + ", file size " +
           std::to_string((*buffer)->getBufferSize()) + ")";
  if (length != expected)
    return "external data of tensor '" + proto.name() + "' has " +
           std::to_string(length) + " bytes, its shape needs " +
           std::to_string(expected);
  const char *begin = (*buffer)->getBufferStart() + offset;
  out = std::make_shared<std::vector<char>>(begin, begin + length);
  return "";
}

std::string cambrian::onnx_import::decodeTensorProto(
    const onnx::TensorProto &proto, llvm::StringRef baseDir,
    std::shared_ptr<const void> modelKeepAlive, HostTensor &result) {
  int32_t type = proto.data_type();
  int64_t elemSize = onnxTypeSize(type);
  if (elemSize == 0)
    return "tensor '" + proto.name() + "' has unsupported element type " +
           std::string(onnxTypeName(type));
  llvm::SmallVector<int64_t, 4> shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape)
    if (d < 0)
      return "tensor '" + proto.name() + "' has a negative dimension";
  int64_t count = numElements(shape);
  int64_t expected = count * elemSize;

  if (isSmallType(type)) {
    // Packed 8/4/2-bit storage (raw_data, external, or one byte per int32
    // entry), unpacked to one element per byte, low bits first.
    int bits = smallTypeBits(type);
    int64_t packed = (count * bits + 7) / 8;
    std::vector<uint8_t> bytes;
    if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
      std::shared_ptr<std::vector<char>> data;
      std::string err = readExternalData(proto, baseDir, packed, data);
      if (!err.empty())
        return err;
      bytes.assign(data->begin(), data->end());
    } else if (proto.has_raw_data()) {
      bytes.assign(proto.raw_data().begin(), proto.raw_data().end());
    } else {
      for (int32_t v : proto.int32_data())
        bytes.push_back(static_cast<uint8_t>(v));
    }
    if ((int64_t)bytes.size() != packed)
      return "tensor '" + proto.name() + "' has " +
             std::to_string(bytes.size()) + " bytes of data, its shape needs " +
             std::to_string(packed);
    result = HostTensor(type, shape);
    char *p = const_cast<char *>(result.bytes().data());
    int perByte = 8 / bits;
    for (int64_t i = 0; i < count; ++i) {
      int64_t v = (bytes[i / perByte] >> ((i % perByte) * bits)) & ((1 << bits) - 1);
      p[i] = static_cast<char>(isSmallFloat(type) ? v : wrapSmallInt(type, v));
    }
    return "";
  }

  if (proto.data_location() == onnx::TensorProto::EXTERNAL) {
    std::shared_ptr<std::vector<char>> data;
    std::string err = readExternalData(proto, baseDir, expected, data);
    if (!err.empty())
      return err;
    result = HostTensor::borrow(type, shape,
                                llvm::ArrayRef<char>(data->data(), data->size()),
                                data);
    return "";
  }

  if (proto.has_raw_data()) {
    const std::string &raw = proto.raw_data();
    if ((int64_t)raw.size() != expected)
      return "tensor '" + proto.name() + "' has " + std::to_string(raw.size()) +
             " bytes of raw data, its shape needs " + std::to_string(expected);
    result = HostTensor::borrow(type, shape,
                                llvm::ArrayRef<char>(raw.data(), raw.size()),
                                std::move(modelKeepAlive));
    return "";
  }

  // Typed storage: each ONNX type lives in one of the repeated fields.
  result = HostTensor(type, shape);
  auto check = [&](int64_t have) -> std::string {
    if (have != count)
      return "tensor '" + proto.name() + "' has " + std::to_string(have) +
             " values, its shape needs " + std::to_string(count);
    return "";
  };
  switch (type) {
  case kFloat: {
    if (auto e = check(proto.float_data_size()); !e.empty()) return e;
    for (int64_t i = 0; i < count; ++i) result.setDouble(i, proto.float_data(i));
    return "";
  }
  case kDouble: {
    if (auto e = check(proto.double_data_size()); !e.empty()) return e;
    for (int64_t i = 0; i < count; ++i) result.setDouble(i, proto.double_data(i));
    return "";
  }
  case kInt64: {
    if (auto e = check(proto.int64_data_size()); !e.empty()) return e;
    for (int64_t i = 0; i < count; ++i) result.setInt(i, proto.int64_data(i));
    return "";
  }
  case kUInt32: case kUInt64: {
    if (auto e = check(proto.uint64_data_size()); !e.empty()) return e;
    for (int64_t i = 0; i < count; ++i)
      result.setInt(i, static_cast<int64_t>(proto.uint64_data(i)));
    return "";
  }
  case kFloat16: case kBFloat16: {
    // int32_data holds the raw 16-bit patterns.
    if (auto e = check(proto.int32_data_size()); !e.empty()) return e;
    char *p = const_cast<char *>(result.bytes().data());
    for (int64_t i = 0; i < count; ++i)
      store<uint16_t>(p + 2 * i, static_cast<uint16_t>(proto.int32_data(i)));
    return "";
  }
  default: {
    if (auto e = check(proto.int32_data_size()); !e.empty()) return e;
    for (int64_t i = 0; i < count; ++i) result.setInt(i, proto.int32_data(i));
    return "";
  }
  }
}
