//===- Attention.cpp - ONNX Attention (23, 24) ----------------------------===//
//
// softmax(Q K^T * scale + bias) V over heads, with past keys/values appended,
// grouped-query heads, boolean or additive masks, a causal mask, softcap and
// (24) per-batch key padding lengths. 16-bit inputs compute in float32.
// Most nodes are one cambrian.attention; the ones whose intermediates ONNX
// exposes are spelled out here.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

/// C[b] = A[b] * B[b] for rank-3 operands.
Value batchMatmul(TensorBuilder &tb, Value a, Value b) {
  ArrayRef<int64_t> as = TensorBuilder::shapeOf(a), bs = TensorBuilder::shapeOf(b);
  Type elem = TensorBuilder::elementTypeOf(a);
  Value init = tb.splat(tb.scalar(elem, 0.0), {as[0], as[1], bs[2]});
  return linalg::BatchMatmulOp::create(tb.builder(), tb.location(),
                                       TypeRange{init.getType()},
                                       ValueRange{a, b}, ValueRange{init})
      .getResult(0);
}

/// [B, S, heads * H] -> [B, heads, S, H].
Value splitHeads(TensorBuilder &tb, Value x, int64_t heads) {
  ArrayRef<int64_t> s = TensorBuilder::shapeOf(x);
  Value r = tb.reshape(x, {s[0], s[1], heads, s[2] / heads});
  return tb.transpose(r, {0, 2, 1, 3});
}

Value binaryF(TensorBuilder &tb, Value a, Value b, ArrayRef<int64_t> shape,
              bool add) {
  return tb.elementwise({a, b}, shape, TensorBuilder::elementTypeOf(a),
                        [add](OpBuilder &bb, Location loc, ValueRange v) -> Value {
                          if (add)
                            return arith::AddFOp::create(bb, loc, v[0], v[1]);
                          return arith::MulFOp::create(bb, loc, v[0], v[1]);
                        });
}

