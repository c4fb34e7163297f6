//===- DefaultDomainGtoP.cpp - ONNX ops Gather .. PRelu -------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "onnx/onnx_pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

BinaryKind kindOf(StringRef op) {
  return llvm::StringSwitch<BinaryKind>(op)
      .Case("Greater", BinaryKind::Greater)
      .Case("GreaterOrEqual", BinaryKind::GreaterOrEqual)
      .Case("Less", BinaryKind::Less)
      .Case("LessOrEqual", BinaryKind::LessOrEqual)
      .Case("Max", BinaryKind::Max)
      .Case("Min", BinaryKind::Min)
      .Case("Mul", BinaryKind::Mul)
      .Case("Or", BinaryKind::Or)
      .Case("Pow", BinaryKind::Pow)
      .Default(BinaryKind::Add);
}

LogicalResult importNamedBinary(NodeContext &nc) {
  return importBinary(nc, kindOf(nc.opType()));
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

LogicalResult importGather(NodeContext &nc) {
  ArrayRef<int64_t> ds = nc.inputShape(0), is = nc.inputShape(1);
  int64_t rank = ds.size();
  if (rank == 0)
    return nc.emitError() << "data must have rank >= 1";
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  if (failed(nc.checkInputType(1, {kInt32, kInt64})))
    return failure();
  int64_t extent = ds[*axis];
  SmallVector<int64_t> shape(ds.begin(), ds.begin() + *axis);
  shape.append(is.begin(), is.end());
  shape.append(ds.begin() + *axis + 1, ds.end());
  int32_t type = nc.inputType(0);
  const HostTensor *data = nc.constantInput(0), *idx = nc.constantInput(1);
  if (idx) {
    for (int64_t i = 0, e = idx->size(); i < e; ++i) {
      int64_t v = idx->getInt(i);
      if (v < -extent || v >= extent)
        return nc.emitError() << "index " << v << " is out of range for an "
                              << "axis of extent " << extent;
    }
  }
  if (data && idx && numElements(shape) <= kHostFoldLimit) {
    HostTensor r(type, shape);
    int64_t outer = numElements(ds.take_front(*axis));
    int64_t inner = numElements(ds.drop_front(*axis + 1));
    int64_t n = idx->size();
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t j = 0; j < n; ++j) {
        int64_t k = idx->getInt(j);
        if (k < 0)
          k += extent;
        for (int64_t i = 0; i < inner; ++i) {
          int64_t src = (o * extent + k) * inner + i;
          int64_t dst = (o * n + j) * inner + i;
          if (isFloatType(type))
            r.setDouble(dst, data->getDouble(src));
          else
            r.setInt(dst, data->getInt(src));
        }
      }
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  OpBuilder &b = nc.builder();
  MLIRContext *ctx = b.getContext();
  Value dataV = nc.operand(0), idxV = nc.operand(1);
  TensorBuilder tb = nc.tb();
  Type elem = TensorBuilder::elementTypeOf(dataV);
  int64_t outRank = shape.size(), idxRank = is.size();
  SmallVector<AffineExpr> idxExprs;
  for (int64_t d = 0; d < idxRank; ++d)
    idxExprs.push_back(getAffineDimExpr(*axis + d, ctx));
  SmallVector<AffineMap> maps = {
      AffineMap::get(outRank, 0, idxExprs, ctx),
      AffineMap::getMultiDimIdentityMap(outRank, ctx)};
  SmallVector<utils::IteratorType> iters(outRank, utils::IteratorType::parallel);
  Value init = tb.empty(shape, elem);
  auto op = linalg::GenericOp::create(
      b, nc.loc(), TypeRange{init.getType()}, ValueRange{idxV},
      ValueRange{init}, maps, iters,
      [&](OpBuilder &nb, Location loc, ValueRange args) {
        Value k = normalizeIndex(nb, loc, args[0], extent);
        SmallVector<Value> coords;
        for (int64_t d = 0; d < *axis; ++d)
          coords.push_back(linalg::IndexOp::create(nb, loc, d));
        coords.push_back(k);
        for (int64_t d = *axis + idxRank; d < outRank; ++d)
          coords.push_back(linalg::IndexOp::create(nb, loc, d));
        Value v = tensor::ExtractOp::create(nb, loc, dataV, coords);
        linalg::YieldOp::create(nb, loc, v);
      });
  nc.setResult(0, op.getResult(0), type);
  return success();
}

LogicalResult importIdentity(NodeContext &nc) {
  const ImportedValue &x = nc.input(0);
  if (x.constant)
    nc.setConstantResult(0, *x.constant);
  else
    nc.setResult(0, nc.operand(0), x.type);
  return success();
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

/// C[M,N] = A[M,K] * B[K,N] on 2-D tensors.
Value matmul2d(TensorBuilder &tb, Value a, Value b) {
  int64_t M = TensorBuilder::shapeOf(a)[0], N = TensorBuilder::shapeOf(b)[1];
  Type elem = TensorBuilder::elementTypeOf(a);
  Value init = tb.splat(tb.scalar(elem, 0.0), {M, N});
  return linalg::MatmulOp::create(tb.builder(), tb.location(),
                                  TypeRange{init.getType()}, ValueRange{a, b},
                                  ValueRange{init})
      .getResult(0);
}

/// Transposes a 2-D host tensor (used for constant Gemm weights).
HostTensor transposeHost(const HostTensor &t) {
  int64_t R = t.shape()[0], C = t.shape()[1];
  int64_t es = onnxTypeSize(t.type());
  HostTensor r(t.type(), {C, R});
  char *dst = const_cast<char *>(r.bytes().data());
  const char *src = t.bytes().data();
  for (int64_t i = 0; i < R; ++i)
    for (int64_t j = 0; j < C; ++j)
      std::memcpy(dst + (j * R + i) * es, src + (i * C + j) * es, es);
  return r;
}

LogicalResult importGemm(NodeContext &nc) {
  if (failed(nc.checkInputType(0, {kFloat})) ||
      failed(nc.checkInputType(1, {kFloat})))
    return failure();
  ArrayRef<int64_t> as = nc.inputShape(0), bs = nc.inputShape(1);
  if (as.size() != 2 || bs.size() != 2)
    return nc.emitError() << "A and B must be 2-D";
  bool transA = nc.attrInt("transA", 0), transB = nc.attrInt("transB", 0);
  double alpha = nc.attrFloat("alpha", 1.0), beta = nc.attrFloat("beta", 1.0);
  int64_t M = transA ? as[1] : as[0], K = transA ? as[0] : as[1];
  int64_t KB = transB ? bs[1] : bs[0], N = transB ? bs[0] : bs[1];
  if (K != KB)
    return nc.emitError() << "inner dimensions differ (" << K << " vs " << KB
                          << ")";
  TensorBuilder tb = nc.tb();
  auto operand = [&](unsigned i, bool trans) -> Value {
    const HostTensor *c = nc.constantInput(i);
    if (trans && c)
      return nc.materializeConstant(transposeHost(*c),
                                    nc.node().input(i) + "_T");
    Value v = nc.operand(i);
    return trans ? tb.transpose(v, {1, 0}) : v;
  };
  Value a = operand(0, transA), b = operand(1, transB);
  Value y = matmul2d(tb, a, b);
  Type f32 = tb.builder().getF32Type();
  if (alpha != 1.0)
    y = tb.elementwise({y}, {M, N}, f32,
                       [alpha](OpBuilder &nb, Location loc, ValueRange v) {
                         return arith::MulFOp::create(nb, loc, v[0],
                                                      floatLike(nb, loc, v[0], alpha))
                             .getResult();
                       });
  if (nc.hasInput(2) && beta != 0.0) {
    SmallVector<int64_t> s;
    if (!broadcastShapes({M, N}, nc.inputShape(2), s) ||
        s != SmallVector<int64_t>{M, N})
      return nc.emitError() << "C cannot be broadcast to [" << M << ", " << N
                            << "]";
    y = tb.elementwise({y, nc.operand(2)}, {M, N}, f32,
                       [beta](OpBuilder &nb, Location loc, ValueRange v) {
                         Value c = v[1];
                         if (beta != 1.0)
                           c = arith::MulFOp::create(nb, loc, c,
                                                     floatLike(nb, loc, c, beta));
                         return arith::AddFOp::create(nb, loc, v[0], c)
                             .getResult();
                       });
  }
  nc.setResult(0, y, kFloat);
  return success();
}

LogicalResult importMatMul(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (failed(nc.checkInputType(0, {kFloat, kFloat16, kBFloat16, kDouble, kInt32,
                                   kInt64, kUInt32, kUInt64})))
    return failure();
  if (nc.inputType(1) != type)
    return nc.emitError() << "inputs differ in element type";
  TensorBuilder tb = nc.tb();
  SmallVector<int64_t> as(nc.inputShape(0)), bs(nc.inputShape(1));
  if (as.empty() || bs.empty())
    return nc.emitError() << "inputs must have rank >= 1";
  // 16-bit floats multiply in float32 (as MLAS and the reference do).
  int32_t ct = type == kFloat16 || type == kBFloat16 ? int32_t(kFloat) : type;
  Value a = tb.convert(nc.operand(0), type, ct),
        b = tb.convert(nc.operand(1), type, ct);
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec) {
    as.insert(as.begin(), 1);
    a = tb.reshape(a, as);
  }
  if (bVec) {
    bs.push_back(1);
    b = tb.reshape(b, bs);
  }
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K)
    return nc.emitError() << "inner dimensions differ (" << K << " vs "
                          << bs[bs.size() - 2] << ")";
  SmallVector<int64_t> batch;
  if (!broadcastShapes(ArrayRef<int64_t>(as).drop_back(2),
                       ArrayRef<int64_t>(bs).drop_back(2), batch))
    return nc.emitError() << "batch dimensions cannot be broadcast";
  int64_t B = numElements(batch);
  Value y;
  if (bs.size() == 2) {
    // Weights shared over the batch: one big matmul over all rows of A.
    Value a2 = tb.reshape(a, {numElements(as) / K, K});
    y = matmul2d(tb, a2, b);
  } else {
    SmallVector<int64_t> aFull(batch), bFull(batch);
    aFull.append({M, K});
    bFull.append({K, N});
    Value a3 = tb.reshape(tb.broadcastTo(a, aFull), {B, M, K});
    Value b3 = tb.reshape(tb.broadcastTo(b, bFull), {B, K, N});
    Type elem = TensorBuilder::elementTypeOf(a);
    Value init = tb.splat(tb.scalar(elem, 0.0), {B, M, N});
    y = linalg::BatchMatmulOp::create(tb.builder(), nc.loc(),
                                      TypeRange{init.getType()},
                                      ValueRange{a3, b3}, ValueRange{init})
            .getResult(0);
  }
  SmallVector<int64_t> out(batch);
  if (bs.size() == 2)
    out.assign(as.begin(), as.end() - 2);
  if (!aVec)
    out.push_back(M);
  if (!bVec)
    out.push_back(N);
  nc.setResult(0, tb.convert(tb.reshape(y, out), ct, type), type);
  return success();
}

