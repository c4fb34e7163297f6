//===- Rearrange.cpp - DepthToSpace, SpaceToDepth, ReverseSequence -------===//
//
// Pure data movement: the first two are a reshape, a transpose and a
// reshape; ReverseSequence gathers along the time axis per batch entry.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// DepthToSpace (1, 11, 13): DCR or CRD channel order.
LogicalResult importDepthToSpace(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t bs = nc.attrInt("blocksize", 0);
  if (xs.size() != 4 || bs <= 0 || xs[1] % (bs * bs))
    return nc.emitError() << "needs a 4-D input whose channels divide by "
                             "blocksize^2";
  int64_t N = xs[0], C = xs[1] / (bs * bs), H = xs[2], W = xs[3];
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0), t;
  if (nc.attrString("mode", "DCR") == "CRD") {
    t = tb.transpose(tb.reshape(x, {N, C, bs, bs, H, W}), {0, 1, 4, 2, 5, 3});
  } else {
    t = tb.transpose(tb.reshape(x, {N, bs, bs, C, H, W}), {0, 3, 4, 1, 5, 2});
  }
  nc.setResult(0, tb.reshape(t, {N, C, H * bs, W * bs}), nc.inputType(0));
  return success();
}

/// SpaceToDepth (1, 13): the inverse of DCR DepthToSpace.
LogicalResult importSpaceToDepth(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t bs = nc.attrInt("blocksize", 0);
  if (xs.size() != 4 || bs <= 0 || xs[2] % bs || xs[3] % bs)
    return nc.emitError() << "needs a 4-D input whose height and width "
                             "divide by blocksize";
  int64_t N = xs[0], C = xs[1], H = xs[2] / bs, W = xs[3] / bs;
  TensorBuilder tb = nc.tb();
  Value t = tb.transpose(tb.reshape(nc.operand(0), {N, C, H, bs, W, bs}),
                         {0, 3, 5, 1, 2, 4});
  nc.setResult(0, tb.reshape(t, {N, C * bs * bs, H, W}), nc.inputType(0));
  return success();
}

/// ReverseSequence (10): reverse the first sequence_lens[b] steps of each
/// batch entry along time_axis.
LogicalResult importReverseSequence(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t timeAxis = nc.attrInt("time_axis", 0),
          batchAxis = nc.attrInt("batch_axis", 1);
  if (xs.size() < 2 || timeAxis < 0 || timeAxis > 1 || batchAxis < 0 ||
      batchAxis > 1 || timeAxis == batchAxis)
    return nc.emitError() << "time_axis and batch_axis must be 0 and 1";
  if (nc.inputShape(1) != ArrayRef<int64_t>{xs[batchAxis]})
    return nc.emitError() << "sequence_lens must have shape ["
                          << xs[batchAxis] << "]";
  Value x = nc.operand(0), lens = nc.operand(1);
  Value y = nc.tb().elementwiseIndexed(
      {}, xs, TensorBuilder::elementTypeOf(x),
      [&](OpBuilder &b, Location loc, ValueRange idx) -> Value {
        Value n = tensor::ExtractOp::create(b, loc, lens,
                                            ValueRange{idx[batchAxis]});
        n = arith::IndexCastOp::create(b, loc, b.getIndexType(), n);
        Value t = idx[timeAxis];
        // t < n reads n - 1 - t; later steps stay in place.
        Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                             t, n);
        Value rev = arith::SubIOp::create(
            b, loc, arith::SubIOp::create(b, loc, n, t),
            arith::ConstantIndexOp::create(b, loc, 1));
        SmallVector<Value> c(idx.begin(), idx.end());
        c[timeAxis] = arith::SelectOp::create(b, loc, inside, rev, t);
        return tensor::ExtractOp::create(b, loc, x, c);
      });
  nc.setResult(0, y, nc.inputType(0));
  return success();
}

/// Row-major coordinates of flat index `i` in `shape`.
SmallVector<int64_t> unflatten(int64_t i, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> c(shape.size());
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    c[d] = i % shape[d];
    i /= shape[d];
  }
  return c;
}

