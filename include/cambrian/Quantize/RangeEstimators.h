//===- RangeEstimators.h - Calibration statistics and ranges ----*- C++ -*-===//
//
// What post-training quantization learns from the calibration samples: the
// range [lo, hi] of each tensor, estimated from its min/max or from a
// histogram (percentile, or the entropy/KL threshold of TensorRT), and the
// int8 scale and zero point that cover it. Plain C++, no MLIR, so that the
// estimators are unit-testable on known distributions.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_QUANTIZE_RANGEESTIMATORS_H
#define CAMBRIAN_QUANTIZE_RANGEESTIMATORS_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace cambrian::quant {

/// How a tensor's range is chosen from its statistics.
enum class Calibrator { MinMax, Percentile, Entropy };

/// "minmax", "percentile" or "entropy"; nullopt for anything else.
std::optional<Calibrator> parseCalibrator(const std::string &name);
const char *calibratorName(Calibrator c);

/// Running minimum and maximum of the finite values seen.
struct MinMax {
  double min = 0, max = 0;
  int64_t count = 0;
  void add(const float *values, int64_t n);
};

/// A histogram of fixed bins over [lo, hi]; values outside go to the end
/// bins (the range comes from a first pass, so there are none in practice).
class Histogram {
public:
  Histogram() = default;
  Histogram(double lo, double hi, int bins);
  void add(const float *values, int64_t n);
  /// Adds |v| for each non-zero value (for a histogram over [0, max |v|]);
  /// exact zeros are exact in int8 whatever the range, so they say nothing
  /// about where to clip.
  void addAbsolute(const float *values, int64_t n);
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  double binWidth() const { return (hi_ - lo_) / counts_.size(); }
  const std::vector<double> &counts() const { return counts_; }
  double total() const;

private:
  double lo_ = 0, hi_ = 0;
  std::vector<double> counts_;
};

/// The bins the histogram estimators use (TensorRT's and ONNX Runtime's
/// 2048).
inline constexpr int kHistogramBins = 2048;

/// The value below which a fraction `q` (0..1) of the histogram's mass lies,
/// interpolated inside the bin where the cumulative count crosses it.
double histogramQuantile(const Histogram &h, double q);

/// The clipping threshold that minimises KL(P || Q) between the histogram
/// of |x| (`absHist`, over [0, max |x|]) clipped at the threshold, with the
/// clipped mass folded into its last bin, and the same distribution
/// quantized to `levels` levels (TensorRT's entropy calibration). Returns
/// the upper edge of the chosen bin; the histogram's hi when it is empty.
double entropyThreshold(const Histogram &absHist, int levels);

/// A range [lo, hi], always containing 0 (zero must be exact in int8).
struct Range {
  double lo = 0, hi = 0;
};

/// An int8 quantization: real = scale * (q - zeroPoint).
struct QuantParams {
  float scale = 1;
  int32_t zeroPoint = 0;
};

/// The scale used where a range is empty (a constant zero tensor, an
/// all-zero weight channel): never 0, small enough that it adds no error.
inline constexpr float kTinyScale = 1e-8f;

/// Asymmetric int8 [-128, 127] covering `r` (which is widened to hold 0).
QuantParams asymmetricInt8(Range r);
/// Symmetric int8 [-127, 127] with zero point 0 covering [-absMax, absMax].
QuantParams symmetricInt8(double absMax);

/// round-half-to-even(x / scale) + zeroPoint, saturated to [qmin, qmax], as
/// ONNX QuantizeLinear computes it.
int32_t quantizeValue(float x, QuantParams p, int32_t qmin = -128,
                      int32_t qmax = 127);
/// The value `x` comes back as after quantize and dequantize.
float fakeQuantize(float x, QuantParams p, int32_t qmin = -128,
                   int32_t qmax = 127);

/// Signal-to-quantization-noise ratio accumulated over samples: 10 log10 of
/// the signal's energy over the error's energy, in dB.
struct Sqnr {
  double signal = 0, noise = 0;
  void add(const float *reference, const float *approx, int64_t n);
  /// +inf when there was no error (JSON writers print it as null).
  double dB() const;
};

/// Statistics of one tensor over the calibration samples: min/max from a
/// first pass and, for the histogram estimators, a histogram from a second
/// pass over the range the first found.
struct TensorStats {
  MinMax minMax;
  Histogram histogram;
};

/// Whether `c` needs the second (histogram) pass.
bool needsHistogram(Calibrator c);
/// Sizes the histogram of `s` from its min/max, before the second pass.
void startHistogram(Calibrator c, TensorStats &s);
/// Adds one sample's values to the histogram of the second pass.
void addToHistogram(Calibrator c, TensorStats &s, const float *values,
                    int64_t n);
/// The range `c` chooses from `s`; `percentile` (in %, e.g. 99.999) is the
/// mass the percentile estimator keeps.
Range estimateRange(Calibrator c, const TensorStats &s, double percentile);

} // namespace cambrian::quant

#endif // CAMBRIAN_QUANTIZE_RANGEESTIMATORS_H
