//===- Pad.cpp - ONNX Pad in all its modes --------------------------------===//
//
// Pad (2, 11, 13, 18, 19): constant, reflect, edge and wrap padding, with
// negative pads cropping. Every output element reads one input element
// through an index map per dimension, so all modes share one gather; the
// constant mode selects the pad value outside the input.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

enum class PadMode { Constant, Reflect, Edge, Wrap };

/// The input coordinate that output coordinate `src` (already shifted by
/// the begin pad, so possibly outside [0, n)) reads in `mode`. For the
/// constant mode it is clamped; the caller masks it.
int64_t mapCoordinate(int64_t src, int64_t n, PadMode mode) {
  switch (mode) {
  case PadMode::Constant:
  case PadMode::Edge:
    return std::clamp<int64_t>(src, 0, n - 1);
  case PadMode::Wrap:
    return ((src % n) + n) % n;
  case PadMode::Reflect: {
    if (n == 1)
      return 0;
    int64_t period = 2 * (n - 1);
    int64_t m = ((src % period) + period) % period;
    return m < n ? m : period - m;
  }
  }
  llvm_unreachable("unknown pad mode");
}

/// The same map on `index` values in IR.
Value mapCoordinate(OpBuilder &b, Location loc, Value src, int64_t n,
                    PadMode mode) {
  auto cst = [&](int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); };
  auto posMod = [&](Value v, int64_t m) -> Value {
    Value r = arith::RemSIOp::create(b, loc, v, cst(m));
    return arith::RemSIOp::create(
        b, loc, arith::AddIOp::create(b, loc, r, cst(m)), cst(m));
  };
  switch (mode) {
  case PadMode::Constant:
  case PadMode::Edge:
    return arith::MinSIOp::create(b, loc,
                                  arith::MaxSIOp::create(b, loc, src, cst(0)),
                                  cst(n - 1));
  case PadMode::Wrap:
    return posMod(src, n);
  case PadMode::Reflect: {
    if (n == 1)
      return cst(0);
    int64_t period = 2 * (n - 1);
    Value m = posMod(src, period);
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, m,
                                         cst(n));
    return arith::SelectOp::create(b, loc, inside, m,
                                   arith::SubIOp::create(b, loc, cst(period), m));
  }
  }
  llvm_unreachable("unknown pad mode");
}

/// What a version of Pad takes.
struct PadSemantics {
  bool padsFromInputs; ///< pads and value are inputs 1 and 2 (11), not
                       ///< attributes
  bool axesInput;      ///< input 3 names the padded axes (18)
  bool wrapMode;       ///< mode 'wrap' exists (19)
};

