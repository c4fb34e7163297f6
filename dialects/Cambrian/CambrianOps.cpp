//===- CambrianOps.cpp - cambrian op verifiers -----------------------------===//
//
// Verifiers check what static dimensions allow: a dynamic dimension
// (`?`) matches anything, so symbolic shapes need no new verifier.
//
//===----------------------------------------------------------------------===//

#include "dialects/Cambrian/CambrianOps.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace cambrian::cmb;

#include "dialects/Cambrian/CambrianInterfaces.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/Cambrian/CambrianOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static bool isStatic(int64_t d) { return !ShapedType::isDynamic(d); }

/// Whether two dimensions can be equal.
static bool compatible(int64_t a, int64_t b) {
  return !isStatic(a) || !isStatic(b) || a == b;
}

static std::string dimString(int64_t d) {
  return isStatic(d) ? std::to_string(d) : std::string("?");
}

/// The element type arithmetic is done in: a quantized type's storage is
/// not compared with a float's.
static bool isFloatLike(Type t) { return isa<FloatType>(t); }

/// Checks the optional epilogue operands of a conv or matmul: a 1-D bias of
/// `biasSize` elements and a residual of the result's type, both of the
/// result's element type when it is a float.
static LogicalResult verifyEpilogue(Operation *op, Value bias, Value residual,
                                    RankedTensorType result,
                                    int64_t biasSize) {
  if (bias) {
    auto bt = cast<RankedTensorType>(bias.getType());
    if (bt.getRank() != 1 || !compatible(bt.getDimSize(0), biasSize))
      return op->emitOpError()
             << "bias must be 1-D with " << dimString(biasSize)
             << " elements, got " << bt;
    if (isFloatLike(result.getElementType()) &&
        bt.getElementType() != result.getElementType())
      return op->emitOpError() << "bias element type " << bt.getElementType()
                               << " differs from the result's "
                               << result.getElementType();
  }
  if (residual) {
    auto rt = cast<RankedTensorType>(residual.getType());
    if (failed(verifyCompatibleShape(rt, result)) ||
        rt.getElementType() != result.getElementType())
      return op->emitOpError() << "residual type " << rt
                               << " must match the result type " << result;
  }
  return success();
}

/// Operands of a float op must share the result's element type.
static LogicalResult verifySameFloatType(Operation *op, TypeRange operands,
                                         RankedTensorType result) {
  Type elem = result.getElementType();
  if (!isFloatLike(elem))
    return success();
  for (Type t : operands)
    if (cast<ShapedType>(t).getElementType() != elem)
      return op->emitOpError() << "operand element type "
                               << cast<ShapedType>(t).getElementType()
                               << " differs from the result's " << elem;
  return success();
}

