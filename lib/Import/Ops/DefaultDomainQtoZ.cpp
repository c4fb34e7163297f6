//===- DefaultDomainQtoZ.cpp - ONNX ops Range .. Xor ----------------------===//

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

/// Publishes `t` reshaped, keeping it a constant when the input was one.
LogicalResult setReshaped(NodeContext &nc, ArrayRef<int64_t> shape) {
  if (const HostTensor *c = nc.constantInput(0)) {
    nc.setConstantResult(0, c->reshaped(shape));
    return success();
  }
  nc.setResult(0, nc.tb().reshape(nc.operand(0), shape), nc.inputType(0));
  return success();
}

/// Copies element `src` of `from` to element `dst` of `to` (same type).
void copyElement(const HostTensor &from, int64_t src, HostTensor &to,
                 int64_t dst) {
  int64_t es = onnxTypeSize(from.type());
  std::memcpy(const_cast<char *>(to.bytes().data()) + dst * es,
              from.bytes().data() + src * es, es);
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

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult importReshape(NodeContext &nc) {
  std::vector<int64_t> target;
  if (nc.opset() < 5) {
    target = nc.attrInts("shape");
  } else {
    auto t = nc.requireConstantInts(1, "shape");
    if (failed(t))
      return failure();
    target = *t;
  }
  ArrayRef<int64_t> in = nc.inputShape(0);
  bool allowZero = nc.attrInt("allowzero", 0) != 0;
  int64_t known = 1, inferAt = -1;
  SmallVector<int64_t> shape;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return nc.emitError() << "shape entry " << i
                              << " is 0 (copy) but the input has rank "
                              << in.size();
      d = in[i];
    }
    if (d == -1) {
      if (inferAt >= 0)
        return nc.emitError() << "shape has more than one -1";
      inferAt = i;
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return nc.emitError() << "shape entry " << i << " is " << d;
    known *= d;
    shape.push_back(d);
  }
  int64_t total = numElements(in);
  if (inferAt >= 0) {
    if (known == 0 || total % known)
      return nc.emitError() << "cannot infer the -1 extent: " << total
                            << " elements do not divide by " << known;
    shape[inferAt] = total / known;
  } else if (known != total) {
    return nc.emitError() << "cannot reshape " << total << " elements to "
                          << known;
  }
  return setReshaped(nc, shape);
}

