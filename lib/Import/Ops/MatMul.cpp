//===- MatMul.cpp - MatMul and Gemm ---------------------------------------===//
//
// Matrix products as cambrian.matmul; Gemm transposes constant operands on
// the host and hands its C to the matmul's epilogue when it is a bias or a
// residual.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "onnx/onnx_pb.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <cstring>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// A cambrian.matmul of `a` and `b` with an optional epilogue; the result
/// shape follows numpy's matmul (both operands at least 2-D).
Value emitMatmul(NodeContext &nc, Value a, Value b, Value bias = nullptr,
                 Value residual = nullptr) {
  ArrayRef<int64_t> as = TensorBuilder::shapeOf(a),
                    bs = TensorBuilder::shapeOf(b);
  SmallVector<int64_t> shape;
  broadcastShapes(as.drop_back(2), bs.drop_back(2), shape);
  shape.append({as[as.size() - 2], bs.back()});
  auto type = RankedTensorType::get(shape, TensorBuilder::elementTypeOf(a));
  return cmb::MatmulOp::create(nc.builder(), nc.loc(), type, a, b, bias,
                               residual, /*activation=*/nullptr);
}

/// Transposes a 2-D host tensor (used for constant Gemm weights).
HostTensor transposeHost(const HostTensor &t) {
  int64_t R = t.shape()[0], C = t.shape()[1];
  int64_t es = onnxTypeSize(t.type());
  HostTensor r(t.type(), {C, R});
  char *dst = const_cast<char *>(r.bytes().data());
  const char *src = t.bytes().data();
  for (int64_t i = 0; i < R; ++i)
    for (int64_t j = 0; j < C; ++j)
      std::memcpy(dst + (j * R + i) * es, src + (i * C + j) * es, es);
  return r;
}

LogicalResult importGemm(NodeContext &nc) {
  if (failed(nc.checkInputType(0, {kFloat})) ||
      failed(nc.checkInputType(1, {kFloat})))
    return failure();
  ArrayRef<int64_t> as = nc.inputShape(0), bs = nc.inputShape(1);
  if (as.size() != 2 || bs.size() != 2)
    return nc.emitError() << "A and B must be 2-D";
  bool transA = nc.attrInt("transA", 0), transB = nc.attrInt("transB", 0);
  double alpha = nc.attrFloat("alpha", 1.0), beta = nc.attrFloat("beta", 1.0);
  int64_t M = transA ? as[1] : as[0], K = transA ? as[0] : as[1];
  int64_t KB = transB ? bs[1] : bs[0], N = transB ? bs[0] : bs[1];
  if (K != KB)
    return nc.emitError() << "inner dimensions differ (" << K << " vs " << KB
                          << ")";
  TensorBuilder tb = nc.tb();
  auto operand = [&](unsigned i, bool trans) -> Value {
    const HostTensor *c = nc.constantInput(i);
    if (trans && c)
      return nc.materializeConstant(transposeHost(*c),
                                    nc.node().input(i) + "_T");
    Value v = nc.operand(i);
    return trans ? tb.transpose(v, {1, 0}) : v;
  };
  Value a = operand(0, transA), b = operand(1, transB);
  Type f32 = tb.builder().getF32Type();
  bool hasC = nc.hasInput(2) && beta != 0.0;
  SmallVector<int64_t> cShape;
  if (hasC) {
    SmallVector<int64_t> s;
    if (!broadcastShapes({M, N}, nc.inputShape(2), s) ||
        s != SmallVector<int64_t>{M, N})
      return nc.emitError() << "C cannot be broadcast to [" << M << ", " << N
                            << "]";
    cShape.assign(nc.inputShape(2).begin(), nc.inputShape(2).end());
  }
  // C joins the epilogue when nothing scales it or the product: as a bias
  // (one per column) or as a residual (the whole [M, N]).
  bool plain = alpha == 1.0 && beta == 1.0;
  if (hasC && plain && cShape == SmallVector<int64_t>{N}) {
    nc.setResult(0, emitMatmul(nc, a, b, /*bias=*/nc.operand(2)), kFloat);
    return success();
  }
  if (hasC && plain && cShape == SmallVector<int64_t>{M, N}) {
    nc.setResult(0, emitMatmul(nc, a, b, nullptr, /*residual=*/nc.operand(2)),
                 kFloat);
    return success();
  }
  Value y = emitMatmul(nc, a, b);
  if (alpha != 1.0)
    y = tb.elementwise({y}, {M, N}, f32,
                       [alpha](OpBuilder &nb, Location loc, ValueRange v) {
                         return arith::MulFOp::create(nb, loc, v[0],
                                                      floatLike(nb, loc, v[0], alpha))
                             .getResult();
                       });
  if (hasC)
    y = tb.elementwise({y, nc.operand(2)}, {M, N}, f32,
                       [beta](OpBuilder &nb, Location loc, ValueRange v) {
                         Value c = v[1];
                         if (beta != 1.0)
                           c = arith::MulFOp::create(nb, loc, c,
                                                     floatLike(nb, loc, c, beta));
                         return arith::AddFOp::create(nb, loc, v[0], c)
                             .getResult();
                       });
  nc.setResult(0, y, kFloat);
  return success();
}

LogicalResult importMatMul(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (failed(nc.checkInputType(0, {kFloat, kFloat16, kBFloat16, kDouble, kInt32,
                                   kInt64, kUInt32, kUInt64})))
    return failure();
  if (nc.inputType(1) != type)
    return nc.emitError() << "inputs differ in element type";
  TensorBuilder tb = nc.tb();
  SmallVector<int64_t> as(nc.inputShape(0)), bs(nc.inputShape(1));
  if (as.empty() || bs.empty())
    return nc.emitError() << "inputs must have rank >= 1";
  // 16-bit floats multiply in float32 (as MLAS and the reference do).
  int32_t ct = type == kFloat16 || type == kBFloat16 ? int32_t(kFloat) : type;
  Value a = tb.convert(nc.operand(0), type, ct),
        b = tb.convert(nc.operand(1), type, ct);
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec) {
    as.insert(as.begin(), 1);
    a = tb.reshape(a, as);
  }
  if (bVec) {
    bs.push_back(1);
    b = tb.reshape(b, bs);
  }
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K)
    return nc.emitError() << "inner dimensions differ (" << K << " vs "
                          << bs[bs.size() - 2] << ")";
  SmallVector<int64_t> batch;
  if (!broadcastShapes(ArrayRef<int64_t>(as).drop_back(2),
                       ArrayRef<int64_t>(bs).drop_back(2), batch))
    return nc.emitError() << "batch dimensions cannot be broadcast";
  Value y = emitMatmul(nc, a, b);
  SmallVector<int64_t> out(batch);
  if (bs.size() == 2)
    out.assign(as.begin(), as.end() - 2);
  if (!aVec)
    out.push_back(M);
  if (!bVec)
    out.push_back(N);
  nc.setResult(0, tb.convert(tb.reshape(y, out), ct, type), type);
  return success();
}

} // namespace

void cambrian::onnx_import::registerMatMul(OpRegistry &r) {
  r.add("", "Gemm", 7, importGemm);
  r.add("", "MatMul", 1, importMatMul);
}
