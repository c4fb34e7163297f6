//===- Requantize.h - Integer requantization of an accumulator ---*- C++ -*-===//
//
// A quantized conv or matmul accumulates in int32 at the scale
// input_scale * filter_scale[c]; its result has its own scale and zero
// point. Requantizing is `clamp(zp + round_half_even(acc * M[c]), lo, hi)`
// with the real factor M[c] = input_scale * filter_scale[c] / result_scale,
// formed and applied with float32 rounding as ONNX Runtime's int8 kernels
// do, so results agree with them bit for bit. M is held as a fixed-point
// multiplier and shift (exact: the multiplier has float32's 24 significant
// bits), and applying it needs integers only (applyFixedPoint), for chips
// without floating point; the x86 kernels use a float32 multiply, which is
// the same arithmetic. Computed here once for every target.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_REQUANTIZE_H
#define CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_REQUANTIZE_H

#include "dialects/Cambrian/CambrianDialect.h"
#include "dialects/Cambrian/Utils/TensorBuilder.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"

#include <cstdint>
#include <optional>

namespace cambrian::cmb {

/// A positive float32 factor as `multiplier * 2^-shift`: multiplier in
/// [2^30, 2^31) with at most 24 significant bits (smaller only for factors
/// below 2^-32), shift in [1, 62].
struct FixedPointScale {
  int32_t multiplier;
  int32_t shift;
  /// The factor itself (exact).
  float toFloat() const;
};

/// The fixed-point form of `scale` rounded to float32, or nullopt where it
/// has none (not positive and finite, or 2^30 and above).
std::optional<FixedPointScale> toFixedPoint(double scale);

/// round_half_even(float32(float32(acc) * M)) with M = s.toFloat(): the
/// requantization as float32 arithmetic rounds it (the accumulator and the
/// product each rounded to 24 significant bits, ties to even), computed
/// with integers only.
int64_t applyFixedPoint(int64_t acc, FixedPointScale s);

/// How one quantized product's accumulator becomes its result.
struct Requantization {
  /// One factor, or one per output channel.
  llvm::SmallVector<FixedPointScale> scales;
  int64_t zeroPoint;
  /// The result's storage range narrowed by a clamp activation.
  int64_t lo, hi;
};

/// The requantization from `input` x `filter` (per tensor or per channel)
/// to `result` with `activation` (none, relu or clip); failure if a factor
/// has no fixed-point form.
mlir::FailureOr<Requantization>
getRequantization(mlir::quant::UniformQuantizedType input,
                  mlir::quant::QuantizedType filter,
                  mlir::quant::UniformQuantizedType result,
                  ActivationAttr activation);

/// The accumulator's scale per output channel (one for a per-tensor
/// filter): input scale times filter scale, in float32.
llvm::SmallVector<float>
accumulatorScales(mlir::quant::UniformQuantizedType input,
                  mlir::quant::QuantizedType filter);

/// The int32 accumulator `acc` (plus `bias`, int32 along `channelDim`)
/// dequantized to `result` (float): float(acc) * scales[c], then the clamp
/// activation `act`.
mlir::Value emitDequantizedAccumulator(TensorBuilder &tb, mlir::Value acc,
                                       mlir::Value bias, int64_t channelDim,
                                       llvm::ArrayRef<float> scales,
                                       ActivationAttr act,
                                       mlir::RankedTensorType result);

/// The scales of a per-tensor or per-axis type, in order.
llvm::SmallVector<double> quantizedScales(mlir::quant::QuantizedType type);

/// The zero points of a per-tensor or per-axis type, in order.
llvm::SmallVector<int64_t> quantizedZeroPoints(mlir::quant::QuantizedType type);


/// A tensor of `!quant.uniform` values as int32 `storage - zero_point`
/// (per tensor, or per slice of the type's axis).
mlir::Value emitCenteredInt32(TensorBuilder &tb, mlir::Value quantized);

/// Requantizes the int32 accumulator `acc` (plus `bias`, int32 along
/// dimension `channelDim`, if given) to `result`'s storage with `r`, whose
/// scales are one or one per index of `channelDim`; returns the result as a
/// `result` tensor (behind quant.scast).
mlir::Value emitRequantize(TensorBuilder &tb, mlir::Value acc,
                           mlir::Value bias, int64_t channelDim,
                           const Requantization &r,
                           mlir::RankedTensorType result);

} // namespace cambrian::cmb

#endif // CAMBRIAN_DIALECTS_CAMBRIAN_UTILS_REQUANTIZE_H
