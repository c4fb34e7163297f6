//===- QdqInsertion.cpp - Which tensors get QuantizeLinear/DequantizeLinear ===//
//
// The QDQ format of onnxruntime's quantize_static: a quantized node reads
// DequantizeLinear outputs and its output goes through QuantizeLinear ->
// DequantizeLinear, so a later pass can turn DQ -> op -> Q into integer
// code. Compute ops (Conv, MatMul, Add, pooling, ...) get their output's
// scale from its calibrated range; data movement and Relu/Clip/MaxPool
// share their input's (a value they pass on is representable as it is),
// and a tensor whose only reader is a Relu or Clip takes the clipped range
// the activation leaves, since the values cut away need no levels.
//
//===----------------------------------------------------------------------===//

#include "QuantizeInternal.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace cambrian;
using namespace cambrian::quant;

namespace {

enum class Kind { Compute, PassThrough };

/// How one op type is quantized.
struct OpRule {
  llvm::StringLiteral op;
  Kind kind;
  /// Leading operands that are quantized as activations or constants; -1
  /// for all (Concat).
  int operands;
  /// The operand holding a weight that must be constant (Conv's), or -1.
  int weight = -1;
  /// The operand holding a bias, quantized as int32, or -1.
  int bias = -1;
};

// Sorted by op type.
const OpRule kRules[] = {
    {"Add", Kind::Compute, 2},
    {"AveragePool", Kind::Compute, 1},
    {"Clip", Kind::PassThrough, 1},
    {"Concat", Kind::Compute, -1},
    {"Conv", Kind::Compute, 1, 1, 2},
    {"ConvTranspose", Kind::Compute, 1, 1, 2},
    {"Flatten", Kind::PassThrough, 1},
    {"Gemm", Kind::Compute, 2, -1, 2},
    {"GlobalAveragePool", Kind::Compute, 1},
    {"HardSwish", Kind::Compute, 1},
    {"MatMul", Kind::Compute, 2},
    {"MaxPool", Kind::PassThrough, 1},
    {"Mul", Kind::Compute, 2},
    {"Relu", Kind::PassThrough, 1},
    {"Reshape", Kind::PassThrough, 1},
    {"Resize", Kind::Compute, 1},
    {"Sigmoid", Kind::Compute, 1},
    {"Squeeze", Kind::PassThrough, 1},
    {"Transpose", Kind::PassThrough, 1},
    {"Unsqueeze", Kind::PassThrough, 1},
};

const OpRule *ruleFor(const onnx::NodeProto &n) {
  if (!n.domain().empty() && n.domain() != "ai.onnx")
    return nullptr;
  for (const OpRule &r : kRules)
    if (r.op == n.op_type())
      return &r;
  return nullptr;
}

/// The operands a rule quantizes as int8: activations and weights (biases
/// are separate).
std::vector<int> quantizedOperands(const OpRule &r, const onnx::NodeProto &n) {
  std::vector<int> ops;
  int count = r.operands < 0 ? n.input_size()
                             : std::min(r.operands, n.input_size());
  for (int i = 0; i < count; ++i)
    ops.push_back(i);
  if (r.weight >= count && r.weight < n.input_size())
    ops.push_back(r.weight);
  return ops;
}

int64_t intAttr(const onnx::NodeProto &n, llvm::StringRef name, int64_t dflt) {
  for (const onnx::AttributeProto &a : n.attribute())
    if (a.name() == name)
      return a.i();
  return dflt;
}

float floatAttr(const onnx::NodeProto &n, llvm::StringRef name, float dflt) {
  for (const onnx::AttributeProto &a : n.attribute())
    if (a.name() == name)
      return a.f();
  return dflt;
}

/// The output-channel axis of a constant operand quantized per channel, or
/// -1 for one scale.
int channelAxis(const onnx::NodeProto &n, int operand, int rank) {
  llvm::StringRef op = n.op_type();
  if (operand != 1)
    return -1;
  if (op == "Conv")
    return rank >= 2 ? 0 : -1;
  if (op == "ConvTranspose")
    return intAttr(n, "group", 1) == 1 && rank >= 2 ? 1 : -1;
  if (op == "MatMul")
    return rank >= 2 ? rank - 1 : -1;
  if (op == "Gemm")
    return rank == 2 ? (intAttr(n, "transB", 0) ? 0 : 1) : -1;
  return -1;
}

bool isFloatInitializer(const ModelGraph &g, const std::string &name) {
  const onnx::TensorProto *t = g.initializer(name);
  return t && t->data_type() == onnx::TensorProto::FLOAT;
}

/// Scales of a symmetric int8 weight, one per slice along `axis` (or one),
/// each at least `minScales` (the bias's int32 limit) when given.
std::vector<float> weightScales(const std::vector<float> &w,
                                const std::vector<int64_t> &shape, int axis,
                                const std::vector<float> &minScales) {
  int64_t channels = axis < 0 ? 1 : shape[axis];
  int64_t inner = 1;
  for (size_t d = axis + 1; axis >= 0 && d < shape.size(); ++d)
    inner *= shape[d];
  std::vector<double> absMax(channels, 0.0);
  for (size_t i = 0; i < w.size(); ++i) {
    int64_t c = axis < 0 ? 0 : (int64_t(i) / inner) % channels;
    absMax[c] = std::max<double>(absMax[c], std::fabs(w[i]));
  }
  std::vector<float> scales(channels);
  for (int64_t c = 0; c < channels; ++c) {
    scales[c] = symmetricInt8(absMax[c]).scale;
    if (!minScales.empty())
      scales[c] = std::max(scales[c], minScales[c]);
  }
  return scales;
}

/// The channel of flat element `i` under (shape, axis).
int64_t channelOf(int64_t i, const std::vector<int64_t> &shape, int axis) {
  if (axis < 0)
    return 0;
  int64_t inner = 1;
  for (size_t d = axis + 1; d < shape.size(); ++d)
    inner *= shape[d];
  return (i / inner) % shape[axis];
}

std::vector<int64_t> dimsOf(const onnx::TensorProto &t) {
  return std::vector<int64_t>(t.dims().begin(), t.dims().end());
}

// The largest float below 2^31 - 1: a bias quantized to it still fits int32.
constexpr double kInt32Limit = 2147483520.0;

} // namespace

