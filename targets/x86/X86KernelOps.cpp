//===- X86KernelOps.cpp - x86 kernel-call ops -----------------------------===//
//
// Verifiers, memory effects and bufferization of the kernel ops. All of
// them are destination-style: the last operand is what the kernel writes,
// every other operand is read.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/X86KernelOps.h"
#include "targets/x86/runtime/Int8Kernels.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::bufferization;
using namespace cambrian::x86;

//===----------------------------------------------------------------------===//
// Shared by every kernel op
//===----------------------------------------------------------------------===//

/// Operands all tensors (with one result) or all memrefs (with none), of
/// static shapes: the kernels take extents as constants.
static LogicalResult verifyKernelOperands(Operation *op) {
  bool tensors = isa<RankedTensorType>(op->getOperand(0).getType());
  for (Type t : op->getOperandTypes()) {
    if (isa<RankedTensorType>(t) != tensors)
      return op->emitOpError() << "needs all operands tensors or all memrefs";
    if (!cast<ShapedType>(t).hasStaticShape())
      return op->emitOpError() << "needs static shapes";
  }
  return success();
}

/// Reads of the inputs and a write of the destination, on memrefs; on
/// tensors the op has no effect (it is removed when its result is unused).
static void
kernelEffects(Operation *op,
              SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
                  &effects) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (dps.isDpsInit(&operand))
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
    else
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

/// The same op on the buffers of its operands; the destination's buffer
/// (in place, or a new one where the analysis decided so) is the result.
static LogicalResult bufferizeKernel(Operation *op, RewriterBase &rewriter,
                                     const BufferizationOptions &options,
                                     BufferizationState &state) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  if (dps.hasPureBufferSemantics())
    return success();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  SmallVector<Value> buffers;
  for (Value v : op->getOperands()) {
    FailureOr<Value> buffer = getBuffer(rewriter, v, options, state);
    if (failed(buffer))
      return failure();
    buffers.push_back(*buffer);
  }
  OperationState memrefOp(op->getLoc(), op->getName());
  memrefOp.addOperands(buffers);
  memrefOp.propertiesAttr = op->getPropertiesAsAttribute();
  memrefOp.addAttributes(llvm::to_vector(op->getDiscardableAttrs()));
  rewriter.create(memrefOp);
  SmallVector<Value> results;
  for (OpOperand &init : dps.getDpsInitsMutable())
    results.push_back(buffers[init.getOperandNumber()]);
  replaceOpWithBufferizedValues(rewriter, op, results);
  return success();
}

/// The interface methods every kernel op forwards to the functions above.
#define X86_KERNEL_OP_METHODS(OpTy)                                            \
  void OpTy::getEffects(                                                       \
      SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>      \
          &effects) {                                                          \
    kernelEffects(*this, effects);                                             \
  }                                                                            \
  bool OpTy::bufferizesToMemoryRead(OpOperand &operand,                        \
                                    const AnalysisState &) {                   \
    /* Most kernels overwrite their destination without reading it. */       \
    return !isDpsInit(&operand) || readsOutput();                              \
  }                                                                            \
  bool OpTy::bufferizesToMemoryWrite(OpOperand &operand,                       \
                                     const AnalysisState &) {                  \
    return isDpsInit(&operand);                                                \
  }                                                                            \
  AliasingValueList OpTy::getAliasingValues(OpOperand &operand,                \
                                            const AnalysisState &) {           \
    if (!isDpsInit(&operand))                                                  \
      return {};                                                               \
    return {{getTiedOpResult(&operand), BufferRelation::Equivalent}};          \
  }                                                                            \
  LogicalResult OpTy::bufferize(RewriterBase &rewriter,                        \
                                const BufferizationOptions &options,           \
                                BufferizationState &state) {                   \
    return bufferizeKernel(*this, rewriter, options, state);                   \
  }

