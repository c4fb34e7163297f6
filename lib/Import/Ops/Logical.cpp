//===- Logical.cpp - Logic, comparisons, bitwise ops and Where ------------===//
//
// Ops with bool or integer semantics: And/Or/Xor/Not, the comparisons,
// the bitwise integer ops and BitShift, and Where (an elementwise select).
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

LogicalResult importNot(NodeContext &nc) {
  if (nc.inputType(0) != kBool)
    return nc.emitError() << "expects a bool input";
  // Masks computed from shapes (attention's causal mask) fold.
  if (const HostTensor *c = nc.constantInput(0);
      c && c->size() <= kHostFoldLimit) {
    HostTensor r(kBool, c->shape());
    for (int64_t i = 0, e = c->size(); i < e; ++i)
      r.setInt(i, c->getInt(i) ? 0 : 1);
    nc.setConstantResult(0, std::move(r));
    return success();
  }
  return importUnary(
      nc,
      [](OpBuilder &b, Location loc, Value x, int32_t) {
        Value t = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
        return arith::XOrIOp::create(b, loc, x, t).getResult();
      },
      /*floatOnly=*/false);
}

LogicalResult importWhere(NodeContext &nc) {
  if (nc.inputType(0) != kBool)
    return nc.emitError() << "condition must be bool";
  int32_t type = nc.inputType(1);
  if (nc.inputType(2) != type)
    return nc.emitError() << "X and Y differ in element type";
  SmallVector<int64_t> s1, shape;
  if (!broadcastShapes(nc.inputShape(0), nc.inputShape(1), s1) ||
      !broadcastShapes(s1, nc.inputShape(2), shape))
    return nc.emitError() << "inputs cannot be broadcast together";
  if (nc.allInputsConstant() && numElements(shape) <= kHostFoldLimit) {
    // cond ? x : y == x * cond + y * !cond, but exact: pick per element.
    HostTensor zero(type, {});
    HostTensor x = foldBinary(BinaryKind::Add, *nc.constantInput(1), zero, shape);
    HostTensor y = foldBinary(BinaryKind::Add, *nc.constantInput(2), zero, shape);
    HostTensor c = foldBinary(BinaryKind::Or, *nc.constantInput(0),
                              HostTensor(kBool, {}), shape);
    for (int64_t i = 0, e = numElements(shape); i < e; ++i)
      if (!c.getInt(i))
        copyElement(y, i, x, i);
    nc.setConstantResult(0, std::move(x));
    return success();
  }
  Value r = nc.tb().elementwise(
      {nc.operand(0), nc.operand(1), nc.operand(2)}, shape,
      mlirElementType(nc.context(), type),
      [](OpBuilder &b, Location loc, ValueRange v) {
        return arith::SelectOp::create(b, loc, v[0], v[1], v[2]).getResult();
      });
  nc.setResult(0, r, type);
  return success();
}

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

} // namespace

void cambrian::onnx_import::registerLogical(OpRegistry &r) {
  r.add("", "And", 7, importBinaryOf<BinaryKind::And>);
  r.add("", "BitShift", 11, importBitShift);
  r.add("", "BitwiseAnd", 18, importBitwise<BinaryKind::BitAnd>);
  r.add("", "BitwiseNot", 18, importBitwiseNot);
  r.add("", "BitwiseOr", 18, importBitwise<BinaryKind::BitOr>);
  r.add("", "BitwiseXor", 18, importBitwise<BinaryKind::BitXor>);
  r.add("", "Equal", 7, importBinaryOf<BinaryKind::Equal>);
  r.add("", "Greater", 7, importBinaryOf<BinaryKind::Greater>);
  r.add("", "GreaterOrEqual", 12, importBinaryOf<BinaryKind::GreaterOrEqual>);
  r.add("", "Less", 7, importBinaryOf<BinaryKind::Less>);
  r.add("", "LessOrEqual", 12, importBinaryOf<BinaryKind::LessOrEqual>);
  r.add("", "Not", 1, importNot);
  r.add("", "Or", 7, importBinaryOf<BinaryKind::Or>);
  r.add("", "Where", 9, importWhere);
  r.add("", "Xor", 7, importBinaryOf<BinaryKind::Xor>);
}
