//===- Generators.cpp - Ops whose result depends only on shapes -----------===//
//
// EyeLike and the spectral windows produce tensors determined by shapes and
// attributes alone, so they are computed here and become constants.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include <cmath>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// EyeLike (9, 22): ones on diagonal `k` of a 2-D tensor shaped like input 0.
LogicalResult importEyeLike(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (xs.size() != 2)
    return nc.emitError() << "input must be 2-D";
  int32_t type = (int32_t)nc.attrInt("dtype", nc.inputType(0));
  if (!mlirElementType(nc.context(), type) || type == kString)
    return nc.emitError() << "dtype " << onnxTypeName(type)
                          << " is not supported";
  int64_t k = nc.attrInt("k", 0);
  HostTensor r(type, xs);
  for (int64_t i = 0; i < xs[0]; ++i)
    if (i + k >= 0 && i + k < xs[1])
      r.setInt(i * xs[1] + i + k, 1);
  nc.setConstantResult(0, std::move(r));
  return success();
}

/// HannWindow, HammingWindow, BlackmanWindow (17): a cosine sum
/// a0 - a1 cos(2 pi n / N) + a2 cos(4 pi n / N), N = size (periodic) or
/// size - 1 (symmetric).
LogicalResult importWindow(NodeContext &nc) {
  auto size = nc.requireConstantInts(0, "size");
  if (failed(size))
    return failure();
  if (size->size() != 1 || (*size)[0] < 0)
    return nc.emitError() << "size must be one non-negative integer";
  int64_t n = (*size)[0];
  int32_t type = (int32_t)nc.attrInt("output_datatype", kFloat);
  if (!mlirElementType(nc.context(), type) || type == kString)
    return nc.emitError() << "output_datatype " << onnxTypeName(type)
                          << " is not supported";
  double a0, a1, a2 = 0;
  StringRef op = nc.opType();
  if (op == "HannWindow") {
    a0 = 0.5;
    a1 = 0.5;
  } else if (op == "HammingWindow") {
    a0 = 25.0 / 46.0;
    a1 = 1 - a0;
  } else {
    a0 = 0.42;
    a1 = 0.5;
    a2 = 0.08;
  }
  double N = nc.attrInt("periodic", 1) ? n : n - 1;
  HostTensor r(type, {n});
  for (int64_t i = 0; i < n; ++i) {
    double x = 2 * M_PI * i / N;
    r.setDouble(i, a0 - a1 * std::cos(x) + a2 * std::cos(2 * x));
  }
  nc.setConstantResult(0, std::move(r));
  return success();
}

LogicalResult importConstant(NodeContext &nc) {
  if (nc.hasAttr("value")) {
    auto t = nc.attrTensor("value");
    if (failed(t))
      return failure();
    nc.setConstantResult(0, std::move(*t));
    return success();
  }
  if (nc.hasAttr("value_float")) {
    nc.setConstantResult(
        0, HostTensor::fromDoubles(kFloat, {}, {nc.attrFloat("value_float", 0)}));
    return success();
  }
  if (nc.hasAttr("value_floats")) {
    auto v = nc.attrFloats("value_floats");
    nc.setConstantResult(
        0, HostTensor::fromDoubles(kFloat, {(int64_t)v.size()}, v));
    return success();
  }
  if (nc.hasAttr("value_int")) {
    nc.setConstantResult(
        0, HostTensor::fromInts(kInt64, {}, {nc.attrInt("value_int", 0)}));
    return success();
  }
  if (nc.hasAttr("value_ints")) {
    auto v = nc.attrInts("value_ints");
    nc.setConstantResult(0, HostTensor::fromInts(kInt64, {(int64_t)v.size()}, v));
    return success();
  }
  return nc.emitError() << "only tensor, float(s) and int(s) values are "
                           "supported (sparse and string constants are not)";
}

LogicalResult importConstantOfShape(NodeContext &nc) {
  auto shape = nc.requireConstantInts(0, "shape");
  if (failed(shape))
    return failure();
  for (int64_t d : *shape)
    if (d < 0)
      return nc.emitError() << "shape has a negative extent " << d;
  HostTensor value = HostTensor::fromDoubles(kFloat, {1}, {0.0});
  if (nc.hasAttr("value")) {
    auto t = nc.attrTensor("value");
    if (failed(t))
      return failure();
    if (t->size() != 1)
      return nc.emitError() << "attribute 'value' must hold one element";
    value = *t;
  }
  int64_t n = numElements(*shape);
  if (n <= kHostFoldLimit) {
    HostTensor r(value.type(), *shape);
    for (int64_t i = 0; i < n; ++i) {
      if (isFloatType(value.type()))
        r.setDouble(i, value.getDouble(0));
      else
        r.setInt(i, value.getInt(0));
    }
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  TensorBuilder tb = nc.tb();
  Value s = scalarConstant(nc.builder(), nc.loc(), value.type(),
                           isFloatType(value.type()) ? value.getDouble(0)
                                                     : (double)value.getInt(0));
  nc.setResult(0, tb.splat(s, *shape), value.type());
  return success();
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

} // namespace

void cambrian::onnx_import::registerGenerators(OpRegistry &r) {
  r.add("", {"BlackmanWindow", "HammingWindow", "HannWindow"}, 17,
        importWindow);
  r.add("", "Constant", 1, importConstant, OpFlag::MovesSmallTypes);
  r.add("", "ConstantOfShape", 9, importConstantOfShape);
  r.add("", "EyeLike", 9, importEyeLike);
  r.add("", "Range", 11, importRange);
}
