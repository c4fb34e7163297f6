//===- ONNXImporter.h - ONNX models into MLIR -------------------*- C++ -*-===//
//
// Part of Cambrian. The importer reads an ONNX model (binary protobuf, with
// external data files beside it, or the ONNX textual syntax) and produces a
// module with one function per graph, on ranked static tensors, in the
// linalg/tensor/arith/math dialects. Weights become dense resources, so they
// never pass through textual IR.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_IMPORT_ONNXIMPORTER_H
#define CAMBRIAN_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <string>
#include <utility>
#include <vector>

namespace mlir {
class DialectRegistry;
class MLIRContext;
} // namespace mlir

namespace cambrian {

/// A value fixed at compile time for a graph input: the input becomes a
/// constant and leaves the module's signature. Inputs that decide shapes
/// (a Reshape target, Reduce axes, TopK's K) must be known to compile.
struct BoundInput {
  int32_t elemType = 0; ///< ONNX TensorProto data type
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<char> data; ///< dense, row-major
};

struct ImportOptions {
  /// Static shapes for inputs, by name; they override what the model
  /// declares and pin its symbolic dimensions.
  llvm::StringMap<llvm::SmallVector<int64_t, 4>> inputShapes;
  /// Inputs bound to compile-time values, by name.
  llvm::StringMap<BoundInput> boundInputs;
  /// Name of the function the main graph becomes.
  std::string entryName = "main";
};

/// Registers the dialects the importer produces.
void registerImportDialects(mlir::DialectRegistry &registry);

/// Imports the model at `path`. Text is recognised by the extension
/// `.onnxtxt` or by content. On failure, reports errors through the
/// context's diagnostic engine and returns null.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXFile(mlir::MLIRContext &ctx, llvm::StringRef path,
               const ImportOptions &options = {});

/// Imports a model held in memory; `sourceName` names it in messages and
/// `baseDir` resolves external data.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXBuffer(mlir::MLIRContext &ctx, llvm::StringRef contents,
                 llvm::StringRef sourceName, llvm::StringRef baseDir,
                 const ImportOptions &options = {});

/// Every (domain, op type) the importer handles at some opset.
std::vector<std::pair<std::string, std::string>> supportedONNXOps();

/// Oldest and newest default-domain opsets the importer accepts.
inline constexpr int kMinOpset = 1;
inline constexpr int kMaxOpset = 27;

} // namespace cambrian

#endif // CAMBRIAN_IMPORT_ONNXIMPORTER_H
