//===- Resize.cpp - Resize and Upsample -----------------------------------===//
//
// Resize is separable: the result is a chain of 1-D resizes, one per axis
// whose size or region changes. With static shapes and compile-time scales
// every 1-D resize is a fixed table of (source index, weight) taps per output
// position, computed here on the host for all modes (nearest, linear, cubic,
// antialiased filters, every coordinate transformation). The IR then only
// gathers and weighs: out[.., i, ..] = sum_t w[i][t] * in[.., idx[i][t], ..].
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

enum class Interp { Nearest, Linear, Cubic };

struct ResizeAttrs {
  Interp mode = Interp::Nearest;
  std::string transform = "half_pixel";
  std::string nearestMode = "round_prefer_floor";
  double cubicA = -0.75;
  bool excludeOutside = false;
  bool antialias = false;
  double extrapolation = 0.0;
};

/// The taps of one axis: `taps` per output position, row-major.
struct AxisTable {
  int64_t taps = 0;
  std::vector<int64_t> index;
  std::vector<double> weight;
  /// Per output position: the extrapolation value is added (tf_crop_and_resize
  /// outside the input; its weights are zero).
  std::vector<bool> extrapolated;
};

/// Filter coefficients for the fractional position `ratio` in (0, 1].
std::vector<double> coefficients(const ResizeAttrs &a, double ratio,
                                 double scale) {
  switch (a.mode) {
  case Interp::Nearest: {
    if (ratio == 1.0)
      return {0, 1};
    const std::string &m = a.nearestMode;
    bool up = m == "round_prefer_floor" ? ratio > 0.5
              : m == "round_prefer_ceil" ? ratio >= 0.5
                                          : m == "ceil";
    return {up ? 0.0 : 1.0, up ? 1.0 : 0.0};
  }
  case Interp::Linear: {
    if (!a.antialias)
      return {1 - ratio, ratio};
    // A triangle filter stretched by 1/scale when downsampling.
    double s = std::min(scale, 1.0);
    int64_t start = (int64_t)std::floor(-1 / s) + 1;
    int64_t footprint = 2 - 2 * start;
    std::vector<double> c;
    double sum = 0;
    for (int64_t i = start; i < start + footprint; ++i) {
      double v = std::clamp(1 - std::abs((i - ratio) * s), 0.0, 1.0);
      c.push_back(v);
      sum += v;
    }
    for (double &v : c)
      v /= sum;
    return c;
  }
  case Interp::Cubic: {
    double A = a.cubicA;
    auto kernel = [A](double x) {
      x = std::abs(x);
      if (x <= 1)
        return ((A + 2) * x - (A + 3)) * x * x + 1;
      if (x < 2)
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
      return 0.0;
    };
    if (!a.antialias)
      return {kernel(ratio + 1), kernel(ratio), kernel(1 - ratio),
              kernel(2 - ratio)};
    double s = std::min(scale, 1.0);
    int64_t start = (int64_t)std::floor(-2 / s) + 1;
    std::vector<double> c;
    double sum = 0;
    for (int64_t i = start; i < 2 - start; ++i) {
      c.push_back(kernel(s * (i - ratio)));
      sum += c.back();
    }
    for (double &v : c)
      v /= sum;
    return c;
  }
  }
  llvm_unreachable("unknown interpolation");
}