LogicalResult importShape(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t rank = in.size();
  int64_t start = nc.attrInt("start", 0), end = nc.attrInt("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  SmallVector<int64_t> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(in[d]);
  nc.setConstantResult(
      0, HostTensor::fromInts(kInt64, {(int64_t)dims.size()}, dims));
  return success();
}

LogicalResult importSize(NodeContext &nc) {
  nc.setConstantResult(
      0, HostTensor::fromInts(kInt64, {}, {numElements(nc.inputShape(0))}));
  return success();
}

FailureOr<std::vector<int64_t>> axesOf(NodeContext &nc, bool required) {
  if (nc.opset() >= 13) {
    if (!nc.hasInput(1)) {
      if (required)
        return nc.emitError() << "missing input 'axes'", failure();
      return std::vector<int64_t>{};
    }
    return nc.requireConstantInts(1, "axes");
  }
  if (required && !nc.hasAttr("axes"))
    return nc.emitError() << "missing attribute 'axes'", failure();
  return nc.attrInts("axes");
}

LogicalResult importSqueeze(NodeContext &nc) {
  auto axes = axesOf(nc, false);
  if (failed(axes))
    return failure();
  ArrayRef<int64_t> in = nc.inputShape(0);
  SmallVector<bool> drop(in.size(), false);
  if (axes->empty()) {
    for (size_t d = 0; d < in.size(); ++d)
      drop[d] = in[d] == 1;
  }
  for (int64_t a : *axes) {
    auto n = nc.normalizeAxis(a, in.size());
    if (failed(n))
      return failure();
    if (in[*n] != 1)
      return nc.emitError() << "cannot squeeze dim " << *n << " of extent "
                            << in[*n];
    drop[*n] = true;
  }
  SmallVector<int64_t> shape;
  for (size_t d = 0; d < in.size(); ++d)
    if (!drop[d])
      shape.push_back(in[d]);
  return setReshaped(nc, shape);
}

LogicalResult importUnsqueeze(NodeContext &nc) {
  auto axes = axesOf(nc, true);
  if (failed(axes))
    return failure();
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t outRank = in.size() + axes->size();
  SmallVector<bool> inserted(outRank, false);
  for (int64_t a : *axes) {
    auto n = nc.normalizeAxis(a, outRank);
    if (failed(n))
      return failure();
    if (inserted[*n])
      return nc.emitError() << "axis " << a << " is repeated";
    inserted[*n] = true;
  }
  SmallVector<int64_t> shape;
  size_t next = 0;
  for (int64_t d = 0; d < outRank; ++d)
    shape.push_back(inserted[d] ? 1 : in[next++]);
  return setReshaped(nc, shape);
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

LogicalResult importSlice(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t rank = in.size();
  std::vector<int64_t> starts, ends, axes, steps;
  if (nc.opset() < 10) {
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

LogicalResult importSplit(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  auto axis = nc.normalizeAxis(nc.attrInt("axis", 0), in.size());
  if (failed(axis))
    return failure();
  std::vector<int64_t> split;
  if (nc.opset() >= 13) {
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
    int64_t parts = nc.opset() >= 18 && nc.hasAttr("num_outputs")
                        ? nc.attrInt("num_outputs", n)
                        : n;
    int64_t chunk = (dim + parts - 1) / parts;
    for (int64_t i = 0, left = dim; i < parts; ++i, left -= chunk)
      split.push_back(std::min(chunk, std::max<int64_t>(left, 0)));
    if (nc.opset() < 18 && dim % parts)
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

LogicalResult importRange(NodeContext &nc) {
  // The values decide the length, so all three must be known.
  auto s = nc.requireConstant(0, "start"), l = nc.requireConstant(1, "limit"),
       d = nc.requireConstant(2, "delta");
  if (failed(s) || failed(l) || failed(d))
    return failure();
  int32_t type = nc.inputType(0);
  double start = (*s)->getDouble(0), limit = (*l)->getDouble(0), delta = (*d)->getDouble(0);
  if (delta == 0)
    return nc.emitError() << "delta must not be 0";
  int64_t n = std::max<int64_t>(std::ceil((limit - start) / delta), 0);
  HostTensor r(type, {n});
  for (int64_t i = 0; i < n; ++i) {
    if (isFloatType(type))
      r.setDouble(i, start + i * delta);
    else
      r.setInt(i, (*s)->getInt(0) + i * (*d)->getInt(0));
  }
  nc.setConstantResult(0, std::move(r));
  return success();
}

LogicalResult importWhere(NodeContext &nc) {
  if (nc.inputType(0) != kBool)
    return nc.emitError() << "condition must be bool";
  int32_t type = nc.inputType(1);
  if (nc.inputType(2) != type)
    return nc.emitError() << "X and Y differ in element type";
  SmallVector<int64_t> s1, shape;
  if (!broadcastShapes(nc.inputShape(0), nc.inputShape(1), s1) ||
      !broadcastShapes(s1, nc.inputShape(2), shape))
    return nc.emitError() << "inputs cannot be broadcast together";
  if (nc.allInputsConstant() && numElements(shape) <= kHostFoldLimit) {
    // cond ? x : y == x * cond + y * !cond, but exact: pick per element.
    HostTensor zero(type, {});
    HostTensor x = foldBinary(BinaryKind::Add, *nc.constantInput(1), zero, shape);
    HostTensor y = foldBinary(BinaryKind::Add, *nc.constantInput(2), zero, shape);
    HostTensor c = foldBinary(BinaryKind::Or, *nc.constantInput(0),
                              HostTensor(kBool, {}), shape);
    for (int64_t i = 0, e = numElements(shape); i < e; ++i)
      if (!c.getInt(i))
        copyElement(y, i, x, i);
    nc.setConstantResult(0, std::move(x));
    return success();
  }
  Value r = nc.tb().elementwise(
      {nc.operand(0), nc.operand(1), nc.operand(2)}, shape,
      mlirElementType(nc.context(), type),
      [](OpBuilder &b, Location loc, ValueRange v) {
        return arith::SelectOp::create(b, loc, v[0], v[1], v[2]).getResult();
      });
  nc.setResult(0, r, type);
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult importReduce(NodeContext &nc) {
  StringRef op = nc.opType();
  int32_t type = nc.inputType(0);
  bool isFloat = isFloatType(type);
  bool boolMinMax = type == kBool && (op == "ReduceMax" || op == "ReduceMin");
  if (!mlirElementType(nc.context(), type) || (type == kBool && !boolMinMax))
    return nc.emitError() << "unsupported element type " << onnxTypeName(type);
  if (!isFloat && op != "ReduceSum" && op != "ReduceMax" && op != "ReduceMin" &&
      op != "ReduceProd")
    return nc.emitError() << "expects a floating-point input";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  bool axesFromInput = op == "ReduceSum" ? nc.opset() >= 13 : nc.opset() >= 18;
  bool noop = false;
  auto axes = readReduceAxes(nc, xs.size(), axesFromInput, noop);
  if (failed(axes))
    return failure();
  if (noop) {
    nc.setResult(0, nc.operand(0), type);
    return success();
  }
  bool keep = nc.attrInt("keepdims", 1) != 0;
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0);
  Type elem = TensorBuilder::elementTypeOf(x);
  if (boolMinMax) {
    // Over bools, max is "any" and min is "all".
    bool any = op == "ReduceMax";
    Value r = tb.reduce(x, *axes, keep, any ? 0.0 : 1.0, elem,
                        [any](OpBuilder &b, Location loc, ValueRange v) -> Value {
                          if (any)
                            return arith::OrIOp::create(b, loc, v[0], v[1]);
                          return arith::AndIOp::create(b, loc, v[0], v[1]);
                        });
    nc.setResult(0, r, kBool);
    return success();
  }
  double count = 1;
  for (int64_t a : *axes)
    count *= xs[a];
  auto bin = [type](BinaryKind k) {
    return [type, k](OpBuilder &b, Location loc, ValueRange v) {
      return emitBinary(b, loc, k, v[0], v[1], type);
    };
  };
  ScalarFn square = [](OpBuilder &b, Location loc, ValueRange v) {
    return arith::MulFOp::create(b, loc, v[0], v[0]).getResult();
  };
  ScalarFn abs = [](OpBuilder &b, Location loc, ValueRange v) {
    return math::AbsFOp::create(b, loc, v[0]).getResult();
  };
  ScalarFn exp = [](OpBuilder &b, Location loc, ValueRange v) {
    return math::ExpOp::create(b, loc, v[0]).getResult();
  };
  double inf = std::numeric_limits<double>::infinity();
  double lowest = isFloat ? -inf : (double)std::numeric_limits<int64_t>::min();
  double highest = isFloat ? inf : (double)std::numeric_limits<int64_t>::max();
  if (!isFloat) {
    unsigned w = elem.getIntOrFloatBitWidth();
    bool u = isUnsignedType(type);
    lowest = u ? 0 : -std::ldexp(1.0, w - 1);
    highest = u ? std::ldexp(1.0, w) - 1 : std::ldexp(1.0, w - 1) - 1;
  }
  Value r;
  if (op == "ReduceSum" || op == "ReduceMean")
    r = tb.reduce(x, *axes, keep, 0.0, elem, bin(BinaryKind::Add));
  else if (op == "ReduceMax")
    r = tb.reduce(x, *axes, keep, lowest, elem, bin(BinaryKind::Max));
  else if (op == "ReduceMin")
    r = tb.reduce(x, *axes, keep, highest, elem, bin(BinaryKind::Min));
  else if (op == "ReduceProd")
    r = tb.reduce(x, *axes, keep, 1.0, elem, bin(BinaryKind::Mul));
  else if (op == "ReduceSumSquare" || op == "ReduceL2")
    r = tb.reduce(x, *axes, keep, 0.0, elem, bin(BinaryKind::Add), square);
  else if (op == "ReduceL1")
    r = tb.reduce(x, *axes, keep, 0.0, elem, bin(BinaryKind::Add), abs);
  else if (op == "ReduceLogSum")
    r = tb.reduce(x, *axes, keep, 0.0, elem, bin(BinaryKind::Add));
  else if (op == "ReduceLogSumExp") {
    // log(sum(exp(x - max))) + max, for range.
    Value mx = tb.reduce(x, *axes, true, -inf, elem, bin(BinaryKind::Max));
    Value shifted = tb.elementwise(
        {x, mx}, xs, elem, [](OpBuilder &b, Location loc, ValueRange v) {
          return math::ExpOp::create(b, loc,
                                     arith::SubFOp::create(b, loc, v[0], v[1]))
              .getResult();
        });
    Value s = tb.reduce(shifted, *axes, true, 0.0, elem, bin(BinaryKind::Add));
    r = tb.elementwise({s, mx}, TensorBuilder::shapeOf(s), elem,
                       [](OpBuilder &b, Location loc, ValueRange v) {
                         return arith::AddFOp::create(
                                    b, loc, math::LogOp::create(b, loc, v[0]), v[1])
                             .getResult();
                       });
    if (!keep) {
      SmallVector<int64_t> shape;
      for (int64_t d = 0; d < (int64_t)xs.size(); ++d)
        if (!llvm::is_contained(*axes, d))
          shape.push_back(xs[d]);
      r = tb.reshape(r, shape);
    }
    (void)exp;
  } else {
    return nc.emitError() << "unknown reduction";
  }
  auto post = [&](ScalarFn fn) {
    r = tb.elementwise({r}, TensorBuilder::shapeOf(r), elem, fn);
  };
  if (op == "ReduceMean")
    post([count](OpBuilder &b, Location loc, ValueRange v) {
      return arith::DivFOp::create(b, loc, v[0], floatLike(b, loc, v[0], count))
          .getResult();
    });
  else if (op == "ReduceL2")
    post([](OpBuilder &b, Location loc, ValueRange v) {
      return math::SqrtOp::create(b, loc, v[0]).getResult();
    });
  else if (op == "ReduceLogSum")
    post([](OpBuilder &b, Location loc, ValueRange v) {
      return math::LogOp::create(b, loc, v[0]).getResult();
    });
  nc.setResult(0, r, type);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

LogicalResult importRelu(NodeContext &nc) {
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        Value zero = scalarConstant(b, loc, t, 0);
        return emitBinary(b, loc, BinaryKind::Max, x, zero, t);
      },
      /*floatOnly=*/false);
}

LogicalResult importSigmoid(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    Value d = arith::AddFOp::create(b, loc, floatLike(b, loc, x, 1.0), e);
    return arith::DivFOp::create(b, loc, floatLike(b, loc, x, 1.0), d).getResult();
  });
}

LogicalResult importSelu(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 1.67326319217681884765625);
  double gamma = nc.attrFloat("gamma", 1.05070102214813232421875);
  return importUnary(nc, [=](OpBuilder &b, Location loc, Value x, int32_t) {
    Value neg = arith::MulFOp::create(b, loc, floatLike(b, loc, x, alpha),
                                      math::ExpM1Op::create(b, loc, x));
    Value isPos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                        floatLike(b, loc, x, 0.0));
    Value v = arith::SelectOp::create(b, loc, isPos, x, neg);
    return arith::MulFOp::create(b, loc, v, floatLike(b, loc, x, gamma)).getResult();
  });
}

LogicalResult importSoftplus(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    // max(x, 0) + log1p(exp(-|x|)) does not overflow.
    Value ax = math::AbsFOp::create(b, loc, x);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, ax));
    Value l = math::Log1pOp::create(b, loc, e);
    Value m = arith::MaximumFOp::create(b, loc, x, floatLike(b, loc, x, 0.0));
    return arith::AddFOp::create(b, loc, m, l).getResult();
  });
}