/// A convolution or matmul whose input is a `!quant.uniform` tensor is
/// integer arithmetic: a per-tensor input, a filter quantized per tensor or
/// along `filterAxis`, an optional int32 bias in units of input scale times
/// filter scale, an activation that is a clamp (relu, clip), and a per-tensor
/// quantized result that the accumulator is requantized to (or a float
/// result, the accumulator dequantized). No residual, no pooling: those stay
/// with the float graph.
static LogicalResult verifyQuantizedProduct(Operation *op, Type input,
                                            Type filter, Type result,
                                            Value bias, Value residual,
                                            ActivationAttr act,
                                            int64_t filterAxis,
                                            int64_t biasSize) {
  auto elem = [](Type t) { return cast<ShapedType>(t).getElementType(); };
  auto x = dyn_cast<quant::UniformQuantizedType>(elem(input));
  if (!x)
    return op->emitOpError() << "quantized input must be quantized per tensor,"
                             << " got " << input;
  auto w = dyn_cast<quant::QuantizedType>(elem(filter));
  if (!w || !isa<quant::UniformQuantizedType,
                 quant::UniformQuantizedPerAxisType>(w))
    return op->emitOpError() << "quantized input needs a quantized filter, "
                             << "got " << filter;
  if (auto axis = dyn_cast<quant::UniformQuantizedPerAxisType>(w)) {
    if (axis.getQuantizedDimension() != filterAxis)
      return op->emitOpError() << "filter must be quantized per tensor or "
                               << "along dimension " << filterAxis << ", not "
                               << axis.getQuantizedDimension();
    int64_t n = axis.getScales().size();
    if (!compatible(n, biasSize))
      return op->emitOpError() << "filter has " << n << " scales for "
                               << dimString(biasSize) << " output channels";
  }
  // A quantized result, or the expressed float type: the accumulator
  // dequantized (scaled by input scale x filter scale).
  auto y = dyn_cast<quant::UniformQuantizedType>(elem(result));
  if (!y && elem(result) != x.getExpressedType())
    return op->emitOpError() << "quantized operands need a result quantized "
                             << "per tensor or of their expressed type, got "
                             << result;
  if (x.getExpressedType() != w.getExpressedType() ||
      (y && x.getExpressedType() != y.getExpressedType()))
    return op->emitOpError() << "input, filter and result express different "
                             << "types";
  if (bias) {
    auto bt = cast<RankedTensorType>(bias.getType());
    if (!bt.getElementType().isSignlessInteger(32) || bt.getRank() != 1 ||
        !compatible(bt.getDimSize(0), biasSize))
      return op->emitOpError() << "quantized bias must be 1-D i32 with "
                               << dimString(biasSize) << " elements, got "
                               << bt;
  }
  if (residual)
    return op->emitOpError() << "a quantized op takes no residual";
  if (act && !act.isNone() && act.getKind() != ActivationKind::Relu &&
      act.getKind() != ActivationKind::Clip)
    return op->emitOpError() << "a quantized op's activation must be a clamp "
                             << "(relu or clip), got " << act;
  return success();
}

/// Checks a spatial window attribute: `n` positive values.
static LogicalResult verifyWindowAttr(Operation *op, StringRef name,
                                      ArrayRef<int64_t> values, int64_t n) {
  if ((int64_t)values.size() != n)
    return op->emitOpError() << "'" << name << "' needs " << n
                             << " values (one per spatial dimension), got "
                             << values.size();
  for (int64_t v : values)
    if (v < 1)
      return op->emitOpError()
             << "'" << name << "' values must be positive, got " << v;
  return success();
}


//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