LogicalResult importAttention(NodeContext &nc, bool hasNonpadKvSeqlen) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects floating-point Q, K and V";
  for (unsigned i = 1; i <= 2; ++i)
    if (nc.inputType(i) != type)
      return nc.emitError() << "Q, K and V differ in element type";
  int64_t rank = nc.inputShape(0).size();
  if (rank != 3 && rank != 4)
    return nc.emitError() << "Q must have rank 3 or 4";
  for (unsigned i = 1; i <= 2; ++i)
    if ((int64_t)nc.inputShape(i).size() != rank)
      return nc.emitError() << "Q, K and V differ in rank";
  int32_t ct = type == kDouble ? int32_t(kDouble) : int32_t(kFloat);
  TensorBuilder tb = nc.tb();
  Type elem = mlirElementType(nc.context(), ct);
  auto in = [&](unsigned i) {
    return tb.convert(nc.operand(i), nc.inputType(i), ct);
  };
  Value q = in(0), k = in(1), v = in(2);
  if (rank == 3) {
    if (!nc.hasAttr("q_num_heads") || !nc.hasAttr("kv_num_heads"))
      return nc.emitError() << "3-D inputs need q_num_heads and kv_num_heads";
    int64_t qh = nc.attrInt("q_num_heads", 1), kvh = nc.attrInt("kv_num_heads", 1);
    if (qh <= 0 || kvh <= 0 || nc.inputShape(0)[2] % qh ||
        nc.inputShape(1)[2] % kvh || nc.inputShape(2)[2] % kvh)
      return nc.emitError() << "hidden sizes are not divisible by the head "
                               "counts";
    q = splitHeads(tb, q, qh);
    k = splitHeads(tb, k, kvh);
    v = splitHeads(tb, v, kvh);
  }
  ArrayRef<int64_t> qs = TensorBuilder::shapeOf(q);
  int64_t B = qs[0], QH = qs[1], S = qs[2], H = qs[3];
  // Past keys and values come first along the sequence.
  int64_t past = 0;
  if (nc.hasInput(4) != nc.hasInput(5))
    return nc.emitError() << "past_key and past_value come together";
  if (nc.hasInput(4)) {
    past = nc.inputShape(4)[2];
    k = tb.concat({in(4), k}, 2);
    v = tb.concat({in(5), v}, 2);
  }
  ArrayRef<int64_t> ks = TensorBuilder::shapeOf(k), vs = TensorBuilder::shapeOf(v);
  int64_t KVH = ks[1], L = ks[2], HV = vs[3];
  if (ks[0] != B || ks[3] != H || vs[0] != B || vs[1] != KVH || vs[2] != L)
    return nc.emitError() << "K and V shapes do not match Q";
  if (QH % KVH)
    return nc.emitError() << QH << " query heads are not a multiple of " << KVH
                          << " key/value heads";
  Value presentK = k, presentV = v;
  // Grouped-query attention: each key/value head serves QH/KVH query heads.
  auto repeatHeads = [&](Value x) {
    if (QH == KVH)
      return x;
    ArrayRef<int64_t> s = TensorBuilder::shapeOf(x);
    Value r = tb.reshape(x, {s[0], s[1], 1, s[2], s[3]});
    r = tb.broadcastTo(r, {s[0], s[1], QH / KVH, s[2], s[3]});
    return tb.reshape(r, {s[0], QH, s[2], s[3]});
  };

  // The mask as an additive bias, padded as "masked" up to L columns.
  auto fconst = [elem](OpBuilder &b, Location loc, double x) -> Value {
    return arith::ConstantOp::create(b, loc, b.getFloatAttr(elem, x));
  };
  SmallVector<int64_t> scoreShape = {B, QH, S, L};
  Value mask;
  if (nc.hasInput(3)) {
    ArrayRef<int64_t> ms = nc.inputShape(3);
    SmallVector<int64_t> padded(ms), bcast;
    if (ms.empty() || ms.size() > 4 || ms.back() > L)
      return nc.emitError() << "attn_mask must have rank 1..4 and at most "
                            << L << " columns";
    padded.back() = L;
    if (!broadcastShapes(padded, scoreShape, bcast) ||
        ArrayRef<int64_t>(bcast) != ArrayRef<int64_t>(scoreShape))
      return nc.emitError() << "attn_mask does not broadcast to the scores";
    mask = nc.operand(3);
    if (nc.inputType(3) == kBool)
      mask = tb.elementwise({mask}, ms, elem,
                            [&](OpBuilder &b, Location loc, ValueRange x) {
                              return arith::SelectOp::create(
                                         b, loc, x[0], fconst(b, loc, 0.0),
                                         fconst(b, loc, kNegInf))
                                  .getResult();
                            });
    else
      mask = tb.convert(mask, nc.inputType(3), ct);
    if (ms.back() < L) {
      SmallVector<int64_t> low(ms.size(), 0), high(ms.size(), 0);
      high.back() = L - ms.back();
      mask = tb.pad(mask, low, high, kNegInf);
    }
  }
  bool causal = nc.attrInt("is_causal", 0) != 0;
  double softcap = nc.attrFloat("softcap", 0.0);
  auto finish = [&](Value y, Value probs, Value scores, Value qkOut) {
    if (rank == 3)
      y = tb.reshape(tb.transpose(y, {0, 2, 1, 3}), {B, S, QH * HV});
    nc.setResult(0, tb.convert(y, ct, type), type);
    if (nc.hasOutput(1))
      nc.setResult(1, tb.convert(presentK, ct, type), type);
    if (nc.hasOutput(2))
      nc.setResult(2, tb.convert(presentV, ct, type), type);
    if (nc.hasOutput(3)) {
      // As ONNX's reference: modes 0 and 1 give the (softcapped) product,
      // 2 adds the bias, 3 is the softmax.
      int64_t mode = nc.attrInt("qk_matmul_output_mode", 0);
      Value out = mode == 2 ? scores : mode == 3 ? probs : qkOut;
      nc.setResult(3, tb.convert(out, ct, type), type);
    }
    return success();
  };
  // One cambrian.attention unless the node asks for its intermediate
  // scores, pads keys per batch, or is causal with a query block that does
  // not end with the keys (ONNX aligns the triangle to the top left then;
  // the op to the end of the keys, which is the same with past keys).
  bool intermediates = nc.hasOutput(3) || (hasNonpadKvSeqlen && nc.hasInput(6));
  if (!intermediates && (!causal || past + S == L)) {
    FloatAttr scaleAttr;
    if (nc.hasAttr("scale"))
      scaleAttr = nc.builder().getF32FloatAttr(nc.attrFloat("scale", 1.0));
    auto outType = RankedTensorType::get({B, QH, S, HV}, elem);
    Value y = cmb::AttentionOp::create(
        nc.builder(), nc.loc(), outType, q, k, v, mask, scaleAttr,
        nc.builder().getBoolAttr(causal),
        nc.builder().getF32FloatAttr(softcap));
    return finish(y, nullptr, nullptr, nullptr);
  }

  Value kr = repeatHeads(k), vr = repeatHeads(v);
  double scale = nc.hasAttr("scale") ? nc.attrFloat("scale", 1.0)
                                     : 1.0 / std::sqrt(double(H));
  Value kt = tb.reshape(tb.transpose(kr, {0, 1, 3, 2}), {B * QH, H, L});
  Value qk = tb.reshape(batchMatmul(tb, tb.reshape(q, {B * QH, S, H}), kt),
                        scoreShape);
  qk = tb.elementwise({qk}, scoreShape, elem,
                      [scale](OpBuilder &b, Location loc, ValueRange x) {
                        return arith::MulFOp::create(
                                   b, loc, x[0], floatLike(b, loc, x[0], scale))
                            .getResult();
                      });
  if (softcap > 0)
    qk = tb.elementwise({qk}, scoreShape, elem,
                        [softcap](OpBuilder &b, Location loc, ValueRange x) {
                          Value c = floatLike(b, loc, x[0], softcap);
                          Value t = math::TanhOp::create(
                              b, loc, arith::DivFOp::create(b, loc, x[0], c));
                          return arith::MulFOp::create(b, loc, t, c).getResult();
                        });
  Value qkOut = qk;

  // The additive bias: the mask, the causal triangle, and (24) the
  // per-batch padding of the keys.
  Value scores = qk;
  if (mask)
    scores = binaryF(tb, scores, mask, scoreShape, /*add=*/true);
  if (causal) {
    // Query i (after `past` earlier positions) sees keys j <= past + i.
    std::vector<double> tri(S * L);
    for (int64_t i = 0; i < S; ++i)
      for (int64_t j = 0; j < L; ++j)
        tri[i * L + j] = j > past + i ? kNegInf : 0.0;
    Value c = hostConstant(nc, HostTensor::fromDoubles(ct, {S, L}, tri));
    scores = binaryF(tb, scores, c, scoreShape, /*add=*/true);
  }
  if (hasNonpadKvSeqlen && nc.hasInput(6)) {
    if (nc.inputShape(6) != ArrayRef<int64_t>{B})
      return nc.emitError() << "nonpad_kv_seqlen must have shape [" << B << "]";
    Value lens = nc.operand(6);
    Value padMask = tb.elementwiseIndexed(
        {}, {B, 1, 1, L}, elem,
        [&](OpBuilder &b, Location loc, ValueRange idx) -> Value {
          Value n = tensor::ExtractOp::create(b, loc, lens, ValueRange{idx[0]});
          Value j = arith::IndexCastOp::create(b, loc, n.getType(), idx[3]);
          Value keep = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                             j, n);
          return arith::SelectOp::create(b, loc, keep, fconst(b, loc, 0.0),
                                         fconst(b, loc, kNegInf));
        });
    scores = binaryF(tb, scores, padMask, scoreShape, /*add=*/true);
  }

  Value probs = emitSoftmax(tb, scores, 3, /*log=*/false);
  Value y = tb.reshape(
      batchMatmul(tb, tb.reshape(probs, {B * QH, S, L}),
                  tb.reshape(vr, {B * QH, L, HV})),
      {B, QH, S, HV});
  return finish(y, probs, scores, qkOut);
}

