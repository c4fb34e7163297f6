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

} // namespace

void cambrian::onnx_import::registerGenerators(OpRegistry &r) {
  r.add("", "EyeLike", 9, importEyeLike);
  r.add("", {"BlackmanWindow", "HammingWindow", "HannWindow"}, 17,
        importWindow);
}
