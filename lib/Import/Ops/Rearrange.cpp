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

} // namespace

void cambrian::onnx_import::registerRearrange(OpRegistry &r) {
  r.add("", "DepthToSpace", 1, importDepthToSpace);
  r.add("", "ReverseSequence", 10, importReverseSequence);
  r.add("", "SpaceToDepth", 1, importSpaceToDepth);
}
