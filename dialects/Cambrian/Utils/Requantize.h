//===- Requantize.h - Integer requantization of an accumulator ---*- C++ -*-===//
//
// A quantized conv or matmul accumulates in int32 at the scale
// input_scale * filter_scale[c]; its result has its own scale and zero
// point. Requantizing is `clamp(zp + round_half_even(acc * M[c]), lo, hi)`
// with the real factor M[c] = input_scale * filter_scale[c] / result_scale
// held as a fixed-point multiplier and shift, computed here once for every
// target, so the decomposition, the kernels and the chip simulators all
// round the same way.
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

/// A positive real factor as `multiplier * 2^-shift`: multiplier in
/// [2^30, 2^31) (smaller only for factors below 2^-32), shift in [1, 62].
struct FixedPointScale {
  int32_t multiplier;
  int32_t shift;
};

/// The fixed-point form of `scale`, or nullopt where it has none (not
/// positive and finite, or 2^30 and above).
std::optional<FixedPointScale> toFixedPoint(double scale);

/// round_half_even(acc * s.multiplier / 2^s.shift), exactly (int64).
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

/// The scales of a per-tensor or per-axis type, in order.
llvm::SmallVector<double> quantizedScales(mlir::quant::QuantizedType type);

/// The zero points of a per-tensor or per-axis type, in order.
llvm::SmallVector<int64_t> quantizedZeroPoints(mlir::quant::QuantizedType type);

/// Emits applyFixedPoint on an i32 accumulator with i32 multiplier and
/// shift values; the result is i64.
mlir::Value emitFixedPointScale(mlir::OpBuilder &b, mlir::Location loc,
                                mlir::Value acc, mlir::Value multiplier,
                                mlir::Value shift);

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
