//===- Normalization.cpp - Layer, RMS, instance, group and Lp norms -------===//
//
// The statistics-based normalisations share one shape: reduce some axes of
// x to a mean (and a variance), then scale. They are computed in the
// "stash" type (float32 for 16-bit inputs, as ONNX specifies) and converted
// back at the end.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include <cmath>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

Value addF(OpBuilder &b, Location loc, ValueRange v) {
  return arith::AddFOp::create(b, loc, v[0], v[1]);
}
/// The ONNX type statistics are computed in for input type `type`:
/// float32 for 16-bit floats unless `stash_type` says otherwise.
int32_t statsType(NodeContext &nc, int32_t type) {
  int32_t stash = nc.attrInt("stash_type", kFloat);
  if (stash == kFloat || stash == kDouble)
    return type == kDouble ? int32_t(kDouble) : stash;
  return type;
}

// The statistics and the final scale are the dialect's (computeMoments,
// scaleAndShift), shared with cambrian-decompose.
using cambrian::computeMoments;
using cambrian::Moments;
using cambrian::scaleAndShift;

/// Input `i` converted to ONNX type `to`, or null when absent.
Value optionalOperand(NodeContext &nc, unsigned i, int32_t to) {
  if (!nc.hasInput(i))
    return nullptr;
  return nc.tb().convert(nc.operand(i), nc.inputType(i), to);
}

LogicalResult checkBroadcastsTo(NodeContext &nc, unsigned i,
                                ArrayRef<int64_t> xs) {
  if (!nc.hasInput(i))
    return success();
  SmallVector<int64_t> s;
  if (!broadcastShapes(xs, nc.inputShape(i), s) || ArrayRef<int64_t>(s) != xs)
    return nc.emitError() << "input " << i << " does not broadcast to the "
                          << "input's shape";
  return success();
}

/// Whether input `i` (scale or bias) is absent or broadcasts onto the
/// normalized dims alone, as cambrian.layer_norm and rms_norm take them.
bool fitsNormalizedDims(NodeContext &nc, unsigned i, int64_t numNormDims) {
  return !nc.hasInput(i) || (int64_t)nc.inputShape(i).size() <= numNormDims;
}

/// LayerNormalization (17): normalise the trailing dims from `axis` on; the
/// optional outputs are the mean and 1/stddev in the stash type. Without
/// them it is one cambrian.layer_norm (in the stash type).
LogicalResult importLayerNormalization(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  auto axis = nc.normalizeAxis(nc.attrInt("axis", -1), xs.size());
  if (failed(axis) || failed(checkBroadcastsTo(nc, 1, xs)) ||
      failed(checkBroadcastsTo(nc, 2, xs)))
    return failure();
  int32_t st = statsType(nc, type);
  TensorBuilder tb = nc.tb();
  Value x = tb.convert(nc.operand(0), type, st);
  int64_t numNormDims = xs.size() - *axis;
  if (!nc.hasOutput(1) && !nc.hasOutput(2) &&
      fitsNormalizedDims(nc, 1, numNormDims) &&
      fitsNormalizedDims(nc, 2, numNormDims)) {
    Value y = cmb::LayerNormOp::create(
        nc.builder(), nc.loc(), x.getType(), x, optionalOperand(nc, 1, st),
        optionalOperand(nc, 2, st), *axis,
        APFloat(float(nc.attrFloat("epsilon", 1e-5))));
    nc.setResult(0, tb.convert(y, st, type), type);
    return success();
  }
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < (int64_t)xs.size(); ++d)
    axes.push_back(d);
  Moments m = computeMoments(tb, x, axes, nc.attrFloat("epsilon", 1e-5));
  Value y = scaleAndShift(tb, m.centered, m.invStdDev, optionalOperand(nc, 1, st),
                   optionalOperand(nc, 2, st));
  nc.setResult(0, tb.convert(y, st, type), type);
  if (nc.hasOutput(1))
    nc.setResult(1, m.mean, st);
  if (nc.hasOutput(2))
    nc.setResult(2, m.invStdDev, st);
  return success();
}

