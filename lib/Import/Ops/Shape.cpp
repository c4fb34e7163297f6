//===- Shape.cpp - Reshapes, shape queries and pass-throughs --------------===//
//
// Ops that change only the shape (Reshape, Flatten, Squeeze, Unsqueeze,
// Expand), read it (Shape, Size), or pass the data on (Identity, Dropout
// at inference). Constants stay constants.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

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

/// Reshape to the `shape` attribute (1) or to input 1 (5 on,
/// `shapeFromInput`).
LogicalResult importReshape(NodeContext &nc, bool shapeFromInput) {
  std::vector<int64_t> target;
  if (!shapeFromInput) {
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

LogicalResult importReshape1(NodeContext &nc) {
  return importReshape(nc, /*shapeFromInput=*/false);
}

LogicalResult importReshape5(NodeContext &nc) {
  return importReshape(nc, /*shapeFromInput=*/true);
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

/// Squeeze's and Unsqueeze's axes: the `axes` attribute before 13, input 1
/// from 13 on (`fromInput`).
FailureOr<std::vector<int64_t>> axesOf(NodeContext &nc, bool required,
                                       bool fromInput) {
  if (fromInput) {
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

LogicalResult importSqueeze(NodeContext &nc, bool axesFromInput) {
  auto axes = axesOf(nc, false, axesFromInput);
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

LogicalResult importSqueeze1(NodeContext &nc) {
  return importSqueeze(nc, /*axesFromInput=*/false);
}

LogicalResult importSqueeze13(NodeContext &nc) {
  return importSqueeze(nc, /*axesFromInput=*/true);
}

LogicalResult importUnsqueeze(NodeContext &nc, bool axesFromInput) {
  auto axes = axesOf(nc, true, axesFromInput);
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

LogicalResult importUnsqueeze1(NodeContext &nc) {
  return importUnsqueeze(nc, /*axesFromInput=*/false);
}

LogicalResult importUnsqueeze13(NodeContext &nc) {
  return importUnsqueeze(nc, /*axesFromInput=*/true);
}

LogicalResult importExpand(NodeContext &nc) {
  auto target = nc.requireConstantInts(1, "shape");
  if (failed(target))
    return failure();
  SmallVector<int64_t> shape;
  if (!broadcastShapes(nc.inputShape(0), *target, shape))
    return nc.emitError() << "input cannot be broadcast to the given shape";
  int32_t type = nc.inputType(0);
  if (const HostTensor *c = nc.constantInput(0);
      c && numElements(shape) <= kHostFoldLimit) {
    // Broadcasting "x + 0" (or "x | false") is the expansion.
    HostTensor zero(type, {});
    HostTensor r = foldBinary(type == kBool ? BinaryKind::Or : BinaryKind::Add,
                              *c, zero, shape);
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  nc.setResult(0, nc.tb().broadcastTo(nc.operand(0), shape), type);
  return success();
}

LogicalResult importFlatten(NodeContext &nc) {
  ArrayRef<int64_t> in = nc.inputShape(0);
  int64_t rank = in.size();
  int64_t axis = nc.attrInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return nc.emitError() << "axis " << nc.attrInt("axis", 1)
                          << " is out of range for rank " << rank;
  int64_t outer = numElements(in.take_front(axis));
  SmallVector<int64_t> shape = {outer, numElements(in.drop_front(axis))};
  if (const HostTensor *c = nc.constantInput(0)) {
    nc.setConstantResult(0, c->reshaped(shape));
    return success();
  }
  nc.setResult(0, nc.tb().reshape(nc.operand(0), shape), nc.inputType(0));
  return success();
}

/// Dropout at inference: the identity (and an all-true mask). From 12 on
/// (`trainingModeInput`), input 2 may ask for training mode, which is refused.
LogicalResult importDropout(NodeContext &nc, bool trainingModeInput) {
  if (trainingModeInput && nc.hasInput(2)) {
    const HostTensor *training = nc.constantInput(2);
    if (!training)
      return nc.emitError() << "training_mode must be known at compile time";
    if (training->getInt(0))
      return nc.emitError() << "training mode is not supported";
  }
  const ImportedValue &x = nc.input(0);
  if (x.constant)
    nc.setConstantResult(0, *x.constant);
  else
    nc.setResult(0, nc.operand(0), x.type);
  if (nc.hasOutput(1)) {
    TensorBuilder tb = nc.tb();
    Value t = tb.scalar(nc.builder().getI1Type(), 1);
    nc.setResult(1, tb.splat(t, x.shape), kBool);
  }
  return success();
}

LogicalResult importDropout7(NodeContext &nc) {
  return importDropout(nc, /*trainingModeInput=*/false);
}

LogicalResult importDropout12(NodeContext &nc) {
  return importDropout(nc, /*trainingModeInput=*/true);
}

LogicalResult importIdentity(NodeContext &nc) {
  const ImportedValue &x = nc.input(0);
  if (x.constant)
    nc.setConstantResult(0, *x.constant);
  else
    nc.setResult(0, nc.operand(0), x.type);
  return success();
}

} // namespace

void cambrian::onnx_import::registerShape(OpRegistry &r) {
  r.add("", "Dropout", 7, importDropout7);
  r.add("", "Dropout", 12, importDropout12);
  r.add("", "Expand", 8, importExpand, OpFlag::MovesSmallTypes);
  r.add("", "Flatten", 1, importFlatten, OpFlag::MovesSmallTypes);
  r.add("", "Identity", 1, importIdentity, OpFlag::MovesSmallTypes);
  r.add("", "Reshape", 1, importReshape1, OpFlag::MovesSmallTypes);
  r.add("", "Reshape", 5, importReshape5, OpFlag::MovesSmallTypes);
  r.add("", "Shape", 1, importShape, OpFlag::MovesSmallTypes);
  r.add("", "Size", 1, importSize, OpFlag::MovesSmallTypes);
  r.add("", "Squeeze", 1, importSqueeze1, OpFlag::MovesSmallTypes);
  r.add("", "Squeeze", 13, importSqueeze13, OpFlag::MovesSmallTypes);
  r.add("", "Unsqueeze", 1, importUnsqueeze1, OpFlag::MovesSmallTypes);
  r.add("", "Unsqueeze", 13, importUnsqueeze13, OpFlag::MovesSmallTypes);
}
