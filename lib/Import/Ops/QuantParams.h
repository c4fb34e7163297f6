//===- QuantParams.h - Scales and zero points of quantized data -*- C++ -*-===//
//
// The ONNX ops that read or write quantized tensors (QuantizeLinear,
// DequantizeLinear, the QOperator ops) all describe a tensor's quantization
// by a scale input and a zero-point input. These helpers check those
// parameters once, with errors naming the input, and turn them into a
// `!quant.uniform` type when the dialect can carry them (int8/uint8 storage,
// constant parameters, per tensor or per axis), so that every op imports as
// `cambrian.dequantize` -> float op -> `cambrian.quantize`, the form the
// quantization passes make integer. Parameters only known at run time are
// spelled out as float loops instead (correct, not fast).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_LIB_IMPORT_OPS_QUANTPARAMS_H
#define CAMBRIAN_LIB_IMPORT_OPS_QUANTPARAMS_H

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include <optional>
#include <string>

namespace cambrian::onnx_import {

/// The integer range of the quantized ONNX type `type`, or nullopt when it
/// is not an integer type a (de)quantization can target.
std::optional<std::pair<double, double>> quantRange(int32_t type);

/// Where a quantized tensor's scale and zero point are among a node's
/// inputs, and what ONNX calls them (for diagnostics).
struct QuantParamInputs {
  /// Input index of the scale; -1 when the op implies a scale of 1
  /// (ConvInteger, MatMulInteger).
  int scale = -1;
  /// Input index of the zero point; -1 (or an omitted input) means 0.
  int zeroPoint = -1;
  std::string scaleName, zeroPointName;
  /// The axis (as the node gives it, possibly negative) that 1-D parameters
  /// run along; nullopt when the op allows only per-tensor parameters.
  std::optional<int64_t> axis;
  /// QuantizeLinear/DequantizeLinear's `block_size` (0: not blocked).
  int64_t blockSize = 0;
};

/// Checks the parameters `p` of a tensor of `shape` quantized as ONNX type
/// `qt`: shapes (scale and zero point alike; one value, one per slice of the
/// axis, or blocks), the axis, the types (float scales, a zero point of type
/// `qt`, which keeps its values in range) and, where they are known at
/// compile time, the scales' values (positive and finite). Each failure is
/// one error naming the input.
mlir::LogicalResult checkQuantParams(NodeContext &nc,
                                     const QuantParamInputs &p,
                                     llvm::ArrayRef<int64_t> shape, int32_t qt);

/// The `!quant.uniform` element type (f32 expressed) of a tensor of `shape`
/// quantized as `qt` with the parameters `p`, or null when the dialect cannot
/// carry them: storage other than int8/uint8 (or int32 with the implied
/// scale 1), parameters not known at compile time, blocks. The parameters
/// must have passed checkQuantParams.
mlir::quant::QuantizedType quantizedType(NodeContext &nc,
                                         const QuantParamInputs &p,
                                         llvm::ArrayRef<int64_t> shape,
                                         int32_t qt);

/// A quantized scalar of ONNX type `type` (its storage value) as f32.
mlir::Value quantizedToFloat(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value v, int32_t type);

/// round-half-even(v) (f32), clamped to the range of integer type `type`
/// and converted to its storage.
mlir::Value saturateToInt(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value v, int32_t type);

/// Parameter input `i` shaped to broadcast against a tensor of `shape`:
/// per-tensor, per-axis (1-D along `axis`) or blocked. Checked shapes only.
mlir::Value broadcastParam(NodeContext &nc, unsigned i,
                           llvm::ArrayRef<int64_t> shape,
                           const QuantParamInputs &p);

/// The float value of node input `i`, quantized as its ONNX type with the
/// parameters `p`: `cambrian.dequantize` of the storage seen (quant.scast)
/// as its quantized type when quantizedType has one, else
/// `(x - zero_point) * scale` spelled out in f32.
mlir::Value dequantizeInput(NodeContext &nc, unsigned i,
                            const QuantParamInputs &p);

/// `x` (f32) quantized to ONNX type `qt` with the parameters `p`, as its
/// storage: `cambrian.quantize` + quant.scast when quantizedType has a type,
/// else `saturate(round_half_even(x / scale) + zero_point)` spelled out.
mlir::Value quantizeValue(NodeContext &nc, mlir::Value x,
                          const QuantParamInputs &p, int32_t qt);

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_OPS_QUANTPARAMS_H
