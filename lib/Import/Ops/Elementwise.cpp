//===- Elementwise.cpp - Bitwise ops, rounding, tests and activations -----===//
//
// Elementwise ops beyond the arithmetic core: bitwise integer ops, Round,
// IsNaN/IsInf, CastLike, and the activations Swish, Mish and Shrink.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"
#include "lib/Import/SmallTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

LogicalResult requireIntegers(NodeContext &nc) {
  for (unsigned i = 0; i < nc.numInputs(); ++i)
    if (nc.hasInput(i) &&
        (isFloatType(nc.inputType(i)) || nc.inputType(i) == kBool))
      return nc.emitError() << "expects integer inputs, got "
                            << onnxTypeName(nc.inputType(i));
  return success();
}

/// BitShift (11): `direction` is "LEFT" or "RIGHT"; inputs are unsigned.
LogicalResult importBitShift(NodeContext &nc) {
  if (failed(requireIntegers(nc)))
    return failure();
  std::string dir = nc.attrString("direction", "");
  if (dir != "LEFT" && dir != "RIGHT")
    return nc.emitError() << "direction must be LEFT or RIGHT, got '" << dir
                          << "'";
  return importBinary(nc, dir == "LEFT" ? BinaryKind::BitShiftLeft
                                        : BinaryKind::BitShiftRight);
}

template <BinaryKind Kind> LogicalResult importBitwise(NodeContext &nc) {
  if (failed(requireIntegers(nc)))
    return failure();
  return importBinary(nc, Kind);
}

LogicalResult importBitwiseNot(NodeContext &nc) {
  if (failed(requireIntegers(nc)))
    return failure();
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        Value ones = scalarConstant(b, loc, t, -1);
        return arith::XOrIOp::create(b, loc, x, ones);
      },
      /*floatOnly=*/false);
}

/// Round (11): halves to even.
LogicalResult importRound(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    return math::RoundEvenOp::create(b, loc, x).getResult();
  });
}

/// A float-to-bool elementwise test.
LogicalResult importFloatTest(
    NodeContext &nc,
    llvm::function_ref<Value(OpBuilder &, Location, Value)> test) {
  int32_t type = nc.inputType(0);
  if (!isFloatType(type))
    return nc.emitError() << "expects a floating-point input, got "
                          << onnxTypeName(type);
  Value r = nc.tb().elementwise(
      {nc.operand(0)}, nc.inputShape(0), nc.builder().getI1Type(),
      [&](OpBuilder &b, Location loc, ValueRange v) { return test(b, loc, v[0]); });
  nc.setResult(0, r, kBool);
  return success();
}

LogicalResult importIsNaN(NodeContext &nc) {
  return importFloatTest(nc, [](OpBuilder &b, Location loc, Value x) -> Value {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  });
}

/// IsInf (10): `detect_positive` / `detect_negative` pick the signs.
LogicalResult importIsInf(NodeContext &nc) {
  bool pos = nc.attrInt("detect_positive", 1) != 0;
  bool neg = nc.attrInt("detect_negative", 1) != 0;
  return importFloatTest(nc, [=](OpBuilder &b, Location loc, Value x) -> Value {
    Value inf = floatLike(b, loc, x, INFINITY);
    Value isPos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x, inf);
    Value isNeg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x,
                                        floatLike(b, loc, x, -INFINITY));
    Value no = arith::ConstantOp::create(b, loc, b.getBoolAttr(false));
    Value r = pos ? isPos : no;
    return neg ? arith::OrIOp::create(b, loc, r, isNeg).getResult() : r;
  });
}

/// CastLike (15): Cast to the element type of input 1.
LogicalResult importCastLike(NodeContext &nc) {
  if (!nc.hasInput(1))
    return nc.emitError() << "missing input 1 (target_type)";
  return importCastTo(nc, nc.inputType(1));
}

/// BitCast (26): the same bits read as another type of the same width.
LogicalResult importBitCast(NodeContext &nc) {
  int32_t from = nc.inputType(0);
  int32_t to = (int32_t)nc.attrInt("to", 0);
  Type toType = mlirElementType(nc.context(), to);
  if (!toType || to == kString)
    return nc.emitError() << "BitCast to " << onnxTypeName(to)
                          << " is not supported";
  if (onnxTypeSize(from) != onnxTypeSize(to) ||
      smallTypeBits(from) != smallTypeBits(to))
    return nc.emitError() << onnxTypeName(from) << " and " << onnxTypeName(to)
                          << " differ in width";
  Value x = nc.operand(0);
  Type fromType = TensorBuilder::elementTypeOf(x);
  if (fromType == toType) {
    nc.setResult(0, x, to); // same storage: only the ONNX type changes
    return success();
  }
  Value y = nc.tb().elementwise(
      {x}, nc.inputShape(0), toType,
      [&](OpBuilder &b, Location loc, ValueRange v) -> Value {
        // Bools are one byte holding 0 or 1.
        if (from == kBool)
          return arith::ExtUIOp::create(b, loc, toType, v[0]);
        if (to == kBool)
          return arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::ne, v[0],
              arith::ConstantOp::create(b, loc, b.getIntegerAttr(fromType, 0)));
        return arith::BitcastOp::create(b, loc, toType, v[0]);
      });
  nc.setResult(0, y, to);
  return success();
}

