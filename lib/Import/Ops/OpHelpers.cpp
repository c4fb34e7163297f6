//===- OpHelpers.cpp - Pieces shared by the ONNX op handlers --------------===//

#include "lib/Import/Ops/OpHelpers.h"
#include "dialects/Cambrian/Utils/Activation.h"

#include "onnx/onnx_pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/FoldUtils.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace cambrian::onnx_import;

bool cambrian::onnx_import::isComparison(BinaryKind k) {
  switch (k) {
  case BinaryKind::Equal: case BinaryKind::Less: case BinaryKind::LessOrEqual:
  case BinaryKind::Greater: case BinaryKind::GreaterOrEqual:
    return true;
  default:
    return false;
  }
}

Value cambrian::onnx_import::scalarConstant(OpBuilder &b, Location loc,
                                            int32_t type, double v) {
  Type t = mlirElementType(b.getContext(), type);
  if (isa<FloatType>(t))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(t, v));
  if (t.isInteger(1))
    return arith::ConstantOp::create(b, loc, b.getBoolAttr(v != 0));
  return arith::ConstantOp::create(b, loc,
                                   b.getIntegerAttr(t, static_cast<int64_t>(v)));
}

Value cambrian::onnx_import::emitBinary(OpBuilder &b, Location loc,
                                        BinaryKind kind, Value x, Value y,
                                        int32_t type) {
  bool isFloat = isFloatType(type);
  bool isUnsigned = isUnsignedType(type);
  using P = arith::CmpIPredicate;
  using F = arith::CmpFPredicate;
  auto cmp = [&](F f, P s, P u) -> Value {
    if (isFloat)
      return arith::CmpFOp::create(b, loc, f, x, y);
    return arith::CmpIOp::create(b, loc, isUnsigned ? u : s, x, y);
  };
  switch (kind) {
  case BinaryKind::Add:
    return isFloat ? (Value)arith::AddFOp::create(b, loc, x, y)
                   : (Value)arith::AddIOp::create(b, loc, x, y);
  case BinaryKind::Sub:
    return isFloat ? (Value)arith::SubFOp::create(b, loc, x, y)
                   : (Value)arith::SubIOp::create(b, loc, x, y);
  case BinaryKind::Mul:
    return isFloat ? (Value)arith::MulFOp::create(b, loc, x, y)
                   : (Value)arith::MulIOp::create(b, loc, x, y);
  case BinaryKind::Div:
    if (isFloat)
      return arith::DivFOp::create(b, loc, x, y);
    return isUnsigned ? (Value)arith::DivUIOp::create(b, loc, x, y)
                      : (Value)arith::DivSIOp::create(b, loc, x, y);
  case BinaryKind::Pow:
    if (isFloat)
      return math::PowFOp::create(b, loc, x, y);
    return math::IPowIOp::create(b, loc, x, y);
  case BinaryKind::Max:
    if (isFloat)
      return arith::MaximumFOp::create(b, loc, x, y);
    return isUnsigned ? (Value)arith::MaxUIOp::create(b, loc, x, y)
                      : (Value)arith::MaxSIOp::create(b, loc, x, y);
  case BinaryKind::Min:
    if (isFloat)
      return arith::MinimumFOp::create(b, loc, x, y);
    return isUnsigned ? (Value)arith::MinUIOp::create(b, loc, x, y)
                      : (Value)arith::MinSIOp::create(b, loc, x, y);
  case BinaryKind::FMod:
    if (isFloat)
      return arith::RemFOp::create(b, loc, x, y);
    return isUnsigned ? (Value)arith::RemUIOp::create(b, loc, x, y)
                      : (Value)arith::RemSIOp::create(b, loc, x, y);
  case BinaryKind::Mod: {
    if (isUnsigned)
      return arith::RemUIOp::create(b, loc, x, y);
    // Python-style: the result takes the divisor's sign.
    Value r = isFloat ? (Value)arith::RemFOp::create(b, loc, x, y)
                      : (Value)arith::RemSIOp::create(b, loc, x, y);
    Value zero = scalarConstant(b, loc, type, 0);
    Value rNeg, yNeg, rNonZero;
    if (isFloat) {
      rNeg = arith::CmpFOp::create(b, loc, F::OLT, r, zero);
      yNeg = arith::CmpFOp::create(b, loc, F::OLT, y, zero);
      rNonZero = arith::CmpFOp::create(b, loc, F::ONE, r, zero);
    } else {
      rNeg = arith::CmpIOp::create(b, loc, P::slt, r, zero);
      yNeg = arith::CmpIOp::create(b, loc, P::slt, y, zero);
      rNonZero = arith::CmpIOp::create(b, loc, P::ne, r, zero);
    }
    Value signsDiffer = arith::XOrIOp::create(b, loc, rNeg, yNeg);
    Value fix = arith::AndIOp::create(b, loc, signsDiffer, rNonZero);
    Value adjusted = isFloat ? (Value)arith::AddFOp::create(b, loc, r, y)
                             : (Value)arith::AddIOp::create(b, loc, r, y);
    return arith::SelectOp::create(b, loc, fix, adjusted, r);
  }
  case BinaryKind::Equal:
    return cmp(F::OEQ, P::eq, P::eq);
  case BinaryKind::Less:
    return cmp(F::OLT, P::slt, P::ult);
  case BinaryKind::LessOrEqual:
    return cmp(F::OLE, P::sle, P::ule);
  case BinaryKind::Greater:
    return cmp(F::OGT, P::sgt, P::ugt);
  case BinaryKind::GreaterOrEqual:
    return cmp(F::OGE, P::sge, P::uge);
  case BinaryKind::And:
  case BinaryKind::BitAnd:
    return arith::AndIOp::create(b, loc, x, y);
  case BinaryKind::Or:
  case BinaryKind::BitOr:
    return arith::OrIOp::create(b, loc, x, y);
  case BinaryKind::Xor:
  case BinaryKind::BitXor:
    return arith::XOrIOp::create(b, loc, x, y);
  case BinaryKind::BitShiftLeft:
    return arith::ShLIOp::create(b, loc, x, y);
  case BinaryKind::BitShiftRight:
    return arith::ShRUIOp::create(b, loc, x, y);
  }
  llvm_unreachable("unknown binary kind");
}

