//===- NodeContext.h - What an op handler sees of its node ------*- C++ -*-===//
//
// Each ONNX node is imported by one handler (see OpRegistry.h). The handler
// reads its inputs and attributes through a NodeContext, emits IR through a
// TensorBuilder, and publishes its results. Errors name the node, op type and
// opset, as the importer's contract requires.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_LIB_IMPORT_NODECONTEXT_H
#define CAMBRIAN_LIB_IMPORT_NODECONTEXT_H

#include "lib/Import/HostTensor.h"
#include "lib/Import/TensorBuilder.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Value.h"

#include <memory>
#include <optional>

namespace onnx {
class NodeProto;
class AttributeProto;
} // namespace onnx

namespace cambrian::onnx_import {

/// An ONNX value as the importer tracks it.
struct ImportedValue {
  int32_t type = kUndefined;          ///< ONNX element type
  llvm::SmallVector<int64_t, 4> shape;
  mlir::Value value;                  ///< IR value, null until materialised
  std::shared_ptr<HostTensor> constant; ///< contents, when known
};

class GraphImporter;

class NodeContext {
public:
  NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
              int64_t opset, mlir::OpBuilder &b, mlir::Location loc);

  const onnx::NodeProto &node() const { return node_; }
  GraphImporter &graph() { return graph_; }
  /// The model's opset for the node's domain, for diagnostics. Handlers do
  /// not branch on it where ONNX changed the op: they are registered once per
  /// since-version instead (OpRegistry.h).
  int64_t opset() const { return opset_; }
  llvm::StringRef opType() const;
  mlir::OpBuilder &builder() { return b_; }
  mlir::Location loc() const { return loc_; }
  mlir::MLIRContext *context() const { return b_.getContext(); }
  TensorBuilder tb() { return TensorBuilder(b_, loc_); }

  //===--- Inputs ---------------------------------------------------------===//
  unsigned numInputs() const;
  /// Input `i` exists (ONNX marks omitted optional inputs with "").
  bool hasInput(unsigned i) const;
  const ImportedValue &input(unsigned i);
  int32_t inputType(unsigned i) { return input(i).type; }
  llvm::ArrayRef<int64_t> inputShape(unsigned i) { return input(i).shape; }
  /// The IR value of input `i`, materialising a constant if needed.
  mlir::Value operand(unsigned i);
  /// The contents of input `i` if known at compile time, else null.
  const HostTensor *constantInput(unsigned i);
  /// Input `i`'s contents; an error if it is not known at compile time.
  mlir::FailureOr<const HostTensor *> requireConstant(unsigned i,
                                                      llvm::StringRef what);
  /// Input `i` as integers; an error if it is not known at compile time.
  mlir::FailureOr<std::vector<int64_t>> requireConstantInts(unsigned i,
                                                            llvm::StringRef what);
  /// An IR constant holding `t`; large tensors become dense resources named
  /// after `nameHint`.
  mlir::Value materializeConstant(const HostTensor &t, llvm::StringRef nameHint);
  /// Whether every present input is known at compile time.
  bool allInputsConstant();

  //===--- Attributes -----------------------------------------------------===//
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return attr(name) != nullptr; }
  int64_t attrInt(llvm::StringRef name, int64_t dflt) const;
  double attrFloat(llvm::StringRef name, double dflt) const;
  std::string attrString(llvm::StringRef name, llvm::StringRef dflt) const;
  std::vector<int64_t> attrInts(llvm::StringRef name,
                                std::vector<int64_t> dflt = {}) const;
  std::vector<double> attrFloats(llvm::StringRef name) const;
  /// A tensor attribute decoded, or failure (with a diagnostic).
  mlir::FailureOr<HostTensor> attrTensor(llvm::StringRef name);

  //===--- Results --------------------------------------------------------===//
  unsigned numOutputs() const;
  bool hasOutput(unsigned i) const;
  /// Publishes output `i` as an IR value of ONNX type `type`.
  void setResult(unsigned i, mlir::Value v, int32_t type);
  /// Publishes output `i` as an already imported value.
  void setResult(unsigned i, const ImportedValue &v);
  /// Publishes output `i` as a compile-time constant.
  void setConstantResult(unsigned i, HostTensor t);

  //===--- Errors ---------------------------------------------------------===//
  /// An error prefixed with "node 'N' (Op, opset K): ".
  mlir::InFlightDiagnostic emitError() const;
  /// Checks the element type of input `i` against an allowed list.
  mlir::LogicalResult checkInputType(unsigned i,
                                     std::initializer_list<int32_t> allowed);
  /// Normalises a possibly negative axis; an error if out of [-rank, rank).
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

private:
  GraphImporter &graph_;
  const onnx::NodeProto &node_;
  int64_t opset_;
  mlir::OpBuilder &b_;
  mlir::Location loc_;
};

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_NODECONTEXT_H
