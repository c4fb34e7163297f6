//===- OpRegistry.h - Dispatch from (domain, op, opset) to handlers -*- C++ -*-===//
//
// Every supported ONNX op registers one handler per version of its semantics
// ("since version"). A node is imported by the handler with the greatest
// since-version not above the model's opset for the node's domain.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_LIB_IMPORT_OPREGISTRY_H
#define CAMBRIAN_LIB_IMPORT_OPREGISTRY_H

#include "lib/Import/NodeContext.h"

#include "llvm/ADT/StringMap.h"

#include <functional>
#include <vector>

namespace cambrian::onnx_import {

using OpHandler = std::function<mlir::LogicalResult(NodeContext &)>;

class OpRegistry {
public:
  /// The registry holding every handler Cambrian has.
  static const OpRegistry &get();

  void add(llvm::StringRef domain, llvm::StringRef opType, int sinceVersion,
           OpHandler handler);
  /// Adds the same handler for several op types.
  void add(llvm::StringRef domain, std::initializer_list<llvm::StringRef> ops,
           int sinceVersion, OpHandler handler);

  /// The handler for `opType` at `opset`, or null. `knownOp` tells whether
  /// the op is known at some other opset.
  const OpHandler *lookup(llvm::StringRef domain, llvm::StringRef opType,
                          int64_t opset, bool &knownOp) const;

  /// Every (domain, op type) with a handler, for documentation.
  std::vector<std::pair<std::string, std::string>> ops() const;

private:
  struct Entry {
    int since;
    OpHandler handler;
  };
  llvm::StringMap<std::vector<Entry>> table; // key: "domain::op"
};

// Handler files, one per op family; each registers its family's ops.
void registerActivation(OpRegistry &registry);
void registerAttention(OpRegistry &registry);
void registerCast(OpRegistry &registry);
void registerControlFlow(OpRegistry &registry);
void registerConvolution(OpRegistry &registry);
void registerEinsum(OpRegistry &registry);
void registerGenerators(OpRegistry &registry);
void registerGridSample(OpRegistry &registry);
void registerIndexing(OpRegistry &registry);
void registerLogical(OpRegistry &registry);
void registerLoss(OpRegistry &registry);
void registerMath(OpRegistry &registry);
void registerMatMul(OpRegistry &registry);
void registerNormalization(OpRegistry &registry);
void registerOrdering(OpRegistry &registry);
void registerPad(OpRegistry &registry);
void registerPooling(OpRegistry &registry);
void registerQuantization(OpRegistry &registry);
void registerRearrange(OpRegistry &registry);
void registerReduction(OpRegistry &registry);
void registerResize(OpRegistry &registry);
void registerShape(OpRegistry &registry);

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_OPREGISTRY_H
