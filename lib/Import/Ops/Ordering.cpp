//===- Ordering.cpp - ArgMax, ArgMin, Hardmax, CumSum, CumProd ------------===//
//
// Ops that scan one axis. ArgMax/ArgMin and Hardmax scan it per output
// element, an scf.for inside the body of the output's linalg.generic, which
// keeps the index bookkeeping (first or last extremum) explicit. CumSum and
// CumProd walk the axis once, carrying the running values of every row;
// TopK takes K passes over each row. All are linear in the axis' extent.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// The index (as `index`) of the largest (`max`) or smallest element of `x`
/// along `axis` at position `at` (whose entry for `axis` is ignored); ties
/// go to the first index, or the last with `last`.
Value argExtremum(OpBuilder &b, Location loc, Value x, SmallVector<Value> at,
                  int64_t axis, int64_t n, bool max, bool last, bool isFloat,
                  bool isUnsigned) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  at[axis] = zero;
  Value first = tensor::ExtractOp::create(b, loc, x, at);
  auto loop = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 1),
      arith::ConstantIndexOp::create(b, loc, n),
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{first, zero},
      [&](OpBuilder &lb, Location l, Value k, ValueRange acc) {
        SmallVector<Value> pos(at);
        pos[axis] = k;
        Value v = tensor::ExtractOp::create(lb, l, x, pos);
        Value better;
        if (isFloat) {
          auto strict = max ? arith::CmpFPredicate::OGT : arith::CmpFPredicate::OLT;
          auto orEq = max ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OLE;
          better = arith::CmpFOp::create(lb, l, last ? orEq : strict, v, acc[0]);
        } else {
          using P = arith::CmpIPredicate;
          P strict = max ? (isUnsigned ? P::ugt : P::sgt) : (isUnsigned ? P::ult : P::slt);
          P orEq = max ? (isUnsigned ? P::uge : P::sge) : (isUnsigned ? P::ule : P::sle);
          better = arith::CmpIOp::create(lb, l, last ? orEq : strict, v, acc[0]);
        }
        scf::YieldOp::create(
            lb, l,
            ValueRange{arith::SelectOp::create(lb, l, better, v, acc[0]),
                       arith::SelectOp::create(lb, l, better, k, acc[1])});
      });
  return loop.getResult(1);
}

/// ArgMax and ArgMin (1, 11, 12, 13); `select_last_index` exists from 12
/// on (`hasSelectLast`).
LogicalResult importArgExtremum(NodeContext &nc, bool hasSelectLast) {
  int32_t type = nc.inputType(0);
  if (type == kBool || !mlirElementType(nc.context(), type))
    return nc.emitError() << "unsupported element type " << onnxTypeName(type);
  ArrayRef<int64_t> xs = nc.inputShape(0);
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), xs.size());
  if (failed(axis))
    return failure();
  if (xs[*axis] == 0)
    return nc.emitError() << "cannot reduce an empty axis";
  bool keep = nc.attrInt("keepdims", 1) != 0;
  bool last = hasSelectLast && nc.attrInt("select_last_index", 0) != 0;
  bool max = nc.opType() == "ArgMax";
  SmallVector<int64_t> outShape(xs);
  outShape[*axis] = 1;
  Value x = nc.operand(0);
  int64_t ax = *axis, n = xs[ax];
  bool isFloat = isFloatType(type), isUnsigned = isUnsignedType(type);
  TensorBuilder tb = nc.tb();
  Value y = tb.elementwiseIndexed(
      {}, outShape, nc.builder().getI64Type(),
      [&](OpBuilder &b, Location loc, ValueRange idx) -> Value {
        Value k = argExtremum(b, loc, x, SmallVector<Value>(idx), ax, n, max,
                              last, isFloat, isUnsigned);
        return arith::IndexCastOp::create(b, loc, b.getI64Type(), k);
      });
  if (!keep) {
    outShape.erase(outShape.begin() + ax);
    y = tb.reshape(y, outShape);
  }
  nc.setResult(0, y, kInt64);
  return success();
}

LogicalResult importArgExtremum1(NodeContext &nc) {
  return importArgExtremum(nc, /*hasSelectLast=*/false);
}

LogicalResult importArgExtremum12(NodeContext &nc) {
  return importArgExtremum(nc, /*hasSelectLast=*/true);
}

