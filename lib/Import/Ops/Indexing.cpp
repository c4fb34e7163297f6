//===- Indexing.cpp - Gathers, scatters, OneHot and Trilu -----------------===//
//
// Gathers read through run-time indices with tensor.extract in the body of
// the output's generic. Scatters are an scf.for over the update elements
// that inserts into a loop-carried copy of the data, so that duplicate
// indices apply in order as ONNX specifies. Indices are normalised (negative
// ones count from the end) and clamped, so a bad index never reads or
// writes outside the tensor.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// Row-major coordinates of flat position `flat` in `shape`.
SmallVector<Value> unflatten(OpBuilder &b, Location loc, Value flat,
                             ArrayRef<int64_t> shape) {
  SmallVector<Value> c(shape.size());
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    Value e = arith::ConstantIndexOp::create(b, loc, shape[d]);
    c[d] = arith::RemUIOp::create(b, loc, flat, e);
    flat = arith::DivUIOp::create(b, loc, flat, e);
  }
  return c;
}

/// The reduction a scatter applies to (old, update).
FailureOr<std::function<Value(OpBuilder &, Location, Value, Value)>>
scatterCombine(NodeContext &nc, int32_t type) {
  std::string red = nc.attrString("reduction", "none");
  if (red == "none")
    return std::function<Value(OpBuilder &, Location, Value, Value)>(
        [](OpBuilder &, Location, Value, Value u) { return u; });
  BinaryKind kind;
  if (red == "add")
    kind = BinaryKind::Add;
  else if (red == "mul")
    kind = BinaryKind::Mul;
  else if (red == "max")
    kind = BinaryKind::Max;
  else if (red == "min")
    kind = BinaryKind::Min;
  else
    return nc.emitError() << "reduction '" << red << "' is not supported";
  return std::function<Value(OpBuilder &, Location, Value, Value)>(
      [kind, type](OpBuilder &b, Location loc, Value old, Value u) {
        return emitBinary(b, loc, kind, old, u, type);
      });
}

/// Scatters: for each of `count` update positions, `target` gives the data
/// coordinates (from the update's flat position) and `update` its value.
Value emitScatter(
    NodeContext &nc, Value data, int64_t count,
    llvm::function_ref<SmallVector<Value>(OpBuilder &, Location, Value)> target,
    llvm::function_ref<Value(OpBuilder &, Location, Value)> update,
    const std::function<Value(OpBuilder &, Location, Value, Value)> &combine) {
  OpBuilder &b = nc.builder();
  Location loc = nc.loc();
  // A fresh copy: the scatter writes into it in place.
  Value init = nc.tb().elementwise(
      {data}, TensorBuilder::shapeOf(data), TensorBuilder::elementTypeOf(data),
      [](OpBuilder &, Location, ValueRange v) { return v[0]; });
  auto loop = scf::ForOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, 0),
      arith::ConstantIndexOp::create(b, loc, count),
      arith::ConstantIndexOp::create(b, loc, 1), ValueRange{init},
      [&](OpBuilder &lb, Location l, Value j, ValueRange acc) {
        SmallVector<Value> at = target(lb, l, j);
        Value old = tensor::ExtractOp::create(lb, l, acc[0], at);
        Value v = combine(lb, l, old, update(lb, l, j));
        Value next = tensor::InsertOp::create(lb, l, v, acc[0], at);
        scf::YieldOp::create(lb, l, next);
      });
  return loop.getResult(0);
}

/// GatherElements (11, 13).
LogicalResult importGatherElements(NodeContext &nc) {
  ArrayRef<int64_t> ds = nc.inputShape(0), is = nc.inputShape(1);
  if (ds.size() != is.size())
    return nc.emitError() << "data and indices differ in rank";
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), ds.size());
  if (failed(axis) || failed(nc.checkInputType(1, {kInt32, kInt64})))
    return failure();
  Value data = nc.operand(0), idx = nc.operand(1);
  int64_t ax = *axis, extent = ds[ax];
  Value y = nc.tb().elementwiseIndexed(
      {idx}, is, TensorBuilder::elementTypeOf(data),
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        SmallVector<Value> at(v.begin() + 1, v.end());
        at[ax] = normalizeIndex(b, loc, v[0], extent);
        return tensor::ExtractOp::create(b, loc, data, at);
      });
  nc.setResult(0, y, nc.inputType(0));
  return success();
}