X86_KERNEL_OP_METHODS(Conv2dOp)
X86_KERNEL_OP_METHODS(MatmulOp)
X86_KERNEL_OP_METHODS(SoftmaxOp)
X86_KERNEL_OP_METHODS(LayerNormOp)
X86_KERNEL_OP_METHODS(MaxPool2dOp)
X86_KERNEL_OP_METHODS(QConv2dOp)
X86_KERNEL_OP_METHODS(QGemmOp)

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

/// The number of elements of the static shaped `v`.
static int64_t numElements(Value v) {
  return cast<ShapedType>(v.getType()).getNumElements();
}

/// One window attribute of a 2-D kernel op: its name, its values and the
/// least each may be.
struct WindowField {
  const char *name;
  ArrayRef<int64_t> values;
  int64_t least;
};

/// Each field has two values (one per spatial dimension), none below its
/// least.
static LogicalResult verifyWindow(Operation *op,
                                  std::initializer_list<WindowField> fields) {
  for (const WindowField &f : fields) {
    if (f.values.size() != 2)
      return op->emitOpError() << f.name << " needs 2 values, one per spatial "
                               << "dimension";
    if (llvm::any_of(f.values, [&](int64_t v) { return v < f.least; }))
      return op->emitOpError() << f.name << " must be at least " << f.least;
  }
  return success();
}

LogicalResult Conv2dOp::verify() {
  if (failed(verifyKernelOperands(*this)))
    return failure();
  auto xs = cast<ShapedType>(getInput().getType()).getShape(),
       ws = cast<ShapedType>(getFilter().getType()).getShape(),
       ys = cast<ShapedType>(getOutput().getType()).getShape();
  if (xs.size() != 4 || ws.size() != 4 || ys.size() != 4)
    return emitOpError() << "needs NCHW input, FCHW filter and NCHW output";
  int64_t groups = getGroups();
  if (groups < 1 || xs[1] % groups != 0 || ws[0] % groups != 0 ||
      ws[1] * groups != xs[1])
    return emitOpError() << "needs C and F divisible by " << groups
                         << " groups, with C / groups filter channels";
  if (xs[0] != ys[0] || ws[0] != ys[1])
    return emitOpError() << "needs the input's N and the filter's F for "
                         << "its output";
  if (failed(verifyWindow(*this, {{"strides", getStrides(), 1},
                                  {"dilations", getDilations(), 1},
                                  {"padding", getPadding(), 0}})))
    return failure();
  if (getBias() && numElements(getBias()) != ws[0])
    return emitOpError() << "needs " << ws[0]
                         << " bias elements, one per filter";
  return success();
}

LogicalResult MatmulOp::verify() {
  if (failed(verifyKernelOperands(*this)))
    return failure();
  auto as = cast<ShapedType>(getLhs().getType()).getShape(),
       bs = cast<ShapedType>(getRhs().getType()).getShape(),
       ys = cast<ShapedType>(getOutput().getType()).getShape();
  if (as.size() != bs.size() || as.size() != ys.size() || as.size() < 2 ||
      as.size() > 3)
    return emitOpError() << "needs operands all of rank 2 or all of rank 3";
  if (as.size() == 3 && (as[0] != bs[0] || as[0] != ys[0]))
    return emitOpError() << "needs one batch size";
  int64_t r = as.size();
  if (as[r - 1] != bs[r - 2] || ys[r - 2] != as[r - 2] ||
      ys[r - 1] != bs[r - 1])
    return emitOpError() << "needs lhs M x K, rhs K x N and output M x N";
  if (getBias() && numElements(getBias()) != ys[r - 1])
    return emitOpError() << "needs " << ys[r - 1]
                         << " bias elements, one per column";
  return success();
}

LogicalResult SoftmaxOp::verify() {
  if (failed(verifyKernelOperands(*this)))
    return failure();
  auto x = cast<ShapedType>(getInput().getType());
  if (x.getRank() < 1)
    return emitOpError() << "needs a rank of at least 1";
  if (x.getShape() != cast<ShapedType>(getOutput().getType()).getShape())
    return emitOpError() << "needs the input's shape for its output";
  return success();
}

