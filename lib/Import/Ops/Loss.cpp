//===- Loss.cpp - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss ---===//
//
// Both losses pick, per sample position, the (log-)probability of the target
// class, weight it, and reduce. Evaluating a loss needs no training support,
// so they import like any other op.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

Value addF(OpBuilder &b, Location loc, ValueRange v) {
  return arith::AddFOp::create(b, loc, v[0], v[1]);
}

/// The loss of log-probabilities `logp` [N, C, d...] against integer
/// `target` [N, d...] with optional class weights [C]; `reduction` is none,
/// sum or mean (mean divides by the total weight of counted positions).
FailureOr<Value> emitNLLLoss(NodeContext &nc, Value logp, Value target,
                             int32_t targetType, Value weight,
                             std::optional<int64_t> ignoreIndex,
                             StringRef reduction) {
  TensorBuilder tb = nc.tb();
  ArrayRef<int64_t> ls = TensorBuilder::shapeOf(logp);
  ArrayRef<int64_t> ts = TensorBuilder::shapeOf(target);
  Type elem = TensorBuilder::elementTypeOf(logp);
  int64_t C = ls[1];
  SmallVector<int64_t> expect = {ls[0]};
  expect.append(ls.begin() + 2, ls.end());
  if (ts != ArrayRef<int64_t>(expect))
    return nc.emitError() << "target shape does not match the input's shape "
                             "without the class dimension";
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    return nc.emitError() << "reduction '" << reduction
                          << "' is not none, sum or mean";

  // Per position: the picked value times its weight (0 where ignored), and
  // the weight itself for the mean.
  auto pick = [&](bool wantWeight) {
    SmallVector<Value> ops = {target};
    return tb.elementwiseIndexed(
        ops, ts, elem, [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
          Value t = arith::IndexCastOp::create(b, loc, b.getIndexType(), v[0]);
          auto cst = [&](int64_t c) {
            return arith::ConstantIndexOp::create(b, loc, c);
          };
          // Clamp so that ignored (or bad) targets still read in bounds.
          Value tc = arith::MinSIOp::create(
              b, loc, arith::MaxSIOp::create(b, loc, t, cst(0)), cst(C - 1));
          Value w = weight ? tensor::ExtractOp::create(b, loc, weight,
                                                       ValueRange{tc})
                                 .getResult()
                           : arith::ConstantOp::create(
                                 b, loc, b.getFloatAttr(elem, 1.0))
                                 .getResult();
          if (ignoreIndex) {
            Value ign = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::eq, v[0],
                scalarConstant(b, loc, targetType, (double)*ignoreIndex));
            w = arith::SelectOp::create(b, loc, ign, floatLike(b, loc, w, 0.0),
                                        w);
          }
          if (wantWeight)
            return w;
          SmallVector<Value> coords = {v[1], tc};
          for (size_t d = 2; d < v.size(); ++d)
            coords.push_back(v[d]);
          Value x = tensor::ExtractOp::create(b, loc, logp, coords);
          return arith::NegFOp::create(b, loc,
                                       arith::MulFOp::create(b, loc, x, w));
        });
  };
  Value loss = pick(false);
  if (reduction == "none")
    return loss;
  SmallVector<int64_t> all;
  for (size_t d = 0; d < ts.size(); ++d)
    all.push_back(d);
  Value sum = tb.reduce(loss, all, false, 0.0, elem, addF);
  if (reduction == "sum")
    return sum;
  Value total = tb.reduce(pick(true), all, false, 0.0, elem, addF);
  return tb.elementwise({sum, total}, {}, elem,
                        [](OpBuilder &b, Location loc, ValueRange v) {
                          return arith::DivFOp::create(b, loc, v[0], v[1])
                              .getResult();
                        });
}

LogicalResult checkLossInputs(NodeContext &nc) {
  if (!isFloatType(nc.inputType(0)))
    return nc.emitError() << "expects floating-point scores";
  if (failed(nc.checkInputType(1, {kInt32, kInt64})))
    return failure();
  if (nc.inputShape(0).size() < 2)
    return nc.emitError() << "input needs rank >= 2 (N, C, ...)";
  int64_t C = nc.inputShape(0)[1];
  if (nc.hasInput(2) && nc.inputShape(2) != ArrayRef<int64_t>{C})
    return nc.emitError() << "weight must have shape [" << C << "]";
  return success();
}

std::optional<int64_t> ignoreIndexOf(NodeContext &nc) {
  if (!nc.hasAttr("ignore_index"))
    return std::nullopt;
  return nc.attrInt("ignore_index", 0);
}

/// NegativeLogLikelihoodLoss (12, 13, 22).
LogicalResult importNLLLoss(NodeContext &nc) {
  if (failed(checkLossInputs(nc)))
    return failure();
  auto loss = emitNLLLoss(nc, nc.operand(0), nc.operand(1), nc.inputType(1),
                          nc.hasInput(2) ? nc.operand(2) : Value(),
                          ignoreIndexOf(nc), nc.attrString("reduction", "mean"));
  if (failed(loss))
    return failure();
  nc.setResult(0, *loss, nc.inputType(0));
  return success();
}

/// SoftmaxCrossEntropyLoss (12, 13): NLL of log-softmax over the classes;
/// output 1 is the log-probabilities.
LogicalResult importSoftmaxCrossEntropyLoss(NodeContext &nc) {
  if (failed(checkLossInputs(nc)))
    return failure();
  TensorBuilder tb = nc.tb();
  ArrayRef<int64_t> xs = nc.inputShape(0);
  // Log-softmax over axis 1: move it last, normalise, move it back.
  SmallVector<int64_t> perm = {0}, inverse(xs.size());
  for (int64_t d = 2; d < (int64_t)xs.size(); ++d)
    perm.push_back(d);
  perm.push_back(1);
  for (size_t i = 0; i < perm.size(); ++i)
    inverse[perm[i]] = i;
  Value t = tb.transpose(nc.operand(0), perm);
  Value logp = tb.transpose(emitSoftmax(tb, t, xs.size() - 1, /*log=*/true),
                            inverse);
  auto loss = emitNLLLoss(nc, logp, nc.operand(1), nc.inputType(1),
                          nc.hasInput(2) ? nc.operand(2) : Value(),
                          ignoreIndexOf(nc), nc.attrString("reduction", "mean"));
  if (failed(loss))
    return failure();
  nc.setResult(0, *loss, nc.inputType(0));
  if (nc.hasOutput(1))
    nc.setResult(1, logp, nc.inputType(0));
  return success();
}

} // namespace

void cambrian::onnx_import::registerLoss(OpRegistry &r) {
  r.add("", "NegativeLogLikelihoodLoss", 12, importNLLLoss);
  r.add("", "SoftmaxCrossEntropyLoss", 12, importSoftmaxCrossEntropyLoss);
}
