//===- GridSample.cpp - ONNX GridSample (16, 20, 22) ----------------------===//
//
// Every output position reads the input at the location its grid entry
// gives, which is known only at run time: each output element computes its
// source coordinates, applies the padding mode, and interpolates over the
// 1, 2^D or 4^D neighbouring pixels (nearest, linear, cubic), unrolled in
// the body of one linalg.generic.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

enum class Padding { Zeros, Border, Reflection };
enum class Interp { Nearest, Linear, Cubic };

/// Scalar helpers on one float type.
struct Scalars {
  OpBuilder &b;
  Location loc;
  Type f;
  Value c(double v) { return arith::ConstantOp::create(b, loc, b.getFloatAttr(f, v)); }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value lt(Value x, Value y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, y);
  }
  Value gt(Value x, Value y) {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, y);
  }
  Value sel(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value clamp(Value x, double lo, double hi) {
    return arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, c(lo)), c(hi));
  }
  /// Reflects x into [lo, hi], as many times as needed.
  Value reflect(Value x, double lo, double hi) {
    double range = hi - lo;
    if (range <= 0)
      return c(lo);
    auto fold = [&](Value dx, bool below) {
      Value n = math::FloorOp::create(b, loc, div(dx, c(range)));
      Value r = sub(dx, mul(n, c(range)));
      // Odd reflections land on the other side.
      Value half = mul(n, c(0.5));
      Value odd = gt(sub(half, math::FloorOp::create(b, loc, half)), c(0.25));
      Value nearSide = below ? add(c(lo), r) : sub(c(hi), r);
      Value farSide = below ? sub(c(hi), r) : add(c(lo), r);
      return sel(odd, farSide, nearSide);
    };
    Value below = fold(sub(c(lo), x), true), above = fold(sub(x, c(hi)), false);
    return sel(lt(x, c(lo)), below, sel(gt(x, c(hi)), above, x));
  }
};

