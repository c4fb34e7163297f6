//===- Report.cpp - The quantization report (--quantize-report) -----------===//
//
// One entry per quantized layer, worst first, so that the layer to exclude
// is at the top. What is measured is documented in docs/quantization.md.
//
//===----------------------------------------------------------------------===//

#include "QuantizeInternal.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <limits>

using namespace cambrian;
using namespace cambrian::quant;
using llvm::json::Array;
using llvm::json::Object;
using llvm::json::Value;

/// dB to 0.01, or null for "no error" (infinite SQNR) and no data.
static Value dB(double v) {
  if (!std::isfinite(v))
    return nullptr;
  return std::round(v * 100) / 100;
}

static double sqnrOf(const std::map<std::string, Sqnr> &m,
                     const std::string &t) {
  auto it = m.find(t);
  return it == m.end() ? std::numeric_limits<double>::quiet_NaN()
                       : it->second.dB();
}

std::string cambrian::quant::writeReport(const std::string &path,
                                         const ModelGraph &g,
                                         const QuantizeOptions &options,
                                         const QuantizationPlan &plan,
                                         const ReportMeasures &m) {
  struct Entry {
    double key;
    Object json;
  };
  std::vector<Entry> entries;
  for (const QuantizedLayer &layer : plan.layers) {
    Object o{{"node", layer.name}, {"op", layer.opType}};
    // The layer's own error: the worst of its weights and its output.
    double worst = std::numeric_limits<double>::infinity();
    Array inputs;
    for (const std::string &t : layer.activationInputs) {
      const QuantParams &p = plan.params.at(t);
      inputs.push_back(Object{{"tensor", t},
                              {"scale", p.scale},
                              {"zero_point", p.zeroPoint}});
    }
    o["inputs"] = std::move(inputs);
    Array weights;
    for (const QuantizedWeight &w : layer.weights) {
      Array scales;
      for (float s : w.scales)
        scales.push_back(s);
      weights.push_back(Object{{"tensor", w.tensor},
                               {"axis", w.axis < 0 ? Value(nullptr) : Value(w.axis)},
                               {"scales", std::move(scales)},
                               {"sqnr_db", dB(w.sqnr)}});
      worst = std::min(worst, w.sqnr);
    }
    o["weights"] = std::move(weights);
    Array biases;
    for (const QuantizedBias &b : layer.biases)
      biases.push_back(Object{{"tensor", b.tensor}, {"type", "int32"}});
    o["biases"] = std::move(biases);
    for (const std::string &t : layer.outputs) {
      const QuantParams &p = plan.params.at(t);
      const Range &r = plan.ranges.at(t);
      double local = sqnrOf(m.fakeQuant, t);
      if (!std::isnan(local))
        worst = std::min(worst, local);
      o["output"] = Object{{"tensor", t},
                           {"scale", p.scale},
                           {"zero_point", p.zeroPoint},
                           {"range", Array{r.lo, r.hi}},
                           {"sqnr_db", dB(local)},
                           {"cumulative_sqnr_db", dB(sqnrOf(m.cumulative, t))}};
    }
    o["sqnr_db"] = dB(worst);
    entries.push_back({worst, std::move(o)});
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry &a, const Entry &b) { return a.key < b.key; });
  Array layers;
  for (Entry &e : entries)
    layers.push_back(std::move(e.json));

  Array outputs;
  for (const auto &[name, s] : m.outputs)
    outputs.push_back(Object{{"tensor", name}, {"sqnr_db", dB(s.dB())}});
  Array skipped;
  for (const SkippedNode &s : plan.skipped)
    skipped.push_back(
        Object{{"node", s.name}, {"op", s.opType}, {"reason", s.reason}});

  Object report{
      {"model", g.path},
      {"calibrator", calibratorName(options.calibrator)},
      {"samples", int64_t(m.samples)},
      {"weights", options.perChannel ? "int8 symmetric, per channel"
                                     : "int8 symmetric, per tensor"},
      {"activations", "int8 asymmetric, per tensor"},
      {"outputs", std::move(outputs)},
      {"layers", std::move(layers)},
      {"skipped", std::move(skipped)},
  };
  if (options.calibrator == Calibrator::Percentile)
    report["percentile"] = options.percentile;

  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return "cannot write the report '" + path + "': " + ec.message();
  os << llvm::formatv("{0:2}", Value(std::move(report))) << "\n";
  return "";
}