//===----------------------------------------------------------------------===//
// Activations and normalisation
//===----------------------------------------------------------------------===//

LogicalResult importHardSigmoid(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 0.2), beta = nc.attrFloat("beta", 0.5);
  return importUnary(nc, [=](OpBuilder &b, Location loc, Value x, int32_t) {
    Value v = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, floatLike(b, loc, x, alpha)),
        floatLike(b, loc, x, beta));
    v = arith::MinimumFOp::create(b, loc, v, floatLike(b, loc, x, 1.0));
    return arith::MaximumFOp::create(b, loc, v, floatLike(b, loc, x, 0.0))
        .getResult();
  });
}

LogicalResult importHardSwish(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    Value v = arith::AddFOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, floatLike(b, loc, x, 1.0 / 6.0)),
        floatLike(b, loc, x, 0.5));
    v = arith::MinimumFOp::create(b, loc, v, floatLike(b, loc, x, 1.0));
    v = arith::MaximumFOp::create(b, loc, v, floatLike(b, loc, x, 0.0));
    return arith::MulFOp::create(b, loc, x, v).getResult();
  });
}

LogicalResult importLeakyRelu(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 0.01);
  return importUnary(nc, [=](OpBuilder &b, Location loc, Value x, int32_t) {
    Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                                      floatLike(b, loc, x, 0.0));
    Value scaled = arith::MulFOp::create(b, loc, x, floatLike(b, loc, x, alpha));
    return arith::SelectOp::create(b, loc, neg, scaled, x).getResult();
  });
}