/// Row-major index into a tensor of `shape` broadcast to `out`.
static int64_t broadcastIndex(int64_t flat, ArrayRef<int64_t> out,
                              ArrayRef<int64_t> shape) {
  int64_t idx = 0, stride = 1;
  for (int64_t d = out.size() - 1, s = shape.size() - 1; d >= 0; --d) {
    int64_t coord = flat % out[d];
    flat /= out[d];
    if (s >= 0) {
      if (shape[s] != 1)
        idx += coord * stride;
      stride *= shape[s];
      --s;
    }
  }
  return idx;
}

HostTensor cambrian::onnx_import::foldBinary(BinaryKind kind,
                                             const HostTensor &a,
                                             const HostTensor &b,
                                             ArrayRef<int64_t> shape) {
  int32_t type = a.type();
  HostTensor r(isComparison(kind) ? kBool : type, shape);
  bool isFloat = isFloatType(type);
  for (int64_t i = 0, n = numElements(shape); i < n; ++i) {
    int64_t ia = broadcastIndex(i, shape, a.shape());
    int64_t ib = broadcastIndex(i, shape, b.shape());
    if (isFloat) {
      double x = a.getDouble(ia), y = b.getDouble(ib), v = 0;
      switch (kind) {
      case BinaryKind::Add: v = x + y; break;
      case BinaryKind::Sub: v = x - y; break;
      case BinaryKind::Mul: v = x * y; break;
      case BinaryKind::Div: v = x / y; break;
      case BinaryKind::Pow: v = std::pow(x, y); break;
      case BinaryKind::Max: v = std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y); break;
      case BinaryKind::Min: v = std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y); break;
      case BinaryKind::FMod: v = std::fmod(x, y); break;
      case BinaryKind::Mod: v = x - y * std::floor(x / y); break;
      case BinaryKind::Equal: v = x == y; break;
      case BinaryKind::Less: v = x < y; break;
      case BinaryKind::LessOrEqual: v = x <= y; break;
      case BinaryKind::Greater: v = x > y; break;
      case BinaryKind::GreaterOrEqual: v = x >= y; break;
      default: break;
      }
      r.setDouble(i, v);
    } else {
      int64_t x = a.getInt(ia), y = b.getInt(ib), v = 0;
      switch (kind) {
      case BinaryKind::Add: v = x + y; break;
      case BinaryKind::Sub: v = x - y; break;
      case BinaryKind::Mul: v = x * y; break;
      case BinaryKind::Div: v = y == 0 ? 0 : x / y; break;
      case BinaryKind::Pow: { v = 1; for (int64_t k = 0; k < y; ++k) v *= x; break; }
      case BinaryKind::Max: v = std::max(x, y); break;
      case BinaryKind::Min: v = std::min(x, y); break;
      case BinaryKind::FMod: v = y == 0 ? 0 : x % y; break;
      case BinaryKind::Mod: v = y == 0 ? 0 : ((x % y) + y) % y; if (y < 0 && v > 0) v += y; break;
      case BinaryKind::Equal: v = x == y; break;
      case BinaryKind::Less: v = x < y; break;
      case BinaryKind::LessOrEqual: v = x <= y; break;
      case BinaryKind::Greater: v = x > y; break;
      case BinaryKind::GreaterOrEqual: v = x >= y; break;
      case BinaryKind::And: v = x && y; break;
      case BinaryKind::Or: v = x || y; break;
      case BinaryKind::Xor: v = (x != 0) != (y != 0); break;
      case BinaryKind::BitShiftLeft: v = x << y; break;
      case BinaryKind::BitShiftRight: v = (int64_t)((uint64_t)x >> y); break;
      case BinaryKind::BitAnd: v = x & y; break;
      case BinaryKind::BitOr: v = x | y; break;
      case BinaryKind::BitXor: v = x ^ y; break;
      }
      r.setInt(i, v);
    }
  }
  return r;
}