LogicalResult importAttention23(NodeContext &nc) {
  return importAttention(nc, /*hasNonpadKvSeqlen=*/false);
}

LogicalResult importAttention24(NodeContext &nc) {
  return importAttention(nc, /*hasNonpadKvSeqlen=*/true);
}

/// RotaryEmbedding (23): rotates pairs of the first `rotary_embedding_dim`
/// features of each head by position-dependent angles (cos/sin caches,
/// optionally indexed by position ids); pairs are (i, i + dim/2), or
/// adjacent features when interleaved.
LogicalResult importRotaryEmbedding(NodeContext &nc) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input";
  ArrayRef<int64_t> xs = nc.inputShape(0);
  bool is4d = xs.size() == 4;
  if (!is4d && xs.size() != 3)
    return nc.emitError() << "input must be 3-D or 4-D";
  int64_t heads = is4d ? xs[1] : nc.attrInt("num_heads", 0);
  if (heads <= 0 || (!is4d && xs[2] % heads))
    return nc.emitError() << "3-D inputs need num_heads dividing the hidden size";
  int64_t B = xs[0], S = is4d ? xs[2] : xs[1];
  int64_t hd = is4d ? xs[3] : xs[2] / heads;
  int64_t rot = nc.attrInt("rotary_embedding_dim", 0);
  if (rot == 0)
    rot = hd;
  if (rot > hd || rot % 2)
    return nc.emitError() << "rotary_embedding_dim " << rot
                          << " must be even and at most the head size " << hd;
  int64_t half = rot / 2;
  bool interleaved = nc.attrInt("interleaved", 0) != 0;
  bool hasPos = nc.hasInput(3);
  ArrayRef<int64_t> cs = nc.inputShape(1);
  if (cs.empty() || cs.back() != half || nc.inputShape(2) != cs)
    return nc.emitError() << "cos and sin caches must have " << half
                          << " values per position";
  if (hasPos ? (nc.inputShape(3) != ArrayRef<int64_t>{B, S} || cs.size() != 2)
             : cs != ArrayRef<int64_t>{B, S, half})
    return nc.emitError() << "caches and position_ids do not match the input";
  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0), cosC = nc.operand(1), sinC = nc.operand(2);
  Value pos = hasPos ? nc.operand(3) : Value();
  Value y = tb.elementwiseIndexed(
      {x}, xs, TensorBuilder::elementTypeOf(x),
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        auto cst = [&](int64_t c) { return arith::ConstantIndexOp::create(b, loc, c); };
        SmallVector<Value> idx(v.begin() + 1, v.end());
        Value bi = idx[0], si = is4d ? idx[2] : idx[1];
        // Feature d within the head, and how to address feature e of it.
        Value d = is4d ? idx[3]
                       : arith::RemUIOp::create(b, loc, idx[2], cst(hd)).getResult();
        Value headBase = is4d ? Value()
                              : arith::SubIOp::create(b, loc, idx[2], d).getResult();
        auto feature = [&](Value e) -> Value {
          SmallVector<Value> at(idx);
          at.back() = is4d ? e : arith::AddIOp::create(b, loc, headBase, e).getResult();
          return tensor::ExtractOp::create(b, loc, x, at);
        };
        Value inRot = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, d,
                                            cst(rot));
        Value dc = arith::MinUIOp::create(b, loc, d, cst(rot - 1));
        Value i, first, partnerA, partnerB;
        if (interleaved) {
          i = arith::DivUIOp::create(b, loc, dc, cst(2));
          Value even = arith::MulIOp::create(b, loc, i, cst(2));
          first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, dc, even);
          partnerA = even;
          partnerB = arith::AddIOp::create(b, loc, even, cst(1));
        } else {
          first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, dc,
                                        cst(half));
          i = arith::SelectOp::create(b, loc, first, dc,
                                      arith::SubIOp::create(b, loc, dc, cst(half)));
          partnerA = i;
          partnerB = arith::AddIOp::create(b, loc, i, cst(half));
        }
        SmallVector<Value> cat;
        if (hasPos) {
          Value p = tensor::ExtractOp::create(b, loc, pos, ValueRange{bi, si});
          cat = {arith::IndexCastOp::create(b, loc, b.getIndexType(), p), i};
        } else {
          cat = {bi, si, i};
        }
        Value c = tensor::ExtractOp::create(b, loc, cosC, cat);
        Value sn = tensor::ExtractOp::create(b, loc, sinC, cat);
        Value x1 = feature(partnerA), x2 = feature(partnerB);
        Value real = arith::SubFOp::create(b, loc, arith::MulFOp::create(b, loc, c, x1),
                                           arith::MulFOp::create(b, loc, sn, x2));
        Value imag = arith::AddFOp::create(b, loc, arith::MulFOp::create(b, loc, sn, x1),
                                           arith::MulFOp::create(b, loc, c, x2));
        Value rotated = arith::SelectOp::create(b, loc, first, real, imag);
        return arith::SelectOp::create(b, loc, inRot, rotated, v[0]);
      });
  nc.setResult(0, y, type);
  return success();
}

} // namespace

void cambrian::onnx_import::registerAttention(OpRegistry &r) {
  r.add("", "Attention", 23, importAttention23);
  r.add("", "Attention", 24, importAttention24);
  r.add("", "RotaryEmbedding", 23, importRotaryEmbedding);
}