LogicalResult importGelu(NodeContext &nc) {
  std::string approx = nc.attrString("approximate", "none");
  if (approx != "none" && approx != "tanh")
    return nc.emitError() << "unsupported approximate='" << approx << "'";
  bool useTanh = approx == "tanh";
  return importUnary(nc, [=](OpBuilder &b, Location loc, Value x, int32_t) {
    Value half = floatLike(b, loc, x, 0.5), one = floatLike(b, loc, x, 1.0);
    Value inner;
    if (useTanh) {
      // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
      Value x3 = arith::MulFOp::create(
          b, loc, x, arith::MulFOp::create(b, loc, x, x));
      Value s = arith::AddFOp::create(
          b, loc, x, arith::MulFOp::create(b, loc, x3, floatLike(b, loc, x, 0.044715)));
      inner = math::TanhOp::create(
          b, loc, arith::MulFOp::create(b, loc, s,
                                        floatLike(b, loc, x, std::sqrt(2.0 / M_PI))));
    } else {
      inner = math::ErfOp::create(
          b, loc, arith::MulFOp::create(b, loc, x, floatLike(b, loc, x, M_SQRT1_2)));
    }
    Value t = arith::AddFOp::create(b, loc, one, inner);
    return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, half),
                                 t)
        .getResult();
  });
}

