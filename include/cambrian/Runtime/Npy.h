//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// cambrian-run reads inputs from and writes outputs to .npy files (format
// versions 1-3, little-endian, C order), the lingua franca of the Python
// tools that produce test data.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_RUNTIME_NPY_H
#define CAMBRIAN_RUNTIME_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace cambrian {

struct NpyArray {
  int32_t elemType = 0; ///< ONNX TensorProto data type
  std::vector<int64_t> shape;
  std::vector<char> data; ///< dense, row-major
};

/// Reads `path`; returns "" or an error message.
std::string readNpy(const std::string &path, NpyArray &array);
/// Writes `array` to `path` (atomically); returns "" or an error message.
std::string writeNpy(const std::string &path, const NpyArray &array);
/// numpy's dtype string for an ONNX type ("<f4"), or "" if none.
std::string npyDtype(int32_t elemType);
/// Whether a file of element type `fileType` can feed an input of type
/// `wanted` (equal, or bytes for a byte-stored small type).
bool npyHolds(int32_t fileType, int32_t wanted);

} // namespace cambrian

#endif // CAMBRIAN_RUNTIME_NPY_H