LogicalResult ConvOp::verify() {
  RankedTensorType x = getInput().getType(), w = getFilter().getType(),
                   y = getOutput().getType();
  int64_t rank = x.getRank(), nd = rank - 2;
  if (nd < 1 || nd > 3)
    return emitOpError() << "input must be N x C x 1 to 3 spatial dims, got "
                         << x;
  if (w.getRank() != rank || y.getRank() != rank)
    return emitOpError() << "input, filter and result must have the same "
                            "rank, got "
                         << rank << ", " << w.getRank() << " and "
                         << y.getRank();
  if (failed(verifyWindowAttr(*this, "strides", getStrides(), nd)) ||
      failed(verifyWindowAttr(*this, "dilations", getDilations(), nd)))
    return failure();
  int64_t groups = getGroups();
  if (groups < 1)
    return emitOpError() << "groups must be positive, got " << groups;
  int64_t C = x.getDimSize(1), F = w.getDimSize(0), Cg = w.getDimSize(1);
  if (isStatic(C) && C % groups)
    return emitOpError() << C << " input channels do not split into "
                         << groups << " groups";
  if (isStatic(F) && F % groups)
    return emitOpError() << F << " filters do not split into " << groups
                         << " groups";
  if (isStatic(C) && isStatic(Cg) && Cg * groups != C)
    return emitOpError() << "filter has " << Cg << " channels per group, "
                         << "the input " << C << " / " << groups;
  if (!compatible(y.getDimSize(0), x.getDimSize(0)))
    return emitOpError() << "result batch " << dimString(y.getDimSize(0))
                         << " differs from the input's "
                         << dimString(x.getDimSize(0));
  if (!compatible(y.getDimSize(1), F))
    return emitOpError() << "result has " << dimString(y.getDimSize(1))
                         << " channels, the filter " << dimString(F);
  // The convolution's own result; the op's result after its pooling.
  SmallVector<int64_t> convShape(y.getShape());
  WindowAttr pool = getPoolAttr();
  if (pool && (int64_t)pool.getKernel().size() != nd)
    return emitOpError() << "pooling window has " << pool.getKernel().size()
                         << " dims, the convolution " << nd;
  for (int64_t i = 0; i < nd; ++i) {
    int64_t k = w.getDimSize(2 + i);
    if (!isStatic(k)) {
      convShape[2 + i] = ShapedType::kDynamic;
      continue;
    }
    int64_t expect = windowOutputSize(x.getDimSize(2 + i), k, getStrides()[i],
                                      getDilations()[i]);
    if (expect == 0)
      return emitOpError() << "spatial dim " << i << " of size "
                           << x.getDimSize(2 + i)
                           << " is smaller than the dilated kernel";
    convShape[2 + i] = expect;
    if (pool) {
      expect = pool.outputSize(i, expect);
      if (expect == 0)
        return emitOpError() << "convolution result dim " << i
                             << " is smaller than the pooling window";
    }
    if (!compatible(y.getDimSize(2 + i), expect))
      return emitOpError() << "result spatial dim " << i << " is "
                           << dimString(y.getDimSize(2 + i)) << ", expected "
                           << expect;
  }
  if (isa<quant::QuantizedType>(x.getElementType())) {
    if (pool)
      return emitOpError() << "a quantized convolution takes no pooling";
    return verifyQuantizedProduct(*this, x, w, y, getBias(), getResidual(),
                                  getActivationAttr(), /*filterAxis=*/0, F);
  }
  if (failed(verifySameFloatType(*this, {x, w}, y)))
    return failure();
  // The epilogue comes before the pooling: a residual is shaped like the
  // convolution's own result.
  return verifyEpilogue(*this, getBias(), getResidual(),
                        y.clone(convShape), F);
}