LogicalResult cambrian::onnx_import::importBinary(NodeContext &nc,
                                                  BinaryKind kind) {
  unsigned n = nc.numInputs();
  if (n == 0)
    return nc.emitError() << "needs at least one input";
  int32_t type = nc.inputType(0);
  if (!mlirElementType(nc.context(), type))
    return nc.emitError() << "unsupported element type " << onnxTypeName(type);
  bool logical = kind == BinaryKind::And || kind == BinaryKind::Or ||
                 kind == BinaryKind::Xor;
  if (logical && type != kBool)
    return nc.emitError() << "expects bool inputs, got " << onnxTypeName(type);
  for (unsigned i = 1; i < n; ++i)
    if (kind != BinaryKind::Pow && nc.inputType(i) != type)
      return nc.emitError() << "input " << i << " has element type "
                            << onnxTypeName(nc.inputType(i))
                            << " but input 0 has " << onnxTypeName(type);
  SmallVector<int64_t> shape(nc.inputShape(0));
  for (unsigned i = 1; i < n; ++i) {
    SmallVector<int64_t> next;
    if (!broadcastShapes(shape, nc.inputShape(i), next))
      return nc.emitError() << "input shapes cannot be broadcast together";
    shape = next;
  }
  int32_t resultType = isComparison(kind) ? kBool : type;

  // Fold on the host when everything is known (shape arithmetic).
  if (nc.allInputsConstant() && numElements(shape) <= kHostFoldLimit &&
      (kind != BinaryKind::Pow || nc.inputType(1) == type)) {
    HostTensor acc = *nc.constantInput(0);
    for (unsigned i = 1; i < n; ++i) {
      SmallVector<int64_t> s;
      broadcastShapes(acc.shape(), nc.inputShape(i), s);
      acc = foldBinary(kind, acc, *nc.constantInput(i), s);
    }
    if (n == 1)
      acc = acc.reshaped(shape);
    nc.setConstantResult(0, std::move(acc));
    return success();
  }

  // A float Add or Mul of two tensors of one shape stays an op (arith on
  // tensors), so that epilogue fusion can take it (a residual, SiLU's
  // product) without reading loop bodies; the decomposition makes it a loop
  // like the rest.
  if ((kind == BinaryKind::Add || kind == BinaryKind::Mul) && n == 2 &&
      isFloatType(type) && nc.inputShape(0) == ArrayRef<int64_t>(shape) &&
      nc.inputShape(1) == ArrayRef<int64_t>(shape)) {
    Value a = nc.operand(0), b = nc.operand(1);
    Value r = kind == BinaryKind::Add
                  ? Value(arith::AddFOp::create(nc.builder(), nc.loc(), a, b))
                  : Value(arith::MulFOp::create(nc.builder(), nc.loc(), a, b));
    nc.setResult(0, r, type);
    return success();
  }

  SmallVector<Value> operands;
  for (unsigned i = 0; i < n; ++i)
    operands.push_back(nc.operand(i));
  Type elem = mlirElementType(nc.context(), resultType);
  int32_t exponentType = n > 1 ? nc.inputType(1) : type;
  Value result = nc.tb().elementwise(
      operands, shape, elem, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value acc = args[0];
        for (size_t i = 1; i < args.size(); ++i) {
          Value rhs = args[i];
          if (kind == BinaryKind::Pow && exponentType != type)
            rhs = TensorBuilder::castScalar(b, loc, rhs, exponentType, type);
          acc = emitBinary(b, loc, kind, acc, rhs, type);
        }
        return acc;
      });
  nc.setResult(0, result, resultType);
  return success();
}