LogicalResult importSoftsign(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    Value d = arith::AddFOp::create(b, loc, floatLike(b, loc, x, 1.0),
                                    math::AbsFOp::create(b, loc, x));
    return arith::DivFOp::create(b, loc, x, d).getResult();
  });
}

LogicalResult importSign(NodeContext &nc) {
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        Value zero = scalarConstant(b, loc, t, 0);
        Value one = scalarConstant(b, loc, t, 1);
        Value minus = scalarConstant(b, loc, t, isUnsignedType(t) ? 0 : -1);
        Value gt = emitBinary(b, loc, BinaryKind::Greater, x, zero, t);
        Value lt = emitBinary(b, loc, BinaryKind::Less, x, zero, t);
        Value r = arith::SelectOp::create(b, loc, lt, minus, zero);
        return arith::SelectOp::create(b, loc, gt, one, r);
      },
      /*floatOnly=*/false);
}

LogicalResult importReciprocal(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    return arith::DivFOp::create(b, loc, floatLike(b, loc, x, 1.0), x).getResult();
  });
}

LogicalResult importThresholdedRelu(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 1.0);
  return importUnary(nc, [=](OpBuilder &b, Location loc, Value x, int32_t) {
    Value gt = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x,
                                     floatLike(b, loc, x, alpha));
    return arith::SelectOp::create(b, loc, gt, x, floatLike(b, loc, x, 0.0))
        .getResult();
  });
}

} // namespace

