//===- KernelCall.cpp - Building calls of the x86 kernel library ----------===//

#include "targets/x86/KernelCall.h"
#include "targets/x86/runtime/Kernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

FailureOr<SmallVector<int64_t>> cambrian::x86::staticStrides(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32())
    return failure();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return failure();
  if (llvm::any_of(strides, ShapedType::isDynamic))
    return failure();
  return strides;
}

bool cambrian::x86::isDenseRowMajor(Value v) {
  auto s = staticStrides(v);
  if (failed(s))
    return false;
  auto shape = cast<MemRefType>(v.getType()).getShape();
  int64_t expect = 1;
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    if (shape[d] != 1 && (*s)[d] != expect)
      return false;
    expect *= shape[d];
  }
  return true;
}

ArrayRef<int64_t> cambrian::x86::shapeOf(Value v) {
  return cast<MemRefType>(v.getType()).getShape();
}

Value cambrian::x86::elementPointer(OpBuilder &b, Location loc, Value v) {
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, v);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(
      b, loc, meta.getBaseBuffer());
  Value offset = meta.getOffset();
  Value bytes = arith::MulIOp::create(
      b, loc, offset, arith::ConstantIndexOp::create(b, loc, 4));
  Value addr = arith::AddIOp::create(b, loc, base, bytes);
  Value i64 = arith::IndexCastOp::create(b, loc, b.getI64Type(), addr);
  return LLVM::IntToPtrOp::create(b, loc, LLVM::LLVMPointerType::get(b.getContext()),
                                  i64);
}

Value cambrian::x86::i64Const(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(v));
}

void cambrian::x86::declareKernel(Operation *anchor, StringRef name, TypeRange argTypes) {
  auto module = anchor->getParentOfType<ModuleOp>();
  if (module.lookupSymbol(name))
    return;
  OpBuilder b(module.getBodyRegion());
  auto fn = func::FuncOp::create(b, module.getLoc(), name,
                                 b.getFunctionType(argTypes, {}));
  fn.setPrivate();
}

bool cambrian::x86::foldFill(Operation *op, Value out, PatternRewriter &rewriter,
              llvm::function_ref<bool(const APFloat &)> accept) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev);
        fill && fill.getOutputs()[0] == out) {
      if (!isConstantInit(fill, out, accept))
        return false;
      rewriter.eraseOp(fill);
      return true;
    }
    if (llvm::is_contained(prev->getOperands(), out))
      return false;
  }
  return false;
}

bool cambrian::x86::foldZeroFill(Operation *op, Value out, PatternRewriter &rewriter) {
  return foldFill(op, out, rewriter,
                  [](const APFloat &v) { return v.isZero(); });
}

Value cambrian::x86::parameterBlock(Operation *op, StringRef prefix, ArrayRef<int64_t> params,
                     PatternRewriter &rewriter) {
  auto module = op->getParentOfType<ModuleOp>();
  Location loc = op->getLoc();
  std::string name = prefix.str();
  for (int64_t p : params)
    name += "_" + std::to_string(p);
  const int64_t n = params.size();
  auto type = MemRefType::get({n}, rewriter.getI64Type());
  if (!module.lookupSymbol(name)) {
    OpBuilder mb(module.getBodyRegion());
    auto init = DenseIntElementsAttr::get(
        RankedTensorType::get({n}, rewriter.getI64Type()), params);
    memref::GlobalOp::create(mb, loc, name, mb.getStringAttr("private"), type,
                             init, /*constant=*/true, /*alignment=*/nullptr);
  }
  Value block = memref::GetGlobalOp::create(rewriter, loc, type, name);
  Value blockIdx =
      memref::ExtractAlignedPointerAsIndexOp::create(rewriter, loc, block);
  Value blockInt =
      arith::IndexCastOp::create(rewriter, loc, rewriter.getI64Type(), blockIdx);
  return LLVM::IntToPtrOp::create(
      rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext()),
      blockInt);
}

Value cambrian::x86::rootBuffer(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>())
    v = view.getViewSource();
  return v;
}

bool cambrian::x86::isConstantInit(
    Operation *op, Value buffer,
    llvm::function_ref<bool(const APFloat &)> accept) {
  Value value;
  if (auto fill = dyn_cast<linalg::FillOp>(op)) {
    if (fill.getOutputs()[0] != buffer)
      return false;
    value = fill.getInputs()[0];
  } else if (auto map = dyn_cast<linalg::MapOp>(op)) {
    if (!map.getInputs().empty() || map.getInit() != buffer)
      return false;
    auto yield = cast<linalg::YieldOp>(map.getMapper().front().getTerminator());
    if (yield.getNumOperands() != 1)
      return false;
    value = yield.getOperand(0);
  } else {
    return false;
  }
  APFloat v(0.0f);
  return matchPattern(value, m_ConstantFloat(&v)) && accept(v);
}

/// A new dense buffer of the shape and element type of `v`.
static Value denseAlloc(OpBuilder &b, Location loc, Value v) {
  auto type = cast<MemRefType>(v.getType());
  return memref::AllocOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()));
}

cambrian::x86::DenseOperands::DenseOperands(OpBuilder &b, Location loc,
                                            Value output)
    : b(b), loc(loc), original(output), dense(output) {
  if (!isDenseRowMajor(output))
    dense = denseAlloc(b, loc, output);
}

Value cambrian::x86::DenseOperands::input(Value v) {
  if (isDenseRowMajor(v))
    return v;
  Value copy = denseAlloc(b, loc, v);
  memref::CopyOp::create(b, loc, v, copy);
  return copy;
}

void cambrian::x86::DenseOperands::finish() {
  if (dense != original)
    memref::CopyOp::create(b, loc, dense, original);
}

std::optional<cambrian::x86::KernelActivation>
cambrian::x86::kernelActivation(cmb::ActivationAttr act) {
  using cmb::ActivationKind;
  if (!act)
    return KernelActivation{};
  float alpha = act.getAlphaF32(), beta = act.getBetaF32();
  switch (act.getKind()) {
  case ActivationKind::None:
    return KernelActivation{};
  case ActivationKind::Relu:
    return KernelActivation{CMB_CONV_ACT_RELU};
  case ActivationKind::Clip:
    if (alpha == 0.0f && beta == 6.0f)
      return KernelActivation{CMB_CONV_ACT_RELU6};
    return std::nullopt;
  case ActivationKind::LeakyRelu:
    return KernelActivation{CMB_CONV_ACT_LEAKY_RELU, alpha};
  case ActivationKind::HardSigmoid:
    return KernelActivation{CMB_CONV_ACT_HARDSIGMOID, alpha, beta};
  case ActivationKind::HardSwish:
    // ONNX's HardSwish is x * HardSigmoid(x) with alpha 1/6, beta 1/2.
    return KernelActivation{CMB_CONV_ACT_HARDSWISH, (float)(1.0 / 6.0), 0.5f};
  case ActivationKind::Sigmoid:
    return KernelActivation{CMB_CONV_ACT_SIGMOID};
  case ActivationKind::Silu:
    return KernelActivation{CMB_CONV_ACT_SILU};
  case ActivationKind::Tanh:
    return KernelActivation{CMB_CONV_ACT_TANH};
  case ActivationKind::GeluErf:
    return KernelActivation{CMB_CONV_ACT_GELU};
  case ActivationKind::GeluTanh:
    return KernelActivation{CMB_CONV_ACT_GELU_TANH};
  case ActivationKind::Elu:
    return std::nullopt;
  }
  return std::nullopt;
}