LogicalResult LayerNormOp::verify() {
  if (failed(verifyKernelOperands(*this)))
    return failure();
  auto x = cast<ShapedType>(getInput().getType());
  if (x.getShape() != cast<ShapedType>(getOutput().getType()).getShape())
    return emitOpError() << "needs the input's shape for its output";
  int64_t axis = getAxis();
  if (axis < 0 || axis >= x.getRank())
    return emitOpError() << "axis " << axis << " is not a dimension of a rank "
                         << x.getRank() << " input";
  int64_t cols = 1;
  for (int64_t d : x.getShape().drop_front(axis))
    cols *= d;
  if (numElements(getScale()) != cols)
    return emitOpError() << "needs " << cols << " scale elements, one per "
                         << "normalized position";
  if (getBias() && numElements(getBias()) != cols)
    return emitOpError() << "needs " << cols << " bias elements, one per "
                         << "normalized position";
  return success();
}

LogicalResult MaxPool2dOp::verify() {
  if (failed(verifyKernelOperands(*this)))
    return failure();
  auto xs = cast<ShapedType>(getInput().getType()).getShape();
  auto ys = cast<ShapedType>(getOutput().getType()).getShape();
  if (xs.size() != 4 || ys.size() != 4)
    return emitOpError() << "needs NCHW input and output";
  if (xs[0] != ys[0] || xs[1] != ys[1])
    return emitOpError() << "needs the input's N and C for its output";
  if (failed(verifyWindow(*this, {{"kernel", getKernel(), 1},
                                  {"strides", getStrides(), 1},
                                  {"dilations", getDilations(), 1},
                                  {"padding", getPadding(), 0}})))
    return failure();
  return success();
}

#define GET_OP_CLASSES
#include "targets/x86/X86KernelOps.cpp.inc"

LogicalResult QConv2dOp::verify() {
  if (getParams().size() != CMB_QCONV_NUM_PARAMS)
    return emitOpError() << "needs " << CMB_QCONV_NUM_PARAMS
                         << " parameters, got " << getParams().size();
  ArrayRef<int64_t> p = getParams();
  auto shape = [](Value v) { return cast<ShapedType>(v.getType()).getShape(); };
  ArrayRef<int64_t> x = shape(getInput()), y = shape(getOutput());
  if (x.size() != 4 || y.size() != 4 ||
      ArrayRef<int64_t>{p[CMB_QCONV_N], p[CMB_QCONV_C], p[CMB_QCONV_H],
                        p[CMB_QCONV_W]} != x ||
      ArrayRef<int64_t>{p[CMB_QCONV_N], p[CMB_QCONV_F], p[CMB_QCONV_OH],
                        p[CMB_QCONV_OW]} != y)
    return emitOpError() << "input and output shapes differ from the "
                         << "parameter block";
  bool depthwise = getDepthwise();
  if (depthwise != (p[CMB_QCONV_GROUPS] != 1))
    return emitOpError() << "groups must be 1, or C == F for a depthwise "
                         << "convolution";
  return success();
}

LogicalResult QGemmOp::verify() {
  if (getParams().size() != CMB_QGEMM_NUM_PARAMS)
    return emitOpError() << "needs " << CMB_QGEMM_NUM_PARAMS
                         << " parameters, got " << getParams().size();
  ArrayRef<int64_t> p = getParams();
  auto shape = [](Value v) { return cast<ShapedType>(v.getType()).getShape(); };
  ArrayRef<int64_t> a = shape(getLhs()), c = shape(getOutput());
  if (a.size() != 2 || c.size() != 2 || a[0] != p[CMB_QGEMM_M] ||
      a[1] != p[CMB_QGEMM_K] || c[0] != p[CMB_QGEMM_M] ||
      c[1] != p[CMB_QGEMM_N])
    return emitOpError() << "operand shapes differ from the parameter block";
  return success();
}
