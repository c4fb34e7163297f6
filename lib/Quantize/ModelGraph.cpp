//===- ModelGraph.cpp - The float model, normalised for quantization ------===//

#include "QuantizeInternal.h"

#include "lib/Import/HostTensor.h"
#include "lib/Import/ModelLoader.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <fstream>

using namespace cambrian;
using namespace cambrian::quant;
using onnx_import::HostTensor;

const onnx::TensorProto *ModelGraph::initializer(const std::string &name) const {
  auto it = initializers.find(name);
  return it == initializers.end() ? nullptr
                                  : &model.graph().initializer(it->second);
}

/// Replaces external data by raw bytes, so that the quantized model can be
/// written anywhere.
static std::string inlineExternalData(onnx::TensorProto &t,
                                      llvm::StringRef baseDir) {
  if (t.data_location() != onnx::TensorProto::EXTERNAL)
    return "";
  HostTensor host;
  std::string err = onnx_import::decodeTensorProto(t, baseDir, nullptr, host);
  if (!err.empty())
    return err;
  t.clear_external_data();
  t.set_data_location(onnx::TensorProto::DEFAULT);
  t.set_raw_data(std::string(host.bytes().data(), host.bytes().size()));
  return "";
}

std::vector<float> cambrian::quant::initializerValues(const onnx::TensorProto &t) {
  HostTensor host;
  std::vector<float> values;
  if (!onnx_import::decodeTensorProto(t, "", nullptr, host).empty() ||
      host.type() != onnx_import::kFloat)
    return values;
  values.resize(host.size());
  std::memcpy(values.data(), host.bytes().data(), values.size() * sizeof(float));
  return values;
}

std::string cambrian::quant::loadModelGraph(llvm::StringRef path,
                                            const CompileOptions &compile,
                                            ModelGraph &g) {
  g.path = path.str();
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return "cannot read '" + path.str() + "': " + buffer.getError().message();
  std::string err = onnx_import::parseModel(
      (*buffer)->getBuffer(), path.ends_with(".onnxtxt"), g.model);
  if (!err.empty())
    return "'" + path.str() + "': " + err;
  onnx::GraphProto &graph = *g.model.mutable_graph();
  llvm::SmallString<128> baseDir(path);
  llvm::sys::path::remove_filename(baseDir);

  for (onnx::TensorProto &t : *graph.mutable_initializer()) {
    err = inlineExternalData(t, baseDir);
    if (!err.empty())
      return "initializer '" + t.name() + "': " + err;
  }
  // Constant nodes become initializers, so that weights written either way
  // are quantized alike.
  google::protobuf::RepeatedPtrField<onnx::NodeProto> kept;
  for (onnx::NodeProto &n : *graph.mutable_node()) {
    if (n.op_type() == "Constant" && n.domain().empty() &&
        n.output_size() == 1 && n.attribute_size() == 1 &&
        n.attribute(0).name() == "value" && n.attribute(0).has_t()) {
      onnx::TensorProto *t = graph.add_initializer();
      *t = n.attribute(0).t();
      t->set_name(n.output(0));
      err = inlineExternalData(*t, baseDir);
      if (!err.empty())
        return "node '" + n.name() + "': " + err;
      continue;
    }
    *kept.Add() = std::move(n);
  }
  graph.mutable_node()->Swap(&kept);

  std::set<std::string> names;
  for (const onnx::NodeProto &n : graph.node())
    names.insert(n.name());
  for (int i = 0; i < graph.node_size(); ++i) {
    onnx::NodeProto &n = *graph.mutable_node(i);
    if (!n.name().empty())
      continue;
    std::string name = n.op_type() + "_" + std::to_string(i);
    while (names.count(name))
      name += "_";
    names.insert(name);
    n.set_name(name);
  }

  for (const onnx::NodeProto &n : graph.node())
    if (n.op_type() == "QuantizeLinear" || n.op_type() == "DequantizeLinear" ||
        llvm::StringRef(n.op_type()).starts_with("QLinear") ||
        llvm::StringRef(n.op_type()).ends_with("Integer"))
      return "'" + path.str() + "' is already quantized (node '" + n.name() +
             "' is " + n.op_type() + "); compile it without --quantize";

  for (int i = 0; i < graph.initializer_size(); ++i)
    g.initializers[graph.initializer(i).name()] = i;
  for (const onnx::ValueInfoProto &in : graph.input()) {
    if (g.initializers.count(in.name()) ||
        compile.import.boundInputs.count(in.name()))
      continue;
    ModelInput mi;
    mi.name = in.name();
    const auto &tt = in.type().tensor_type();
    mi.elemType = tt.elem_type();
    mi.rankKnown = tt.has_shape();
    for (const auto &d : tt.shape().dim())
      mi.shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    g.inputs.push_back(std::move(mi));
    g.dynamic.insert(in.name());
  }
  for (const onnx::ValueInfoProto &out : graph.output())
    g.graphOutputs.insert(out.name());
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &n = graph.node(i);
    // A node with a subgraph may read fed tensors without naming them.
    bool dyn = llvm::any_of(n.attribute(), [](const onnx::AttributeProto &a) {
      return a.has_g() || a.graphs_size();
    });
    for (const std::string &in : n.input()) {
      if (in.empty())
        continue;
      g.consumers[in].push_back(i);
      dyn |= g.dynamic.count(in) > 0;
    }
    for (const std::string &out : n.output()) {
      if (out.empty())
        continue;
      g.producer[out] = i;
      if (dyn)
        g.dynamic.insert(out);
    }
  }
  return "";
}

std::string cambrian::quant::writeModel(const onnx::ModelProto &model,
                                        const std::string &path) {
  std::ofstream os(path, std::ios::binary | std::ios::trunc);
  if (!os || !model.SerializeToOstream(&os) || !os.flush())
    return "cannot write '" + path + "'";
  return "";
}
