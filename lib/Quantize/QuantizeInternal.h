//===- QuantizeInternal.h - Pieces of post-training quantization -*- C++ -*-===//
//
// The stages of quantizeModel, each in its own file: the model as loaded
// and normalised (ModelGraph.cpp), the calibration folder
// (CalibrationData.cpp), running the float model over it (Calibration.cpp),
// choosing and inserting Q/DQ (QdqInsertion.cpp) and the report
// (Report.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_LIB_QUANTIZE_QUANTIZEINTERNAL_H
#define CAMBRIAN_LIB_QUANTIZE_QUANTIZEINTERNAL_H

#include "cambrian/Quantize/Quantize.h"
#include "cambrian/Runtime/LoadedModule.h"
#include "cambrian/Runtime/Npy.h"

#include "onnx/onnx_pb.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace cambrian::quant {

//===----------------------------------------------------------------------===//
// The model (ModelGraph.cpp)
//===----------------------------------------------------------------------===//

/// An input the caller feeds, as the model declares it (--input-shape pins
/// the compiled module's shape, not the samples'); -1 marks a dynamic
/// dimension, and an empty `shape` with `rankKnown` false an unknown rank.
struct ModelInput {
  std::string name;
  int32_t elemType = 0;
  std::vector<int64_t> shape;
  bool rankKnown = true;
};

/// The float model, normalised for quantization: external data inlined,
/// main-graph Constant nodes turned into initializers, and every node
/// named (`<OpType>_<index>` where the model left a name empty).
struct ModelGraph {
  onnx::ModelProto model;
  std::string path;
  /// The fed inputs: graph inputs that are neither initializers nor bound.
  std::vector<ModelInput> inputs;
  /// Initializers by name (into model.graph().initializer()).
  std::map<std::string, int> initializers;
  /// Tensors that depend on a fed input.
  std::set<std::string> dynamic;
  std::set<std::string> graphOutputs;
  /// Main-graph nodes reading each tensor.
  std::map<std::string, std::vector<int>> consumers;
  /// The node producing each tensor.
  std::map<std::string, int> producer;

  const onnx::TensorProto *initializer(const std::string &name) const;
};

/// Loads and normalises the model at `path`; "" or a one-line error.
std::string loadModelGraph(llvm::StringRef path, const CompileOptions &compile,
                           ModelGraph &graph);

/// Writes `model` as binary ONNX; "" or an error.
std::string writeModel(const onnx::ModelProto &model, const std::string &path);

/// The float values of an initializer (float tensors only).
std::vector<float> initializerValues(const onnx::TensorProto &t);

//===----------------------------------------------------------------------===//
// The calibration folder (CalibrationData.cpp)
//===----------------------------------------------------------------------===//

/// The samples of a calibration folder, read one at a time.
class CalibrationSet {
public:
  /// Lists `dir` and checks its layout against `inputs` (one .npy per
  /// sample for one input, else one sub-folder per sample with one
  /// `<input>.npy` per input); "" or a one-line error naming the file.
  std::string open(const std::string &dir, const std::vector<ModelInput> &inputs);
  size_t size() const { return files.size(); }
  /// Reads sample `i`, one array per input, checking each against the
  /// input's type and `shapes` (the inputs' shapes, dynamic dimensions
  /// pinned); "" or a one-line error naming the file.
  std::string read(size_t i, const std::vector<std::vector<int64_t>> &shapes,
                   std::vector<NpyArray> &arrays) const;
  /// The shapes of sample 0 where the model's are dynamic; "" or an error.
  std::string pinShapes(std::vector<std::vector<int64_t>> &shapes) const;

private:
  std::vector<ModelInput> inputs;
  /// files[sample][input]
  std::vector<std::vector<std::string>> files;
};

//===----------------------------------------------------------------------===//
// Running a model natively (Calibration.cpp)
//===----------------------------------------------------------------------===//

/// A folder for temporary files, removed with everything in it when this
/// goes away, on errors too; its files are also removed on a signal.
class TempDir {
public:
  std::string create();
  ~TempDir();
  /// A path in the folder, registered for removal on a signal.
  std::string file(llvm::StringRef name);

private:
  llvm::SmallString<128> dir;
  std::vector<std::string> files;
};