/// The tap table resizing an axis of `in` elements to `out` with `scale`;
/// `roi` is the axis' [start, end] for tf_crop_and_resize.
FailureOr<AxisTable> axisTable(NodeContext &nc, const ResizeAttrs &a,
                               int64_t in, int64_t out, double scale,
                               double roiStart, double roiEnd) {
  const std::string &t = a.transform;
  double outWidth = scale * in;
  std::vector<std::vector<std::pair<int64_t, double>>> rows(out);
  AxisTable table;
  table.extrapolated.assign(out, false);
  for (int64_t i = 0; i < out; ++i) {
    double x;
    if (t == "align_corners")
      x = outWidth == 1 ? 0 : i * double(in - 1) / (outWidth - 1);
    else if (t == "asymmetric")
      x = i / scale;
    else if (t == "tf_crop_and_resize") {
      x = outWidth == 1 ? (roiEnd - roiStart) * (in - 1) / 2
                        : i * (roiEnd - roiStart) * (in - 1) / (outWidth - 1);
      x += roiStart * (in - 1);
      if (x < 0 || x > in - 1) {
        table.extrapolated[i] = true;
        continue;
      }
    } else if (t == "pytorch_half_pixel")
      x = outWidth == 1 ? -0.5 : (i + 0.5) / scale - 0.5;
    else if (t == "half_pixel")
      x = (i + 0.5) / scale - 0.5;
    else if (t == "half_pixel_symmetric") {
      double adjustment = out / outWidth;
      x = in / 2.0 * (1 - adjustment) + (i + 0.5) / scale - 0.5;
    } else
      return nc.emitError() << "coordinate_transformation_mode '" << t
                            << "' is not supported";
    double xi = std::floor(x);
    bool integral = x == xi;
    double ratio = integral ? 1.0 : x - xi;
    std::vector<double> c = coefficients(a, ratio, scale);
    int64_t n = c.size();
    // The n nearest source positions, preferring the lower ones.
    int64_t start = (int64_t)xi - n / 2 + (integral ? 0 : 1);
    if (a.excludeOutside) {
      double sum = 0;
      for (int64_t k = 0; k < n; ++k) {
        if (start + k < 0 || start + k >= in)
          c[k] = 0;
        sum += c[k];
      }
      for (double &v : c)
        v /= sum == 0 ? 1 : sum;
    }
    // Positions beyond the edges read the edge; merge equal taps.
    for (int64_t k = 0; k < n; ++k) {
      if (c[k] == 0)
        continue;
      int64_t src = std::clamp<int64_t>(start + k, 0, in - 1);
      auto it = llvm::find_if(rows[i], [&](auto &p) { return p.first == src; });
      if (it != rows[i].end())
        it->second += c[k];
      else
        rows[i].push_back({src, c[k]});
    }
  }
  for (auto &r : rows)
    table.taps = std::max<int64_t>(table.taps, r.size());
  table.taps = std::max<int64_t>(table.taps, 1);
  for (auto &r : rows) {
    r.resize(table.taps, {0, 0.0});
    for (auto &[src, w] : r) {
      table.index.push_back(src);
      table.weight.push_back(w);
    }
  }
  return table;
}

/// Whether `table` copies the axis unchanged.
bool isIdentity(const AxisTable &t, int64_t in, int64_t out) {
  if (in != out || t.taps != 1)
    return false;
  for (int64_t i = 0; i < out; ++i)
    if (t.extrapolated[i] || t.index[i] != i || t.weight[i] != 1.0)
      return false;
  return true;
}

/// Whether every output position copies one source element.
bool isPureGather(const AxisTable &t) {
  if (t.taps != 1)
    return false;
  for (size_t i = 0; i < t.weight.size(); ++i)
    if (t.weight[i] != 1.0 || t.extrapolated[i])
      return false;
  return true;
}

/// Applies one axis' table to `v` (elements of type `elem`).
Value applyTable(NodeContext &nc, Value v, int64_t axis, const AxisTable &t,
                 double extrapolation) {
  TensorBuilder tb = nc.tb();
  SmallVector<int64_t> shape(TensorBuilder::shapeOf(v));
  int64_t out = t.extrapolated.size();
  shape[axis] = out;
  Type elem = TensorBuilder::elementTypeOf(v);
  HostTensor idx = HostTensor::fromInts(kInt64, {out, t.taps}, t.index);
  Value idxV = hostConstant(nc, idx);
  bool gather = isPureGather(t);
  Value wV, biasV;
  if (!gather) {
    int32_t ft = elem.isF64() ? kDouble : kFloat;
    wV = hostConstant(nc, HostTensor::fromDoubles(ft, {out, t.taps}, t.weight));
    std::vector<double> bias(out);
    for (int64_t i = 0; i < out; ++i)
      bias[i] = t.extrapolated[i] ? extrapolation : 0.0;
    biasV = hostConstant(nc, HostTensor::fromDoubles(ft, {out}, bias));
  }
  int64_t taps = t.taps;
  return tb.elementwiseIndexed(
      {}, shape, elem, [&](OpBuilder &b, Location loc, ValueRange iv) -> Value {
        Value i = iv[axis];
        SmallVector<Value> coords(iv.begin(), iv.end());
        Value acc = gather ? Value()
                           : tensor::ExtractOp::create(b, loc, biasV,
                                                       ValueRange{i})
                                 .getResult();
        for (int64_t k = 0; k < taps; ++k) {
          Value kv = arith::ConstantIndexOp::create(b, loc, k);
          Value src = tensor::ExtractOp::create(b, loc, idxV, ValueRange{i, kv});
          coords[axis] =
              arith::IndexCastOp::create(b, loc, b.getIndexType(), src);
          Value x = tensor::ExtractOp::create(b, loc, v, coords);
          if (gather)
            return x;
          Value w = tensor::ExtractOp::create(b, loc, wV, ValueRange{i, kv});
          acc = arith::AddFOp::create(b, loc, acc,
                                      arith::MulFOp::create(b, loc, x, w));
        }
        return acc;
      });
}

