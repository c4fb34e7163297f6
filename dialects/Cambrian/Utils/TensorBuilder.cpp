//===- TensorBuilder.cpp - Emitting linalg/tensor IR on static tensors ----===//

#include "dialects/Cambrian/Utils/TensorBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cambrian;

bool cambrian::broadcastShapes(ArrayRef<int64_t> a,
                                            ArrayRef<int64_t> b,
                                            SmallVectorImpl<int64_t> &result) {
  size_t rank = std::max(a.size(), b.size());
  result.assign(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return false;
    result[i] = da == 1 ? db : da;
  }
  return true;
}

ArrayRef<int64_t> TensorBuilder::shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

Type TensorBuilder::elementTypeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getElementType();
}

Value TensorBuilder::empty(ArrayRef<int64_t> shape, Type elemType) {
  return tensor::EmptyOp::create(b, loc, shape, elemType);
}

Value TensorBuilder::scalar(Type type, double v) {
  if (auto ft = dyn_cast<FloatType>(type))
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(ft, v));
  auto it = cast<IntegerType>(type);
  if (it.getWidth() == 1)
    return arith::ConstantOp::create(b, loc, b.getBoolAttr(v != 0));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(it, static_cast<int64_t>(v)));
}

Value TensorBuilder::splat(Value scalar, ArrayRef<int64_t> shape) {
  Value init = empty(shape, scalar.getType());
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{init})
      .getResult(0);
}

/// The indexing map reading `operandShape` broadcast into a loop nest over
/// `resultShape`: leading dims dropped, unit dims pinned to 0.
static AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                              ArrayRef<int64_t> resultShape) {
  size_t offset = resultShape.size() - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (size_t i = 0; i < operandShape.size(); ++i) {
    if (operandShape[i] == 1 && resultShape[offset + i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + i, ctx));
  }
  return AffineMap::get(resultShape.size(), 0, exprs, ctx);
}

static Value buildElementwise(OpBuilder &b, Location loc, ValueRange operands,
                              ArrayRef<int64_t> resultShape, Type resultElem,
                              ScalarFn body, bool withIndices) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value v : operands)
    maps.push_back(broadcastMap(ctx, TensorBuilder::shapeOf(v), resultShape));
  maps.push_back(AffineMap::getMultiDimIdentityMap(resultShape.size(), ctx));
  SmallVector<utils::IteratorType> iters(resultShape.size(),
                                         utils::IteratorType::parallel);
  Value init = tensor::EmptyOp::create(b, loc, resultShape, resultElem);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, operands, ValueRange{init}, maps,
      iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
        SmallVector<Value> scalars(args.drop_back());
        if (withIndices)
          for (size_t d = 0; d < resultShape.size(); ++d)
            scalars.push_back(linalg::IndexOp::create(nb, nl, d));
        Value r = body(nb, nl, scalars);
        linalg::YieldOp::create(nb, nl, r);
      });
  return op.getResult(0);
}

Value TensorBuilder::elementwise(ValueRange operands,
                                 ArrayRef<int64_t> resultShape,
                                 Type resultElemType, ScalarFn body) {
  return buildElementwise(b, loc, operands, resultShape, resultElemType, body,
                          /*withIndices=*/false);
}

Value TensorBuilder::elementwiseIndexed(ValueRange operands,
                                        ArrayRef<int64_t> resultShape,
                                        Type resultElemType, ScalarFn body) {
  return buildElementwise(b, loc, operands, resultShape, resultElemType, body,
                          /*withIndices=*/true);
}

Value TensorBuilder::reshape(Value v, ArrayRef<int64_t> shape) {
  ArrayRef<int64_t> from = shapeOf(v);
  if (from == shape)
    return v;
  Type elem = elementTypeOf(v);
  // Collapse to 1-D, then expand to the target: both are views after
  // bufferization, and canonicalization merges the pair where it can.
  Value flat = v;
  int64_t n = ShapedType::getNumElements(from);
  if (from.empty()) {
    // rank 0 -> rank 1 is an expansion with no reassociation groups.
    flat = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1}, elem), v,
        ArrayRef<ReassociationIndices>{},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  } else if (from.size() != 1) {
    ReassociationIndices all;
    for (size_t i = 0; i < from.size(); ++i)
      all.push_back(i);
    flat = tensor::CollapseShapeOp::create(
        b, loc, RankedTensorType::get({n}, elem), v,
        ArrayRef<ReassociationIndices>{all});
  }
  if (shape.size() == 1)
    return flat;
  auto resultType = RankedTensorType::get(shape, elem);
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, resultType, flat,
                                           ArrayRef<ReassociationIndices>{});
  ReassociationIndices all;
  SmallVector<OpFoldResult> sizes;
  for (size_t i = 0; i < shape.size(); ++i) {
    all.push_back(i);
    sizes.push_back(b.getIndexAttr(shape[i]));
  }
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat,
                                       ArrayRef<ReassociationIndices>{all},
                                       sizes);
}

