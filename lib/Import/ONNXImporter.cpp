//===- ONNXImporter.cpp - ONNX models into MLIR ---------------------------===//

#include "cambrian/Import/ONNXImporter.h"
#include "dialects/Cambrian/CambrianDialect.h"
#include "lib/Import/GraphImporter.h"
#include "lib/Import/ModelLoader.h"
#include "lib/Import/OpRegistry.h"
#include "lib/Import/SmallTypes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace cambrian;
using namespace cambrian::onnx_import;

void cambrian::registerImportDialects(DialectRegistry &registry) {
  registry.insert<cmb::CambrianDialect, arith::ArithDialect, func::FuncDialect,
                  linalg::LinalgDialect, math::MathDialect, scf::SCFDialect,
                  tensor::TensorDialect>();
}

std::vector<std::pair<std::string, std::string>> cambrian::supportedONNXOps() {
  return OpRegistry::get().ops();
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(ModuleOp module, StringRef sourceName,
                             StringRef baseDir,
                             std::shared_ptr<const void> keepAlive,
                             const ImportOptions &options)
    : module(module), source(sourceName.str()), dir(baseDir.str()),
      alive(std::move(keepAlive)), options(options) {}

Location GraphImporter::fileLoc() const {
  return FileLineColLoc::get(module.getContext(), source, 0, 0);
}

ImportedValue *GraphImporter::lookup(StringRef name) {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

/// Blob names must be valid identifiers in the textual IR's resource section.
static std::string blobName(StringRef tensorName) {
  std::string s;
  for (char c : tensorName)
    s += (llvm::isAlnum(c) || c == '_' || c == '.') ? c : '_';
  if (s.empty() || !llvm::isAlpha(s[0]))
    s = "w_" + s;
  return s;
}

/// Dense attribute for host data; large tensors become dense resources so
/// that weights never travel through textual IR.
static ElementsAttr constantAttr(MLIRContext *ctx, const HostTensor &t,
                                 StringRef name) {
  Type elem = mlirElementType(ctx, t.type());
  auto type = RankedTensorType::get(t.shape(), elem);
  if (t.type() == kBool) {
    SmallVector<bool> bits;
    for (int64_t i = 0, e = t.size(); i < e; ++i)
      bits.push_back(t.getInt(i) != 0);
    return DenseElementsAttr::get(type, ArrayRef<bool>(bits));
  }
  if (t.size() <= 16) {
    bool detectedSplat = false;
    if (DenseElementsAttr::isValidRawBuffer(type, t.bytes(), detectedSplat))
      return DenseElementsAttr::getFromRawBuffer(type, t.bytes());
  }
  int64_t align = std::max<int64_t>(onnxTypeSize(t.type()), 1);
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      t.bytes(), align, /*dataIsMutable=*/false);
  return DenseResourceElementsAttr::get(type, blobName(name), std::move(blob));
}

Value GraphImporter::materialize(ImportedValue &v, StringRef name, OpBuilder &b,
                                 Location loc) {
  if (v.value)
    return v.value;
  assert(v.constant && "value neither materialised nor constant");
  ElementsAttr attr = constantAttr(b.getContext(), *v.constant, name);
  v.value = arith::ConstantOp::create(b, loc, cast<TypedAttr>(attr));
  return v.value;
}

LogicalResult
GraphImporter::importInput(const onnx::ValueInfoProto &info,
                           SmallVectorImpl<Type> &types,
                           SmallVectorImpl<int32_t> &onnxTypes) {
  MLIRContext *ctx = module.getContext();
  const std::string &name = info.name();
  if (!info.type().has_tensor_type())
    return emitError(fileLoc())
           << "graph input '" << name
           << "' is not a tensor (sequences, maps and optionals are unsupported)";
  const auto &tt = info.type().tensor_type();
  int32_t type = tt.elem_type();
  Type elem = mlirElementType(ctx, type);
  if (!elem)
    return emitError(fileLoc()) << "graph input '" << name
                                << "' has unsupported element type "
                                << onnxTypeName(type);
  SmallVector<int64_t, 4> shape;
  auto pinned = options.inputShapes.find(name);
  if (pinned != options.inputShapes.end()) {
    shape.assign(pinned->second.begin(), pinned->second.end());
    if (tt.has_shape()) {
      if (tt.shape().dim_size() != (int)shape.size())
        return emitError(fileLoc())
               << "--input-shape for '" << name << "' has rank " << shape.size()
               << " but the model declares rank " << tt.shape().dim_size();
      for (int i = 0; i < tt.shape().dim_size(); ++i) {
        const auto &d = tt.shape().dim(i);
        if (d.has_dim_value() && d.dim_value() != shape[i])
          return emitError(fileLoc())
                 << "--input-shape for '" << name << "' sets dimension " << i
                 << " to " << shape[i] << " but the model fixes it to "
                 << d.dim_value();
      }
    }
  } else {
    if (!tt.has_shape())
      return emitError(fileLoc())
             << "graph input '" << name
             << "' has no shape; give one with --input-shape " << name
             << "=D0xD1x...";
    for (int i = 0; i < tt.shape().dim_size(); ++i) {
      const auto &d = tt.shape().dim(i);
      if (!d.has_dim_value() || d.dim_value() < 0) {
        std::string sym = d.has_dim_param() ? "'" + d.dim_param() + "'" : "?";
        return emitError(fileLoc())
               << "graph input '" << name << "' has dynamic dimension " << i
               << " (" << sym
               << "); Cambrian compiles static shapes: pin it with "
                  "--input-shape "
               << name << "=D0xD1x...";
      }
      shape.push_back(d.dim_value());
    }
  }
  types.push_back(RankedTensorType::get(shape, elem));
  onnxTypes.push_back(type);
  ImportedValue v;
  v.type = type;
  v.shape = shape;
  values[name] = std::move(v);
  return success();
}

LogicalResult GraphImporter::bindInput(const onnx::ValueInfoProto &info,
                                       const BoundInput &bound) {
  const std::string &name = info.name();
  if (info.type().has_tensor_type()) {
    const auto &tt = info.type().tensor_type();
    if (tt.elem_type() != bound.elemType)
      return emitError(fileLoc())
             << "--bind-input '" << name << "': the value is "
             << onnxTypeName(bound.elemType) << " but the input is declared "
             << onnxTypeName(tt.elem_type());
    bool mismatch = tt.has_shape() &&
                    tt.shape().dim_size() != (int)bound.shape.size();
    for (int i = 0; !mismatch && tt.has_shape() && i < tt.shape().dim_size();
         ++i)
      mismatch = tt.shape().dim(i).has_dim_value() &&
                 tt.shape().dim(i).dim_value() != bound.shape[i];
    if (mismatch)
      return emitError(fileLoc()) << "--bind-input '" << name
                                  << "': the value's shape differs from the "
                                     "input's declared shape";
  }
  if (!mlirElementType(module.getContext(), bound.elemType))
    return emitError(fileLoc()) << "--bind-input '" << name
                                << "': unsupported element type "
                                << onnxTypeName(bound.elemType);
  int64_t bytes = numElements(bound.shape) * onnxTypeSize(bound.elemType);
  if (bytes != (int64_t)bound.data.size())
    return emitError(fileLoc()) << "--bind-input '" << name << "': "
                                << bound.data.size()
                                << " bytes of data do not fill the shape";
  // The module's constants keep their own copy of the bytes.
  auto storage = std::make_shared<std::vector<char>>(bound.data);
  ImportedValue v;
  v.type = bound.elemType;
  v.shape.assign(bound.shape.begin(), bound.shape.end());
  v.constant = std::make_shared<HostTensor>(HostTensor::borrow(
      bound.elemType, bound.shape, ArrayRef<char>(*storage), storage));
  values[name] = std::move(v);
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node,
                                        unsigned index, OpBuilder &b) {
  MLIRContext *ctx = module.getContext();
  // Unnamed nodes (common in exported models) are named by their output.
  std::string nodeName =
      node.name().empty() ? "#" + std::to_string(index) : node.name();
  Location loc = NameLoc::get(StringAttr::get(ctx, nodeName), fileLoc());
  std::string shown = !node.name().empty() ? "'" + node.name() + "'"
                      : node.output_size() ? "producing '" + node.output(0) + "'"
                                           : "#" + std::to_string(index);
  StringRef domain = node.domain();
  if (domain == "ai.onnx")
    domain = "";
  auto opsetIt = opsets.find(domain);
  if (opsetIt == opsets.end())
    return emitError(loc) << "node " << shown << " (" << node.op_type()
                          << "): the model imports no opset for domain '"
                          << domain << "'";
  int64_t opset = opsetIt->second;
  bool known = false;
  const OpRegistry &registry = OpRegistry::get();
  const OpEntry *entry = registry.lookup(domain, node.op_type(), opset, known);
  std::string qualified =
      domain.empty() ? node.op_type() : (domain + "." + node.op_type()).str();
  if (!entry) {
    if (known)
      return emitError(loc)
             << "node " << shown << " (" << qualified << ", opset " << opset
             << "): Cambrian does not support this op at this opset (only "
                "from opset "
             << registry.sinceVersions(domain, node.op_type()).front()
             << " on)";
    return emitError(loc) << "node " << shown << " (" << qualified
                          << ", opset " << opset
                          << "): unsupported op '" << qualified << "'";
  }
  for (int i = 0; i < node.input_size(); ++i) {
    if (node.input(i).empty())
      continue;
    if (!lookup(node.input(i)))
      return emitError(loc) << "node " << shown << " (" << qualified
                            << ", opset " << opset << "): input '"
                            << node.input(i)
                            << "' is not defined before the node (the graph "
                               "is not topologically sorted, or the name is "
                               "wrong)";
  }
  // Byte-stored small types (float8, int4, ...) only move and convert;
  // arithmetic on their storage would be silently wrong.
  if (!entry->has(OpFlag::MovesSmallTypes))
    for (int i = 0; i < node.input_size(); ++i)
      if (!node.input(i).empty() && isSmallType(lookup(node.input(i))->type))
        return emitError(loc) << "node " << shown << " (" << qualified
                              << ", opset " << opset << "): element type "
                              << onnxTypeName(lookup(node.input(i))->type)
                              << " is not supported by this op";
  NodeContext nc(*this, node, opset, b, loc);
  if (failed(entry->handler(nc)))
    return failure();
  for (int i = 0; i < node.output_size(); ++i)
    if (!node.output(i).empty() && !lookup(node.output(i)))
      return nc.emitError() << "output " << i << " ('" << node.output(i)
                            << "') is not produced by Cambrian's handler";
  return success();
}

FailureOr<SmallVector<ImportedValue>>
GraphImporter::importSubgraph(const onnx::GraphProto &graph,
                              ArrayRef<ImportedValue> inputs, OpBuilder &b) {
  if (graph.input_size() != (int)inputs.size())
    return emitError(fileLoc()) << "subgraph '" << graph.name() << "' takes "
                                << graph.input_size() << " inputs, given "
                                << inputs.size();
  llvm::StringMap<ImportedValue> saved = values;
  llvm::scope_exit restore([&] { values = std::move(saved); });
  for (const auto &init : graph.initializer()) {
    HostTensor t;
    std::string err = decodeTensorProto(init, dir, alive, t);
    if (!err.empty())
      return emitError(fileLoc()) << "subgraph initializer: " << err;
    ImportedValue v;
    v.type = t.type();
    v.shape.assign(t.shape().begin(), t.shape().end());
    v.constant = std::make_shared<HostTensor>(std::move(t));
    values[init.name()] = std::move(v);
  }
  for (int i = 0; i < graph.input_size(); ++i)
    values[graph.input(i).name()] = inputs[i];
  for (int i = 0; i < graph.node_size(); ++i)
    if (failed(importNode(graph.node(i), i, b)))
      return failure();
  SmallVector<ImportedValue> outputs;
  for (const auto &out : graph.output()) {
    ImportedValue *v = lookup(out.name());
    if (!v)
      return emitError(fileLoc()) << "subgraph output '" << out.name()
                                  << "' is never produced";
    outputs.push_back(*v);
  }
  return outputs;
}

LogicalResult GraphImporter::importModel(const onnx::ModelProto &model) {
  MLIRContext *ctx = module.getContext();
  for (const auto &op : model.opset_import()) {
    std::string domain = op.domain() == "ai.onnx" ? "" : op.domain();
    opsets[domain] = op.version();
  }
  if (!opsets.count(""))
    // IR version 3+ must declare it; older files default to opset 1.
    return emitError(fileLoc()) << "the model imports no default-domain "
                                   "(ai.onnx) opset";
  int64_t opset = opsets[""];
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(fileLoc())
           << "default-domain opset " << opset << " is outside the range "
           << kMinOpset << ".." << kMaxOpset << " that Cambrian supports";

  const onnx::GraphProto &graph = model.graph();
  module->setAttr(cmb::CambrianDialect::kModelAttrName,
                  StringAttr::get(ctx, source));

  // Initializers are known constants.
  for (const auto &init : graph.initializer()) {
    HostTensor t;
    std::string err = decodeTensorProto(init, dir, alive, t);
    if (!err.empty())
      return emitError(fileLoc()) << "initializer: " << err;
    if (!mlirElementType(ctx, t.type()))
      return emitError(fileLoc()) << "initializer '" << init.name()
                                  << "' has unsupported element type "
                                  << onnxTypeName(t.type());
    ImportedValue v;
    v.type = t.type();
    v.shape.assign(t.shape().begin(), t.shape().end());
    v.constant = std::make_shared<HostTensor>(std::move(t));
    values[init.name()] = std::move(v);
  }

  // Graph inputs that are not initializers become function arguments.
  SmallVector<Type> argTypes;
  SmallVector<int32_t> argOnnxTypes;
  SmallVector<std::string> argNames;
  for (const auto &bound : options.boundInputs) {
    bool isInput = llvm::any_of(graph.input(), [&](const auto &in) {
      return in.name() == bound.getKey();
    });
    if (!isInput)
      return emitError(fileLoc()) << "--bind-input '" << bound.getKey()
                                  << "': the model has no input of that name";
  }
  for (const auto &in : graph.input()) {
    if (values.count(in.name()))
      continue;
    auto bound = options.boundInputs.find(in.name());
    if (bound != options.boundInputs.end()) {
      if (failed(bindInput(in, bound->second)))
        return failure();
      continue;
    }
    if (failed(importInput(in, argTypes, argOnnxTypes)))
      return failure();
    argNames.push_back(in.name());
  }

  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  auto func = func::FuncOp::create(b, fileLoc(), options.entryName,
                                   b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (size_t i = 0; i < argNames.size(); ++i)
    values[argNames[i]].value = entry->getArgument(i);
  b.setInsertionPointToStart(entry);

  for (int i = 0; i < graph.node_size(); ++i)
    if (failed(importNode(graph.node(i), i, b)))
      return failure();

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  SmallVector<cmb::TensorSpecAttr> inputDescs, outputDescs;
  // The element type the caller sees is the ONNX one: MLIR's integer types
  // drop signedness, and small float types are stored as bytes.
  auto describe = [&](StringRef name, int32_t type, ArrayRef<int64_t> shape)
      -> cmb::TensorSpecAttr {
    std::optional<cmb::ElementType> elem = cmb::symbolizeElementType(type);
    if (!elem) {
      emitError(fileLoc()) << "'" << name << "' has element type "
                           << onnxTypeName(type)
                           << ", which a module cannot pass";
      return {};
    }
    return cmb::TensorSpecAttr::getChecked(
        [&] { return emitError(fileLoc()); }, ctx, name, *elem, shape);
  };
  for (size_t i = 0; i < argNames.size(); ++i) {
    inputDescs.push_back(describe(argNames[i], argOnnxTypes[i],
                                  cast<RankedTensorType>(argTypes[i]).getShape()));
    if (!inputDescs.back())
      return failure();
  }
  for (const auto &out : graph.output()) {
    ImportedValue *v = lookup(out.name());
    if (!v)
      return emitError(fileLoc())
             << "graph output '" << out.name() << "' is never produced";
    if (out.type().has_tensor_type()) {
      const auto &tt = out.type().tensor_type();
      if (tt.elem_type() != 0 && tt.elem_type() != v->type)
        return emitError(fileLoc())
               << "graph output '" << out.name() << "' is declared "
               << onnxTypeName(tt.elem_type()) << " but computes "
               << onnxTypeName(v->type);
      if (tt.has_shape()) {
        bool mismatch = tt.shape().dim_size() != (int)v->shape.size();
        for (int d = 0; !mismatch && d < tt.shape().dim_size(); ++d)
          mismatch = tt.shape().dim(d).has_dim_value() &&
                     tt.shape().dim(d).dim_value() != v->shape[d];
        if (mismatch) {
          std::string have;
          for (int64_t d : v->shape)
            have += (have.empty() ? "" : "x") + std::to_string(d);
          return emitError(fileLoc())
                 << "graph output '" << out.name()
                 << "' has a declared shape that differs from the computed "
                    "one ("
                 << (have.empty() ? "scalar" : have) << ")";
        }
      }
    }
    Value r = materialize(*v, out.name(), b, fileLoc());
    results.push_back(r);
    resultTypes.push_back(r.getType());
    outputDescs.push_back(describe(out.name(), v->type, v->shape));
    if (!outputDescs.back())
      return failure();
  }
  func::ReturnOp::create(b, fileLoc(), results);
  func.setFunctionType(b.getFunctionType(argTypes, resultTypes));
  auto signature = cmb::SignatureAttr::getChecked(
      [&] { return emitError(fileLoc()); }, ctx,
      ArrayRef<cmb::TensorSpecAttr>(inputDescs),
      ArrayRef<cmb::TensorSpecAttr>(outputDescs));
  if (!signature)
    return failure();
  module->setAttr(cmb::CambrianDialect::kSignatureAttrName, signature);
  module->setAttr(cmb::CambrianDialect::kFormatVersionAttrName,
                  b.getI64IntegerAttr(cmb::CambrianDialect::kFormatVersion));
  return success();
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp>
cambrian::importONNXBuffer(MLIRContext &ctx, StringRef contents,
                           StringRef sourceName, StringRef baseDir,
                           const ImportOptions &options) {
  {
    DialectRegistry registry;
    registerImportDialects(registry);
    ctx.appendDialectRegistry(registry);
    ctx.loadAllAvailableDialects();
  }
  auto model = std::make_shared<onnx::ModelProto>();
  bool preferText = sourceName.ends_with(".onnxtxt");
  std::string err = parseModel(contents, preferText, *model);
  Location loc = FileLineColLoc::get(&ctx, sourceName, 0, 0);
  if (!err.empty()) {
    emitError(loc) << err;
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc);
  GraphImporter importer(*module, sourceName, baseDir, model, options);
  try {
    if (failed(importer.importModel(*model)))
      return nullptr;
  } catch (const std::exception &e) {
    // libonnx reports some malformed input by throwing.
    emitError(loc) << "malformed model: " << e.what();
    return nullptr;
  }
  return module;
}

OwningOpRef<ModuleOp> cambrian::importONNXFile(MLIRContext &ctx,
                                               StringRef path,
                                               const ImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(FileLineColLoc::get(&ctx, path, 0, 0))
        << "cannot read the model: " << buffer.getError().message();
    return nullptr;
  }
  StringRef dir = llvm::sys::path::parent_path(path);
  return importONNXBuffer(ctx, (*buffer)->getBuffer(), path,
                          dir.empty() ? "." : dir, options);
}