/// RMSNormalization (23): x / sqrt(mean(x^2) + eps) * scale over the dims
/// from `axis` on, as one cambrian.rms_norm when the scale covers only
/// those dims.
LogicalResult importRMSNormalization(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  auto axis = nc.normalizeAxis(nc.attrInt("axis", -1), xs.size());
  if (failed(axis) || failed(checkBroadcastsTo(nc, 1, xs)))
    return failure();
  int32_t st = statsType(nc, type);
  TensorBuilder tb = nc.tb();
  Value x = tb.convert(nc.operand(0), type, st);
  if (fitsNormalizedDims(nc, 1, xs.size() - *axis)) {
    Value y = cmb::RmsNormOp::create(
        nc.builder(), nc.loc(), x.getType(), x, optionalOperand(nc, 1, st),
        *axis, APFloat(float(nc.attrFloat("epsilon", 1e-5))));
    nc.setResult(0, tb.convert(y, st, type), type);
    return success();
  }
  SmallVector<int64_t> axes;
  for (int64_t d = *axis; d < (int64_t)xs.size(); ++d)
    axes.push_back(d);
  Moments m = computeMoments(tb, x, axes, nc.attrFloat("epsilon", 1e-5),
                      /*center=*/false);
  Value y = scaleAndShift(tb, x, m.invStdDev, optionalOperand(nc, 1, st), nullptr);
  nc.setResult(0, tb.convert(y, st, type), type);
  return success();
}

/// InstanceNormalization (6): per (n, c), over the spatial dims.
LogicalResult importInstanceNormalization(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (failed(checkFloatNCSpatial(nc)))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  for (unsigned i = 1; i <= 2; ++i)
    if (nc.inputShape(i) != ArrayRef<int64_t>{xs[1]})
      return nc.emitError() << "input " << i << " must have shape [" << xs[1]
                            << "]";
  // A group normalization with one channel per group.
  int32_t st = statsType(nc, type);
  TensorBuilder tb = nc.tb();
  Value x = tb.convert(nc.operand(0), type, st);
  Value y = cmb::GroupNormOp::create(
      nc.builder(), nc.loc(), x.getType(), x, optionalOperand(nc, 1, st),
      optionalOperand(nc, 2, st), xs[1],
      APFloat(float(nc.attrFloat("epsilon", 1e-5))));
  nc.setResult(0, tb.convert(y, st, type), type);
  return success();
}

/// GroupNormalization (18, 21): channels split into `num_groups`; scale and
/// bias are per group before opset 21 and per channel from 21 on.
LogicalResult importGroupNormalization(NodeContext &nc, bool perChannel) {
  int32_t type = nc.inputType(0);
  if (failed(checkFloatNCSpatial(nc)))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (!nc.hasAttr("num_groups"))
    return nc.emitError() << "missing attribute 'num_groups'";
  int64_t G = nc.attrInt("num_groups", 1), C = xs[1];
  if (G <= 0 || C % G)
    return nc.emitError() << "num_groups " << G << " does not divide the "
                          << C << " channels";
  int64_t perParam = perChannel ? C : G;
  for (unsigned i = 1; i <= 2; ++i)
    if (nc.inputShape(i) != ArrayRef<int64_t>{perParam})
      return nc.emitError() << "input " << i << " must have shape ["
                            << perParam << "]";
  int32_t st = statsType(nc, type);
  TensorBuilder tb = nc.tb();
  Value x = tb.convert(nc.operand(0), type, st);
  Value scale = optionalOperand(nc, 1, st), bias = optionalOperand(nc, 2, st);
  // cambrian.group_norm takes per-channel parameters (as opset 21 does);
  // before 21 each group's value serves its C/G channels.
  if (!perChannel) {
    auto spread = [&](Value p) {
      return tb.reshape(tb.broadcastTo(tb.reshape(p, {G, 1}), {G, C / G}),
                        {C});
    };
    scale = spread(scale);
    bias = spread(bias);
  }
  Value y = cmb::GroupNormOp::create(
      nc.builder(), nc.loc(), x.getType(), x, scale, bias, G,
      APFloat(float(nc.attrFloat("epsilon", 1e-5))));
  nc.setResult(0, tb.convert(y, st, type), type);
  return success();
}

LogicalResult importGroupNormalization18(NodeContext &nc) {
  return importGroupNormalization(nc, /*perChannel=*/false);
}

LogicalResult importGroupNormalization21(NodeContext &nc) {
  return importGroupNormalization(nc, /*perChannel=*/true);
}