FailureOr<WindowGeometry>
cambrian::onnx_import::computeWindow(NodeContext &nc,
                                     ArrayRef<int64_t> inputSpatial,
                                     ArrayRef<int64_t> kernelFromWeights,
                                     bool allowCeilMode) {
  size_t nd = inputSpatial.size();
  WindowGeometry g;
  std::vector<int64_t> kernel = nc.attrInts("kernel_shape");
  if (kernel.empty())
    kernel.assign(kernelFromWeights.begin(), kernelFromWeights.end());
  if (kernel.size() != nd) {
    nc.emitError() << "kernel_shape has " << kernel.size()
                   << " dims but the input has " << nd << " spatial dims";
    return failure();
  }
  if (!kernelFromWeights.empty() &&
      !llvm::equal(kernel, kernelFromWeights)) {
    nc.emitError() << "kernel_shape disagrees with the weight tensor's shape";
    return failure();
  }
  std::vector<int64_t> strides = nc.attrInts("strides", std::vector<int64_t>(nd, 1));
  std::vector<int64_t> dilations =
      nc.attrInts("dilations", std::vector<int64_t>(nd, 1));
  if (strides.size() != nd || dilations.size() != nd) {
    nc.emitError() << "strides/dilations need " << nd << " values";
    return failure();
  }
  for (size_t i = 0; i < nd; ++i)
    if (strides[i] < 1 || dilations[i] < 1 || kernel[i] < 1) {
      nc.emitError() << "kernel_shape, strides and dilations must be positive";
      return failure();
    }
  std::string autoPad = nc.attrString("auto_pad", "NOTSET");
  int64_t ceilMode = allowCeilMode ? nc.attrInt("ceil_mode", 0) : 0;
  std::vector<int64_t> pads = nc.attrInts("pads", std::vector<int64_t>(2 * nd, 0));
  if (pads.size() != 2 * nd) {
    nc.emitError() << "pads needs " << 2 * nd << " values, has " << pads.size();
    return failure();
  }
  g.kernel.assign(kernel.begin(), kernel.end());
  g.strides.assign(strides.begin(), strides.end());
  g.dilations.assign(dilations.begin(), dilations.end());
  for (size_t i = 0; i < nd; ++i) {
    int64_t in = inputSpatial[i];
    int64_t span = (kernel[i] - 1) * dilations[i] + 1;
    int64_t pb = pads[i], pe = pads[nd + i], out;
    if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
      out = (in + strides[i] - 1) / strides[i];
      int64_t total = std::max<int64_t>((out - 1) * strides[i] + span - in, 0);
      pb = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe = total - pb;
    } else if (autoPad == "VALID") {
      pb = pe = 0;
      out = (in - span) / strides[i] + 1;
      if (in < span)
        out = 0;
    } else if (autoPad == "NOTSET") {
      int64_t avail = in + pb + pe - span;
      if (avail < 0) {
        nc.emitError() << "the window (" << span
                       << ") is larger than the padded input (" << in + pb + pe
                       << ") in spatial dim " << i;
        return failure();
      }
      out = ceilMode ? (avail + strides[i] - 1) / strides[i] + 1
                     : avail / strides[i] + 1;
      // A ceil-mode window must start inside the input or the begin padding.
      if (ceilMode && (out - 1) * strides[i] >= in + pb)
        --out;
      int64_t need = (out - 1) * strides[i] + span - (in + pb);
      if (need > pe)
        pe = need; // ceil-mode overhang; reads the pad value
    } else {
      nc.emitError() << "unsupported auto_pad '" << autoPad << "'";
      return failure();
    }
    if (pb < 0 || pe < 0) {
      nc.emitError() << "pads must not be negative";
      return failure();
    }
    if (out <= 0) {
      nc.emitError() << "the output would be empty in spatial dim " << i;
      return failure();
    }
    g.padBegin.push_back(pb);
    g.explicitPadEnd.push_back(autoPad == "NOTSET" ? pads[nd + i] : pe);
    g.padEnd.push_back(pe);
    g.outSpatial.push_back(out);
  }
  return g;
}