LogicalResult importPad(NodeContext &nc, PadSemantics s) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t rank = xs.size();
  int32_t type = nc.inputType(0);
  std::string modeName = nc.attrString("mode", "constant");
  std::optional<PadMode> mode =
      llvm::StringSwitch<std::optional<PadMode>>(modeName)
          .Case("constant", PadMode::Constant)
          .Case("reflect", PadMode::Reflect)
          .Case("edge", PadMode::Edge)
          .Case("wrap", s.wrapMode ? std::optional(PadMode::Wrap)
                                   : std::nullopt)
          .Default(std::nullopt);
  if (!mode)
    return nc.emitError() << "mode '" << modeName << "' is not a Pad mode at "
                          << "this opset";

  // Begin and end pads per dimension.
  std::vector<int64_t> pads;
  if (!s.padsFromInputs) {
    pads = nc.attrInts("pads");
  } else {
    auto p = nc.requireConstantInts(1, "pads");
    if (failed(p))
      return failure();
    pads = *p;
  }
  SmallVector<int64_t> axes;
  if (s.axesInput && nc.hasInput(3)) {
    auto a = nc.requireConstantInts(3, "axes");
    if (failed(a))
      return failure();
    for (int64_t v : *a) {
      auto n = nc.normalizeAxis(v, rank);
      if (failed(n))
        return failure();
      axes.push_back(*n);
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  if ((int64_t)pads.size() != 2 * (int64_t)axes.size())
    return nc.emitError() << "pads has " << pads.size() << " values, expected "
                          << 2 * axes.size();
  SmallVector<int64_t> begin(rank, 0), shape(xs);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t d = axes[i];
    begin[d] = pads[i];
    shape[d] += pads[i] + pads[i + axes.size()];
    if (shape[d] < 0)
      return nc.emitError() << "pads crop dimension " << d << " below zero";
    if (*mode != PadMode::Constant && xs[d] == 0 && shape[d] > 0)
      return nc.emitError() << "cannot pad the empty dimension " << d
                            << " in mode '" << modeName << "'";
  }

  // The pad value: an attribute before opset 11, then an optional input that
  // may be known only at run time.
  double constValue = !s.padsFromInputs ? nc.attrFloat("value", 0.0) : 0.0;
  const HostTensor *constInput =
      s.padsFromInputs && nc.hasInput(2) ? nc.constantInput(2) : nullptr;
  if (constInput && constInput->size() >= 1)
    constValue = isFloatType(type) ? constInput->getDouble(0)
                                   : double(constInput->getInt(0));
  bool runtimeValue = s.padsFromInputs && nc.hasInput(2) && !constInput;

  if (numElements(shape) == 0) {
    nc.setConstantResult(0, HostTensor(type, shape));
    return success();
  }
  if (numElements(xs) == 0) {
    if (runtimeValue)
      return nc.emitError() << "padding an empty tensor needs a constant "
                               "pad value";
    HostTensor r(type, shape);
    for (int64_t i = 0, e = r.size(); i < e; ++i)
      isFloatType(type) ? r.setDouble(i, constValue)
                        : r.setInt(i, (int64_t)constValue);
    nc.setConstantResult(0, std::move(r));
    return success();
  }

  // Small constant inputs fold on the host (shape arithmetic pads shapes).
  if (const HostTensor *c = nc.constantInput(0);
      c && !runtimeValue && numElements(shape) <= kHostFoldLimit) {
    HostTensor r(type, shape);
    SmallVector<int64_t> idx(rank, 0);
    for (int64_t i = 0, e = r.size(); i < e; ++i) {
      int64_t rem = i, flat = 0;
      bool inside = true;
      for (int64_t d = rank - 1; d >= 0; --d) {
        idx[d] = rem % shape[d];
        rem /= shape[d];
      }
      for (int64_t d = 0; d < rank; ++d) {
        int64_t src = idx[d] - begin[d];
        inside &= src >= 0 && src < xs[d];
        flat = flat * xs[d] + mapCoordinate(src, xs[d], *mode);
      }
      if (*mode == PadMode::Constant && !inside)
        isFloatType(type) ? r.setDouble(i, constValue)
                          : r.setInt(i, (int64_t)constValue);
      else if (isFloatType(type))
        r.setDouble(i, c->getDouble(flat));
      else
        r.setInt(i, c->getInt(flat));
    }
    nc.setConstantResult(0, std::move(r));
    return success();
  }

  TensorBuilder tb = nc.tb();
  Value x = nc.operand(0);
  Type elem = TensorBuilder::elementTypeOf(x);
  bool nonNegative = llvm::all_of(pads, [](int64_t p) { return p >= 0; });
  if (*mode == PadMode::Constant && nonNegative && !runtimeValue) {
    SmallVector<int64_t> high(rank, 0);
    for (int64_t d = 0; d < rank; ++d)
      high[d] = shape[d] - xs[d] - begin[d];
    nc.setResult(0, tb.pad(x, begin, high, constValue), type);
    return success();
  }
  Value padValue;
  if (runtimeValue) {
    // Read the scalar (rank 0 or one element) at run time.
    Value v = nc.operand(2);
    SmallVector<Value> zeros(
        TensorBuilder::shapeOf(v).size(),
        arith::ConstantIndexOp::create(nc.builder(), nc.loc(), 0));
    padValue = tensor::ExtractOp::create(nc.builder(), nc.loc(), v, zeros);
  } else if (*mode == PadMode::Constant) {
    padValue = scalarConstant(nc.builder(), nc.loc(), type, constValue);
  }
  PadMode m = *mode;
  Value y = tb.elementwiseIndexed(
      {}, shape, elem, [&](OpBuilder &b, Location loc, ValueRange idx) -> Value {
        SmallVector<Value> coords;
        Value inside;
        for (int64_t d = 0; d < rank; ++d) {
          Value src = arith::SubIOp::create(
              b, loc, idx[d], arith::ConstantIndexOp::create(b, loc, begin[d]));
          coords.push_back(mapCoordinate(b, loc, src, xs[d], m));
          if (m == PadMode::Constant) {
            Value ok = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                             src, coords.back());
            inside = inside ? arith::AndIOp::create(b, loc, inside, ok) : ok;
          }
        }
        Value v = tensor::ExtractOp::create(b, loc, x, coords);
        if (m != PadMode::Constant)
          return v;
        return arith::SelectOp::create(b, loc, inside, v, padValue);
      });
  nc.setResult(0, y, type);
  return success();
}