/// Softmax and LogSoftmax.
LogicalResult importSoftmaxFamily(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t dflt = nc.opset() >= 13 ? -1 : 1;
  auto axis = nc.normalizeAxis(nc.attrInt("axis", dflt), xs.size());
  if (failed(axis))
    return failure();
  if (!isFloatType(nc.inputType(0)))
    return nc.emitError() << "expects a floating-point input";
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0);
  Value y;
  if (nc.opset() >= 13) {
    // Normalise over one axis: move it last, reduce, move it back.
    SmallVector<int64_t> perm;
    for (int64_t d = 0; d < (int64_t)xs.size(); ++d)
      if (d != *axis)
        perm.push_back(d);
    perm.push_back(*axis);
    SmallVector<int64_t> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i)
      inverse[perm[i]] = i;
    Value t = tb.transpose(x, perm);
    y = tb.transpose(emitSoftmax(tb, t, xs.size() - 1, nc.opType() == "LogSoftmax"),
                     inverse);
  } else {
    // Before opset 13 the input is coerced to 2-D at `axis`.
    y = emitSoftmax(tb, x, *axis, nc.opType() == "LogSoftmax");
  }
  nc.setResult(0, y, nc.inputType(0));
  return success();
}

LogicalResult importLog(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    return math::LogOp::create(b, loc, x).getResult();
  });
}

LogicalResult importNeg(NodeContext &nc) {
  // Shape arithmetic negates axes and counts (LayerNormalization's function
  // body does): fold it so the shapes stay static.
  if (const HostTensor *c = nc.constantInput(0);
      c && c->size() <= kHostFoldLimit) {
    HostTensor r(c->type(), c->shape());
    for (int64_t i = 0, e = c->size(); i < e; ++i)
      isFloatType(c->type()) ? r.setDouble(i, -c->getDouble(i))
                             : r.setInt(i, -c->getInt(i));
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        if (isFloatType(t))
          return arith::NegFOp::create(b, loc, x);
        Value zero = scalarConstant(b, loc, t, 0);
        return arith::SubIOp::create(b, loc, zero, x);
      },
      /*floatOnly=*/false);
}

LogicalResult importNot(NodeContext &nc) {
  if (nc.inputType(0) != kBool)
    return nc.emitError() << "expects a bool input";
  // Masks computed from shapes (attention's causal mask) fold.
  if (const HostTensor *c = nc.constantInput(0);
      c && c->size() <= kHostFoldLimit) {
    HostTensor r(kBool, c->shape());
    for (int64_t i = 0, e = c->size(); i < e; ++i)
      r.setInt(i, c->getInt(i) ? 0 : 1);
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t) {
        Value t = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
        return arith::XOrIOp::create(b, loc, x, t).getResult();
      },
      /*floatOnly=*/false);
}