/// ScatterElements (11, 13, 16, 18) and Scatter (9, 11).
LogicalResult importScatterElements(NodeContext &nc) {
  ArrayRef<int64_t> ds = nc.inputShape(0), is = nc.inputShape(1);
  if (ds.size() != is.size() || nc.inputShape(2) != is)
    return nc.emitError() << "indices and updates must have the same shape "
                             "and the rank of data";
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), ds.size());
  if (failed(axis) || failed(nc.checkInputType(1, {kInt32, kInt64})))
    return failure();
  auto combine = scatterCombine(nc, nc.inputType(0));
  if (failed(combine))
    return failure();
  Value idx = nc.operand(1), upd = nc.operand(2);
  int64_t ax = *axis, extent = ds[ax];
  SmallVector<int64_t> ishape(is);
  Value y = emitScatter(
      nc, nc.operand(0), numElements(is),
      [&](OpBuilder &b, Location loc, Value j) {
        SmallVector<Value> at = unflatten(b, loc, j, ishape);
        Value k = tensor::ExtractOp::create(b, loc, idx, at);
        at[ax] = normalizeIndex(b, loc, k, extent);
        return at;
      },
      [&](OpBuilder &b, Location loc, Value j) -> Value {
        return tensor::ExtractOp::create(b, loc, upd, unflatten(b, loc, j, ishape));
      },
      *combine);
  nc.setResult(0, y, nc.inputType(0));
  return success();
}

/// GatherND (11, 12, 13) with batch_dims.
LogicalResult importGatherND(NodeContext &nc) {
  ArrayRef<int64_t> ds = nc.inputShape(0), is = nc.inputShape(1);
  int64_t bd = nc.attrInt("batch_dims", 0);
  if (failed(nc.checkInputType(1, {kInt64})))
    return failure();
  if (is.empty() || bd < 0 || bd >= (int64_t)is.size() ||
      bd + is.back() > (int64_t)ds.size())
    return nc.emitError() << "indices do not fit data with batch_dims " << bd;
  int64_t k = is.back();
  SmallVector<int64_t> out(is.begin(), is.end() - 1);
  out.append(ds.begin() + bd + k, ds.end());
  Value data = nc.operand(0), idx = nc.operand(1);
  int64_t idxRank = is.size() - 1; // output dims that come from indices
  Value y = nc.tb().elementwiseIndexed(
      {}, out, TensorBuilder::elementTypeOf(data),
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        SmallVector<Value> at(v.begin(), v.begin() + bd);
        SmallVector<Value> ipos(v.begin(), v.begin() + idxRank);
        ipos.push_back(Value());
        for (int64_t t = 0; t < k; ++t) {
          ipos.back() = arith::ConstantIndexOp::create(b, loc, t);
          Value e = tensor::ExtractOp::create(b, loc, idx, ipos);
          at.push_back(normalizeIndex(b, loc, e, ds[bd + t]));
        }
        at.append(v.begin() + idxRank, v.end());
        return tensor::ExtractOp::create(b, loc, data, at);
      });
  nc.setResult(0, y, nc.inputType(0));
  return success();
}

/// ScatterND (11, 13, 16, 18).
LogicalResult importScatterND(NodeContext &nc) {
  ArrayRef<int64_t> ds = nc.inputShape(0), is = nc.inputShape(1),
                    us = nc.inputShape(2);
  if (failed(nc.checkInputType(1, {kInt64})))
    return failure();
  if (is.empty() || is.back() > (int64_t)ds.size())
    return nc.emitError() << "indices' last dimension exceeds the data's rank";
  int64_t k = is.back(), q = is.size() - 1;
  SmallVector<int64_t> want(is.begin(), is.end() - 1);
  want.append(ds.begin() + k, ds.end());
  if (us != ArrayRef<int64_t>(want))
    return nc.emitError() << "updates have the wrong shape";
  auto combine = scatterCombine(nc, nc.inputType(0));
  if (failed(combine))
    return failure();
  Value idx = nc.operand(1), upd = nc.operand(2);
  SmallVector<int64_t> ushape(us);
  Value y = emitScatter(
      nc, nc.operand(0), numElements(us),
      [&](OpBuilder &b, Location loc, Value j) {
        SmallVector<Value> uc = unflatten(b, loc, j, ushape);
        SmallVector<Value> ipos(uc.begin(), uc.begin() + q), at;
        ipos.push_back(Value());
        for (int64_t t = 0; t < k; ++t) {
          ipos.back() = arith::ConstantIndexOp::create(b, loc, t);
          Value e = tensor::ExtractOp::create(b, loc, idx, ipos);
          at.push_back(normalizeIndex(b, loc, e, ds[t]));
        }
        at.append(uc.begin() + q, uc.end());
        return at;
      },
      [&](OpBuilder &b, Location loc, Value j) -> Value {
        return tensor::ExtractOp::create(b, loc, upd, unflatten(b, loc, j, ushape));
      },
      *combine);
  nc.setResult(0, y, nc.inputType(0));
  return success();
}

