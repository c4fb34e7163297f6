//===- InstrumentProfile.cpp - Per-layer timers for --profile -------------===//
//
// Wraps every unit of work in the model's functions (a kernel call, a linalg
// op that will become a loop nest, a copy) with two clock reads and adds the
// call count and the elapsed nanoseconds into a row of a module-wide table.
// The emitter exports that table as `cambrian_module_profile`.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/Passes.h"
#include "targets/x86/X86Target.h"

#include "mlir/IR/Builders.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_INSTRUMENTPROFILEPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

constexpr StringLiteral kClock = "cmb_x86_profile_clock";
constexpr StringLiteral kKernelPrefix = "cmb_x86_";

/// The ONNX node name the importer put into `loc` (a NameLoc, possibly
/// inside a FusedLoc after CSE or fusion merged ops), or "?".
StringRef nodeName(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().getValue();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations()) {
      StringRef n = nodeName(inner);
      if (n != "?")
        return n;
    }
  if (auto site = dyn_cast<CallSiteLoc>(loc))
    return nodeName(site.getCallee());
  return "?";
}

/// What the profile calls `op`, or "" if `op` does no measurable work.
std::string workKind(Operation *op) {
  if (auto call = dyn_cast<func::CallOp>(op)) {
    StringRef callee = call.getCallee();
    if (callee == kClock)
      return "";
    callee.consume_front(kKernelPrefix);
    return callee.str();
  }
  if (isa<linalg::LinalgOp, memref::CopyOp>(op) || op->getNumRegions() > 0)
    return op->getName().getStringRef().str();
  return "";
}

struct InstrumentProfilePass
    : cambrian::x86::impl::InstrumentProfilePassBase<InstrumentProfilePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    if (module.lookupSymbol(cambrian::x86::kProfileTableSymbol)) {
      module.emitError("the module is already instrumented for profiling");
      return signalPassFailure();
    }

    // The rows, in program order.
    SmallVector<std::pair<Operation *, std::string>> work;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isDeclaration())
        for (Block &block : fn.getBody())
          for (Operation &op : block)
            if (std::string kind = workKind(&op); !kind.empty())
              work.emplace_back(&op, std::move(kind));
    if (work.empty())
      return;

    OpBuilder mb(module.getBodyRegion());
    Location loc = module.getLoc();
    Type i64 = mb.getI64Type();
    auto tableType = MemRefType::get(
        {(int64_t)work.size(), cambrian::x86::kProfileRowWords}, i64);
    memref::GlobalOp::create(
        mb, loc, cambrian::x86::kProfileTableSymbol,
        mb.getStringAttr("private"), tableType,
        DenseElementsAttr::get(
            RankedTensorType::get(tableType.getShape(), i64),
            mb.getI64IntegerAttr(0)),
        /*constant=*/false, mb.getI64IntegerAttr(8));
    if (!module.lookupSymbol(kClock))
      func::FuncOp::create(mb, loc, kClock, mb.getFunctionType({}, {i64}))
          .setPrivate();

    SmallVector<Attribute> labels;
    for (auto [row, entry] : llvm::enumerate(work)) {
      auto [op, kind] = entry;
      labels.push_back(mb.getStrArrayAttr({nodeName(op->getLoc()), kind}));
      Location opLoc = op->getLoc();
      OpBuilder b(op);
      Value t0 = func::CallOp::create(b, opLoc, kClock, TypeRange{i64})
                     .getResult(0);
      b.setInsertionPointAfter(op);
      Value t1 = func::CallOp::create(b, opLoc, kClock, TypeRange{i64})
                     .getResult(0);
      Value elapsed = arith::SubIOp::create(b, opLoc, t1, t0);
      Value one = arith::ConstantOp::create(b, opLoc, b.getI64IntegerAttr(1));
      Value table = memref::GetGlobalOp::create(
          b, opLoc, tableType, cambrian::x86::kProfileTableSymbol);
      auto index = [&](int64_t i) {
        return arith::ConstantIndexOp::create(b, opLoc, i).getResult();
      };
      Value r = index(row);
      memref::AtomicRMWOp::create(b, opLoc, arith::AtomicRMWKind::addi, one,
                                  table,
                                  ValueRange{r, index(cambrian::x86::kProfileCallsWord)});
      memref::AtomicRMWOp::create(
          b, opLoc, arith::AtomicRMWKind::addi, elapsed, table,
          ValueRange{r, index(cambrian::x86::kProfileNanosecondsWord)});
    }
    module->setAttr(cambrian::x86::kProfileAttr, ArrayAttr::get(ctx, labels));
  }
};

} // namespace