Value ConvOp::cloneWithEpilogue(OpBuilder &builder, Value bias,
                                Value residual, ActivationAttr activation) {
  return ConvOp::create(builder, getLoc(), getOutput().getType(), getInput(),
                        getFilter(), bias, residual, getStridesAttr(),
                        getDilationsAttr(), getGroupsAttr(), activation,
                        getPoolAttr())
      .getOutput();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::verify() {
  RankedTensorType a = getLhs().getType(), b = getRhs().getType(),
                   y = getOutput().getType();
  if (a.getRank() < 2 || b.getRank() < 2)
    return emitOpError() << "operands must have rank 2 or more, got " << a
                         << " and " << b;
  int64_t rank = std::max(a.getRank(), b.getRank());
  if (y.getRank() != rank)
    return emitOpError() << "result must have rank " << rank << ", got "
                         << y.getRank();
  ArrayRef<int64_t> as = a.getShape(), bs = b.getShape(), ys = y.getShape();
  int64_t M = as[as.size() - 2], K = as.back(), K2 = bs[bs.size() - 2],
          N = bs.back();
  if (!compatible(K, K2))
    return emitOpError() << "contraction sizes differ: " << dimString(K)
                         << " and " << dimString(K2);
  if (!compatible(ys[rank - 2], M) || !compatible(ys[rank - 1], N))
    return emitOpError() << "result must end in " << dimString(M) << " x "
                         << dimString(N);
  // Batch dimensions broadcast (aligned right, 1 stretches).
  for (int64_t i = 0; i < rank - 2; ++i) {
    int64_t ai = i - (rank - (int64_t)as.size()),
            bi = i - (rank - (int64_t)bs.size());
    int64_t da = ai >= 0 ? as[ai] : 1, db = bi >= 0 ? bs[bi] : 1;
    if (isStatic(da) && isStatic(db) && da != db && da != 1 && db != 1)
      return emitOpError() << "batch dims " << da << " and " << db
                           << " do not broadcast";
    int64_t expect = (isStatic(da) && isStatic(db))
                         ? std::max(da, db)
                         : (da == 1 ? db : (db == 1 ? da : ShapedType::kDynamic));
    if (!compatible(ys[i], expect))
      return emitOpError() << "result batch dim " << i << " is "
                           << dimString(ys[i]) << ", expected "
                           << dimString(expect);
  }
  if (isa<quant::QuantizedType>(a.getElementType()))
    return verifyQuantizedProduct(*this, a, b, y, getBias(), getResidual(),
                                  getActivationAttr(),
                                  /*filterAxis=*/b.getRank() - 1, N);
  if (failed(verifySameFloatType(*this, {a, b}, y)))
    return failure();
  return verifyEpilogue(*this, getBias(), getResidual(), y, N);
}

Value MatmulOp::cloneWithEpilogue(OpBuilder &builder, Value bias,
                                  Value residual, ActivationAttr activation) {
  return MatmulOp::create(builder, getLoc(), getOutput().getType(), getLhs(),
                          getRhs(), bias, residual, activation)
      .getOutput();
}

//===----------------------------------------------------------------------===//
// PoolOp
//===----------------------------------------------------------------------===//

LogicalResult PoolOp::verify() {
  RankedTensorType x = getInput().getType(), y = getOutput().getType();
  int64_t nd = x.getRank() - 2;
  if (nd < 1 || nd > 3)
    return emitOpError() << "input must be N x C x 1 to 3 spatial dims, got "
                         << x;
  if (y.getRank() != x.getRank())
    return emitOpError() << "result rank " << y.getRank()
                         << " differs from the input's " << x.getRank();
  if (failed(verifyWindowAttr(*this, "kernel", getKernel(), nd)) ||
      failed(verifyWindowAttr(*this, "strides", getStrides(), nd)) ||
      failed(verifyWindowAttr(*this, "dilations", getDilations(), nd)))
    return failure();
  ArrayRef<int64_t> pad = getPadding();
  if ((int64_t)pad.size() != 2 * nd)
    return emitOpError() << "'padding' needs " << 2 * nd
                         << " values (leading, then trailing), got "
                         << pad.size();
  for (int64_t i = 0; i < 2 * nd; ++i)
    if (pad[i] < 0)
      return emitOpError() << "padding must not be negative, got " << pad[i];
  if (getCountIncludePad() && getKind() == PoolKind::Max)
    return emitOpError() << "'count_include_pad' only applies to average "
                            "pooling";
  // The max of quantized values is the quantized max (quantizing is
  // monotonic): one type in and out, per tensor.
  if (isa<quant::QuantizedType>(x.getElementType()) &&
      (getKind() != PoolKind::Max || x.getElementType() != y.getElementType() ||
       !isa<quant::UniformQuantizedType>(x.getElementType())))
    return emitOpError() << "pools quantized values only by max, per tensor, "
                         << "to the input's own type";
  for (int64_t i = 0; i < 2; ++i)
    if (!compatible(y.getDimSize(i), x.getDimSize(i)))
      return emitOpError() << "result dim " << i << " is "
                           << dimString(y.getDimSize(i)) << ", the input's "
                           << dimString(x.getDimSize(i));
  for (int64_t i = 0; i < nd; ++i) {
    int64_t expect = windowOutputSize(x.getDimSize(2 + i), getKernel()[i],
                                  getStrides()[i], getDilations()[i], pad[i],
                                  pad[nd + i], getCeilMode());
    if (expect == 0)
      return emitOpError() << "spatial dim " << i
                           << " is smaller than the window";
    if (!compatible(y.getDimSize(2 + i), expect))
      return emitOpError() << "result spatial dim " << i << " is "
                           << dimString(y.getDimSize(2 + i))
                           << ", expected " << expect;
  }
  if (x.getElementType() != y.getElementType())
    return emitOpError() << "result element type differs from the input's";
  return success();
}

//===----------------------------------------------------------------------===//
// SoftmaxOp and the normalizations
//===----------------------------------------------------------------------===//

/// `axis` must name a dimension of a rank-`rank` tensor.
static LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return op->emitOpError() << "axis " << axis << " is out of range for rank "
                             << rank;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  if (!isFloatLike(getInput().getType().getElementType()))
    return emitOpError() << "needs a float tensor";
  return verifyAxis(*this, getAxis(), getInput().getType().getRank());
}

