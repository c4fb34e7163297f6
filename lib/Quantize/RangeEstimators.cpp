//===- RangeEstimators.cpp - Calibration statistics and ranges ------------===//

#include "cambrian/Quantize/RangeEstimators.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

using namespace cambrian::quant;

std::optional<Calibrator> cambrian::quant::parseCalibrator(const std::string &name) {
  if (name == "minmax")
    return Calibrator::MinMax;
  if (name == "percentile")
    return Calibrator::Percentile;
  if (name == "entropy")
    return Calibrator::Entropy;
  return std::nullopt;
}

const char *cambrian::quant::calibratorName(Calibrator c) {
  switch (c) {
  case Calibrator::MinMax: return "minmax";
  case Calibrator::Percentile: return "percentile";
  case Calibrator::Entropy: return "entropy";
  }
  return "?";
}

void MinMax::add(const float *values, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    float v = values[i];
    // NaN and infinities say nothing about a range int8 can hold.
    if (!std::isfinite(v))
      continue;
    if (count++ == 0) {
      min = max = v;
      continue;
    }
    min = std::min<double>(min, v);
    max = std::max<double>(max, v);
  }
}

//===----------------------------------------------------------------------===//
// Histogram
//===----------------------------------------------------------------------===//

Histogram::Histogram(double lo, double hi, int bins)
    : lo_(lo), hi_(hi), counts_(bins, 0.0) {}

void Histogram::add(const float *values, int64_t n) {
  int bins = counts_.size();
  double width = hi_ - lo_;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i]))
      continue;
    // A zero-width range puts everything in the first bin.
    int b = width > 0 ? int((values[i] - lo_) / width * bins) : 0;
    counts_[std::clamp(b, 0, bins - 1)] += 1;
  }
}

void Histogram::addAbsolute(const float *values, int64_t n) {
  int bins = counts_.size();
  double width = hi_ - lo_;
  for (int64_t i = 0; i < n; ++i) {
    // Exact zeros are left out: int8 holds them exactly at any scale, and
    // a ReLU's spike at 0 would otherwise dominate the divergence (merged
    // with its neighbours, it makes every wide threshold look bad).
    if (!std::isfinite(values[i]) || values[i] == 0)
      continue;
    int b = width > 0 ? int((std::fabs(values[i]) - lo_) / width * bins) : 0;
    counts_[std::clamp(b, 0, bins - 1)] += 1;
  }
}

double Histogram::total() const {
  return std::accumulate(counts_.begin(), counts_.end(), 0.0);
}

double cambrian::quant::histogramQuantile(const Histogram &h, double q) {
  double total = h.total();
  if (total <= 0 || h.counts().empty())
    return h.hi();
  double want = std::clamp(q, 0.0, 1.0) * total, seen = 0;
  const std::vector<double> &c = h.counts();
  for (size_t b = 0; b < c.size(); ++b) {
    if (c[b] > 0 && seen + c[b] >= want) {
      double frac = (want - seen) / c[b];
      return h.lo() + (b + frac) * h.binWidth();
    }
    seen += c[b];
  }
  return h.hi();
}

//===----------------------------------------------------------------------===//
// Entropy (KL divergence) threshold
//===----------------------------------------------------------------------===//

/// Replaces the zeros of a distribution by `eps`, taking the mass from its
/// non-zero entries, so that KL(P || Q) stays finite where Q lost a bin.
static bool smooth(std::vector<double> &p, double eps = 1e-4) {
  size_t zeros = std::count(p.begin(), p.end(), 0.0);
  size_t nonZeros = p.size() - zeros;
  if (nonZeros == 0)
    return false;
  double take = eps * zeros / nonZeros;
  for (double &v : p)
    v = v == 0 ? eps : v - take;
  return true;
}

/// Normalises `p` to sum 1; false if it is all zero.
static bool normalize(std::vector<double> &p) {
  double sum = std::accumulate(p.begin(), p.end(), 0.0);
  if (sum <= 0)
    return false;
  for (double &v : p)
    v /= sum;
  return true;
}

double cambrian::quant::entropyThreshold(const Histogram &absHist, int levels) {
  const std::vector<double> &hist = absHist.counts();
  int bins = hist.size();
  if (absHist.total() <= 0 || bins <= levels)
    return absHist.hi();
  double bestKl = std::numeric_limits<double>::infinity();
  int best = bins;
  std::vector<double> p, q;
  double outliers = std::accumulate(hist.begin() + levels, hist.end(), 0.0);
  for (int i = levels; i <= bins; ++i) {
    // P: the first i bins, with everything clipped folded into the last.
    p.assign(hist.begin(), hist.begin() + i);
    p[i - 1] += outliers;
    if (i < bins)
      outliers -= hist[i];
    // Q: the first i bins merged into `levels` groups, each group's mass
    // spread back evenly over the bins of the group that held any.
    q.assign(i, 0.0);
    double per = double(i) / levels;
    for (int j = 0; j < levels; ++j) {
      int start = int(j * per), stop = j == levels - 1 ? i : int((j + 1) * per);
      double mass = 0;
      int nonZero = 0;
      for (int k = start; k < stop; ++k) {
        mass += hist[k];
        nonZero += hist[k] != 0;
      }
      if (nonZero == 0)
        continue;
      for (int k = start; k < stop; ++k)
        if (hist[k] != 0)
          q[k] = mass / nonZero;
    }
    if (!normalize(p) || !normalize(q) || !smooth(p) || !smooth(q))
      continue;
    double kl = 0;
    for (int k = 0; k < i; ++k)
      if (p[k] > 0 && q[k] > 0)
        kl += p[k] * std::log(p[k] / q[k]);
    // Ties go to the wider threshold, which clips less.
    if (kl <= bestKl) {
      bestKl = kl;
      best = i;
    }
  }
  return absHist.lo() + best * absHist.binWidth();
}

