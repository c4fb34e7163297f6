//===- HostTensor.h - Tensors known while importing -------------*- C++ -*-===//
//
// A HostTensor is an ONNX tensor whose contents the importer knows: an
// initializer, a Constant node, or the result of folding shape arithmetic
// (Shape -> Gather -> Concat -> Reshape) at compile time. Large initializers
// borrow the bytes of the loaded model instead of copying them.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_LIB_IMPORT_HOSTTENSOR_H
#define CAMBRIAN_LIB_IMPORT_HOSTTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace onnx {
class TensorProto;
} // namespace onnx

namespace cambrian::onnx_import {

/// ONNX TensorProto.DataType codes used throughout the importer.
enum OnnxType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUInt8 = 2,
  kInt8 = 3,
  kUInt16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUInt32 = 12,
  kUInt64 = 13,
  kBFloat16 = 16,
};

/// Bytes per element of an ONNX type, 0 if the type has no dense layout.
int64_t onnxTypeSize(int32_t type);
/// The ONNX spelling of a type ("float", "int64", ...), for messages.
llvm::StringRef onnxTypeName(int32_t type);
bool isFloatType(int32_t type);
bool isUnsignedType(int32_t type);
/// Product of the extents.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

class HostTensor {
public:
  HostTensor() = default;
  /// A tensor owning zero-initialised storage.
  HostTensor(int32_t type, llvm::ArrayRef<int64_t> shape);

  static HostTensor fromInts(int32_t type, llvm::ArrayRef<int64_t> shape,
                             llvm::ArrayRef<int64_t> values);
  static HostTensor fromDoubles(int32_t type, llvm::ArrayRef<int64_t> shape,
                                llvm::ArrayRef<double> values);
  /// A tensor that borrows `bytes`; `keepAlive` owns them.
  static HostTensor borrow(int32_t type, llvm::ArrayRef<int64_t> shape,
                           llvm::ArrayRef<char> bytes,
                           std::shared_ptr<const void> keepAlive);

  int32_t type() const { return type_; }
  llvm::ArrayRef<int64_t> shape() const { return shape_; }
  int64_t rank() const { return shape_.size(); }
  int64_t size() const { return numElements(shape_); }
  llvm::ArrayRef<char> bytes() const { return bytes_; }

  /// Element `i` (row-major) converted to int64 / double.
  int64_t getInt(int64_t i) const;
  double getDouble(int64_t i) const;
  /// Overwrites element `i`, converting from int64 / double.
  void setInt(int64_t i, int64_t v);
  void setDouble(int64_t i, double v);

  std::vector<int64_t> toInts() const;
  std::vector<double> toDoubles() const;
  /// Same data, another shape with the same element count.
  HostTensor reshaped(llvm::ArrayRef<int64_t> shape) const;

private:
  char *mutableData();

  int32_t type_ = kUndefined;
  llvm::SmallVector<int64_t, 4> shape_;
  llvm::ArrayRef<char> bytes_;
  std::shared_ptr<const void> storage_;
};

/// Decodes a TensorProto. `baseDir` resolves external data. Returns an error
/// message on failure.
std::string decodeTensorProto(const onnx::TensorProto &proto,
                              llvm::StringRef baseDir,
                              std::shared_ptr<const void> modelKeepAlive,
                              HostTensor &result);

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_HOSTTENSOR_H