/// Whether `param` broadcasts (aligned right) onto `x`'s dimensions from
/// `axis` on, as LayerNormalization's scale and bias must.
static LogicalResult verifyNormParam(Operation *op, StringRef what,
                                     RankedTensorType param,
                                     RankedTensorType x, int64_t axis) {
  ArrayRef<int64_t> tail = x.getShape().drop_front(axis);
  if (param.getRank() > (int64_t)tail.size())
    return op->emitOpError() << what << " of rank " << param.getRank()
                             << " does not broadcast to the "
                             << tail.size() << " normalized dims";
  ArrayRef<int64_t> ps = param.getShape();
  for (size_t i = 0; i < ps.size(); ++i) {
    int64_t p = ps[ps.size() - 1 - i], d = tail[tail.size() - 1 - i];
    if (isStatic(p) && p != 1 && !compatible(p, d))
      return op->emitOpError() << what << " dim " << p
                               << " does not broadcast to " << d;
  }
  if (param.getElementType() != x.getElementType())
    return op->emitOpError() << what << " element type differs from the "
                             << "input's";
  return success();
}

static LogicalResult verifyEpsilon(Operation *op, APFloat eps) {
  if (!eps.isFinite() || eps.isNegative())
    return op->emitOpError() << "epsilon must be finite and not negative";
  return success();
}

LogicalResult LayerNormOp::verify() {
  RankedTensorType x = getInput().getType();
  if (!isFloatLike(x.getElementType()))
    return emitOpError() << "needs a float tensor";
  if (failed(verifyAxis(*this, getAxis(), x.getRank())) ||
      failed(verifyEpsilon(*this, getEpsilon())) ||
      failed(verifyNormParam(*this, "scale", getScale().getType(), x,
                             getAxis())))
    return failure();
  if (getBias())
    return verifyNormParam(*this, "bias", getBias().getType(), x, getAxis());
  return success();
}

LogicalResult RmsNormOp::verify() {
  RankedTensorType x = getInput().getType();
  if (!isFloatLike(x.getElementType()))
    return emitOpError() << "needs a float tensor";
  if (failed(verifyAxis(*this, getAxis(), x.getRank())) ||
      failed(verifyEpsilon(*this, getEpsilon())))
    return failure();
  return verifyNormParam(*this, "scale", getScale().getType(), x, getAxis());
}