/// What a version of Upsample or Resize takes.
struct ResizeSemantics {
  bool upsample;   ///< Upsample: no cubic mode
  bool legacy;     ///< Upsample and Resize-10: asymmetric floor indexing,
                   ///< scales as input 1 and no sizes
  bool scalesAttr; ///< Upsample-7: scales as an attribute
  bool antialias;  ///< the `antialias` attribute exists (Resize-18)
};

/// Resize (10, 11, 13, 18, 19) and Upsample (7, 9).
LogicalResult importResize(NodeContext &nc, ResizeSemantics s) {
  bool upsample = s.upsample;
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t rank = xs.size();
  int32_t type = nc.inputType(0);
  ResizeAttrs a;
  std::string mode = nc.attrString("mode", "nearest");
  if (mode == "nearest")
    a.mode = Interp::Nearest;
  else if (mode == "linear" || mode == "bilinear")
    a.mode = Interp::Linear;
  else if (mode == "cubic" && !upsample)
    a.mode = Interp::Cubic;
  else
    return nc.emitError() << "mode '" << mode << "' is not supported";
  // Upsample and Resize-10 index like Upsample did: x / scale, rounded down.
  bool legacy = s.legacy;
  if (legacy) {
    a.transform = "asymmetric";
    a.nearestMode = "floor";
  } else {
    a.transform =
        nc.attrString("coordinate_transformation_mode", "half_pixel");
    a.nearestMode = nc.attrString("nearest_mode", "round_prefer_floor");
    a.cubicA = nc.attrFloat("cubic_coeff_a", -0.75);
    a.excludeOutside = nc.attrInt("exclude_outside", 0) != 0;
    a.extrapolation = nc.attrFloat("extrapolation_value", 0.0);
    a.antialias = s.antialias && nc.attrInt("antialias", 0) != 0;
  }
  if (a.mode == Interp::Nearest && a.antialias)
    return nc.emitError() << "antialias does not apply to mode 'nearest'";
  if (a.mode != Interp::Nearest && !isFloatType(type))
    return nc.emitError() << "mode '" << mode << "' needs a floating-point "
                          << "input, got " << onnxTypeName(type);

  // The axes the scales/sizes/roi speak of.
  auto axesOr = readAxesAttr(nc, rank);
  if (failed(axesOr))
    return failure();
  SmallVector<int64_t> axes = *axesOr;

  auto nonEmptyInput = [&](unsigned i) {
    return nc.hasInput(i) && numElements(nc.inputShape(i)) > 0;
  };
  unsigned scalesIdx = legacy ? 1 : 2, sizesIdx = 3, roiIdx = 1;
  SmallVector<double> scale(rank, 1.0);
  SmallVector<int64_t> outShape(xs);
  if (s.scalesAttr) {
    std::vector<double> s = nc.attrFloats("scales");
    if ((int64_t)s.size() != rank)
      return nc.emitError() << "scales has " << s.size() << " values for a "
                            << "rank-" << rank << " input";
    scale.assign(s.begin(), s.end());
    for (int64_t d = 0; d < rank; ++d)
      outShape[d] = (int64_t)std::floor(xs[d] * scale[d]);
  } else if (!legacy && nonEmptyInput(sizesIdx)) {
    if (nonEmptyInput(scalesIdx))
      return nc.emitError() << "only one of scales and sizes may be given";
    auto sizes = nc.requireConstantInts(sizesIdx, "sizes");
    if (failed(sizes))
      return failure();
    if (sizes->size() != axes.size())
      return nc.emitError() << "sizes has " << sizes->size()
                            << " values, expected " << axes.size();
    for (size_t i = 0; i < axes.size(); ++i)
      scale[axes[i]] = double((*sizes)[i]) / xs[axes[i]];
    std::string policy = nc.attrString("keep_aspect_ratio_policy", "stretch");
    if (policy == "stretch") {
      for (size_t i = 0; i < axes.size(); ++i)
        outShape[axes[i]] = (*sizes)[i];
    } else if (policy == "not_larger" || policy == "not_smaller") {
      double s = scale[axes[0]];
      for (int64_t d : axes)
        s = policy == "not_larger" ? std::min(s, scale[d])
                                   : std::max(s, scale[d]);
      for (int64_t d : axes) {
        scale[d] = s;
        outShape[d] = (int64_t)(s * xs[d] + 0.5);
      }
    } else {
      return nc.emitError() << "keep_aspect_ratio_policy '" << policy
                            << "' is not supported";
    }
  } else if (nonEmptyInput(scalesIdx)) {
    auto sc = nc.requireConstant(scalesIdx, "scales");
    if (failed(sc))
      return failure();
    const HostTensor *s = *sc;
    if (s->size() != (int64_t)axes.size())
      return nc.emitError() << "scales has " << s->size()
                            << " values, expected " << axes.size();
    for (size_t i = 0; i < axes.size(); ++i) {
      scale[axes[i]] = s->getDouble(i);
      if (scale[axes[i]] <= 0)
        return nc.emitError() << "scales must be positive";
      outShape[axes[i]] = (int64_t)std::floor(xs[axes[i]] * scale[axes[i]]);
    }
  } else {
    return nc.emitError() << "needs scales or sizes";
  }

  SmallVector<double> roiStart(rank, 0.0), roiEnd(rank, 1.0);
  if (a.transform == "tf_crop_and_resize") {
    if (!nonEmptyInput(roiIdx))
      return nc.emitError() << "tf_crop_and_resize needs roi (input 1)";
    auto r = nc.requireConstant(roiIdx, "roi");
    if (failed(r))
      return failure();
    const HostTensor *roi = *r;
    if (roi->size() != 2 * (int64_t)axes.size())
      return nc.emitError() << "roi has " << roi->size() << " values, expected "
                            << 2 * axes.size();
    for (size_t i = 0; i < axes.size(); ++i) {
      roiStart[axes[i]] = roi->getDouble(i);
      roiEnd[axes[i]] = roi->getDouble(i + axes.size());
    }
  }

  if (numElements(outShape) == 0) {
    nc.setConstantResult(0, HostTensor(type, outShape));
    return success();
  }
  // Interpolation computes in float32 (float64 for double inputs).
  bool convert = a.mode != Interp::Nearest && type != kFloat && type != kDouble;
  int32_t ct = convert ? int32_t(kFloat) : type;
  TensorBuilder tb = nc.tb();
  Value v = tb.convert(nc.operand(0), type, ct);
  for (int64_t d = 0; d < rank; ++d) {
    auto table = axisTable(nc, a, xs[d], outShape[d], scale[d], roiStart[d],
                           roiEnd[d]);
    if (failed(table))
      return failure();
    if (isIdentity(*table, xs[d], outShape[d]))
      continue;
    if (!isPureGather(*table) && !isFloatType(ct))
      return nc.emitError() << "interpolating " << onnxTypeName(type)
                            << " values is not supported";
    v = applyTable(nc, v, d, *table, a.extrapolation);
  }
  nc.setResult(0, tb.convert(v, ct, type), type);
  return success();
}