std::vector<std::string>
cambrian::quant::candidateTensors(const ModelGraph &g,
                                  const QuantizeOptions &options) {
  std::set<std::string> excluded(options.exclude.begin(), options.exclude.end());
  std::vector<std::string> out;
  std::set<std::string> seen;
  auto add = [&](const std::string &t) {
    if (!t.empty() && g.dynamic.count(t) && seen.insert(t).second)
      out.push_back(t);
  };
  for (const onnx::NodeProto &n : g.model.graph().node()) {
    const OpRule *r = ruleFor(n);
    if (!r || excluded.count(n.name()))
      continue;
    for (int i : quantizedOperands(*r, n))
      if (i != r->weight && i != r->bias)
        add(n.input(i));
    if (n.output_size() >= 1)
      add(n.output(0));
  }
  return out;
}

std::string cambrian::quant::planQuantization(
    const ModelGraph &g, const QuantizeOptions &options,
    const std::map<std::string, int32_t> &types,
    const std::map<std::string, TensorStats> &stats, QuantizationPlan &plan) {
  const onnx::GraphProto &graph = g.model.graph();
  int64_t opset = 0;
  for (const onnx::OperatorSetIdProto &o : g.model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset < 10)
    return "'" + g.path + "' has opset " + std::to_string(opset) +
           "; QuantizeLinear/DequantizeLinear need opset 10 or later";
  bool perChannel = options.perChannel;
  if (perChannel && opset < 13)
    return "'" + g.path + "' has opset " + std::to_string(opset) +
           "; per-channel weights need opset 13 or later (use --per-tensor)";

  std::set<std::string> excluded(options.exclude.begin(), options.exclude.end());
  auto isFloat = [&](const std::string &t) {
    auto it = types.find(t);
    return it != types.end() && it->second == onnx::TensorProto::FLOAT;
  };

  // 1. Which nodes are quantized, in graph (topological) order.
  std::set<std::string> quantizedOutputs;
  std::map<std::string, std::string> parent; // pass-through output -> input
  std::map<int, size_t> layerOf;
  for (int ni = 0; ni < graph.node_size(); ++ni) {
    const onnx::NodeProto &n = graph.node(ni);
    const OpRule *r = ruleFor(n);
    auto skip = [&](const std::string &reason) {
      plan.skipped.push_back({n.name(), n.op_type(), reason});
    };
    if (!r) {
      // Worth saying only where it breaks a chain of quantized float
      // values (not for shape arithmetic).
      if (llvm::any_of(n.input(), [&](const std::string &in) {
            return quantizedOutputs.count(in) > 0;
          }))
        skip("not an op the quantizer handles");
      continue;
    }
    if (excluded.count(n.name())) {
      skip("excluded (--quantize-exclude)");
      continue;
    }
    std::vector<int> operands = quantizedOperands(*r, n);
    if (operands.empty() || n.output_size() != 1) {
      skip("has " + std::to_string(n.output_size()) + " outputs");
      continue;
    }
    if (!llvm::any_of(operands, [&](int i) {
          return g.dynamic.count(n.input(i)) > 0;
        })) {
      skip("reads no model input (it is constant)");
      continue;
    }
    if (!isFloat(n.output(0))) {
      skip("its output is not float");
      continue;
    }
    if (r->kind == Kind::PassThrough && !quantizedOutputs.count(n.input(0))) {
      skip("its input is not quantized (it only passes values on)");
      continue;
    }
    std::string problem;
    QuantizedLayer layer;
    layer.node = ni;
    layer.name = n.name();
    layer.opType = n.op_type();
    for (int i : operands) {
      const std::string &in = n.input(i);
      if (in.empty())
        continue;
      if (g.dynamic.count(in) && i != r->weight) {
        if (!isFloat(in))
          problem = "input '" + in + "' is not float";
        layer.activationInputs.push_back(in);
      } else if (isFloatInitializer(g, in)) {
        QuantizedWeight w;
        w.input = i;
        w.tensor = in;
        w.axis = perChannel ? channelAxis(n, i, g.initializer(in)->dims_size())
                            : -1;
        layer.weights.push_back(w);
      } else {
        problem = "operand '" + in + "' is neither a float tensor computed "
                  "from the inputs nor a float initializer";
      }
    }
    if (problem.empty() && r->weight >= 0 &&
        !llvm::any_of(layer.weights, [&](const QuantizedWeight &w) {
          return w.input == r->weight;
        }))
      problem = "its weight is not an initializer";
    if (!problem.empty()) {
      skip(problem);
      continue;
    }
    // A bias becomes int32 when its scale can be the product of the input's
    // and the weight's (Gemm: only if it adds C as it is).
    if (r->bias >= 0 && r->bias < n.input_size() &&
        isFloatInitializer(g, n.input(r->bias)) &&
        g.initializer(n.input(r->bias))->dims_size() == 1 &&
        (n.op_type() != "Gemm" || (floatAttr(n, "alpha", 1) == 1 &&
                                   floatAttr(n, "beta", 1) == 1)))
      layer.biases.push_back({r->bias, n.input(r->bias), {}});
    layer.outputs.push_back(n.output(0));
    quantizedOutputs.insert(n.output(0));
    if (r->kind == Kind::PassThrough)
      parent[n.output(0)] = n.input(0);
    layerOf[ni] = plan.layers.size();
    plan.layers.push_back(std::move(layer));
  }

  // 2. Activation parameters: each tensor from the root of its chain of
  // pass-through nodes.
  auto rangeOf = [&](const std::string &t) {
    auto it = stats.find(t);
    return it == stats.end()
               ? Range{}
               : estimateRange(options.calibrator, it->second,
                               options.percentile);
  };
  auto rootOf = [&](std::string t) {
    for (auto it = parent.find(t); it != parent.end(); it = parent.find(t))
      t = it->second;
    return t;
  };
  // The tensor whose range a chain's root takes.
  auto rangeSource = [&](const std::string &root) {
    auto cons = g.consumers.find(root);
    if (cons != g.consumers.end() && cons->second.size() == 1 &&
        !g.graphOutputs.count(root)) {
      const onnx::NodeProto &n = graph.node(cons->second[0]);
      if ((n.op_type() == "Relu" || n.op_type() == "Clip") &&
          layerOf.count(cons->second[0]))
        return n.output(0);
    }
    return root;
  };
  for (const QuantizedLayer &layer : plan.layers)
    for (const std::vector<std::string> *list :
         {&layer.activationInputs, &layer.outputs})
      for (const std::string &t : *list) {
        if (plan.params.count(t))
          continue;
        std::string source = rangeSource(rootOf(t));
        if (source != rootOf(t) && t == rootOf(t))
          plan.rangeFrom[t] = source;
        Range range = rangeOf(source);
        plan.ranges[t] = range;
        plan.params[t] = asymmetricInt8(range);
      }

  // 3. Weights and biases, now that the input scales are known.
  for (QuantizedLayer &layer : plan.layers) {
    const onnx::NodeProto &n = graph.node(layer.node);
    float inputScale =
        plan.params.count(n.input(0)) ? plan.params[n.input(0)].scale : 0;
    std::vector<float> biasValues;
    if (!layer.biases.empty())
      biasValues = initializerValues(*g.initializer(layer.biases[0].tensor));
    for (QuantizedWeight &w : layer.weights) {
      const onnx::TensorProto &t = *g.initializer(w.tensor);
      std::vector<float> values = initializerValues(t);
      std::vector<int64_t> shape = dimsOf(t);
      std::vector<float> minScales;
      bool feedsBias = w.input == 1 && !layer.biases.empty() && inputScale > 0;
      int64_t channels = w.axis < 0 ? 1 : shape[w.axis];
      if (feedsBias && (w.axis < 0 || int64_t(biasValues.size()) == channels)) {
        minScales.assign(channels, 0.0f);
        for (size_t c = 0; c < biasValues.size(); ++c) {
          float need = float(std::fabs(biasValues[c]) / (inputScale * kInt32Limit));
          float &m = minScales[w.axis < 0 ? 0 : c];
          m = std::max(m, need);
        }
      } else if (feedsBias) {
        // A bias that does not match the channels stays float.
        layer.biases.clear();
      }
      w.scales = weightScales(values, shape, w.axis, minScales);
      Sqnr sqnr;
      for (size_t i = 0; i < values.size(); ++i) {
        QuantParams p{w.scales[channelOf(i, shape, w.axis)], 0};
        float fq = fakeQuantize(values[i], p, -127, 127);
        sqnr.add(&values[i], &fq, 1);
      }
      w.sqnr = sqnr.dB();
    }
    for (QuantizedBias &b : layer.biases) {
      const QuantizedWeight *w = nullptr;
      for (const QuantizedWeight &cand : layer.weights)
        if (cand.input == 1)
          w = &cand;
      float bScale = w ? 0 : plan.params.count(n.input(1))
                                 ? plan.params[n.input(1)].scale
                                 : 0;
      b.scales.clear();
      if (w)
        for (float s : w->scales)
          b.scales.push_back(inputScale * s);
      else
        b.scales.push_back(inputScale * bScale);
      // Exactly input_scale * weight_scale, which integer code relies on;
      // the weight scales were raised above so that the bias fits int32.
    }
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Rewriting the graph
//===----------------------------------------------------------------------===//

namespace {

/// Builds the quantized graph: fresh names, initializers and Q/DQ nodes.
class QdqWriter {
public:
  QdqWriter(onnx::GraphProto &graph) : graph(graph) {
    for (const onnx::TensorProto &t : graph.initializer())
      names.insert(t.name());
    for (const onnx::ValueInfoProto &v : graph.input())
      names.insert(v.name());
    for (const onnx::NodeProto &n : graph.node()) {
      names.insert(n.name());
      for (const std::string &o : n.output())
        names.insert(o);
    }
  }

  std::string unique(const std::string &base) {
    std::string name = base;
    for (int k = 1; names.count(name); ++k)
      name = base + "_" + std::to_string(k);
    names.insert(name);
    return name;
  }

  /// An initializer of `type` with `dims` and the raw bytes of `data`.
  template <typename T>
  std::string initializer(const std::string &base, int32_t type,
                          const std::vector<int64_t> &dims,
                          const std::vector<T> &data) {
    onnx::TensorProto *t = graph.add_initializer();
    t->set_name(unique(base));
    t->set_data_type(type);
    for (int64_t d : dims)
      t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char *>(data.data()),
                                data.size() * sizeof(T)));
    return t->name();
  }

  /// Scale and zero-point initializers; one value is a scalar, several a
  /// vector along `axis`.
  std::pair<std::string, std::string>
  params(const std::string &base, const std::vector<float> &scales,
         const std::vector<int32_t> &zeroPoints, bool int32Zp) {
    std::vector<int64_t> dims;
    if (scales.size() > 1)
      dims.push_back(scales.size());
    std::string s = initializer(base + "_scale", onnx::TensorProto::FLOAT,
                                dims, scales);
    std::string z;
    if (int32Zp) {
      z = initializer(base + "_zero_point", onnx::TensorProto::INT32, dims,
                      zeroPoints);
    } else {
      std::vector<int8_t> zp(zeroPoints.begin(), zeroPoints.end());
      z = initializer(base + "_zero_point", onnx::TensorProto::INT8, dims, zp);
    }
    return {s, z};
  }

  onnx::NodeProto makeNode(const std::string &op, const std::string &name,
                           std::vector<std::string> inputs,
                           const std::string &output, int axis = -1) {
    onnx::NodeProto n;
    n.set_op_type(op);
    n.set_name(unique(name));
    for (const std::string &i : inputs)
      n.add_input(i);
    n.add_output(output);
    if (axis >= 0) {
      onnx::AttributeProto *a = n.add_attribute();
      a->set_name("axis");
      a->set_type(onnx::AttributeProto::INT);
      a->set_i(axis);
    }
    return n;
  }

  onnx::GraphProto &graph;
  std::set<std::string> names;
};

void collectUses(const onnx::GraphProto &g, std::set<std::string> &used) {
  for (const onnx::NodeProto &n : g.node()) {
    for (const std::string &i : n.input())
      used.insert(i);
    for (const onnx::AttributeProto &a : n.attribute()) {
      if (a.has_g())
        collectUses(a.g(), used);
      for (const onnx::GraphProto &sub : a.graphs())
        collectUses(sub, used);
    }
  }
  for (const onnx::ValueInfoProto &o : g.output())
    used.insert(o.name());
}

} // namespace