/// OneHot (9, 11): `values[1]` where the index equals the position along
/// the new axis, `values[0]` elsewhere; negative indices count from depth.
LogicalResult importOneHot(NodeContext &nc) {
  ArrayRef<int64_t> is = nc.inputShape(0);
  auto depthV = nc.requireConstant(1, "depth");
  if (failed(depthV))
    return failure();
  int64_t depth = (int64_t)(*depthV)->getDouble(0);
  if (depth <= 0)
    return nc.emitError() << "depth must be positive";
  if (numElements(nc.inputShape(2)) != 2)
    return nc.emitError() << "values must hold [off, on]";
  auto axis = nc.normalizeAxis(nc.attrInt("axis", -1), is.size() + 1);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> out(is);
  out.insert(out.begin() + *axis, depth);
  int32_t it = nc.inputType(0), vt = nc.inputType(2);
  Value idx = nc.operand(0), values = nc.tb().reshape(nc.operand(2), {2});
  int64_t ax = *axis;
  Value y = nc.tb().elementwiseIndexed(
      {}, out, TensorBuilder::elementTypeOf(values),
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        SmallVector<Value> at(v.begin(), v.end());
        Value pos = at[ax];
        at.erase(at.begin() + ax);
        Value k = tensor::ExtractOp::create(b, loc, idx, at);
        // As a float index, truncated toward zero like ONNX's reference.
        Value ki = isFloatType(it)
                       ? arith::FPToSIOp::create(b, loc, b.getI64Type(), k).getResult()
                       : k;
        ki = arith::IndexCastOp::create(b, loc, b.getIndexType(), ki);
        Value d = arith::ConstantIndexOp::create(b, loc, depth);
        Value neg = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, ki,
                                          arith::ConstantIndexOp::create(b, loc, 0));
        ki = arith::SelectOp::create(b, loc, neg, arith::AddIOp::create(b, loc, ki, d), ki);
        Value hit = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, ki, pos);
        Value on = tensor::ExtractOp::create(b, loc, values,
                                             ValueRange{arith::ConstantIndexOp::create(b, loc, 1)});
        Value off = tensor::ExtractOp::create(b, loc, values,
                                              ValueRange{arith::ConstantIndexOp::create(b, loc, 0)});
        return arith::SelectOp::create(b, loc, hit, on, off);
      });
  nc.setResult(0, y, vt);
  return success();
}

/// Trilu (14): keep the upper (j - i >= k) or lower (j - i <= k) triangle of
/// the last two dims, zero the rest.
LogicalResult importTrilu(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (xs.size() < 2)
    return nc.emitError() << "input needs rank >= 2";
  int64_t k = 0;
  if (nc.hasInput(1)) {
    auto kv = nc.requireConstantInts(1, "k");
    if (failed(kv))
      return failure();
    k = kv->at(0);
  }
  bool upper = nc.attrInt("upper", 1) != 0;
  int32_t type = nc.inputType(0);
  int64_t r = xs.size();
  Value y = nc.tb().elementwiseIndexed(
      {nc.operand(0)}, xs, TensorBuilder::elementTypeOf(nc.operand(0)),
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        Value i = arith::IndexCastOp::create(b, loc, b.getI64Type(), v[r - 1]);
        Value j = arith::IndexCastOp::create(b, loc, b.getI64Type(), v[r]);
        Value diff = arith::SubIOp::create(b, loc, j, i);
        Value kc = arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(k));
        Value keep = arith::CmpIOp::create(
            b, loc, upper ? arith::CmpIPredicate::sge : arith::CmpIPredicate::sle,
            diff, kc);
        return arith::SelectOp::create(b, loc, keep, v[0],
                                       scalarConstant(b, loc, type, 0));
      });
  nc.setResult(0, y, type);
  return success();
}

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

} // namespace

void cambrian::onnx_import::registerIndexing(OpRegistry &r) {
  r.add("", "Gather", 1, importGather, OpFlag::MovesSmallTypes);
  r.add("", "GatherElements", 11, importGatherElements);
  r.add("", "GatherND", 11, importGatherND);
  r.add("", "OneHot", 9, importOneHot);
  r.add("", "Scatter", 9, importScatterElements);
  r.add("", "ScatterElements", 11, importScatterElements);
  r.add("", "ScatterND", 11, importScatterND);
  r.add("", "Trilu", 14, importTrilu);
}