LogicalResult importUpsample7(NodeContext &nc) {
  return importResize(nc, {/*upsample=*/true, /*legacy=*/true,
                           /*scalesAttr=*/true, /*antialias=*/false});
}

LogicalResult importUpsample9(NodeContext &nc) {
  return importResize(nc, {/*upsample=*/true, /*legacy=*/true,
                           /*scalesAttr=*/false, /*antialias=*/false});
}

LogicalResult importResize10(NodeContext &nc) {
  return importResize(nc, {/*upsample=*/false, /*legacy=*/true,
                           /*scalesAttr=*/false, /*antialias=*/false});
}

LogicalResult importResize11(NodeContext &nc) {
  return importResize(nc, {/*upsample=*/false, /*legacy=*/false,
                           /*scalesAttr=*/false, /*antialias=*/false});
}

LogicalResult importResize18(NodeContext &nc) {
  return importResize(nc, {/*upsample=*/false, /*legacy=*/false,
                           /*scalesAttr=*/false, /*antialias=*/true});
}

} // namespace

void cambrian::onnx_import::registerResize(OpRegistry &r) {
  r.add("", "Resize", 10, importResize10);
  r.add("", "Resize", 11, importResize11);
  r.add("", "Resize", 18, importResize18);
  r.add("", "Upsample", 7, importUpsample7);
  r.add("", "Upsample", 9, importUpsample9);
}
