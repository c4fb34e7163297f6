//===- ParallelizeLoops.cpp - Loop nests on the module's thread pool ------===//
//
// Every linalg op left after the kernel lowering becomes a loop nest that
// would run on the calling thread alone. A large one whose outermost
// non-unit loop is parallel is split along that loop into one chunk per
// thread: the op moves into a private task function that slices its
// operands to its chunk, and the caller hands that function to the
// runtime's cmb_parallel_for (runtime/ThreadPool.h) together with a context
// struct holding the captured buffers (as memref descriptors) and scalars.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/KernelCall.h"
#include "targets/x86/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DataLayoutInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/RegionUtils.h"

namespace cambrian::x86 {
#define GEN_PASS_DEF_PARALLELIZELOOPSPASS
#include "targets/x86/Passes.h.inc"
} // namespace cambrian::x86

using namespace mlir;

namespace {

constexpr StringLiteral kParallelFor = "cmb_parallel_for";
constexpr StringLiteral kPoolSize = "cmb_pool_size";

/// Whether the task function recreates `v` instead of reading it from the
/// context: a constant, a global's address.
bool isRecomputable(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         def->getNumResults() == 1 && isPure(def);
}

/// A loop nest worth splitting and the loop it is split along.
struct Candidate {
  linalg::LinalgOp op;
  int64_t dim;
  int64_t extent;
  /// Values from outside that the nest reads, in a fixed order.
  SmallVector<Value> captured;
};

/// The loop of `op` to split into tasks: its outermost loop of more than
/// one iteration, which must be parallel and index every output (so that
/// tasks write disjoint parts of them). None if `op` does not qualify.
std::optional<Candidate> splitLoop(linalg::LinalgOp op, int64_t minWork,
                                   const LLVMTypeConverter &converter) {
  if (!op.hasPureBufferSemantics() || !isa<TilingInterface>(*op))
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (llvm::any_of(ranges, ShapedType::isDynamic))
    return std::nullopt;
  int64_t work = 1;
  for (int64_t r : ranges)
    work *= r;
  if (work < minWork)
    return std::nullopt;
  const auto *it = llvm::find_if(ranges, [](int64_t r) { return r > 1; });
  if (it == ranges.end())
    return std::nullopt;
  int64_t dim = it - ranges.begin();
  if (op.getIteratorTypesArray()[dim] != utils::IteratorType::parallel)
    return std::nullopt;
  AffineExpr d = getAffineDimExpr(dim, op->getContext());
  for (OpOperand &init : op.getDpsInitsMutable())
    if (!op.getMatchingIndexingMap(&init).getResultPosition(d))
      return std::nullopt;
  // An input that is (a view of) an output must be read where it is
  // written, or a task could read what another one already overwrote.
  for (OpOperand &init : op.getDpsInitsMutable())
    for (OpOperand *in : op.getDpsInputOperands())
      if (isa<MemRefType>(in->get().getType()) &&
          cambrian::x86::rootBuffer(in->get()) == cambrian::x86::rootBuffer(init.get()) &&
          (in->get() != init.get() || op.getMatchingIndexingMap(in) !=
                                          op.getMatchingIndexingMap(&init)))
        return std::nullopt;

  Candidate c{op, dim, ranges[dim], {}};
  llvm::SetVector<Value> used;
  for (Value v : op->getOperands())
    used.insert(v);
  getUsedValuesDefinedAbove(op->getRegions(), used);
  for (Value v : used) {
    if (isRecomputable(v))
      continue;
    // Memrefs travel as their LLVM descriptors (strided layouts only).
    Type t = v.getType();
    if (auto memref = dyn_cast<MemRefType>(t)) {
      if (!memref.isStrided() || !converter.convertType(t))
        return std::nullopt;
    } else if (!isa<IndexType, IntegerType, FloatType>(t)) {
      return std::nullopt;
    }
    c.captured.push_back(v);
  }
  return c;
}

/// Declares `name` : `type` in `module` unless it exists.
void declare(ModuleOp module, StringRef name, FunctionType type) {
  if (module.lookupSymbol(name))
    return;
  OpBuilder b(module.getBodyRegion());
  func::FuncOp::create(b, module.getLoc(), name, type).setPrivate();
}

struct ParallelizeLoopsPass
    : cambrian::x86::impl::ParallelizeLoopsPassBase<ParallelizeLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    LLVMTypeConverter converter(ctx);
    SmallVector<Candidate> work;
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isDeclaration())
        for (Block &block : fn.getBody())
          for (Operation &op : block)
            if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
              if (auto c = splitLoop(linalgOp, minWork, converter))
                work.push_back(std::move(*c));
    if (work.empty())
      return;

    auto ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    auto taskType = FunctionType::get(ctx, {ptr, i64, ptr}, {});
    declare(module, kParallelFor,
            FunctionType::get(ctx, {i64, ptr, ptr}, {}));
    declare(module, kPoolSize,
            FunctionType::get(ctx, {}, {IntegerType::get(ctx, 32)}));
    SymbolTable symbols(module);

    // The context of each nest: the task count, then the captured values
    // in their LLVM form (memref descriptors, i64 for index).
    auto fieldsOf = [&](const Candidate &c) {
      SmallVector<Type> fields{i64};
      for (Value v : c.captured)
        fields.push_back(isa<IndexType>(v.getType())
                             ? i64
                             : converter.convertType(v.getType()));
      return fields;
    };
    // One context buffer per function, as large as its largest context:
    // regions run one after the other, and a stack slot per nest would
    // make the frame of a large model tens of kilobytes.
    DenseMap<func::FuncOp, Value> buffers;
    {
      DataLayout layout(module);
      DenseMap<func::FuncOp, uint64_t> words;
      for (const Candidate &c : work) {
        auto fields = fieldsOf(c);
        uint64_t bytes =
            layout.getTypeSize(LLVM::LLVMStructType::getLiteral(ctx, fields));
        uint64_t &w = words[c.op->getParentOfType<func::FuncOp>()];
        w = std::max(w, (bytes + 7) / 8);
      }
      for (auto [fn, w] : words) {
        Location loc = fn.getLoc();
        OpBuilder eb(&fn.getBody().front(), fn.getBody().front().begin());
        buffers[fn] = LLVM::AllocaOp::create(
            eb, loc, ptr, LLVM::LLVMArrayType::get(i64, w),
            LLVM::ConstantOp::create(eb, loc, i64, eb.getI64IntegerAttr(1)),
            /*alignment=*/8);
      }
    }

    DenseMap<func::FuncOp, Operation *> lastTask;
    for (Candidate &c : work) {
      Operation *op = c.op;
      auto parent = op->getParentOfType<func::FuncOp>();
      Location loc = op->getLoc();
      SmallVector<Type> fields = fieldsOf(c);
      auto ctxType = LLVM::LLVMStructType::getLiteral(ctx, fields);
      auto field = [&](OpBuilder &b, Value base, int64_t i) {
        return LLVM::GEPOp::create(b, loc, ptr, ctxType, base,
                                   ArrayRef<LLVM::GEPArg>{0, (int32_t)i});
      };

      // The task function: read the context, slice the op to the task's
      // chunk [extent * t / n, extent * (t + 1) / n) of the split loop.
      OpBuilder mb(ctx);
      // After the function, in the order of its nests.
      Operation *&last = lastTask[parent];
      mb.setInsertionPointAfter(last ? last : parent.getOperation());
      auto task = func::FuncOp::create(
          mb, loc, (parent.getSymName() + "_task").str(), taskType);
      task.setPrivate();
      symbols.insert(task);
      last = task;
      {
        Block *entry = task.addEntryBlock();
        OpBuilder b(entry, entry->begin());
        Value base = task.getArgument(0);
        auto load = [&](int64_t i) {
          return LLVM::LoadOp::create(b, loc, fields[i], field(b, base, i))
              .getResult();
        };
        auto toIndex = [&](Value v) {
          return arith::IndexCastOp::create(b, loc, b.getIndexType(), v)
              .getResult();
        };
        IRMapping mapping;
        for (auto [i, v] : llvm::enumerate(c.captured)) {
          Value loaded = load(i + 1);
          if (isa<IndexType>(v.getType()))
            loaded = toIndex(loaded);
          else if (isa<MemRefType>(v.getType()))
            loaded = UnrealizedConversionCastOp::create(b, loc, v.getType(),
                                                        loaded)
                         .getResult(0);
          mapping.map(v, loaded);
        }
        llvm::SetVector<Value> used;
        for (Value v : op->getOperands())
          used.insert(v);
        getUsedValuesDefinedAbove(op->getRegions(), used);
        for (Value v : used)
          if (isRecomputable(v))
            mapping.map(v, b.clone(*v.getDefiningOp())->getResult(0));

        Value n = toIndex(load(0));
        Value t = toIndex(task.getArgument(1));
        Value extent = arith::ConstantIndexOp::create(b, loc, c.extent);
        Value one = arith::ConstantIndexOp::create(b, loc, 1);
        auto bound = [&](Value k) {
          return arith::DivUIOp::create(
              b, loc, arith::MulIOp::create(b, loc, extent, k), n);
        };
        Value lo = bound(t);
        Value hi = bound(arith::AddIOp::create(b, loc, t, one));
        Value size = arith::SubIOp::create(b, loc, hi, lo);

        SmallVector<OpFoldResult> offsets, sizes;
        for (auto [d, r] : llvm::enumerate(c.op.getStaticLoopRanges())) {
          offsets.push_back(d == (size_t)c.dim ? OpFoldResult(lo)
                                               : b.getIndexAttr(0));
          sizes.push_back(d == (size_t)c.dim ? OpFoldResult(size)
                                             : b.getIndexAttr(r));
        }
        Operation *whole = b.clone(*op, mapping);
        if (failed(cast<TilingInterface>(whole).getTiledImplementation(
                b, offsets, sizes))) {
          op->emitOpError("could not be split into tasks");
          return signalPassFailure();
        }
        whole->erase();
        func::ReturnOp::create(b, loc);
      }

      // The caller: min(threads, extent) tasks over the context.
      Value ctxPtr = buffers.lookup(parent);
      OpBuilder b(op);
      Value threads = arith::ExtSIOp::create(
          b, loc, i64,
          func::CallOp::create(b, loc, kPoolSize,
                               TypeRange{IntegerType::get(ctx, 32)})
              .getResult(0));
      Value numTasks =
          arith::MinSIOp::create(b, loc, threads, cambrian::x86::i64Const(b, loc, c.extent));
      LLVM::StoreOp::create(b, loc, numTasks, field(b, ctxPtr, 0));
      for (auto [i, v] : llvm::enumerate(c.captured)) {
        Value stored = v;
        if (isa<IndexType>(v.getType()))
          stored = arith::IndexCastOp::create(b, loc, i64, v);
        else if (isa<MemRefType>(v.getType()))
          stored = UnrealizedConversionCastOp::create(b, loc, fields[i + 1], v)
                       .getResult(0);
        LLVM::StoreOp::create(b, loc, stored, field(b, ctxPtr, i + 1));
      }
      // func-to-llvm turns the func.constant into an llvm.mlir.addressof.
      Value taskRef =
          func::ConstantOp::create(b, loc, taskType, task.getSymName());
      Value fn = UnrealizedConversionCastOp::create(b, loc, ptr, taskRef)
                     .getResult(0);
      func::CallOp::create(b, loc, kParallelFor, TypeRange{},
                           ValueRange{numTasks, fn, ctxPtr});
      op->erase();
    }
  }
};

} // namespace
