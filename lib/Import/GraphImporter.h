//===- GraphImporter.h - One ONNX graph into one func.func ------*- C++ -*-===//

#ifndef CAMBRIAN_LIB_IMPORT_GRAPHIMPORTER_H
#define CAMBRIAN_LIB_IMPORT_GRAPHIMPORTER_H

#include "cambrian/Import/ONNXImporter.h"
#include "lib/Import/NodeContext.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "llvm/ADT/StringMap.h"

namespace onnx {
class ModelProto;
class GraphProto;
class ValueInfoProto;
} // namespace onnx

namespace cambrian::onnx_import {

class GraphImporter {
public:
  GraphImporter(mlir::ModuleOp module, llvm::StringRef sourceName,
                llvm::StringRef baseDir, std::shared_ptr<const void> keepAlive,
                const ImportOptions &options);

  /// Imports the model's main graph as function `options.entryName`.
  mlir::LogicalResult importModel(const onnx::ModelProto &model);

  ImportedValue *lookup(llvm::StringRef name);
  /// IR value of `v`, materialising a known constant at the current point.
  mlir::Value materialize(ImportedValue &v, llvm::StringRef name,
                          mlir::OpBuilder &b, mlir::Location loc);
  void define(llvm::StringRef name, ImportedValue v) { values[name] = std::move(v); }

  llvm::StringRef sourceName() const { return source; }
  llvm::StringRef baseDir() const { return dir; }
  std::shared_ptr<const void> keepAlive() const { return alive; }
  mlir::Location fileLoc() const;

  /// Imports the nodes of subgraph `graph` (an If branch, a Loop body) at
  /// `b`'s insertion point with its formal inputs bound to `inputs`, and
  /// returns its outputs. Afterwards the importer's names are as before:
  /// the subgraph's own names are gone, and constants it materialised are
  /// forgotten, since their IR may sit in a region the caller closes.
  mlir::FailureOr<llvm::SmallVector<ImportedValue>>
  importSubgraph(const onnx::GraphProto &graph,
                 llvm::ArrayRef<ImportedValue> inputs, mlir::OpBuilder &b);

private:
  /// Makes a graph input a constant with the value given on the command line.
  mlir::LogicalResult bindInput(const onnx::ValueInfoProto &info,
                                const BoundInput &bound);
  mlir::LogicalResult importInput(const onnx::ValueInfoProto &info,
                                  llvm::SmallVectorImpl<mlir::Type> &types,
                                  llvm::SmallVectorImpl<int32_t> &onnxTypes);
  mlir::LogicalResult importNode(const onnx::NodeProto &node, unsigned index,
                                 mlir::OpBuilder &b);

  mutable mlir::ModuleOp module;
  std::string source, dir;
  std::shared_ptr<const void> alive;
  const ImportOptions &options;
  llvm::StringMap<int64_t> opsets; // domain -> version
  llvm::StringMap<ImportedValue> values;
};

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_GRAPHIMPORTER_H
