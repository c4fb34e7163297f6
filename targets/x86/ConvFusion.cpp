//===- ConvFusion.cpp - Folding neighbours into a convolution call --------===//

#include "targets/x86/ConvFusion.h"
#include "targets/x86/runtime/Kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include <optional>

using namespace mlir;
using namespace cambrian::x86;

namespace {

/// The buffer `v` is a view of (through subviews, reshapes, casts).
Value rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

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

/// Dense row-major with static shape and f32 elements.
bool isDenseF32(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  int64_t expect = 1;
  for (int64_t d = type.getRank() - 1; d >= 0; --d) {
    if (type.getDimSize(d) != 1 && strides[d] != expect)
      return false;
    expect *= type.getDimSize(d);
  }
  return true;
}

/// Whether `op` sets every element of `buffer` to zero (a fill, or a map
/// that yields a zero constant).
bool isZeroInit(Operation *op, Value buffer) {
  if (auto fill = dyn_cast<linalg::FillOp>(op))
    return fill.getOutputs()[0] == buffer &&
           matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  if (auto map = dyn_cast<linalg::MapOp>(op)) {
    if (!map.getInputs().empty() || map.getInit() != buffer)
      return false;
    auto yield = cast<linalg::YieldOp>(map.getMapper().front().getTerminator());
    return yield.getNumOperands() == 1 &&
           matchPattern(yield.getOperand(0), m_AnyZeroFloat());
  }
  return false;
}

/// The value of a scalar in a generic's body: a constant, or an input that
/// is a 0-d constant global.
std::optional<double> scalarConstant(Value v, linalg::GenericOp g) {
  FloatAttr attr;
  if (matchPattern(v, m_Constant(&attr)))
    return attr.getValueAsDouble();
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != g.getBody())
    return std::nullopt;
  OpOperand *operand = g.getMatchingOpOperand(arg);
  if (!g.isDpsInput(operand))
    return std::nullopt;
  auto get = operand->get().getDefiningOp<memref::GetGlobalOp>();
  if (!get || get.getType().getNumElements() != 1)
    return std::nullopt;
  auto global =
      SymbolTable::lookupNearestSymbolFrom<memref::GlobalOp>(g, get.getNameAttr());
  if (!global || !global.getConstant())
    return std::nullopt;
  auto init = dyn_cast_or_null<DenseFPElementsAttr>(global.getConstantInitValue());
  if (!init || !init.isSplat())
    return std::nullopt;
  return init.getSplatValue<APFloat>().convertToDouble();
}

/// Matches `v = op(a, b)` (or `op(b, a)`) where `b` is the constant `c`;
/// returns `a`.
template <typename OpTy>
Value matchWithConstant(Value v, double c, linalg::GenericOp g) {
  auto op = v.getDefiningOp<OpTy>();
  if (!op || op->getBlock() != g.getBody())
    return nullptr;
  for (int i = 0; i < 2; ++i) {
    auto k = scalarConstant(op->getOperand(1 - i), g);
    if (k && *k == c)
      return op->getOperand(i);
  }
  return nullptr;
}

/// A per-output-channel operand of a rank-4 generic: its map reads loop d1
/// and constant zeros only, and its buffer is F dense floats.
bool isPerChannel(OpOperand *operand, linalg::GenericOp g, int64_t F) {
  AffineMap map = g.getMatchingIndexingMap(operand);
  auto type = dyn_cast<MemRefType>(operand->get().getType());
  if (!type || type.getNumElements() != F || !isDenseF32(operand->get()))
    return false;
  int channels = 0;
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (auto dim = dyn_cast<AffineDimExpr>(e)) {
      if (dim.getPosition() != 1 || type.getDimSize(i) != F)
        return false;
      ++channels;
    } else if (auto cst = dyn_cast<AffineConstantExpr>(e)) {
      if (cst.getValue() != 0)
        return false;
    } else {
      return false;
    }
  }
  return channels == 1;
}

/// Makes `v` available before `point` (same block), moving its defining op
/// and, recursively, theirs up if they are free of side effects (views,
/// constants, get_global) or operand-less allocations.
bool hoistBefore(Value v, Operation *point, PatternRewriter &rewriter) {
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != point->getBlock() ||
      def->isBeforeInBlock(point))
    return true;
  if (def == point || def->getNumRegions() ||
      !(isMemoryEffectFree(def) ||
        (isa<memref::AllocOp>(def) && def->getNumOperands() == 0)))
    return false;
  for (Value operand : def->getOperands())
    if (!hoistBefore(operand, point, rewriter))
      return false;
  rewriter.moveOpBefore(def, point);
  return true;
}

} // namespace