/// MeanVarianceNormalization (9, 13): (x - mean) / sqrt(var) over `axes`.
LogicalResult importMeanVarianceNormalization(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  SmallVector<int64_t> axes;
  for (int64_t a : nc.attrInts("axes", {0, 2, 3})) {
    auto n = nc.normalizeAxis(a, xs.size());
    if (failed(n))
      return failure();
    axes.push_back(*n);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  TensorBuilder tb = nc.tb();
  int32_t st = type == kDouble ? kDouble : kFloat;
  Value x = tb.convert(nc.operand(0), type, st);
  // ONNX's function body adds 1e-9 under the square root.
  Moments m = computeMoments(tb, x, axes, 1e-9);
  Value y = scaleAndShift(tb, m.centered, m.invStdDev, nullptr, nullptr);
  nc.setResult(0, tb.convert(y, st, type), type);
  return success();
}

/// LpNormalization (1, 22): x / ||x||_p along `axis`, p in {1, 2}.
LogicalResult importLpNormalization(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  auto axis = nc.normalizeAxis(nc.attrInt("axis", -1), xs.size());
  if (failed(axis))
    return failure();
  int64_t p = nc.attrInt("p", 2);
  if (p != 1 && p != 2)
    return nc.emitError() << "p = " << p << " is not supported (1 or 2)";
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0);
  Type elem = TensorBuilder::elementTypeOf(x);
  Value norm = tb.reduce(x, {*axis}, true, 0.0, elem, addF,
                         [p](OpBuilder &b, Location loc, ValueRange v) -> Value {
                           if (p == 1)
                             return math::AbsFOp::create(b, loc, v[0]);
                           return arith::MulFOp::create(b, loc, v[0], v[0]);
                         });
  Value y = tb.elementwise(
      {x, norm}, xs, elem, [p](OpBuilder &b, Location loc, ValueRange v) {
        Value n = p == 2 ? math::SqrtOp::create(b, loc, v[1]).getResult() : v[1];
        // A zero vector stays zero (as in ONNX's reference), not NaN.
        Value zero = floatLike(b, loc, n, 0.0);
        Value isZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                             n, zero);
        Value safe = arith::SelectOp::create(b, loc, isZero,
                                             floatLike(b, loc, n, 1.0), n);
        return arith::DivFOp::create(b, loc, v[0], safe).getResult();
      });
  nc.setResult(0, y, type);
  return success();
}

/// LRN (1, 13): x / (bias + alpha / size * sum of x^2 over a window of
/// `size` channels) ^ beta.
LogicalResult importLRN(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (failed(checkFloatNCSpatial(nc)))
    return failure();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t size = nc.attrInt("size", 0);
  if (size <= 0)
    return nc.emitError() << "size must be positive";
  double alpha = nc.attrFloat("alpha", 1e-4), beta = nc.attrFloat("beta", 0.75),
         bias = nc.attrFloat("bias", 1.0);
  int64_t lo = (size - 1) / 2, C = xs[1];
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0);
  Type elem = TensorBuilder::elementTypeOf(x);
  Value y = tb.elementwiseIndexed(
      {x}, xs, elem, [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        Value sum = floatLike(b, loc, v[0], 0.0);
        SmallVector<Value> idx(v.begin() + 1, v.end());
        for (int64_t k = 0; k < size; ++k) {
          // Channel c - lo + k, or nothing outside [0, C).
          Value c = arith::AddIOp::create(
              b, loc, idx[1], arith::ConstantIndexOp::create(b, loc, k - lo));
          Value inside = arith::AndIOp::create(
              b, loc,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, c,
                                    arith::ConstantIndexOp::create(b, loc, 0)),
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, c,
                                    arith::ConstantIndexOp::create(b, loc, C)));
          SmallVector<Value> at(idx);
          at[1] = arith::SelectOp::create(
              b, loc, inside, c, arith::ConstantIndexOp::create(b, loc, 0));
          Value e = tensor::ExtractOp::create(b, loc, x, at);
          Value sq = arith::MulFOp::create(b, loc, e, e);
          sum = arith::AddFOp::create(
              b, loc, sum,
              arith::SelectOp::create(b, loc, inside, sq,
                                      floatLike(b, loc, sq, 0.0)));
        }
        Value d = arith::AddFOp::create(
            b, loc, floatLike(b, loc, sum, bias),
            arith::MulFOp::create(b, loc, sum,
                                  floatLike(b, loc, sum, alpha / size)));
        d = math::PowFOp::create(b, loc, d, floatLike(b, loc, d, beta));
        return arith::DivFOp::create(b, loc, v[0], d);
      });
  nc.setResult(0, y, type);
  return success();
}