//===----------------------------------------------------------------------===//
// Ranges from statistics
//===----------------------------------------------------------------------===//

bool cambrian::quant::needsHistogram(Calibrator c) {
  return c != Calibrator::MinMax;
}

void cambrian::quant::startHistogram(Calibrator c, TensorStats &s) {
  const MinMax &mm = s.minMax;
  if (c == Calibrator::Percentile)
    s.histogram = Histogram(mm.min, mm.max, kHistogramBins);
  else if (c == Calibrator::Entropy)
    s.histogram = Histogram(0, std::max(std::fabs(mm.min), std::fabs(mm.max)),
                            kHistogramBins);
}

void cambrian::quant::addToHistogram(Calibrator c, TensorStats &s,
                                     const float *values, int64_t n) {
  if (c == Calibrator::Percentile)
    s.histogram.add(values, n);
  else if (c == Calibrator::Entropy)
    s.histogram.addAbsolute(values, n);
}

Range cambrian::quant::estimateRange(Calibrator c, const TensorStats &s,
                                     double percentile) {
  const MinMax &mm = s.minMax;
  Range r{mm.min, mm.max};
  if (mm.count == 0 || mm.min == mm.max)
    c = Calibrator::MinMax;
  switch (c) {
  case Calibrator::MinMax:
    break;
  case Calibrator::Percentile: {
    // Each side keeps `percentile` of the mass; a side that is all on one
    // side of zero keeps its extreme (a ReLU output's 0).
    double keep = percentile / 100.0;
    if (mm.min < 0)
      r.lo = histogramQuantile(s.histogram, 1 - keep);
    if (mm.max > 0)
      r.hi = histogramQuantile(s.histogram, keep);
    break;
  }
  case Calibrator::Entropy: {
    // A non-negative tensor spends all 256 levels on [0, t]; a signed one
    // 128 on each side of zero.
    int levels = mm.min >= 0 ? 255 : 128;
    double t = entropyThreshold(s.histogram, levels);
    r.lo = std::max(mm.min, -t);
    r.hi = std::min(mm.max, t);
    break;
  }
  }
  r.lo = std::min(r.lo, 0.0);
  r.hi = std::max(r.hi, 0.0);
  return r;
}

//===----------------------------------------------------------------------===//
// Scales, zero points and the error they make
//===----------------------------------------------------------------------===//

QuantParams cambrian::quant::asymmetricInt8(Range r) {
  double lo = std::min(r.lo, 0.0), hi = std::max(r.hi, 0.0);
  QuantParams p;
  double scale = (hi - lo) / 255.0;
  if (!(scale >= kTinyScale)) {
    p.scale = kTinyScale;
    p.zeroPoint = 0;
    return p;
  }
  p.scale = float(scale);
  double zp = std::nearbyint(-128.0 - lo / p.scale);
  p.zeroPoint = int32_t(std::clamp(zp, -128.0, 127.0));
  return p;
}

QuantParams cambrian::quant::symmetricInt8(double absMax) {
  QuantParams p;
  double scale = absMax / 127.0;
  p.scale = scale >= kTinyScale ? float(scale) : kTinyScale;
  return p;
}

int32_t cambrian::quant::quantizeValue(float x, QuantParams p, int32_t qmin,
                                       int32_t qmax) {
  // In float, as ONNX divides; nearbyint rounds half to even in the
  // default rounding mode.
  double q = double(std::nearbyint(x / p.scale)) + p.zeroPoint;
  if (std::isnan(q))
    return p.zeroPoint;
  return int32_t(std::clamp<double>(q, qmin, qmax));
}

float cambrian::quant::fakeQuantize(float x, QuantParams p, int32_t qmin,
                                    int32_t qmax) {
  return float(quantizeValue(x, p, qmin, qmax) - p.zeroPoint) * p.scale;
}

void Sqnr::add(const float *reference, const float *approx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(reference[i]))
      continue;
    double e = double(reference[i]) - approx[i];
    signal += double(reference[i]) * reference[i];
    noise += e * e;
  }
}

double Sqnr::dB() const {
  if (noise <= 0)
    return std::numeric_limits<double>::infinity();
  if (signal <= 0)
    return -std::numeric_limits<double>::infinity();
  return 10 * std::log10(signal / noise);
}
