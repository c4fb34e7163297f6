//===- MatmulOperands.cpp - A cambrian.matmul as one GEMM or batch --------===//

#include "dialects/Cambrian/Utils/MatmulOperands.h"

using namespace mlir;
using namespace cambrian;
using namespace cambrian::cmb;

FlatMatmul cambrian::cmb::flattenMatmul(TensorBuilder &tb, MatmulOp op) {
  return flattenMatmul(tb, op.getLhs(), op.getRhs(),
                       op.getOutput().getType().getShape());
}

FlatMatmul cambrian::cmb::flattenMatmul(TensorBuilder &tb, Value a, Value b,
                                        ArrayRef<int64_t> ys) {
  ArrayRef<int64_t> as = TensorBuilder::shapeOf(a),
                    bs = TensorBuilder::shapeOf(b);
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs.size() == 2) {
    // All leading dims as rows (a product, not size / K: K may be 0).
    int64_t rows = ShapedType::getNumElements(as.drop_back());
    return {tb.reshape(a, {rows, K}), b, {rows, N}};
  }
  ArrayRef<int64_t> batch = ys.drop_back(2);
  int64_t B = ShapedType::getNumElements(batch);
  SmallVector<int64_t> aFull(batch), bFull(batch);
  aFull.append({M, K});
  bFull.append({K, N});
  return {tb.reshape(tb.broadcastTo(a, aFull), {B, M, K}),
          tb.reshape(tb.broadcastTo(b, bFull), {B, K, N}),
          {B, M, N}};
}