bool cambrian::x86::mayBeWrittenBetween(Operation *from, Operation *to,
                                        Value buffer) {
  return accessedBetween(from, to, buffer, /*anyUse=*/false);
}

void cambrian::x86::foldInputPadding(Operation *conv, ConvCall &call) {
  Value x = call.x;
  auto alloc = x.getDefiningOp<memref::AllocOp>();
  if (!alloc || alloc->getBlock() != conv->getBlock())
    return;
  Operation *init = nullptr;
  memref::SubViewOp interior;
  for (Operation *user : x.getUsers()) {
    if (user == conv)
      continue;
    if (!init && isZeroInit(user, x)) {
      init = user;
      continue;
    }
    if (auto sv = dyn_cast<memref::SubViewOp>(user); sv && !interior) {
      interior = sv;
      continue;
    }
    return; // another reader or writer
  }
  if (!init || !interior || !interior->hasOneUse())
    return;
  auto copy = dyn_cast<memref::CopyOp>(*interior->getUsers().begin());
  if (!copy || copy.getTarget() != interior.getResult())
    return;
  Value src = copy.getSource();
  auto srcType = cast<MemRefType>(src.getType());
  auto xType = cast<MemRefType>(x.getType());
  if (!isDenseF32(src) || srcType.getRank() != 4 ||
      srcType.getDimSize(0) != xType.getDimSize(0) ||
      srcType.getDimSize(1) != xType.getDimSize(1))
    return;
  ArrayRef<int64_t> offsets = interior.getStaticOffsets();
  if (llvm::any_of(offsets, ShapedType::isDynamic) || offsets[0] != 0 ||
      offsets[1] != 0 ||
      !llvm::all_of(interior.getStaticStrides(),
                    [](int64_t s) { return s == 1; }))
    return;
  // The fill must precede the copy, which must precede the conv, with the
  // source unchanged in between.
  if (init->getBlock() != conv->getBlock() ||
      copy->getBlock() != conv->getBlock() || !init->isBeforeInBlock(copy) ||
      !copy->isBeforeInBlock(conv) || mayBeWrittenBetween(copy, conv, src))
    return;

  call.x = src;
  call.params[CMB_CONV_H] = srcType.getDimSize(2);
  call.params[CMB_CONV_W] = srcType.getDimSize(3);
  call.params[CMB_CONV_PAD_TOP] = offsets[2];
  call.params[CMB_CONV_PAD_LEFT] = offsets[3];
  call.deadAfter.append({copy, interior, init, alloc});
}

