//===- ModelLoader.h - Reading ONNX files -----------------------*- C++ -*-===//

#ifndef CAMBRIAN_LIB_IMPORT_MODELLOADER_H
#define CAMBRIAN_LIB_IMPORT_MODELLOADER_H

#include "llvm/ADT/StringRef.h"

#include <string>

namespace onnx {
class ModelProto;
} // namespace onnx

namespace cambrian::onnx_import {

/// Parses `contents` as a binary ModelProto or, if `preferText` or the
/// binary parse fails and the contents look like text, as the ONNX textual
/// syntax. Returns an empty string on success, else what went wrong.
std::string parseModel(llvm::StringRef contents, bool preferText,
                       onnx::ModelProto &model);

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_MODELLOADER_H
