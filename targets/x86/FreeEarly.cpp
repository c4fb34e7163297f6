//===- FreeEarly.cpp - Deallocate buffers after their last use ------------===//

#include "targets/x86/Passes.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_FREEEARLYPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

/// The last op of `block` that uses `buffer` or a value computed from it
/// (ops nested in regions count as their ancestor in `block`), or null.
Operation *lastUse(Value buffer, Block *block, Operation *dealloc) {
  Operation *last = nullptr;
  SmallVector<Value> work = {buffer};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    for (Operation *user : v.getUsers()) {
      if (user == dealloc)
        continue;
      Operation *top = block->findAncestorOpInBlock(*user);
      if (!top)
        return dealloc; // used outside the block: leave it where it is
      if (!last || last->isBeforeInBlock(top))
        last = top;
      llvm::append_range(work, user->getResults());
    }
  }
  return last;
}

struct FreeEarlyPass
    : cambrian::x86::impl::FreeEarlyPassBase<FreeEarlyPass> {
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation()->walk(
        [&](memref::DeallocOp op) { deallocs.push_back(op); });
    for (memref::DeallocOp dealloc : deallocs) {
      Value buffer = dealloc.getMemref();
      // Only buffers allocated in this block, so that the move cannot go
      // above their allocation or escape a loop.
      auto alloc = buffer.getDefiningOp<memref::AllocOp>();
      Block *block = dealloc->getBlock();
      if (!alloc || alloc->getBlock() != block)
        continue;
      Operation *last = lastUse(buffer, block, dealloc);
      if (!last || last == dealloc || !last->isBeforeInBlock(dealloc))
        continue;
      dealloc->moveAfter(last);
    }
  }
};

} // namespace