LogicalResult GroupNormOp::verify() {
  RankedTensorType x = getInput().getType();
  if (!isFloatLike(x.getElementType()))
    return emitOpError() << "needs a float tensor";
  if (x.getRank() < 2)
    return emitOpError() << "input must be N x C x ..., got " << x;
  if (failed(verifyEpsilon(*this, getEpsilon())))
    return failure();
  int64_t groups = getNumGroups(), C = x.getDimSize(1);
  if (groups < 1)
    return emitOpError() << "num_groups must be positive, got " << groups;
  if (isStatic(C) && C % groups)
    return emitOpError() << C << " channels do not split into " << groups
                         << " groups";
  for (auto [what, v] : {std::make_pair("scale", getScale()),
                         std::make_pair("bias", getBias())}) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != 1 || !compatible(t.getDimSize(0), C))
      return emitOpError() << what << " must have one element per channel ("
                           << dimString(C) << "), got " << t;
    if (t.getElementType() != x.getElementType())
      return emitOpError() << what << " element type differs from the "
                           << "input's";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::verify() {
  RankedTensorType q = getQuery().getType(), k = getKey().getType(),
                   v = getValue().getType(), y = getOutput().getType();
  for (RankedTensorType t : {q, k, v, y})
    if (t.getRank() != 4)
      return emitOpError() << "query, key, value and result must be "
                              "B x heads x sequence x head size, got "
                           << t;
  if (failed(verifySameFloatType(*this, {q, k, v}, y)))
    return failure();
  if (!isFloatLike(y.getElementType()))
    return emitOpError() << "needs float tensors";
  int64_t hq = q.getDimSize(1), hkv = k.getDimSize(1);
  if (!compatible(k.getDimSize(0), q.getDimSize(0)) ||
      !compatible(v.getDimSize(0), q.getDimSize(0)))
    return emitOpError() << "batch sizes differ";
  if (!compatible(k.getDimSize(1), v.getDimSize(1)))
    return emitOpError() << "key and value have different head counts";
  if (isStatic(hq) && isStatic(hkv) && (hkv == 0 || hq % hkv))
    return emitOpError() << hq << " query heads are not a multiple of "
                         << hkv << " key/value heads";
  if (!compatible(q.getDimSize(3), k.getDimSize(3)))
    return emitOpError() << "query and key head sizes differ: "
                         << dimString(q.getDimSize(3)) << " and "
                         << dimString(k.getDimSize(3));
  if (!compatible(k.getDimSize(2), v.getDimSize(2)))
    return emitOpError() << "key and value sequence lengths differ";
  int64_t expect[4] = {q.getDimSize(0), hq, q.getDimSize(2), v.getDimSize(3)};
  for (int64_t i = 0; i < 4; ++i)
    if (!compatible(y.getDimSize(i), expect[i]))
      return emitOpError() << "result dim " << i << " is "
                           << dimString(y.getDimSize(i)) << ", expected "
                           << dimString(expect[i]);
  if (Value mask = getMask()) {
    auto m = cast<RankedTensorType>(mask.getType());
    int64_t full[4] = {q.getDimSize(0), hq, q.getDimSize(2), k.getDimSize(2)};
    if (m.getRank() > 4)
      return emitOpError() << "mask rank " << m.getRank() << " exceeds 4";
    for (int64_t i = 0; i < m.getRank(); ++i) {
      int64_t d = m.getDimSize(m.getRank() - 1 - i), f = full[3 - i];
      if (isStatic(d) && d != 1 && !compatible(d, f))
        return emitOpError() << "mask dim " << d << " does not broadcast to "
                             << dimString(f);
    }
    Type me = m.getElementType();
    if (!me.isInteger(1) && me != y.getElementType())
      return emitOpError() << "mask must be i1 or " << y.getElementType();
  }
  if (auto s = getScaleAttr())
    if (!s.getValue().isFiniteNonZero())
      return emitOpError() << "scale must be finite and non-zero";
  if (getSoftcap().isNegative() || !getSoftcap().isFinite())
    return emitOpError() << "softcap must be finite and not negative";
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp, DequantizeOp
//===----------------------------------------------------------------------===//

/// Checks that `quantized` (a tensor of `!quant.uniform`) quantizes
/// `expressed` (a float tensor) of the same shape.
static LogicalResult verifyQuantizedPair(Operation *op,
                                         RankedTensorType expressed,
                                         RankedTensorType quantized) {
  auto qt = dyn_cast<quant::QuantizedType>(quantized.getElementType());
  if (!qt || !isa<quant::UniformQuantizedType,
                  quant::UniformQuantizedPerAxisType>(qt))
    return op->emitOpError() << "needs a tensor of !quant.uniform, got "
                             << quantized;
  if (!isFloatLike(expressed.getElementType()))
    return op->emitOpError() << "needs a float tensor on the expressed side, "
                             << "got " << expressed;
  if (qt.getExpressedType() != expressed.getElementType())
    return op->emitOpError() << "quantized type expresses "
                             << qt.getExpressedType() << ", not "
                             << expressed.getElementType();
  if (failed(verifyCompatibleShape(expressed, quantized)))
    return op->emitOpError() << "shapes differ: " << expressed << " and "
                             << quantized;
  if (auto axis = dyn_cast<quant::UniformQuantizedPerAxisType>(qt)) {
    int64_t d = axis.getQuantizedDimension();
    if (d >= quantized.getRank())
      return op->emitOpError() << "quantized axis " << d
                               << " is out of range for rank "
                               << quantized.getRank();
    int64_t n = axis.getScales().size(), size = quantized.getDimSize(d);
    if (isStatic(size) && size != n)
      return op->emitOpError() << n << " scales for axis " << d << " of size "
                               << size;
  }
  return success();
}

LogicalResult QuantizeOp::verify() {
  return verifyQuantizedPair(*this, getInput().getType(),
                             getOutput().getType());
}

LogicalResult DequantizeOp::verify() {
  return verifyQuantizedPair(*this, getOutput().getType(),
                             getInput().getType());
}

//===----------------------------------------------------------------------===//
// ActivationOp
//===----------------------------------------------------------------------===//

LogicalResult ActivationOp::verify() {
  if (!isFloatLike(getInput().getType().getElementType()))
    return emitOpError() << "needs a float tensor";
  if (getActivation().isNone())
    return emitOpError() << "applies no activation";
  return success();
}

//===----------------------------------------------------------------------===//
// LookupOp
//===----------------------------------------------------------------------===//

LogicalResult LookupOp::verify() {
  RankedTensorType x = getInput().getType(), t = getTable().getType(),
                   y = getOutput().getType();
  auto xq = dyn_cast<quant::QuantizedType>(x.getElementType());
  if (!xq || xq.getStorageTypeIntegralWidth() != 8 ||
      !isa<quant::UniformQuantizedType>(xq))
    return emitOpError() << "input must be quantized per tensor in 8 bits, "
                         << "got " << x;
  int64_t levels = xq.getStorageTypeMax() - xq.getStorageTypeMin() + 1;
  if (t.getRank() != 1 || !compatible(t.getDimSize(0), levels))
    return emitOpError() << "table must be 1-D with " << levels
                         << " entries, one per input level, got " << t;
  if (t.getElementType() != y.getElementType())
    return emitOpError() << "result element type " << y.getElementType()
                         << " differs from the table's "
                         << t.getElementType();
  if (failed(verifyCompatibleShape(x.getShape(), y.getShape())))
    return emitOpError() << "result shape differs from the input's";
  return success();
}

//===----------------------------------------------------------------------===//
// AddOp, MulOp
//===----------------------------------------------------------------------===//

/// Operands and result 8-bit quantized per tensor, the operands' shapes
/// broadcasting (numpy, aligned right) to the result's.
static LogicalResult verifyQuantizedBinary(Operation *op) {
  auto result = cast<RankedTensorType>(op->getResult(0).getType());
  for (Type t : llvm::concat<Type>(op->getOperandTypes(),
                                   op->getResultTypes())) {
    auto q = dyn_cast<quant::UniformQuantizedType>(
        cast<ShapedType>(t).getElementType());
    if (!q || q.getStorageTypeIntegralWidth() != 8)
      return op->emitOpError() << "operands and result must be 8-bit "
                               << "quantized per tensor, got " << t;
  }
  for (Value v : op->getOperands()) {
    ArrayRef<int64_t> s = cast<RankedTensorType>(v.getType()).getShape();
    ArrayRef<int64_t> r = result.getShape();
    if (s.size() > r.size())
      return op->emitOpError() << "operand of rank " << s.size()
                               << " does not broadcast to rank " << r.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t d = s[s.size() - 1 - i], e = r[r.size() - 1 - i];
      if (d != 1 && !compatible(d, e))
        return op->emitOpError() << "operand shape does not broadcast to the "
                                 << "result's: " << v.getType() << " vs "
                                 << result;
    }
  }
  return success();
}

LogicalResult AddOp::verify() { return verifyQuantizedBinary(*this); }
LogicalResult MulOp::verify() { return verifyQuantizedBinary(*this); }