Value TensorBuilder::transpose(Value v, ArrayRef<int64_t> perm) {
  ArrayRef<int64_t> from = shapeOf(v);
  bool identity = true;
  SmallVector<int64_t> shape;
  for (size_t i = 0; i < perm.size(); ++i) {
    identity &= perm[i] == (int64_t)i;
    shape.push_back(from[perm[i]]);
  }
  if (identity)
    return v;
  Value init = empty(shape, elementTypeOf(v));
  return linalg::TransposeOp::create(b, loc, v, init, perm).getResult()[0];
}

Value TensorBuilder::broadcastTo(Value v, ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  return elementwise({v}, shape, elementTypeOf(v),
                     [](OpBuilder &, Location, ValueRange args) {
                       return args[0];
                     });
}

Value TensorBuilder::reduce(Value v, ArrayRef<int64_t> axes, bool keepDims,
                            double init, Type accType, ScalarFn combine,
                            ScalarFn preMap) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> shape = shapeOf(v);
  SmallVector<int64_t> kept, keptDims;
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iters;
  for (size_t i = 0; i < shape.size(); ++i) {
    bool reduced = llvm::is_contained(axes, (int64_t)i);
    iters.push_back(reduced ? utils::IteratorType::reduction
                            : utils::IteratorType::parallel);
    if (!reduced) {
      kept.push_back(shape[i]);
      outExprs.push_back(getAffineDimExpr(i, ctx));
    }
  }
  Value acc = splat(scalar(accType, init), kept);
  SmallVector<AffineMap> maps = {
      AffineMap::getMultiDimIdentityMap(shape.size(), ctx),
      AffineMap::get(shape.size(), 0, outExprs, ctx)};
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{v}, ValueRange{acc}, maps,
      iters, [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value x = args[0];
        if (preMap)
          x = preMap(nb, nl, ValueRange{x});
        linalg::YieldOp::create(nb, nl, combine(nb, nl, {args[1], x}));
      });
  Value result = op.getResult(0);
  if (!keepDims)
    return result;
  SmallVector<int64_t> keptShape(shape.begin(), shape.end());
  for (int64_t a : axes)
    keptShape[a] = 1;
  return reshape(result, keptShape);
}

Value TensorBuilder::slice(Value v, ArrayRef<int64_t> offsets,
                           ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides) {
  if (shapeOf(v) == sizes && llvm::all_of(offsets, [](int64_t o) { return o == 0; }))
    return v;
  SmallVector<OpFoldResult> o, s, st;
  bool empty = llvm::is_contained(sizes, 0);
  for (size_t i = 0; i < offsets.size(); ++i) {
    // An empty slice may start at the end, which the verifier refuses.
    o.push_back(b.getIndexAttr(empty ? 0 : offsets[i]));
    s.push_back(b.getIndexAttr(sizes[i]));
    st.push_back(b.getIndexAttr(strides[i]));
  }
  auto type = RankedTensorType::get(sizes, elementTypeOf(v));
  return tensor::ExtractSliceOp::create(b, loc, type, v, o, s, st);
}

Value TensorBuilder::concat(ValueRange values, int64_t axis) {
  if (values.size() == 1)
    return values[0];
  SmallVector<int64_t> shape(shapeOf(values[0]));
  shape[axis] = 0;
  for (Value v : values)
    shape[axis] += shapeOf(v)[axis];
  Value result = empty(shape, elementTypeOf(values[0]));
  int64_t at = 0;
  for (Value v : values) {
    ArrayRef<int64_t> vs = shapeOf(v);
    SmallVector<OpFoldResult> o, s, st;
    for (size_t i = 0; i < vs.size(); ++i) {
      o.push_back(b.getIndexAttr(i == (size_t)axis ? at : 0));
      s.push_back(b.getIndexAttr(vs[i]));
      st.push_back(b.getIndexAttr(1));
    }
    at += vs[axis];
    if (vs[axis] == 0)
      continue;
    result = tensor::InsertSliceOp::create(b, loc, v, result, o, s, st);
  }
  return result;
}

Value TensorBuilder::pad(Value v, ArrayRef<int64_t> low, ArrayRef<int64_t> high,
                         double padValue) {
  if (llvm::all_of(low, [](int64_t d) { return d == 0; }) &&
      llvm::all_of(high, [](int64_t d) { return d == 0; }))
    return v;
  SmallVector<int64_t> shape;
  for (size_t i = 0; i < low.size(); ++i)
    shape.push_back(shapeOf(v)[i] + low[i] + high[i]);
  auto type = RankedTensorType::get(shape, elementTypeOf(v));
  SmallVector<OpFoldResult> lowOfr, highOfr;
  for (auto [l, h] : llvm::zip(low, high)) {
    lowOfr.push_back(b.getIndexAttr(l));
    highOfr.push_back(b.getIndexAttr(h));
  }
  return tensor::PadOp::create(b, loc, type, v, lowOfr, highOfr,
                               scalar(elementTypeOf(v), padValue));
}

