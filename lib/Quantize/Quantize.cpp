//===- Quantize.cpp - Post-training int8 quantization ---------------------===//
//
// The driver: load the model, check the options against it, calibrate on
// the samples (one pass for min/max, a second for the histogram
// estimators), plan and insert Q/DQ, write the quantized model and, if
// asked, measure the error and write the report.
//
//===----------------------------------------------------------------------===//

#include "QuantizeInternal.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/ADT/STLExtras.h"

using namespace cambrian;
using namespace cambrian::quant;
using namespace mlir;

namespace {

/// The float values of tensor `t` in the last run: a fed input's from the
/// sample, anything else from the runner's outputs.
const float *valuesOf(const std::string &t, const ModelGraph &g,
                      const std::vector<NpyArray> &arrays,
                      const NativeRunner &runner, int64_t &count) {
  for (size_t k = 0; k < g.inputs.size(); ++k)
    if (g.inputs[k].name == t) {
      if (g.inputs[k].elemType != onnx::TensorProto::FLOAT)
        return nullptr;
      count = arrays[k].data.size() / sizeof(float);
      return reinterpret_cast<const float *>(arrays[k].data.data());
    }
  return runner.output(t, count);
}

} // namespace

LogicalResult cambrian::quant::quantizeModel(MLIRContext &ctx,
                                             llvm::StringRef modelPath,
                                             const CompileOptions &compile,
                                             const QuantizeOptions &options,
                                             llvm::StringRef outputModelPath) {
  auto fail = [&](const std::string &message) {
    return emitError(UnknownLoc::get(&ctx)) << message;
  };
  ModelGraph g;
  if (std::string err = loadModelGraph(modelPath, compile, g); !err.empty())
    return fail(err);

  std::set<std::string> nodeNames;
  for (const onnx::NodeProto &n : g.model.graph().node())
    nodeNames.insert(n.name());
  std::string unknown;
  for (const std::string &e : options.exclude)
    if (!nodeNames.count(e))
      unknown += (unknown.empty() ? "'" : ", '") + e + "'";
  if (!unknown.empty())
    return fail("--quantize-exclude: '" + g.path + "' has no node named " +
                unknown);

  CalibrationSet samples;
  if (std::string err = samples.open(options.calibrationDir, g.inputs);
      !err.empty())
    return fail(err);
  std::vector<std::vector<int64_t>> shapes;
  if (std::string err = samples.pinShapes(shapes); !err.empty())
    return fail(err);

  TempDir tmp;
  if (std::string err = tmp.create(); !err.empty())
    return fail(err);
  std::vector<std::string> candidates = candidateTensors(g, options);
  // Fed inputs come from the samples; the rest become extra outputs.
  std::vector<std::string> computed;
  for (const std::string &c : candidates)
    if (!llvm::any_of(g.inputs, [&](const ModelInput &in) {
          return in.name == c;
        }))
      computed.push_back(c);
  NativeRunner floatRunner;
  if (failed(floatRunner.build(ctx, g.model, computed, compile, g.inputs,
                               shapes, tmp, "float")))
    return failure();

  std::map<std::string, int32_t> types;
  for (const ModelInput &in : g.inputs)
    types[in.name] = in.elemType;
  for (const std::string &c : candidates)
    if (!types.count(c))
      types[c] = floatRunner.outputType(c);
  std::map<std::string, TensorStats> stats;
  for (const std::string &c : candidates)
    if (types[c] == onnx::TensorProto::FLOAT)
      stats[c];

  // Calibration: min/max, then the histograms over the ranges found.
  Progress progress(options.progress, samples.size());
  std::vector<NpyArray> arrays;
  int passes = needsHistogram(options.calibrator) ? 2 : 1;
  for (int pass = 0; pass < passes; ++pass) {
    std::string label = passes == 1 ? "calibrating"
                                    : pass == 0 ? "calibrating 1/2 (min/max)"
                                                : "calibrating 2/2 (histograms)";
    if (pass == 1)
      for (auto &[name, s] : stats)
        startHistogram(options.calibrator, s);
    for (size_t i = 0; i < samples.size(); ++i) {
      progress.update(label, i);
      if (std::string err = samples.read(i, shapes, arrays); !err.empty()) {
        progress.finish();
        return fail(err);
      }
      if (std::string err = floatRunner.run(arrays); !err.empty()) {
        progress.finish();
        return fail("running the float model on a calibration sample: " + err);
      }
      for (auto &[name, s] : stats) {
        int64_t n = 0;
        const float *v = valuesOf(name, g, arrays, floatRunner, n);
        if (!v)
          continue;
        if (pass == 0)
          s.minMax.add(v, n);
        else
          addToHistogram(options.calibrator, s, v, n);
      }
    }
    progress.update(label, samples.size());
  }

  QuantizationPlan plan;
  if (std::string err = planQuantization(g, options, types, stats, plan);
      !err.empty()) {
    progress.finish();
    return fail(err);
  }
  onnx::ModelProto quantized = insertQdq(g, plan);
  if (std::string err = writeModel(quantized, outputModelPath.str());
      !err.empty()) {
    progress.finish();
    return fail(err);
  }
  if (options.reportPath.empty()) {
    progress.finish();
    return success();
  }

  // The report: the quantized model next to the float one, every quantized
  // tensor compared.
  std::vector<std::string> measured;
  for (const auto &[t, p] : plan.params)
    if (g.producer.count(t))
      measured.push_back(t);
  NativeRunner quantRunner;
  if (failed(quantRunner.build(ctx, quantized, measured, compile, g.inputs,
                               shapes, tmp, "quantized"))) {
    progress.finish();
    return failure();
  }
  ReportMeasures m;
  for (size_t i = 0; i < samples.size(); ++i) {
    progress.update("measuring the error", i);
    std::string err = samples.read(i, shapes, arrays);
    if (err.empty())
      err = floatRunner.run(arrays);
    if (err.empty())
      err = quantRunner.run(arrays);
    if (!err.empty()) {
      progress.finish();
      return fail("measuring the quantization error: " + err);
    }
    for (const auto &[t, p] : plan.params) {
      int64_t n = 0, nq = 0;
      const float *v = valuesOf(t, g, arrays, floatRunner, n);
      if (!v)
        continue;
      // A tensor quantized to the range its Relu/Clip leaves is compared
      // with what that activation makes of it.
      int64_t nRef = n;
      const float *ref = v;
      if (auto it = plan.rangeFrom.find(t); it != plan.rangeFrom.end())
        ref = valuesOf(it->second, g, arrays, floatRunner, nRef);
      if (!ref || nRef != n)
        continue;
      std::vector<float> fq(n);
      for (int64_t k = 0; k < n; ++k)
        fq[k] = fakeQuantize(v[k], p);
      m.fakeQuant[t].add(ref, fq.data(), n);
      if (const float *q = quantRunner.output(t, nq); q && nq == n)
        m.cumulative[t].add(ref, q, n);
    }
    for (const std::string &o : g.graphOutputs) {
      int64_t n = 0, nq = 0;
      const float *v = floatRunner.output(o, n);
      const float *q = quantRunner.output(o, nq);
      if (v && q && n == nq)
        m.outputs[o].add(v, q, n);
    }
  }
  m.samples = samples.size();
  progress.update("measuring the error", samples.size());
  progress.finish();
  if (std::string err = writeReport(options.reportPath, g, options, plan, m);
      !err.empty())
    return fail(err);
  return success();
}