int64_t flatten(ArrayRef<int64_t> c, ArrayRef<int64_t> shape) {
  int64_t i = 0;
  for (size_t d = 0; d < shape.size(); ++d)
    i = i * shape[d] + c[d];
  return i;
}

/// An output whose element at coordinate c is input[map(c)]; folded on the
/// host for constants, else a linalg.generic of tensor.extract.
LogicalResult importIndexMap(
    NodeContext &nc, ArrayRef<int64_t> shape,
    llvm::function_ref<SmallVector<int64_t>(ArrayRef<int64_t>)> hostMap,
    llvm::function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>
        irMap) {
  int32_t type = nc.inputType(0);
  if (const HostTensor *c = nc.constantInput(0)) {
    HostTensor r(type, shape);
    for (int64_t i = 0, e = numElements(shape); i < e; ++i)
      copyElement(*c, flatten(hostMap(unflatten(i, shape)), c->shape()), r, i);
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  Value x = nc.operand(0);
  Value y = nc.tb().elementwiseIndexed(
      {}, shape, TensorBuilder::elementTypeOf(x),
      [&](OpBuilder &b, Location loc, ValueRange idx) {
        return tensor::ExtractOp::create(b, loc, x, irMap(b, loc, idx))
            .getResult();
      });
  nc.setResult(0, y, type);
  return success();
}

LogicalResult importConcat(NodeContext &nc) {
  if (!nc.hasAttr("axis"))
    return nc.emitError() << "missing attribute 'axis'";
  int64_t rank = nc.inputShape(0).size();
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  int32_t type = nc.inputType(0);
  SmallVector<int64_t> shape(nc.inputShape(0));
  shape[*axis] = 0;
  for (unsigned i = 0; i < nc.numInputs(); ++i) {
    ArrayRef<int64_t> s = nc.inputShape(i);
    if (nc.inputType(i) != type || (int64_t)s.size() != rank)
      return nc.emitError() << "input " << i
                            << " differs in element type or rank";
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && s[d] != shape[d])
        return nc.emitError() << "input " << i << " has extent " << s[d]
                              << " in dim " << d << ", input 0 has "
                              << shape[d];
    shape[*axis] += s[*axis];
  }
  if (nc.allInputsConstant() && numElements(shape) <= kHostFoldLimit) {
    HostTensor r(type, shape);
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < *axis; ++d)
      outer *= shape[d];
    for (int64_t d = *axis + 1; d < rank; ++d)
      inner *= shape[d];
    int64_t at = 0;
    for (unsigned i = 0; i < nc.numInputs(); ++i) {
      const HostTensor *c = nc.constantInput(i);
      int64_t ext = c->shape()[*axis];
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t k = 0; k < ext * inner; ++k) {
          int64_t dst = o * shape[*axis] * inner + at * inner + k;
          int64_t src = o * ext * inner + k;
          if (isFloatType(type))
            r.setDouble(dst, c->getDouble(src));
          else
            r.setInt(dst, c->getInt(src));
        }
      at += ext;
    }
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  SmallVector<Value> values;
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    values.push_back(nc.operand(i));
  nc.setResult(0, nc.tb().concat(values, *axis), type);
  return success();
}

LogicalResult importTranspose(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t rank = in.size();
  std::vector<int64_t> perm = nc.attrInts("perm");
  if (perm.empty())
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  SmallVector<bool> seen(rank, false);
  if ((int64_t)perm.size() != rank)
    return nc.emitError() << "perm has " << perm.size() << " entries for rank "
                          << rank;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return nc.emitError() << "perm is not a permutation";
    seen[p] = true;
  }
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(in[p]);
  if (nc.constantInput(0))
    return importIndexMap(
        nc, shape,
        [&](ArrayRef<int64_t> c) {
          SmallVector<int64_t> src(rank);
          for (int64_t d = 0; d < rank; ++d)
            src[perm[d]] = c[d];
          return src;
        },
        nullptr);
  nc.setResult(0, nc.tb().transpose(nc.operand(0), perm), nc.inputType(0));
  return success();
}

