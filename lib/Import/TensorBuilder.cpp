//===- TensorBuilder.cpp - Emitting tensor-level IR for ONNX ops ----------===//

#include "lib/Import/TensorBuilder.h"
#include "lib/Import/SmallTypes.h"
#include "lib/Import/HostTensor.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace cambrian::onnx_import;

Type cambrian::onnx_import::mlirElementType(MLIRContext *ctx, int32_t t) {
  Builder b(ctx);
  switch (t) {
  case kFloat: return b.getF32Type();
  case kDouble: return b.getF64Type();
  case kFloat16: return b.getF16Type();
  case kBFloat16: return b.getBF16Type();
  case kBool: return b.getI1Type();
  case kInt8: case kUInt8: return b.getIntegerType(8);
  case kInt16: case kUInt16: return b.getIntegerType(16);
  case kInt32: case kUInt32: return b.getIntegerType(32);
  case kInt64: case kUInt64: return b.getIntegerType(64);
  default:
    // 8-, 4- and 2-bit types are stored one element per byte.
    if (isSmallType(t))
      return b.getIntegerType(8);
    return nullptr;
  }
}

Value TensorBuilder::castScalar(OpBuilder &b, Location loc, Value v,
                                int32_t from, int32_t to) {
  Type dst = mlirElementType(b.getContext(), to);
  Type src = v.getType();
  if (src == dst && isUnsignedType(from) == isUnsignedType(to))
    return v;
  if (to == kBool) {
    if (isa<FloatType>(src)) {
      Value zero = arith::ConstantOp::create(b, loc, b.getFloatAttr(src, 0.0));
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, v, zero);
    }
    Value zero = arith::ConstantOp::create(b, loc, b.getIntegerAttr(src, 0));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, v, zero);
  }
  bool srcFloat = isa<FloatType>(src), dstFloat = isa<FloatType>(dst);
  if (srcFloat && dstFloat) {
    unsigned sw = src.getIntOrFloatBitWidth(), dw = dst.getIntOrFloatBitWidth();
    if (sw < dw || (sw == dw && src != dst && dw == 16)) {
      // f16 <-> bf16 goes through f32.
      if (sw == dw) {
        v = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
        return arith::TruncFOp::create(b, loc, dst, v);
      }
      return arith::ExtFOp::create(b, loc, dst, v);
    }
    return arith::TruncFOp::create(b, loc, dst, v);
  }
  if (srcFloat) {
    if (isUnsignedType(to))
      return arith::FPToUIOp::create(b, loc, dst, v);
    return arith::FPToSIOp::create(b, loc, dst, v);
  }
  if (dstFloat) {
    if (isUnsignedType(from))
      return arith::UIToFPOp::create(b, loc, dst, v);
    return arith::SIToFPOp::create(b, loc, dst, v);
  }
  unsigned sw = src.getIntOrFloatBitWidth(), dw = dst.getIntOrFloatBitWidth();
  if (sw == dw)
    return v;
  if (sw > dw)
    return arith::TruncIOp::create(b, loc, dst, v);
  if (isUnsignedType(from))
    return arith::ExtUIOp::create(b, loc, dst, v);
  return arith::ExtSIOp::create(b, loc, dst, v);
}

Value TensorBuilder::convert(Value v, int32_t from, int32_t to) {
  Type dst = mlirElementType(b.getContext(), to);
  // Same storage type (int8 <-> uint8 included): the bits stay as they are.
  if (elementTypeOf(v) == dst)
    return v;
  return elementwise({v}, shapeOf(v), dst,
                     [&](OpBuilder &nb, Location nl, ValueRange args) {
                       return castScalar(nb, nl, args[0], from, to);
                     });
}