/// A model compiled for this machine with some of its tensors as extra
/// outputs, and its output buffers.
class NativeRunner {
public:
  /// Compiles `model` (after adding `extraOutputs` as graph outputs) for
  /// x86 with `shapes` pinned, in `tmp`, and loads it. Errors go to `ctx`.
  mlir::LogicalResult build(mlir::MLIRContext &ctx, onnx::ModelProto model,
                            const std::vector<std::string> &extraOutputs,
                            const CompileOptions &compile,
                            const std::vector<ModelInput> &inputs,
                            const std::vector<std::vector<int64_t>> &shapes,
                            TempDir &tmp, llvm::StringRef stem);
  /// Runs once on `arrays` (one per input); "" or an error.
  std::string run(const std::vector<NpyArray> &arrays);
  /// The float values of output `name` after the last run, with their
  /// count; null if the module has no such float output.
  const float *output(const std::string &name, int64_t &count) const;
  /// The element type of output `name`, 0 if none.
  int32_t outputType(const std::string &name) const;

private:
  std::unique_ptr<LoadedModule> module;
  std::map<std::string, int> outputIndex;
  std::vector<std::vector<char>> buffers;
};

/// A one-line progress bar over the samples on stderr.
class Progress {
public:
  Progress(bool enabled, size_t total) : enabled(enabled), total(total) {}
  void update(llvm::StringRef what, size_t done);
  /// Ends the line (only if something was drawn).
  void finish();

private:
  bool enabled;
  size_t total;
  bool drawn = false;
  std::chrono::steady_clock::time_point lastDraw;
};

//===----------------------------------------------------------------------===//
// What gets quantized (QdqInsertion.cpp)
//===----------------------------------------------------------------------===//

/// A weight (or constant operand) quantized to int8, symmetric.
struct QuantizedWeight {
  int input = -1;  ///< operand index in the node
  std::string tensor;
  int axis = -1; ///< -1 per tensor
  std::vector<float> scales;
  double sqnr = 0;
};

/// An int32 bias with scale input_scale * weight_scale.
struct QuantizedBias {
  int input = -1;
  std::string tensor;
  std::vector<float> scales;
};

/// One node that takes and gives quantized tensors.
struct QuantizedLayer {
  int node = -1;
  std::string name, opType;
  std::vector<std::string> activationInputs, outputs;
  std::vector<QuantizedWeight> weights;
  std::vector<QuantizedBias> biases;
};

/// A node the quantizer knows but left float, and why.
struct SkippedNode {
  std::string name, opType, reason;
};

/// The whole choice: layers, the parameters of every quantized activation
/// tensor and the range each came from.
struct QuantizationPlan {
  std::vector<QuantizedLayer> layers;
  std::map<std::string, QuantParams> params;
  std::map<std::string, Range> ranges;
  /// Tensors whose range is that of their only reader, a Relu or Clip:
  /// the reader's output, against which their error is measured.
  std::map<std::string, std::string> rangeFrom;
  std::vector<SkippedNode> skipped;
};

/// The tensors whose statistics the plan may need: activation inputs and
/// outputs of every node of a quantizable op type that is not excluded and
/// reads a fed tensor.
std::vector<std::string> candidateTensors(const ModelGraph &graph,
                                          const QuantizeOptions &options);

/// Decides the layers and parameters from the statistics; `types` gives
/// the element type of each candidate tensor. "" or a one-line error.
std::string planQuantization(const ModelGraph &graph,
                             const QuantizeOptions &options,
                             const std::map<std::string, int32_t> &types,
                             const std::map<std::string, TensorStats> &stats,
                             QuantizationPlan &plan);

/// The float model with QuantizeLinear/DequantizeLinear inserted as the
/// plan says. A quantized tensor T keeps its name as the DequantizeLinear's
/// output (its producer's output becomes `T_float`), so consumers, graph
/// outputs and the report see the same names; a fed input T is read through
/// `T_dequantized`.
onnx::ModelProto insertQdq(const ModelGraph &graph,
                           const QuantizationPlan &plan);

//===----------------------------------------------------------------------===//
// The report (Report.cpp)
//===----------------------------------------------------------------------===//

/// Per-tensor error measures for the report.
struct ReportMeasures {
  /// Fake-quantized float value against the float value.
  std::map<std::string, Sqnr> fakeQuant;
  /// The quantized model's value against the float model's.
  std::map<std::string, Sqnr> cumulative;
  /// The quantized model's graph outputs against the float model's.
  std::map<std::string, Sqnr> outputs;
  size_t samples = 0;
};

/// Writes the JSON report; "" or an error.
std::string writeReport(const std::string &path, const ModelGraph &graph,
                        const QuantizeOptions &options,
                        const QuantizationPlan &plan,
                        const ReportMeasures &measures);

} // namespace cambrian::quant

#endif // CAMBRIAN_LIB_QUANTIZE_QUANTIZEINTERNAL_H
