//===- ConvFusion.cpp - What a fused convolution call may move past ------===//

#include "targets/x86/ConvFusion.h"
#include "targets/x86/KernelCall.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"


using namespace mlir;
using namespace cambrian::x86;

namespace {

/// The buffers whose addresses flow into `v` (a memref, or an integer or
/// pointer computed from memrefs, as the kernel calls' operands are).
void buffersBehind(Value v, SmallPtrSetImpl<Value> &roots) {
  SmallVector<Value> work = {v};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value cur = work.pop_back_val();
    if (!seen.insert(cur).second)
      continue;
    if (isa<MemRefType>(cur.getType())) {
      roots.insert(rootBuffer(cur));
      continue;
    }
    if (Operation *def = cur.getDefiningOp())
      llvm::append_range(work, def->getOperands());
  }
}

/// Whether `op` may write (or, with `anyUse`, access at all) memory that
/// the buffer `root` owns.
bool touches(Operation *op, Value root, bool anyUse) {
  // Taking a view reads nothing (its users are what count).
  if (isa<ViewLikeOpInterface>(op) && isMemoryEffectFree(op))
    return false;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
    for (OpOperand &operand : op->getOpOperands())
      if ((anyUse || linalgOp.isDpsInit(&operand)) &&
          isa<MemRefType>(operand.get().getType()) &&
          rootBuffer(operand.get()) == root)
        return true;
    return false;
  }
  if (isa<func::CallOp>(op)) {
    // Kernel calls get raw pointers; any buffer behind an operand may be
    // written.
    SmallPtrSet<Value, 8> roots;
    for (Value v : op->getOperands())
      buffersBehind(v, roots);
    return roots.contains(root);
  }
  if (anyUse) {
    for (Value v : op->getOperands())
      if (isa<MemRefType>(v.getType()) && rootBuffer(v) == root)
        return true;
  }
  if (isMemoryEffectFree(op))
    return false;
  if (auto effects = dyn_cast<MemoryEffectOpInterface>(op)) {
    SmallVector<MemoryEffects::EffectInstance> list;
    effects.getEffects(list);
    for (auto &e : list) {
      if (!isa<MemoryEffects::Write, MemoryEffects::Free>(e.getEffect()))
        continue;
      Value v = e.getValue();
      if (!v || rootBuffer(v) == root)
        return true;
    }
    return false;
  }
  return true; // unknown
}

bool accessedBetween(Operation *from, Operation *to, Value buffer,
                     bool anyUse) {
  if (from->getBlock() != to->getBlock() || !from->isBeforeInBlock(to))
    return true;
  Value root = rootBuffer(buffer);
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode())
    if (touches(op, root, anyUse))
      return true;
  return false;
}

} // namespace

bool cambrian::x86::mayBeWrittenBetween(Operation *from, Operation *to,
                                        Value buffer) {
  return accessedBetween(from, to, buffer, /*anyUse=*/false);
}