/// Per-axis slice parameters after ONNX's clamping rules.
struct SliceDim {
  int64_t start = 0, step = 1, size = 0;
};

/// Slice with starts/ends/axes as attributes (1) or as inputs 1-4, with
/// steps (10 on, `fromInputs`).
LogicalResult importSlice(NodeContext &nc, bool fromInputs) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t rank = in.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (!fromInputs) {
    starts = nc.attrInts("starts");
    ends = nc.attrInts("ends");
    axes = nc.attrInts("axes");
  } else {
    auto s = nc.requireConstantInts(1, "starts");
    auto e = nc.requireConstantInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (nc.hasInput(3)) {
      auto a = nc.requireConstantInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (nc.hasInput(4)) {
      auto st = nc.requireConstantInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return nc.emitError() << "starts, ends, axes and steps differ in length";
  SmallVector<SliceDim> dims(rank);
  for (int64_t d = 0; d < rank; ++d)
    dims[d].size = in[d];
  for (size_t i = 0; i < starts.size(); ++i) {
    auto ax = nc.normalizeAxis(axes[i], rank);
    if (failed(ax))
      return failure();
    int64_t dim = in[*ax], step = steps[i];
    if (step == 0)
      return nc.emitError() << "step must not be 0";
    int64_t s = starts[i], e = ends[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    int64_t n = step > 0 ? (e - s + step - 1) / step : (s - e - step - 1) / -step;
    // An empty slice may start at the end; any in-range start will do.
    dims[*ax] = {n > 0 ? s : 0, step, std::max<int64_t>(n, 0)};
  }
  SmallVector<int64_t> shape, offsets, strides;
  bool positive = true;
  for (const SliceDim &d : dims) {
    shape.push_back(d.size);
    offsets.push_back(d.start);
    strides.push_back(d.step);
    positive &= d.step > 0;
  }
  if (positive && !nc.constantInput(0)) {
    nc.setResult(0, nc.tb().slice(nc.operand(0), offsets, shape, strides),
                 nc.inputType(0));
    return success();
  }
  return importIndexMap(
      nc, shape,
      [&](ArrayRef<int64_t> c) {
        SmallVector<int64_t> src(rank);
        for (int64_t d = 0; d < rank; ++d)
          src[d] = dims[d].start + c[d] * dims[d].step;
        return src;
      },
      [&](OpBuilder &b, Location loc, ValueRange idx) {
        SmallVector<Value> src;
        for (int64_t d = 0; d < rank; ++d) {
          Value s = arith::ConstantIndexOp::create(b, loc, dims[d].start);
          Value st = arith::ConstantIndexOp::create(b, loc, dims[d].step);
          src.push_back(arith::AddIOp::create(
              b, loc, s, arith::MulIOp::create(b, loc, idx[d], st)));
        }
        return src;
      });
}

LogicalResult importSlice1(NodeContext &nc) {
  return importSlice(nc, /*fromInputs=*/false);
}

LogicalResult importSlice10(NodeContext &nc) {
  return importSlice(nc, /*fromInputs=*/true);
}

/// Split with sizes from the `split` attribute (2) or input 1 (13 on,
/// `splitFromInput`); from 18 on (`numOutputs`) the `num_outputs`
/// attribute may give the count and the last part may be smaller.
LogicalResult importSplit(NodeContext &nc, bool splitFromInput,
                          bool numOutputs) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), in.size());
  if (failed(axis))
    return failure();
  std::vector<int64_t> split;
  if (splitFromInput) {
    if (nc.hasInput(1)) {
      auto s = nc.requireConstantInts(1, "split");
      if (failed(s))
        return failure();
      split = *s;
    }
  } else {
    split = nc.attrInts("split");
  }
  int64_t dim = in[*axis];
  unsigned n = nc.numOutputs();
  if (split.empty()) {
    int64_t parts = numOutputs && nc.hasAttr("num_outputs")
                        ? nc.attrInt("num_outputs", n)
                        : n;
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0, left = dim; i < parts; ++i, left -= chunk)
      split.push_back(std::min(chunk, std::max<int64_t>(left, 0)));
    if (!numOutputs && dim % parts)
      return nc.emitError() << "extent " << dim << " does not split evenly "
                            << "into " << parts << " outputs";
  }
  if (split.size() != n)
    return nc.emitError() << "split has " << split.size() << " parts for "
                          << n << " outputs";
  int64_t total = 0;
  for (int64_t s : split)
    total += s;
  if (total != dim)
    return nc.emitError() << "split sizes sum to " << total << ", the axis has "
                          << dim;
  int64_t at = 0;
  TensorBuilder tb = nc.tb();
  for (unsigned i = 0; i < n; ++i) {
    SmallVector<int64_t> offsets(in.size(), 0), sizes(in), strides(in.size(), 1);
    offsets[*axis] = at;
    sizes[*axis] = split[i];
    if (const HostTensor *c = nc.constantInput(0)) {
      HostTensor r(c->type(), sizes);
      for (int64_t k = 0, e = r.size(); k < e; ++k) {
        SmallVector<int64_t> co = unflatten(k, sizes);
        co[*axis] += at;
        copyElement(*c, flatten(co, in), r, k);
      }
      nc.setConstantResult(i, std::move(r));
    } else {
      nc.setResult(i, tb.slice(nc.operand(0), offsets, sizes, strides),
                   nc.inputType(0));
    }
    at += split[i];
  }
  return success();
}