/// Hardmax (1, 11, 13): 1 at the first maximum along the axis (before 13,
/// of the input flattened to 2-D at `axis`), 0 elsewhere.
LogicalResult importHardmax(NodeContext &nc, bool singleAxis) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  auto axis = nc.normalizeAxis(nc.attrInt("axis", singleAxis ? -1 : 1),
                               xs.size());
  if (failed(axis))
    return failure();
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0);
  SmallVector<int64_t> shape(xs);
  int64_t ax = *axis;
  if (!singleAxis) {
    shape = {numElements(xs.take_front(ax)), numElements(xs.drop_front(ax))};
    x = tb.reshape(x, shape);
    ax = 1;
  }
  int64_t n = shape[ax];
  if (numElements(shape) == 0) {
    nc.setResult(0, nc.operand(0), type);
    return success();
  }
  // The first maximum of each row once, then a compare per element.
  SmallVector<int64_t> rowShape(shape);
  rowShape[ax] = 1;
  Value best = tb.elementwiseIndexed(
      {}, rowShape, nc.builder().getI64Type(),
      [&](OpBuilder &b, Location loc, ValueRange idx) -> Value {
        Value k = argExtremum(b, loc, x, SmallVector<Value>(idx), ax, n,
                              /*max=*/true, /*last=*/false, true, false);
        return arith::IndexCastOp::create(b, loc, b.getI64Type(), k);
      });
  Type f = TensorBuilder::elementTypeOf(x);
  Value y = tb.elementwiseIndexed(
      {best}, shape, f, [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), v[1 + ax]);
        Value hit =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, v[0], i);
        return arith::SelectOp::create(
            b, loc, hit, arith::ConstantOp::create(b, loc, b.getFloatAttr(f, 1.0)),
            arith::ConstantOp::create(b, loc, b.getFloatAttr(f, 0.0)));
      });
  nc.setResult(0, tb.reshape(y, xs), type);
  return success();
}

LogicalResult importHardmax1(NodeContext &nc) {
  return importHardmax(nc, /*singleAxis=*/false);
}

LogicalResult importHardmax13(NodeContext &nc) {
  return importHardmax(nc, /*singleAxis=*/true);
}

/// CumSum (11, 14) and CumProd (26): running sums/products along the axis
/// given as input 1, optionally exclusive and/or reversed.
LogicalResult importCumulative(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (type == kBool || !mlirElementType(nc.context(), type))
    return nc.emitError() << "unsupported element type " << onnxTypeName(type);
  ArrayRef<int64_t> xs = nc.inputShape(0);
  auto axisV = nc.requireConstantInts(1, "axis");
  if (failed(axisV))
    return failure();
  if (axisV->size() != 1)
    return nc.emitError() << "axis must be one value";
  auto axis = nc.normalizeAxis(axisV->front(), xs.size());
  if (failed(axis))
    return failure();
  bool exclusive = nc.attrInt("exclusive", 0) != 0;
  bool reverse = nc.attrInt("reverse", 0) != 0;
  bool product = nc.opType() == "CumProd";
  bool isFloat = isFloatType(type);
  int64_t ax = *axis, n = xs[ax];
  Value x = nc.operand(0);
  Type elem = TensorBuilder::elementTypeOf(x);
  // A loop along the axis carries the running sums of every row at once:
  // step k adds slice k into them (a generic over the rows, which
  // vectorizes) and stores them, before (exclusive) or after, as slice k of
  // the output. O(n) per row.
  OpBuilder &b = nc.builder();
  Location loc = nc.loc();
  TensorBuilder tb = nc.tb();
  SmallVector<int64_t> rowShape(xs);
  rowShape.erase(rowShape.begin() + ax);
  auto rowType = RankedTensorType::get(rowShape, elem);
  Value acc0 = tb.splat(scalarConstant(b, loc, type, product ? 1.0 : 0.0),
                        rowShape);
  MLIRContext *ctx = nc.context();
  SmallVector<AffineMap> maps(
      2, AffineMap::getMultiDimIdentityMap(rowShape.size(), ctx));
  SmallVector<utils::IteratorType> iters(rowShape.size(),
                                         utils::IteratorType::parallel);
  auto loop = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0),
      arith::ConstantIndexOp::create(b, loc, n),
      arith::ConstantIndexOp::create(b, loc, 1),
      ValueRange{acc0, tb.empty(xs, elem)},
      [&](OpBuilder &lb, Location l, Value k, ValueRange carried) {
        Value pos = k;
        if (reverse)
          pos = arith::SubIOp::create(
              lb, l, arith::ConstantIndexOp::create(lb, l, n - 1), k);
        SmallVector<OpFoldResult> offsets(xs.size(), lb.getIndexAttr(0));
        SmallVector<OpFoldResult> sizes, strides(xs.size(), lb.getIndexAttr(1));
        for (int64_t e : xs)
          sizes.push_back(lb.getIndexAttr(e));
        offsets[ax] = pos;
        sizes[ax] = lb.getIndexAttr(1);
        Value slice = tensor::ExtractSliceOp::create(lb, l, rowType, x, offsets,
                                                     sizes, strides);
        Value out = carried[1];
        if (exclusive)
          out = tensor::InsertSliceOp::create(lb, l, carried[0], out, offsets,
                                              sizes, strides);
        // Accumulates into the carried sums in place.
        Value acc =
            linalg::GenericOp::create(
                lb, l, TypeRange{rowType}, ValueRange{slice},
                ValueRange{carried[0]}, maps, iters,
                [&](OpBuilder &gb, Location gl, ValueRange a) {
                  Value r =
                      product
                          ? (isFloat ? arith::MulFOp::create(gb, gl, a[1], a[0]).getResult()
                                     : arith::MulIOp::create(gb, gl, a[1], a[0]).getResult())
                          : (isFloat ? arith::AddFOp::create(gb, gl, a[1], a[0]).getResult()
                                     : arith::AddIOp::create(gb, gl, a[1], a[0]).getResult());
                  linalg::YieldOp::create(gb, gl, r);
                })
                .getResult(0);
        if (!exclusive)
          out = tensor::InsertSliceOp::create(lb, l, acc, out, offsets, sizes,
                                              strides);
        scf::YieldOp::create(lb, l, ValueRange{acc, out});
      });
  Value y = loop.getResult(1);
  nc.setResult(0, y, type);
  return success();
}