/// BatchNormalization at inference; from 14 on, the `training_mode`
/// attribute exists (`hasTrainingMode`) and must be 0.
LogicalResult importBatchNormalization(NodeContext &nc, bool hasTrainingMode) {
  if (hasTrainingMode && nc.attrInt("training_mode", 0))
    return nc.emitError() << "training mode is not supported";
  if (nc.hasOutput(1) || nc.hasOutput(2) || nc.hasOutput(3) ||
      nc.hasOutput(4))
    return nc.emitError() << "training outputs (running mean/var) are not "
                             "supported";
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  double eps = nc.attrFloat("epsilon", 1e-5);
  ArrayRef<int64_t> xs = nc.inputShape(0);
  if (xs.size() < 2)
    return nc.emitError() << "input needs rank >= 2";
  int64_t C = xs[1];
  for (unsigned i = 1; i <= 4; ++i)
    if (nc.inputShape(i) != ArrayRef<int64_t>{C})
      return nc.emitError() << "input " << i << " must have shape [" << C
                            << "]";
  SmallVector<int64_t> bshape(xs.size() - 1, 1);
  bshape[0] = C;
  TensorBuilder tb = nc.tb();
  Type elem = mlirElementType(nc.context(), type);
  const HostTensor *scale = nc.constantInput(1), *bias = nc.constantInput(2),
                   *mean = nc.constantInput(3), *var = nc.constantInput(4);
  Value y;
  if (scale && bias && mean && var) {
    // Inference batch norm is an affine map per channel: fold it.
    HostTensor a(type, bshape), c(type, bshape);
    for (int64_t i = 0; i < C; ++i) {
      double s = scale->getDouble(i) / std::sqrt(var->getDouble(i) + eps);
      a.setDouble(i, s);
      c.setDouble(i, bias->getDouble(i) - mean->getDouble(i) * s);
    }
    Value av = hostConstant(nc, a), cv = hostConstant(nc, c);
    y = tb.elementwise({nc.operand(0), av, cv}, xs, elem,
                       [](OpBuilder &b, Location loc, ValueRange v) {
                         Value m = arith::MulFOp::create(b, loc, v[0], v[1]);
                         return arith::AddFOp::create(b, loc, m, v[2])
                             .getResult();
                       });
  } else {
    SmallVector<Value> ops = {nc.operand(0)};
    for (unsigned i = 1; i <= 4; ++i)
      ops.push_back(tb.reshape(nc.operand(i), bshape));
    y = tb.elementwise(ops, xs, elem,
                       [eps](OpBuilder &b, Location loc, ValueRange v) {
                         Value e = arith::ConstantOp::create(
                             b, loc, b.getFloatAttr(v[0].getType(), eps));
                         Value d = arith::SubFOp::create(b, loc, v[0], v[3]);
                         Value s = math::RsqrtOp::create(
                             b, loc, arith::AddFOp::create(b, loc, v[4], e));
                         Value n = arith::MulFOp::create(b, loc, d, s);
                         Value m = arith::MulFOp::create(b, loc, n, v[1]);
                         return arith::AddFOp::create(b, loc, m, v[2])
                             .getResult();
                       });
  }
  nc.setResult(0, y, type);
  return success();
}

LogicalResult importBatchNormalization7(NodeContext &nc) {
  return importBatchNormalization(nc, /*hasTrainingMode=*/false);
}

LogicalResult importBatchNormalization14(NodeContext &nc) {
  return importBatchNormalization(nc, /*hasTrainingMode=*/true);
}

} // namespace

void cambrian::onnx_import::registerNormalization(OpRegistry &r) {
  r.add("", "BatchNormalization", 7, importBatchNormalization7);
  r.add("", "BatchNormalization", 14, importBatchNormalization14);
  r.add("", "GroupNormalization", 18, importGroupNormalization18);
  r.add("", "GroupNormalization", 21, importGroupNormalization21);
  r.add("", "InstanceNormalization", 6, importInstanceNormalization);
  r.add("", "LRN", 1, importLRN);
  r.add("", "LayerNormalization", 17, importLayerNormalization);
  r.add("", "LpNormalization", 1, importLpNormalization);
  r.add("", "MeanVarianceNormalization", 9, importMeanVarianceNormalization);
  r.add("", "RMSNormalization", 23, importRMSNormalization);
}