Value TensorBuilder::windowReduce(Value input, ArrayRef<int64_t> kernel,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> dilations,
                                  ArrayRef<int64_t> outSpatial, double init,
                                  ScalarFn combine) {
  MLIRContext *ctx = b.getContext();
  ArrayRef<int64_t> inShape = shapeOf(input);
  Type elem = elementTypeOf(input);
  size_t nd = kernel.size();
  // Loops: n, c, out spatial..., window...
  size_t numLoops = 2 + 2 * nd;
  SmallVector<AffineExpr> inExprs = {getAffineDimExpr(0, ctx),
                                     getAffineDimExpr(1, ctx)};
  SmallVector<AffineExpr> outExprs = inExprs;
  SmallVector<AffineExpr> winExprs;
  for (size_t i = 0; i < nd; ++i) {
    AffineExpr o = getAffineDimExpr(2 + i, ctx);
    AffineExpr k = getAffineDimExpr(2 + nd + i, ctx);
    inExprs.push_back(o * strides[i] + k * dilations[i]);
    outExprs.push_back(o);
    winExprs.push_back(k);
  }
  SmallVector<int64_t> outShape = {inShape[0], inShape[1]};
  outShape.append(outSpatial.begin(), outSpatial.end());
  Value window = empty(kernel, elem);
  Value acc = splat(scalar(elem, init), outShape);
  SmallVector<AffineMap> maps = {
      AffineMap::get(numLoops, 0, inExprs, ctx),
      AffineMap::get(numLoops, 0, winExprs, ctx),
      AffineMap::get(numLoops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iters(2 + nd, utils::IteratorType::parallel);
  iters.append(nd, utils::IteratorType::reduction);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{acc.getType()}, ValueRange{input, window},
      ValueRange{acc}, maps, iters,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, combine(nb, nl, {args[2], args[0]}));
      });
  return op.getResult(0);
}

//===----------------------------------------------------------------------===//
// Normalization statistics
//===----------------------------------------------------------------------===//

static Value constLike(OpBuilder &b, Location loc, Value like, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(like.getType(), v));
}

Moments cambrian::computeMoments(TensorBuilder &tb, Value x,
                                 ArrayRef<int64_t> axes, double eps,
                                 bool center) {
  ArrayRef<int64_t> xs = TensorBuilder::shapeOf(x);
  Type elem = TensorBuilder::elementTypeOf(x);
  double n = 1;
  for (int64_t a : axes)
    n *= xs[a];
  auto add = [](OpBuilder &b, Location loc, ValueRange v) -> Value {
    return arith::AddFOp::create(b, loc, v[0], v[1]);
  };
  auto square = [](OpBuilder &b, Location loc, ValueRange v) -> Value {
    return arith::MulFOp::create(b, loc, v[0], v[0]);
  };
  Moments m;
  Value sum = tb.reduce(x, axes, true, 0.0, elem, add);
  m.mean = tb.elementwise({sum}, TensorBuilder::shapeOf(sum), elem,
                          [n](OpBuilder &b, Location loc, ValueRange v) {
                            return arith::MulFOp::create(
                                       b, loc, v[0],
                                       constLike(b, loc, v[0], 1.0 / n))
                                .getResult();
                          });
  m.centered =
      center ? tb.elementwise({x, m.mean}, xs, elem,
                              [](OpBuilder &b, Location loc, ValueRange v) {
                                return arith::SubFOp::create(b, loc, v[0], v[1])
                                    .getResult();
                              })
             : x;
  Value sq = tb.reduce(m.centered, axes, true, 0.0, elem, add, square);
  m.invStdDev = tb.elementwise(
      {sq}, TensorBuilder::shapeOf(sq), elem,
      [n, eps](OpBuilder &b, Location loc, ValueRange v) {
        Value var = arith::MulFOp::create(b, loc, v[0],
                                          constLike(b, loc, v[0], 1.0 / n));
        return math::RsqrtOp::create(
                   b, loc,
                   arith::AddFOp::create(b, loc, var,
                                         constLike(b, loc, var, eps)))
            .getResult();
      });
  return m;
}

Value cambrian::scaleAndShift(TensorBuilder &tb, Value x, Value inv,
                              Value scale, Value bias) {
  SmallVector<Value> ops = {x};
  for (Value v : {inv, scale})
    if (v)
      ops.push_back(v);
  unsigned numMul = ops.size() - 1;
  if (bias)
    ops.push_back(bias);
  return tb.elementwise(ops, TensorBuilder::shapeOf(x),
                        TensorBuilder::elementTypeOf(x),
                        [=](OpBuilder &b, Location loc, ValueRange v) {
                          Value r = v[0];
                          for (unsigned k = 1; k <= numMul; ++k)
                            r = arith::MulFOp::create(b, loc, r, v[k]);
                          if (v.size() > numMul + 1)
                            r = arith::AddFOp::create(b, loc, r, v.back());
                          return r;
                        });
}