FailureOr<SmallVector<int64_t>>
cambrian::onnx_import::readReduceAxes(NodeContext &nc, int64_t rank,
                                      bool axesFromInput, bool &noop) {
  noop = false;
  std::vector<int64_t> axes;
  if (axesFromInput) {
    if (nc.hasInput(1)) {
      auto a = nc.requireConstantInts(1, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
  } else {
    axes = nc.attrInts("axes");
  }
  SmallVector<int64_t> result;
  if (axes.empty()) {
    if (nc.attrInt("noop_with_empty_axes", 0)) {
      noop = true;
      return result;
    }
    for (int64_t i = 0; i < rank; ++i)
      result.push_back(i);
    return result;
  }
  for (int64_t a : axes) {
    auto n = nc.normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    if (!llvm::is_contained(result, *n))
      result.push_back(*n);
  }
  llvm::sort(result);
  return result;
}

/// Evaluates `fn` on a small constant on the host: the scalar body is
/// emitted once per element on constants in a scratch module, and MLIR's
/// folders reduce it. Null when some op does not fold.
static std::optional<HostTensor>
foldUnaryOnHost(MLIRContext *ctx, const HostTensor &c, const UnaryFn &fn) {
  int32_t type = c.type();
  Type elem = mlirElementType(ctx, type);
  if (!elem || type == kBool)
    return std::nullopt;
  OpBuilder b(ctx);
  Location loc = b.getUnknownLoc();
  OwningOpRef<ModuleOp> scratch = ModuleOp::create(loc);
  b.setInsertionPointToStart(scratch->getBody());
  // One user per element keeps its result alive while the ops fold away.
  SmallVector<UnrealizedConversionCastOp> sinks;
  for (int64_t i = 0, e = c.size(); i < e; ++i) {
    TypedAttr a = isFloatType(type)
                      ? TypedAttr(b.getFloatAttr(elem, c.getDouble(i)))
                      : TypedAttr(b.getIntegerAttr(elem, c.getInt(i)));
    Value x = arith::ConstantOp::create(b, loc, a);
    Value r = fn(b, loc, x, type);
    sinks.push_back(UnrealizedConversionCastOp::create(
        b, loc, TypeRange{r.getType()}, ValueRange{r}));
  }
  OperationFolder folder(ctx);
  SmallVector<Operation *> ops;
  for (Operation &op : scratch->getBody()->getOperations())
    if (!isa<UnrealizedConversionCastOp>(op))
      ops.push_back(&op);
  for (Operation *op : ops)
    (void)folder.tryToFold(op);
  HostTensor out(type, c.shape());
  for (int64_t i = 0, e = c.size(); i < e; ++i) {
    Attribute v;
    if (!matchPattern(sinks[i].getOperand(0), m_Constant(&v)))
      return std::nullopt;
    if (auto f = dyn_cast<FloatAttr>(v))
      out.setDouble(i, f.getValueAsDouble());
    else if (auto n = dyn_cast<IntegerAttr>(v))
      out.setInt(i, isUnsignedType(type) ? (int64_t)n.getValue().getZExtValue()
                                         : n.getValue().getSExtValue());
    else
      return std::nullopt;
  }
  return out;
}

LogicalResult cambrian::onnx_import::importUnary(NodeContext &nc,
                                                 const UnaryFn &fn,
                                                 bool floatOnly) {
  if (!nc.hasInput(0))
    return nc.emitError() << "missing input 0";
  int32_t type = nc.inputType(0);
  if (floatOnly && !isFloatType(type))
    return nc.emitError() << "expects a floating-point input, got "
                          << onnxTypeName(type);
  // Shape arithmetic (Ceil, Relu, Abs of sizes) must fold to stay static.
  if (const HostTensor *c = nc.constantInput(0);
      c && c->size() <= kHostFoldLimit) {
    if (auto folded = foldUnaryOnHost(nc.context(), *c, fn)) {
      nc.setConstantResult(0, std::move(*folded));
      return success();
    }
  }
  Value x = nc.operand(0);
  Value r = nc.tb().elementwise(
      {x}, nc.inputShape(0), TensorBuilder::elementTypeOf(x),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        return fn(b, loc, args[0], type);
      });
  nc.setResult(0, r, type);
  return success();
}

Value cambrian::onnx_import::hostConstant(NodeContext &nc, const HostTensor &t) {
  std::string hint = nc.node().name() + "_const";
  return nc.materializeConstant(t, hint);
}

LogicalResult cambrian::onnx_import::importActivation(NodeContext &nc,
                                                     cmb::ActivationKind kind,
                                                     float alpha, float beta) {
  auto act = cmb::ActivationAttr::get(nc.context(), kind, alpha, beta);
  auto body = [act](OpBuilder &b, Location loc, Value x, int32_t) {
    return cmb::emitActivation(b, loc, x, act);
  };
  if (!isFloatType(nc.inputType(0)) || nc.constantInput(0))
    return importUnary(nc, body);
  Value x = nc.operand(0);
  nc.setResult(0,
               cmb::ActivationOp::create(nc.builder(), nc.loc(), x.getType(),
                                         x, act),
               nc.inputType(0));
  return success();
}

Value cambrian::onnx_import::emitSoftmax(TensorBuilder &tb, Value x,
                                         int64_t axis, bool log) {
  // cambrian.softmax normalises one axis: flatten the trailing dims into it.
  ArrayRef<int64_t> shape = TensorBuilder::shapeOf(x);
  int64_t rank = shape.size();
  Value in = x;
  if (axis < rank - 1) {
    in = tb.reshape(x, {numElements(shape.take_front(axis)),
                        numElements(shape.drop_front(axis))});
    axis = 1;
  }
  Value y = cmb::SoftmaxOp::create(tb.builder(), tb.location(), in.getType(),
                                   in, axis, log);
  return y.getType() == x.getType() ? y : tb.reshape(y, shape);
}

Value cambrian::onnx_import::floatLike(OpBuilder &b, Location loc, Value like,
                                       double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(like.getType(), v));
}

