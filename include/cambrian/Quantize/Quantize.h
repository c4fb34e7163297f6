//===- Quantize.h - Post-training int8 quantization -------------*- C++ -*-===//
//
// Calibrated post-training quantization of an ONNX model, done on the ONNX
// graph before import: the float model runs natively on calibration samples
// (compiled for x86 with the tensors that need ranges as extra outputs),
// ranges are estimated per tensor, and QuantizeLinear/DequantizeLinear
// pairs are inserted the way onnxruntime's quantize_static writes its QDQ
// format. The result then takes exactly the path of any QDQ model. See
// docs/quantization.md.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_QUANTIZE_QUANTIZE_H
#define CAMBRIAN_QUANTIZE_QUANTIZE_H

#include "cambrian/Pipeline/Pipeline.h"
#include "cambrian/Quantize/RangeEstimators.h"

#include <string>
#include <vector>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace cambrian::quant {

struct QuantizeOptions {
  /// The calibration folder: one .npy per sample (single-input models) or
  /// one sub-folder per sample with one `<input name>.npy` per input.
  std::string calibrationDir;
  Calibrator calibrator = Calibrator::MinMax;
  /// The mass the percentile estimator keeps on each side, in %.
  double percentile = 99.999;
  /// Weights per output channel (else one scale per weight tensor).
  bool perChannel = true;
  /// Node names that stay float.
  std::vector<std::string> exclude;
  /// Where to write the JSON report; empty for none.
  std::string reportPath;
  /// Shows a progress bar over the samples on stderr.
  bool progress = false;
};

/// Quantizes the model at `modelPath` and writes the QDQ model (binary
/// ONNX, weights inline) to `outputModelPath`. `compile` gives the input
/// shapes and bound inputs the model is compiled with; calibration always
/// runs on x86 (this machine), whatever `compile.target` says. Errors go to
/// the context's diagnostic engine, one line each.
mlir::LogicalResult quantizeModel(mlir::MLIRContext &ctx,
                                  llvm::StringRef modelPath,
                                  const CompileOptions &compile,
                                  const QuantizeOptions &options,
                                  llvm::StringRef outputModelPath);

} // namespace cambrian::quant

#endif // CAMBRIAN_QUANTIZE_QUANTIZE_H