LogicalResult importSplit2(NodeContext &nc) {
  return importSplit(nc, /*splitFromInput=*/false, /*numOutputs=*/false);
}

LogicalResult importSplit13(NodeContext &nc) {
  return importSplit(nc, /*splitFromInput=*/true, /*numOutputs=*/false);
}

LogicalResult importSplit18(NodeContext &nc) {
  return importSplit(nc, /*splitFromInput=*/true, /*numOutputs=*/true);
}

LogicalResult importTile(NodeContext &nc) {
  auto repeats = nc.requireConstantInts(1, "repeats");
  if (failed(repeats))
    return failure();
  ArrayRef<int64_t> in = nc.inputShape(0);
  if (repeats->size() != in.size())
    return nc.emitError() << "repeats has " << repeats->size()
                          << " entries for rank " << in.size();
  SmallVector<int64_t> shape;
  for (size_t d = 0; d < in.size(); ++d) {
    if ((*repeats)[d] < 0)
      return nc.emitError() << "repeats must not be negative";
    shape.push_back(in[d] * (*repeats)[d]);
  }
  SmallVector<int64_t> inShape(in);
  return importIndexMap(
      nc, shape,
      [&](ArrayRef<int64_t> c) {
        SmallVector<int64_t> src(c.size());
        for (size_t d = 0; d < c.size(); ++d)
          src[d] = c[d] % inShape[d];
        return src;
      },
      [&](OpBuilder &b, Location loc, ValueRange idx) {
        SmallVector<Value> src;
        for (size_t d = 0; d < idx.size(); ++d)
          src.push_back(arith::RemUIOp::create(
              b, loc, idx[d], arith::ConstantIndexOp::create(b, loc, inShape[d])));
        return src;
      });
}

} // namespace

void cambrian::onnx_import::registerRearrange(OpRegistry &r) {
  r.add("", "Concat", 4, importConcat, OpFlag::MovesSmallTypes);
  r.add("", "DepthToSpace", 1, importDepthToSpace);
  r.add("", "ReverseSequence", 10, importReverseSequence);
  r.add("", "Slice", 1, importSlice1, OpFlag::MovesSmallTypes);
  r.add("", "Slice", 10, importSlice10, OpFlag::MovesSmallTypes);
  r.add("", "SpaceToDepth", 1, importSpaceToDepth);
  r.add("", "Split", 2, importSplit2, OpFlag::MovesSmallTypes);
  r.add("", "Split", 13, importSplit13, OpFlag::MovesSmallTypes);
  r.add("", "Split", 18, importSplit18, OpFlag::MovesSmallTypes);
  r.add("", "Tile", 6, importTile, OpFlag::MovesSmallTypes);
  r.add("", "Transpose", 1, importTranspose, OpFlag::MovesSmallTypes);
}