/// GridSample: 4-D inputs with the default mode 'bilinear' (16), any rank
/// with the default mode 'linear' from 20 on (`nd`).
LogicalResult importGridSample(NodeContext &nc, bool nd) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type) || !isFloatType(nc.inputType(1)))
    return nc.emitError() << "expects floating-point input and grid";
  ArrayRef<int64_t> xs = nc.inputShape(0), gs = nc.inputShape(1);
  int64_t D = xs.size() - 2;
  if (D < 1 || (int64_t)gs.size() != D + 2 || gs[0] != xs[0] || gs.back() != D)
    return nc.emitError() << "grid must be [N, out..., " << D
                          << "] for an input of rank " << xs.size();
  if (!nd && D != 2)
    return nc.emitError() << "GridSample before opset 20 takes 4-D inputs";
  std::string modeName = nc.attrString("mode", nd ? "linear" : "bilinear");
  Interp mode;
  if (modeName == "nearest")
    mode = Interp::Nearest;
  else if (modeName == "linear" || modeName == "bilinear")
    mode = Interp::Linear;
  else if (modeName == "cubic" || modeName == "bicubic")
    mode = Interp::Cubic;
  else
    return nc.emitError() << "mode '" << modeName << "' is not supported";
  if (mode == Interp::Cubic && D != 2)
    return nc.emitError() << "cubic sampling is supported for 2-D inputs";
  std::string padName = nc.attrString("padding_mode", "zeros");
  Padding pad = padName == "border"       ? Padding::Border
                : padName == "reflection" ? Padding::Reflection
                                          : Padding::Zeros;
  if (padName != "zeros" && padName != "border" && padName != "reflection")
    return nc.emitError() << "padding_mode '" << padName << "' is not supported";
  bool align = nc.attrInt("align_corners", 0) != 0;

  int32_t ct = type == kDouble ? int32_t(kDouble) : int32_t(kFloat);
  TensorBuilder tb = nc.tb();
  Value x = tb.convert(nc.operand(0), type, ct);
  Value grid = tb.convert(nc.operand(1), nc.inputType(1), ct);
  Type f = mlirElementType(nc.context(), ct);
  SmallVector<int64_t> outShape = {xs[0], xs[1]};
  outShape.append(gs.begin() + 1, gs.end() - 1);

  Value y = tb.elementwiseIndexed(
      {}, outShape, f, [&](OpBuilder &b, Location loc, ValueRange idx) -> Value {
        Scalars s{b, loc, f};
        // Source coordinate per spatial dim; the grid lists them last first.
        SmallVector<Value> coord(D);
        for (int64_t d = 0; d < D; ++d) {
          SmallVector<Value> gi = {idx[0]};
          gi.append(idx.begin() + 2, idx.end());
          gi.push_back(s.idx(D - 1 - d));
          Value g = tensor::ExtractOp::create(b, loc, grid, gi);
          double len = xs[2 + d];
          Value v = align ? s.mul(s.add(g, s.c(1)), s.c((len - 1) / 2))
                          : s.div(s.sub(s.mul(s.add(g, s.c(1)), s.c(len)), s.c(1)),
                                  s.c(2));
          if (mode == Interp::Nearest)
            v = math::RoundEvenOp::create(b, loc, v);
          double lo = align ? 0 : -0.5, hi = align ? len - 1 : len - 0.5;
          if (pad == Padding::Border)
            v = s.sel(s.lt(v, s.c(lo)), s.clamp(v, 0, len - 1),
                      s.sel(s.gt(v, s.c(hi)), s.clamp(v, 0, len - 1), v));
          else if (pad == Padding::Reflection)
            v = s.reflect(v, lo, hi);
          coord[d] = v;
        }
        // One pixel: integral float position per dim, padding applied.
        auto pixel = [&](ArrayRef<Value> pos) -> Value {
          SmallVector<Value> at = {idx[0], idx[1]};
          Value inside;
          for (int64_t d = 0; d < D; ++d) {
            double len = xs[2 + d];
            Value p = pos[d];
            if (pad == Padding::Border)
              p = s.clamp(p, 0, len - 1);
            else if (pad == Padding::Reflection)
              p = s.clamp(math::TruncOp::create(
                              b, loc, s.reflect(p, align ? 0 : -0.5,
                                                align ? len - 1 : len - 0.5)),
                          0, len - 1);
            Value ok = arith::AndIOp::create(
                b, loc,
                arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGE, p, s.c(0)),
                arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, p,
                                      s.c(len - 1)));
            inside = inside ? arith::AndIOp::create(b, loc, inside, ok) : ok;
            Value safe = s.clamp(p, 0, len - 1);
            at.push_back(arith::IndexCastOp::create(
                b, loc, b.getIndexType(),
                arith::FPToSIOp::create(b, loc, b.getI64Type(), safe)));
          }
          Value v = tensor::ExtractOp::create(b, loc, x, at);
          return s.sel(inside, v, s.c(0));
        };
        if (mode == Interp::Nearest)
          return pixel(coord);
        // Taps and weights per dim, then their tensor product.
        int taps = mode == Interp::Linear ? 2 : 4;
        SmallVector<SmallVector<std::pair<Value, Value>>> perDim(D);
        for (int64_t d = 0; d < D; ++d) {
          Value x0 = math::FloorOp::create(b, loc, coord[d]);
          Value t = s.sub(coord[d], x0);
          if (mode == Interp::Linear) {
            perDim[d] = {{x0, s.sub(s.c(1), t)}, {s.add(x0, s.c(1)), t}};
          } else {
            double A = -0.75;
            auto k = [&](Value u) { // Keys' cubic convolution kernel
              Value a = math::AbsFOp::create(b, loc, u);
              Value inner = s.add(s.mul(s.sub(s.mul(s.c(A + 2), a), s.c(A + 3)),
                                        s.mul(a, a)),
                                  s.c(1));
              Value outer = s.sub(
                  s.mul(s.add(s.mul(s.sub(s.mul(s.c(A), a), s.c(5 * A)), a),
                              s.c(8 * A)),
                        a),
                  s.c(4 * A));
              return s.sel(s.gt(a, s.c(1)), outer, inner);
            };
            for (int j = -1; j <= 2; ++j)
              perDim[d].push_back(
                  {s.add(x0, s.c(j)), k(s.sub(t, s.c(j)))});
          }
        }
        Value acc = s.c(0);
        int64_t total = 1;
        for (int64_t d = 0; d < D; ++d)
          total *= taps;
        for (int64_t combo = 0; combo < total; ++combo) {
          SmallVector<Value> pos(D);
          Value w;
          int64_t rem = combo;
          for (int64_t d = D - 1; d >= 0; --d) {
            auto &[p, wd] = perDim[d][rem % taps];
            rem /= taps;
            pos[d] = p;
            w = w ? s.mul(w, wd) : wd;
          }
          acc = s.add(acc, s.mul(w, pixel(pos)));
        }
        return acc;
      });
  nc.setResult(0, tb.convert(y, ct, type), type);
  return success();
}

LogicalResult importGridSample16(NodeContext &nc) {
  return importGridSample(nc, /*nd=*/false);
}

LogicalResult importGridSample20(NodeContext &nc) {
  return importGridSample(nc, /*nd=*/true);
}

} // namespace

void cambrian::onnx_import::registerGridSample(OpRegistry &r) {
  r.add("", "GridSample", 16, importGridSample16);
  r.add("", "GridSample", 20, importGridSample20);
}