LogicalResult importPRelu(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  SmallVector<int64_t> s;
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (!broadcastShapes(xs, nc.inputShape(1), s) || ArrayRef<int64_t>(s) != xs)
    return nc.emitError() << "slope does not broadcast to the input";
  Value y = nc.tb().elementwise(
      {nc.operand(0), nc.operand(1)}, xs,
      TensorBuilder::elementTypeOf(nc.operand(0)),
      [](OpBuilder &b, Location loc, ValueRange v) {
        Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                          v[0], floatLike(b, loc, v[0], 0.0));
        Value scaled = arith::MulFOp::create(b, loc, v[0], v[1]);
        return arith::SelectOp::create(b, loc, neg, scaled, v[0]).getResult();
      });
  nc.setResult(0, y, type);
  return success();
}

LogicalResult importMean(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects floating-point inputs";
  SmallVector<int64_t> shape(nc.inputShape(0));
  SmallVector<Value> operands;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    SmallVector<int64_t> next;
    if (nc.inputType(i) != type || !broadcastShapes(shape, nc.inputShape(i), next))
      return nc.emitError() << "input " << i
                            << " differs in type or does not broadcast";
    shape = next;
    operands.push_back(nc.operand(i));
  }
  double inv = 1.0 / operands.size();
  Value y = nc.tb().elementwise(
      operands, shape, TensorBuilder::elementTypeOf(operands[0]),
      [inv](OpBuilder &b, Location loc, ValueRange v) {
        Value acc = v[0];
        for (size_t i = 1; i < v.size(); ++i)
          acc = arith::AddFOp::create(b, loc, acc, v[i]);
        return arith::MulFOp::create(b, loc, acc, floatLike(b, loc, acc, inv))
            .getResult();
      });
  nc.setResult(0, y, type);
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

LogicalResult importMaxPool(NodeContext &nc) {
  if (nc.hasOutput(1))
    return nc.emitError() << "the Indices output is not supported";
  if (nc.attrInt("storage_order", 0) != 0)
    return nc.emitError() << "storage_order=1 is not supported";
  int32_t type = nc.inputType(0);
  if (failed(nc.checkInputType(0, {kFloat, kFloat16, kBFloat16, kDouble, kInt8,
                                   kUInt8})))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (xs.size() < 3)
    return nc.emitError() << "input needs rank >= 3 (N, C, spatial...)";
  auto g = computeWindow(nc, xs.drop_front(2), {}, /*allowCeilMode=*/true);
  if (failed(g))
    return failure();
  TensorBuilder tb = nc.tb();
  SmallVector<int64_t> low(2, 0), high(2, 0);
  low.append(g->padBegin.begin(), g->padBegin.end());
  high.append(g->padEnd.begin(), g->padEnd.end());
  bool isFloat = isFloatType(type), isUnsigned = isUnsignedType(type);
  double lowest = isFloat ? -std::numeric_limits<double>::infinity()
                  : isUnsigned ? 0.0
                               : -128.0;
  Value x = tb.pad(nc.operand(0), low, high, lowest);
  Value y = emitWindowReduce(
      nc, x, *g, lowest,
      [=](OpBuilder &b, Location loc, ValueRange v) -> Value {
        if (isFloat)
          return arith::MaximumFOp::create(b, loc, v[0], v[1]);
        if (isUnsigned)
          return arith::MaxUIOp::create(b, loc, v[0], v[1]);
        return arith::MaxSIOp::create(b, loc, v[0], v[1]);
      });
  nc.setResult(0, y, type);
  return success();
}