/// TopK (1, 10, 11, 24): the K largest (or smallest) along the axis, in
/// order, ties broken by the lower index.
/// `kFromInput`: K is input 1 (10 on), not the `k` attribute;
/// `hasLargest`: the `largest` attribute exists (11 on).
LogicalResult importTopK(NodeContext &nc, bool kFromInput, bool hasLargest) {
  int32_t type = nc.inputType(0);
  if (type == kBool || !mlirElementType(nc.context(), type))
    return nc.emitError() << "unsupported element type " << onnxTypeName(type);
  ArrayRef<int64_t> xs = nc.inputShape(0);
  auto axis = nc.normalizeAxis(nc.attrInt("axis", -1), xs.size());
  if (failed(axis))
    return failure();
  int64_t k;
  if (!kFromInput) {
    k = nc.attrInt("k", 0);
  } else {
    auto kv = nc.requireConstantInts(1, "K");
    if (failed(kv))
      return failure();
    k = kv->at(0);
  }
  int64_t ax = *axis, n = xs[ax];
  if (k < 0 || k > n)
    return nc.emitError() << "K = " << k << " is outside 0.." << n;
  bool largest = !hasLargest || nc.attrInt("largest", 1) != 0;
  bool isFloat = isFloatType(type), isUnsigned = isUnsignedType(type);
  SmallVector<int64_t> outShape(xs);
  outShape[ax] = k;
  Value x = nc.operand(0);
  TensorBuilder tb = nc.tb();
  // The order TopK lists: a before b when better(a, b), or when they are
  // equal and a has the lower index.
  auto better = [&](OpBuilder &b, Location loc, Value a, Value bv) -> Value {
    if (isFloat)
      return arith::CmpFOp::create(b, loc,
                                   largest ? arith::CmpFPredicate::OGT
                                           : arith::CmpFPredicate::OLT,
                                   a, bv);
    using P = arith::CmpIPredicate;
    P p = largest ? (isUnsigned ? P::ugt : P::sgt) : (isUnsigned ? P::ult : P::slt);
    return arith::CmpIOp::create(b, loc, p, a, bv);
  };
  auto equal = [&](OpBuilder &b, Location loc, Value a, Value bv) -> Value {
    if (isFloat)
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, a, bv);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, a, bv);
  };
  // One row at a time (an scf.for over every position but the axis), K
  // passes per row: pass j takes the first element, in order, that comes
  // after the one pass j-1 took. O(K n) per row; the outputs are filled by
  // tensor.insert into loop-carried tensors.
  OpBuilder &b = nc.builder();
  Location loc = nc.loc();
  auto cst = [](OpBuilder &ob, Location l, int64_t v) -> Value {
    return arith::ConstantIndexOp::create(ob, l, v);
  };
  SmallVector<int64_t> rowShape(xs);
  rowShape.erase(rowShape.begin() + ax);
  Type elem = TensorBuilder::elementTypeOf(x);
  Value initValues = tb.empty(outShape, elem);
  Value initIndices = tb.empty(outShape, b.getI64Type());
  auto rows = scf::ForOp::create(
      b, loc, cst(b, loc, 0), cst(b, loc, numElements(rowShape)),
      cst(b, loc, 1), ValueRange{initValues, initIndices},
      [&](OpBuilder &rb, Location l, Value row, ValueRange outs) {
        // Coordinates of the row, with a slot for the axis.
        SmallVector<Value> at(xs.size());
        Value rest = row;
        for (int64_t d = xs.size() - 1; d >= 0; --d) {
          if (d == ax)
            continue;
          Value e = cst(rb, l, xs[d]);
          at[d] = arith::RemUIOp::create(rb, l, rest, e);
          rest = arith::DivUIOp::create(rb, l, rest, e);
        }
        at[ax] = cst(rb, l, 0);
        Value first = tensor::ExtractOp::create(rb, l, x, at);
        auto passes = scf::ForOp::create(
            rb, l, cst(rb, l, 0), cst(rb, l, k), cst(rb, l, 1),
            ValueRange{first, cst(rb, l, 0), outs[0], outs[1]},
            [&](OpBuilder &pb, Location l2, Value j, ValueRange acc) {
              Value prevV = acc[0], prevI = acc[1];
              Value isFirst = arith::CmpIOp::create(
                  pb, l2, arith::CmpIPredicate::eq, j, cst(pb, l2, 0));
              auto scan = scf::ForOp::create(
                  pb, l2, cst(pb, l2, 0), cst(pb, l2, n), cst(pb, l2, 1),
                  ValueRange{first, cst(pb, l2, 0),
                             arith::ConstantOp::create(pb, l2, pb.getBoolAttr(false))},
                  [&](OpBuilder &sb, Location l3, Value i, ValueRange best) {
                    SmallVector<Value> pos(at);
                    pos[ax] = i;
                    Value v = tensor::ExtractOp::create(sb, l3, x, pos);
                    // After the previous pick in (value, index) order?
                    Value later = arith::AndIOp::create(
                        sb, l3, equal(sb, l3, v, prevV),
                        arith::CmpIOp::create(sb, l3, arith::CmpIPredicate::ugt,
                                              i, prevI));
                    Value after = arith::OrIOp::create(
                        sb, l3, isFirst,
                        arith::OrIOp::create(sb, l3, better(sb, l3, prevV, v),
                                             later));
                    // Scanning upwards, only a strictly better one replaces
                    // the best so far: ties keep the lower index.
                    Value improves = arith::OrIOp::create(
                        sb, l3,
                        arith::XOrIOp::create(
                            sb, l3, best[2],
                            arith::ConstantOp::create(sb, l3, sb.getBoolAttr(true))),
                        better(sb, l3, v, best[0]));
                    Value take = arith::AndIOp::create(sb, l3, after, improves);
                    scf::YieldOp::create(
                        sb, l3,
                        ValueRange{
                            arith::SelectOp::create(sb, l3, take, v, best[0]),
                            arith::SelectOp::create(sb, l3, take, i, best[1]),
                            arith::OrIOp::create(sb, l3, best[2], take)});
                  });
              Value v = scan.getResult(0), i = scan.getResult(1);
              SmallVector<Value> dst(at);
              dst[ax] = j;
              Value vals = tensor::InsertOp::create(pb, l2, v, acc[2], dst);
              Value idxs = tensor::InsertOp::create(
                  pb, l2,
                  arith::IndexCastOp::create(pb, l2, pb.getI64Type(), i),
                  acc[3], dst);
              scf::YieldOp::create(pb, l2, ValueRange{v, i, vals, idxs});
            });
        scf::YieldOp::create(
            rb, l, ValueRange{passes.getResult(2), passes.getResult(3)});
      });
  Value values = rows.getResult(0), indices = rows.getResult(1);
  nc.setResult(0, values, type);
  nc.setResult(1, indices, kInt64);
  return success();
}

LogicalResult importTopK1(NodeContext &nc) {
  return importTopK(nc, /*kFromInput=*/false, /*hasLargest=*/false);
}

LogicalResult importTopK10(NodeContext &nc) {
  return importTopK(nc, /*kFromInput=*/true, /*hasLargest=*/false);
}

LogicalResult importTopK11(NodeContext &nc) {
  return importTopK(nc, /*kFromInput=*/true, /*hasLargest=*/true);
}

} // namespace

void cambrian::onnx_import::registerOrdering(OpRegistry &r) {
  r.add("", {"ArgMax", "ArgMin"}, 1, importArgExtremum1);
  r.add("", {"ArgMax", "ArgMin"}, 12, importArgExtremum12);
  r.add("", "CumProd", 26, importCumulative);
  r.add("", "CumSum", 11, importCumulative);
  r.add("", "Hardmax", 1, importHardmax1);
  r.add("", "Hardmax", 13, importHardmax13);
  r.add("", "TopK", 1, importTopK1);
  r.add("", "TopK", 10, importTopK10);
  r.add("", "TopK", 11, importTopK11);
}