namespace {

/// Folds one elementwise generic that reads `call.y` into the call; see
/// foldEpilogue.
bool foldOneEpilogueOp(Operation *conv, ConvCall &call,
                       PatternRewriter &rewriter) {
  Value y = call.y;
  // The first op after the conv that accesses y must be the generic.
  Operation *next = conv->getNextNode();
  Value yRoot = rootBuffer(y);
  while (next && (llvm::is_contained(call.deadAfter, next) ||
                  !touches(next, yRoot, /*anyUse=*/true)))
    next = next->getNextNode();
  auto g = dyn_cast_or_null<linalg::GenericOp>(next);
  if (!g || !g.hasPureBufferSemantics() || g.getNumDpsInits() != 1 ||
      g.getNumLoops() != 4 || g.getNumParallelLoops() != 4)
    return false;
  OpOperand *out = g.getDpsInitOperand(0);
  Value z = out->get();
  if (!g.getMatchingIndexingMap(out).isIdentity() || z.getType() != y.getType() ||
      !isDenseF32(z) || g.payloadUsesValueFromOperand(out))
    return false;

  // In place (z is y), or into a buffer of its own while y dies.
  bool inPlace = z == y;
  if (!inPlace) {
    auto alloc = y.getDefiningOp<memref::AllocOp>();
    if (!alloc || llvm::any_of(y.getUsers(), [&](Operation *u) {
          return u != conv && u != g;
        }))
      return false;
    Value zRoot = rootBuffer(z);
    if (zRoot == yRoot || zRoot == rootBuffer(call.x) ||
        zRoot == rootBuffer(call.w) ||
        accessedBetween(conv, g, z, /*anyUse=*/true))
      return false;
  }

  // Operands: y once (identity), at most one per-channel bias, at most one
  // residual (a whole tensor shaped like y), scalars.
  const int64_t F = call.params[CMB_CONV_F];
  BlockArgument yArg, biasArg, resArg;
  Value bias, residual;
  for (OpOperand *in : g.getDpsInputOperands()) {
    BlockArgument arg = g.getMatchingBlockArgument(in);
    Value v = in->get();
    bool identity = g.getMatchingIndexingMap(in).isIdentity();
    if (v == y) {
      if (yArg || !identity)
        return false;
      yArg = arg;
    } else if (!bias && isPerChannel(in, g, F)) {
      bias = v;
      biasArg = arg;
    } else if (!residual && identity && v.getType() == y.getType() &&
               isDenseF32(v)) {
      residual = v;
      resArg = arg;
    } else if (!scalarConstant(arg, g)) {
      return false;
    }
  }
  if (!yArg)
    return false;

  // Body: yield act(sum of y, and maybe bias and residual).
  auto yield = cast<linalg::YieldOp>(g.getBody()->getTerminator());
  if (yield.getNumOperands() != 1)
    return false;
  Value v = yield.getOperand(0);
  int64_t act = CMB_CONV_ACT_NONE;
  if (Value a = matchWithConstant<arith::MinimumFOp>(v, 6.0, g)) {
    Value b = matchWithConstant<arith::MaximumFOp>(a, 0.0, g);
    if (!b)
      return false;
    act = CMB_CONV_ACT_RELU6;
    v = b;
  } else if (Value b = matchWithConstant<arith::MaximumFOp>(v, 0.0, g)) {
    act = CMB_CONV_ACT_RELU;
    v = b;
  }
  SmallVector<Value> leaves;
  SmallVector<Value> work = {v};
  while (!work.empty()) {
    Value t = work.pop_back_val();
    auto add = t.getDefiningOp<arith::AddFOp>();
    if (add && add->getBlock() == g.getBody()) {
      work.append({add.getLhs(), add.getRhs()});
      continue;
    }
    leaves.push_back(t);
  }
  bool withY = false, withBias = false, withResidual = false;
  for (Value leaf : leaves) {
    bool *seen = leaf == yArg                 ? &withY
                 : biasArg && leaf == biasArg ? &withBias
                 : resArg && leaf == resArg   ? &withResidual
                                              : nullptr;
    if (!seen || *seen)
      return false;
    *seen = true;
  }
  // The kernel computes act(old + conv + bias): one bias, one residual
  // (as the old content of the output), then one activation.
  if (!withY || (!withBias && !withResidual && act == CMB_CONV_ACT_NONE) ||
      (withBias && call.bias) || (withResidual && call.params[CMB_CONV_ACCUMULATE]) ||
      call.params[CMB_CONV_ACTIVATION] != CMB_CONV_ACT_NONE)
    return false;

  // With a residual, the call accumulates into the residual's buffer: it
  // must be a buffer of the model's own, untouched between the conv and the
  // generic, and either the generic's output or dead after it (then the
  // generic's output, a fresh buffer, is replaced by it).
  Value dest = z;
  bool replaceZ = false;
  if (withResidual) {
    if (inPlace || !residual.getDefiningOp<memref::AllocOp>() ||
        residual == rootBuffer(call.x) || residual == rootBuffer(call.w) ||
        accessedBetween(conv, g, residual, /*anyUse=*/true))
      return false;
    if (z != residual) {
      if (!z.getDefiningOp<memref::AllocOp>())
        return false;
      for (Operation *u : residual.getUsers())
        if (u != g && (u->getBlock() != g->getBlock() || g->isBeforeInBlock(u)))
          return false;
      for (Operation *u : z.getUsers())
        if (u != g && (u->getBlock() != g->getBlock() || !g->isBeforeInBlock(u)))
          return false;
      replaceZ = true;
    }
    dest = residual;
  }

  // The call writes its output and reads the bias where the conv is: a
  // fresh buffer allocated for the generic, or a view of the bias, moves up.
  if (!hoistBefore(dest, conv, rewriter) ||
      (withBias && !hoistBefore(bias, conv, rewriter)))
    return false;
  if (withBias)
    call.bias = bias;
  if (withResidual)
    call.params[CMB_CONV_ACCUMULATE] = 1;
  if (act != CMB_CONV_ACT_NONE)
    call.params[CMB_CONV_ACTIVATION] = act;
  call.y = dest;
  if (replaceZ)
    rewriter.replaceUsesWithIf(z, residual, [&](OpOperand &use) {
      return use.getOwner() != g;
    });
  // Erased in order: the generic first, then the buffers that died.
  call.deadAfter.push_back(g);
  if (!inPlace)
    call.deadAfter.push_back(y.getDefiningOp());
  if (replaceZ)
    call.deadAfter.push_back(z.getDefiningOp());
  return true;
}

} // namespace

void cambrian::x86::foldEpilogue(Operation *conv, ConvCall &call,
                                 PatternRewriter &rewriter) {
  // Accumulating into y would need y's old content where the result goes.
  if (call.params[CMB_CONV_ACCUMULATE])
    return;
  while (foldOneEpilogueOp(conv, call, rewriter)) {
  }
}