/// LpPool (1, 2, 11, 18, 22): (sum over the window of |x|^p)^(1/p).
LogicalResult importLpPool(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (failed(checkFloatNCSpatial(nc)))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  auto g = computeWindow(nc, xs.drop_front(2), {},
                         /*allowCeilMode=*/nc.opset() >= 18);
  if (failed(g))
    return failure();
  double p = nc.attrInt("p", 2);
  TensorBuilder tb = nc.tb();
  Type elem = TensorBuilder::elementTypeOf(nc.operand(0));
  Value powered = tb.elementwise(
      {nc.operand(0)}, xs, elem, [p](OpBuilder &b, Location loc, ValueRange v) {
        Value a = math::AbsFOp::create(b, loc, v[0]);
        return math::PowFOp::create(b, loc, a, floatLike(b, loc, a, p))
            .getResult();
      });
  SmallVector<int64_t> low(2, 0), high(2, 0);
  low.append(g->padBegin.begin(), g->padBegin.end());
  high.append(g->padEnd.begin(), g->padEnd.end());
  Value sum = emitWindowReduce(nc, tb.pad(powered, low, high, 0.0), *g, 0.0,
                               [](OpBuilder &b, Location loc, ValueRange v) {
                                 return arith::AddFOp::create(b, loc, v[0], v[1])
                                     .getResult();
                               });
  Value y = tb.elementwise(
      {sum}, TensorBuilder::shapeOf(sum), elem,
      [p](OpBuilder &b, Location loc, ValueRange v) {
        return math::PowFOp::create(b, loc, v[0], floatLike(b, loc, v[0], 1.0 / p))
            .getResult();
      });
  nc.setResult(0, y, type);
  return success();
}

LogicalResult importGlobalPool(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (failed(checkFloatNCSpatial(nc)))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  bool isMax = nc.opType() == "GlobalMaxPool";
  SmallVector<int64_t> axes;
  for (int64_t d = 2; d < (int64_t)xs.size(); ++d)
    axes.push_back(d);
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0);
  Type elem = TensorBuilder::elementTypeOf(x);
  Value r = tb.reduce(
      x, axes, true, isMax ? -std::numeric_limits<double>::infinity() : 0.0,
      elem, [isMax](OpBuilder &b, Location loc, ValueRange v) -> Value {
        if (isMax)
          return arith::MaximumFOp::create(b, loc, v[0], v[1]);
        return arith::AddFOp::create(b, loc, v[0], v[1]);
      });
  if (!isMax) {
    double inv = 1.0 / numElements(xs.drop_front(2));
    r = tb.elementwise({r}, TensorBuilder::shapeOf(r), elem,
                       [inv](OpBuilder &b, Location loc, ValueRange v) {
                         return arith::MulFOp::create(b, loc, v[0],
                                                      floatLike(b, loc, v[0], inv))
                             .getResult();
                       });
  }
  nc.setResult(0, r, type);
  return success();
}

} // namespace

void cambrian::onnx_import::registerDefaultDomainGtoP(OpRegistry &r) {
  r.add("", "Gather", 1, importGather);
  r.add("", "Gelu", 20, importGelu);
  r.add("", "Gemm", 7, importGemm);
  r.add("", {"GlobalAveragePool", "GlobalMaxPool"}, 1, importGlobalPool);
  r.add("", {"Greater", "Less"}, 7, importNamedBinary);
  r.add("", {"GreaterOrEqual", "LessOrEqual"}, 12, importNamedBinary);
  r.add("", "HardSigmoid", 6, importHardSigmoid);
  r.add("", "HardSwish", 14, importHardSwish);
  r.add("", "Identity", 1, importIdentity);
  r.add("", "LeakyRelu", 6, importLeakyRelu);
  r.add("", "Log", 6, importLog);
  r.add("", "LogSoftmax", 1, importSoftmaxFamily);
  r.add("", "Softmax", 1, importSoftmaxFamily);
  r.add("", "MatMul", 1, importMatMul);
  r.add("", {"Max", "Min"}, 8, importNamedBinary);
  r.add("", "MaxPool", 8, importMaxPool);
  r.add("", "LpPool", 2, importLpPool);
  r.add("", "Mean", 8, importMean);
  r.add("", "Mod", 10, [](NodeContext &nc) {
    return importBinary(nc, nc.attrInt("fmod", 0) ? BinaryKind::FMod
                                                  : BinaryKind::Mod);
  });
  r.add("", "Mul", 7, importNamedBinary);
  r.add("", "Neg", 6, importNeg);
  r.add("", "Not", 1, importNot);
  r.add("", "Or", 7, importNamedBinary);
  r.add("", "Pow", 7, importNamedBinary);
  r.add("", "PRelu", 7, importPRelu);
}