FailureOr<SmallVector<int64_t>>
cambrian::onnx_import::readAxesAttr(NodeContext &nc, int64_t rank) {
  SmallVector<int64_t> axes;
  for (int64_t a : nc.attrInts("axes")) {
    auto n = nc.normalizeAxis(a, rank);
    if (failed(n))
      return failure();
    axes.push_back(*n);
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  return axes;
}

LogicalResult cambrian::onnx_import::checkFloatNCSpatial(NodeContext &nc) {
  if (!isFloatType(nc.inputType(0)))
    return nc.emitError() << "expects a floating-point input";
  if (nc.inputShape(0).size() < 3)
    return nc.emitError() << "input needs rank >= 3 (N, C, spatial...)";
  return success();
}

Value cambrian::onnx_import::normalizeIndex(OpBuilder &b, Location loc, Value v,
                                            int64_t extent) {
  Value i = arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
  Value n = arith::ConstantIndexOp::create(b, loc, extent);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, i, zero);
  i = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, i, n), i);
  i = arith::MaxSIOp::create(b, loc, i, zero);
  return arith::MinSIOp::create(
      b, loc, i,
      arith::ConstantIndexOp::create(b, loc, std::max<int64_t>(extent - 1, 0)));
}

void cambrian::onnx_import::copyElement(const HostTensor &from, int64_t src,
                                        HostTensor &to, int64_t dst) {
  int64_t es = onnxTypeSize(from.type());
  std::memcpy(const_cast<char *>(to.bytes().data()) + dst * es,
              from.bytes().data() + src * es, es);
}