LogicalResult importPad2(NodeContext &nc) {
  return importPad(nc, {/*padsFromInputs=*/false, /*axesInput=*/false,
                        /*wrapMode=*/false});
}

LogicalResult importPad11(NodeContext &nc) {
  return importPad(nc, {/*padsFromInputs=*/true, /*axesInput=*/false,
                        /*wrapMode=*/false});
}

LogicalResult importPad18(NodeContext &nc) {
  return importPad(nc, {/*padsFromInputs=*/true, /*axesInput=*/true,
                        /*wrapMode=*/false});
}

LogicalResult importPad19(NodeContext &nc) {
  return importPad(nc, {/*padsFromInputs=*/true, /*axesInput=*/true,
                        /*wrapMode=*/true});
}

/// CenterCropPad (18): crop or zero-pad each listed axis to the target
/// extent, keeping the centre (the extra element goes to the end).
LogicalResult importCenterCropPad(NodeContext &nc) {
  ArrayRef<int64_t> xs = nc.inputShape(0);
  int64_t rank = xs.size();
  auto target = nc.requireConstantInts(1, "shape");
  if (failed(target))
    return failure();
  auto axesOr = readAxesAttr(nc, rank);
  if (failed(axesOr))
    return failure();
  SmallVector<int64_t> axes = *axesOr;
  if (target->size() != axes.size())
    return nc.emitError() << "shape has " << target->size()
                          << " values, expected " << axes.size();
  SmallVector<int64_t> off(rank, 0), size(xs), step(rank, 1), lo(rank, 0),
      hi(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t d = axes[i], want = (*target)[i];
    if (want < 0)
      return nc.emitError() << "shape values must not be negative";
    if (want < xs[d]) {
      off[d] = (xs[d] - want) / 2;
      size[d] = want;
    } else {
      lo[d] = (want - xs[d]) / 2;
      hi[d] = want - xs[d] - lo[d];
    }
  }
  TensorBuilder tb = nc.tb();
  Value y = tb.slice(nc.operand(0), off, size, step);
  y = tb.pad(y, lo, hi, 0.0);
  nc.setResult(0, y, nc.inputType(0));
  return success();
}

} // namespace

void cambrian::onnx_import::registerPad(OpRegistry &r) {
  r.add("", "CenterCropPad", 18, importCenterCropPad);
  r.add("", "Pad", 2, importPad2);
  r.add("", "Pad", 11, importPad11);
  r.add("", "Pad", 18, importPad18);
  r.add("", "Pad", 19, importPad19);
}