onnx::ModelProto cambrian::quant::insertQdq(const ModelGraph &g,
                                            const QuantizationPlan &plan) {
  onnx::ModelProto model = g.model;
  onnx::GraphProto &graph = *model.mutable_graph();
  QdqWriter w(graph);
  std::vector<onnx::NodeProto> head;
  std::map<int, std::vector<onnx::NodeProto>> after;
  std::set<std::string> replacedWeights;

  // Weights and biases: an int8 (int32) initializer and a DequantizeLinear
  // in front of the graph.
  for (const QuantizedLayer &layer : plan.layers) {
    onnx::NodeProto &n = *graph.mutable_node(layer.node);
    for (const QuantizedWeight &qw : layer.weights) {
      const onnx::TensorProto &t = *g.initializer(qw.tensor);
      std::vector<float> values = initializerValues(t);
      std::vector<int64_t> shape = dimsOf(t);
      std::vector<int8_t> q(values.size());
      for (size_t i = 0; i < values.size(); ++i)
        q[i] = int8_t(quantizeValue(
            values[i], {qw.scales[channelOf(i, shape, qw.axis)], 0}, -127, 127));
      std::string qName = w.initializer(qw.tensor + "_quantized",
                                        onnx::TensorProto::INT8, shape, q);
      auto [s, z] = w.params(qw.tensor, qw.scales,
                             std::vector<int32_t>(qw.scales.size(), 0), false);
      std::string out = w.unique(qw.tensor + "_dequantized");
      head.push_back(w.makeNode("DequantizeLinear",
                                layer.name + "/" + qw.tensor + "_DequantizeLinear",
                                {qName, s, z}, out,
                                qw.scales.size() > 1 ? qw.axis : -1));
      n.set_input(qw.input, out);
      replacedWeights.insert(qw.tensor);
    }
    for (const QuantizedBias &qb : layer.biases) {
      const onnx::TensorProto &t = *g.initializer(qb.tensor);
      std::vector<float> values = initializerValues(t);
      std::vector<int32_t> q(values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        float scale = qb.scales[qb.scales.size() > 1 ? i : 0];
        double v = std::nearbyint(double(values[i]) / scale);
        q[i] = int32_t(std::clamp(v, -kInt32Limit, kInt32Limit));
      }
      std::string qName = w.initializer(qb.tensor + "_quantized",
                                        onnx::TensorProto::INT32, dimsOf(t), q);
      auto [s, z] = w.params(qb.tensor, qb.scales,
                             std::vector<int32_t>(qb.scales.size(), 0), true);
      std::string out = w.unique(qb.tensor + "_dequantized");
      head.push_back(w.makeNode("DequantizeLinear",
                                layer.name + "/" + qb.tensor + "_DequantizeLinear",
                                {qName, s, z}, out,
                                qb.scales.size() > 1 ? 0 : -1));
      n.set_input(qb.input, out);
      replacedWeights.insert(qb.tensor);
    }
  }

  // Activations: Q -> DQ behind the producer, the DQ taking the tensor's
  // name; a fed input is read through its own DQ output instead.
  for (const auto &[tensor, p] : plan.params) {
    auto [s, z] = w.params(tensor, {p.scale}, {p.zeroPoint}, false);
    std::string q = w.unique(tensor + "_quantized");
    auto prod = g.producer.find(tensor);
    if (prod == g.producer.end()) {
      std::string dq = w.unique(tensor + "_dequantized");
      head.push_back(w.makeNode("QuantizeLinear", tensor + "_QuantizeLinear",
                                {tensor, s, z}, q));
      head.push_back(w.makeNode("DequantizeLinear",
                                tensor + "_DequantizeLinear", {q, s, z}, dq));
      for (onnx::NodeProto &n : *graph.mutable_node())
        for (int i = 0; i < n.input_size(); ++i)
          if (n.input(i) == tensor)
            n.set_input(i, dq);
      continue;
    }
    std::string f = w.unique(tensor + "_float");
    onnx::NodeProto &producer = *graph.mutable_node(prod->second);
    for (int i = 0; i < producer.output_size(); ++i)
      if (producer.output(i) == tensor)
        producer.set_output(i, f);
    std::vector<onnx::NodeProto> &list = after[prod->second];
    list.push_back(w.makeNode("QuantizeLinear", tensor + "_QuantizeLinear",
                              {f, s, z}, q));
    list.push_back(w.makeNode("DequantizeLinear", tensor + "_DequantizeLinear",
                              {q, s, z}, tensor));
  }

  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (onnx::NodeProto &n : head)
    *nodes.Add() = std::move(n);
  for (int i = 0; i < graph.node_size(); ++i) {
    *nodes.Add() = graph.node(i);
    for (onnx::NodeProto &n : after[i])
      *nodes.Add() = std::move(n);
  }
  graph.mutable_node()->Swap(&nodes);

  // The float weights nothing reads any more.
  std::set<std::string> used;
  collectUses(graph, used);
  auto unused = [&](const std::string &name) {
    return replacedWeights.count(name) && !used.count(name);
  };
  auto *inits = graph.mutable_initializer();
  inits->erase(std::remove_if(inits->begin(), inits->end(),
                              [&](const onnx::TensorProto &t) {
                                return unused(t.name());
                              }),
               inits->end());
  auto *inputs = graph.mutable_input();
  inputs->erase(std::remove_if(inputs->begin(), inputs->end(),
                               [&](const onnx::ValueInfoProto &v) {
                                 return unused(v.name());
                               }),
                inputs->end());
  return model;
}
