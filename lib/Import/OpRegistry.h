//===- OpRegistry.h - Dispatch from (domain, op, opset) to handlers -*- C++ -*-===//
//
// Every supported ONNX op registers one handler per version of its semantics
// ("since version"), at the since-versions where ONNX changed what the
// handler implements. A node is imported by the handler with the greatest
// since-version not above the model's opset for the node's domain; a node
// older than an op's first registration is refused. Per-op facts the
// dispatcher needs (OpFlag) are given at registration, not kept in name
// lists.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_LIB_IMPORT_OPREGISTRY_H
#define CAMBRIAN_LIB_IMPORT_OPREGISTRY_H

#include "lib/Import/NodeContext.h"

#include "llvm/ADT/BitmaskEnum.h"
#include "llvm/ADT/StringMap.h"

#include <functional>
#include <vector>

namespace cambrian::onnx_import {

LLVM_ENABLE_BITMASK_ENUMS_IN_NAMESPACE();

using OpHandler = std::function<mlir::LogicalResult(NodeContext &)>;

/// What the dispatcher may assume of a handler, set at registration.
enum class OpFlag : unsigned {
  None = 0,
  /// The op only moves, selects or converts elements (Reshape, Gather,
  /// Cast, ...), so it accepts the byte-stored small types (float8, int4,
  /// ...). Ops without it refuse them: arithmetic on their storage would be
  /// silently wrong.
  MovesSmallTypes = 1u << 0,
  LLVM_MARK_AS_BITMASK_ENUM(/*LargestValue=*/MovesSmallTypes)
};

/// One registration: the handler of an op from `since` on.
struct OpEntry {
  int since;
  OpFlag flags;
  OpHandler handler;

  bool has(OpFlag flag) const { return (flags & flag) == flag; }
};

class OpRegistry {
public:
  /// The registry holding every handler Cambrian has.
  static const OpRegistry &get();

  /// Registers `handler` for `opType` from opset `sinceVersion` on (until the
  /// op's next registration). `sinceVersion` must be one at which ONNX
  /// changed the op (the unit tests check). Registering a (domain, op,
  /// since-version) twice is a fatal error.
  void add(llvm::StringRef domain, llvm::StringRef opType, int sinceVersion,
           OpHandler handler, OpFlag flags = OpFlag::None);
  /// Adds the same handler for several op types.
  void add(llvm::StringRef domain, std::initializer_list<llvm::StringRef> ops,
           int sinceVersion, OpHandler handler, OpFlag flags = OpFlag::None);

  /// The registration of `opType` with the greatest since-version not above
  /// `opset`, or null. `knownOp` tells whether the op has any registration.
  const OpEntry *lookup(llvm::StringRef domain, llvm::StringRef opType,
                        int64_t opset, bool &knownOp) const;

  /// The since-versions registered for an op, ascending (empty if unknown).
  std::vector<int> sinceVersions(llvm::StringRef domain,
                                 llvm::StringRef opType) const;

  /// Every (domain, op type) with a handler, for documentation.
  std::vector<std::pair<std::string, std::string>> ops() const;

private:
  llvm::StringMap<std::vector<OpEntry>> table; // key: "domain::op"
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
void registerQOperator(OpRegistry &registry);
void registerQuantization(OpRegistry &registry);
void registerRearrange(OpRegistry &registry);
void registerReduction(OpRegistry &registry);
void registerResize(OpRegistry &registry);
void registerShape(OpRegistry &registry);

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_OPREGISTRY_H