void cambrian::onnx_import::registerDefaultDomainQtoZ(OpRegistry &r) {
  r.add("", "Range", 11, importRange);
  r.add("", "Reciprocal", 6, importReciprocal);
  r.add("", {"ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp",
             "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSum",
             "ReduceSumSquare"},
        1, importReduce);
  r.add("", "Relu", 6, importRelu);
  r.add("", "Reshape", 1, importReshape);
  r.add("", "Selu", 6, importSelu);
  r.add("", "Shape", 1, importShape);
  r.add("", "Sigmoid", 6, importSigmoid);
  r.add("", "Sign", 9, importSign);
  r.add("", "Sin", 7, importMathUnary<math::SinOp>);
  r.add("", "Sinh", 9, importMathUnary<math::SinhOp>);
  r.add("", "Size", 1, importSize);
  r.add("", "Slice", 1, importSlice);
  r.add("", "Softplus", 1, importSoftplus);
  r.add("", "Softsign", 1, importSoftsign);
  r.add("", "Split", 2, importSplit);
  r.add("", "Sqrt", 6, importMathUnary<math::SqrtOp>);
  r.add("", "Squeeze", 1, importSqueeze);
  r.add("", "Sub", 7, [](NodeContext &nc) { return importBinary(nc, BinaryKind::Sub); });
  r.add("", "Sum", 8, [](NodeContext &nc) { return importBinary(nc, BinaryKind::Add); });
  r.add("", "Tan", 7, importMathUnary<math::TanOp>);
  r.add("", "Tanh", 6, importMathUnary<math::TanhOp>);
  r.add("", "ThresholdedRelu", 10, importThresholdedRelu);
  r.add("", "Tile", 6, importTile);
  r.add("", "Transpose", 1, importTranspose);
  r.add("", "Unsqueeze", 1, importUnsqueeze);
  r.add("", "Where", 9, importWhere);
  r.add("", "Xor", 7, [](NodeContext &nc) { return importBinary(nc, BinaryKind::Xor); });
}