/// Swish (24): x * sigmoid(alpha * x).
LogicalResult importSwish(NodeContext &nc) {
  double alpha = nc.attrFloat("alpha", 1.0);
  return importUnary(nc, [=](OpBuilder &b, Location loc, Value x, int32_t) {
    Value ax = arith::MulFOp::create(b, loc, x, floatLike(b, loc, x, alpha));
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, ax));
    Value d = arith::AddFOp::create(b, loc, floatLike(b, loc, x, 1.0), e);
    return arith::DivFOp::create(b, loc, x, d).getResult();
  });
}

/// Mish (18): x * tanh(softplus(x)).
LogicalResult importMish(NodeContext &nc) {
  return importUnary(nc, [](OpBuilder &b, Location loc, Value x, int32_t) {
    // softplus as max(x, 0) + log1p(exp(-|x|)) does not overflow.
    Value ax = math::AbsFOp::create(b, loc, x);
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, ax));
    Value sp = arith::AddFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, x, floatLike(b, loc, x, 0.0)),
        math::Log1pOp::create(b, loc, e));
    return arith::MulFOp::create(b, loc, x, math::TanhOp::create(b, loc, sp))
        .getResult();
  });
}

/// Shrink (9): x < -lambd ? x + bias : x > lambd ? x - bias : 0.
LogicalResult importShrink(NodeContext &nc) {
  double lambd = nc.attrFloat("lambd", 0.5), bias = nc.attrFloat("bias", 0.0);
  int32_t type = nc.inputType(0);
  if (type == kBool)
    return nc.emitError() << "expects a numeric input";
  bool isFloat = isFloatType(type), isUnsigned = isUnsignedType(type);
  return importUnary(
      nc,
      [=](OpBuilder &b, Location loc, Value x, int32_t t) -> Value {
        Value lo = scalarConstant(b, loc, t, -lambd);
        Value hi = scalarConstant(b, loc, t, lambd);
        Value bv = scalarConstant(b, loc, t, bias);
        Value zero = scalarConstant(b, loc, t, 0);
        Value below, above, plus, minus;
        if (isFloat) {
          below = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, lo);
          above = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, hi);
          plus = arith::AddFOp::create(b, loc, x, bv);
          minus = arith::SubFOp::create(b, loc, x, bv);
        } else {
          auto lt = isUnsigned ? arith::CmpIPredicate::ult
                               : arith::CmpIPredicate::slt;
          auto gt = isUnsigned ? arith::CmpIPredicate::ugt
                               : arith::CmpIPredicate::sgt;
          // For unsigned types nothing lies below -lambd.
          below = isUnsigned
                      ? arith::ConstantOp::create(b, loc, b.getBoolAttr(false))
                            .getResult()
                      : arith::CmpIOp::create(b, loc, lt, x, lo).getResult();
          above = arith::CmpIOp::create(b, loc, gt, x, hi);
          plus = arith::AddIOp::create(b, loc, x, bv);
          minus = arith::SubIOp::create(b, loc, x, bv);
        }
        Value r = arith::SelectOp::create(b, loc, above, minus, zero);
        return arith::SelectOp::create(b, loc, below, plus, r);
      },
      /*floatOnly=*/false);
}

} // namespace

void cambrian::onnx_import::registerElementwise(OpRegistry &r) {
  r.add("", "BitCast", 26, importBitCast);
  r.add("", "BitShift", 11, importBitShift);
  r.add("", "BitwiseAnd", 18, importBitwise<BinaryKind::BitAnd>);
  r.add("", "BitwiseNot", 18, importBitwiseNot);
  r.add("", "BitwiseOr", 18, importBitwise<BinaryKind::BitOr>);
  r.add("", "BitwiseXor", 18, importBitwise<BinaryKind::BitXor>);
  r.add("", "CastLike", 15, importCastLike);
  r.add("", "IsInf", 10, importIsInf);
  r.add("", "IsNaN", 9, importIsNaN);
  r.add("", "Mish", 18, importMish);
  r.add("", "Round", 11, importRound);
  r.add("", "Shrink", 9, importShrink);
  r.add("", "Swish", 24, importSwish);
}
