//===- NodeContext.cpp - What an op handler sees of its node --------------===//

#include "lib/Import/NodeContext.h"
#include "lib/Import/GraphImporter.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace cambrian::onnx_import;

NodeContext::NodeContext(GraphImporter &graph, const onnx::NodeProto &node,
                         int64_t opset, OpBuilder &b, Location loc)
    : graph_(graph), node_(node), opset_(opset), b_(b), loc_(loc) {}

StringRef NodeContext::opType() const { return node_.op_type(); }

unsigned NodeContext::numInputs() const { return node_.input_size(); }

bool NodeContext::hasInput(unsigned i) const {
  return i < (unsigned)node_.input_size() && !node_.input(i).empty();
}

const ImportedValue &NodeContext::input(unsigned i) {
  assert(hasInput(i) && "asked for an absent input");
  return *graph_.lookup(node_.input(i));
}

Value NodeContext::operand(unsigned i) {
  ImportedValue *v = graph_.lookup(node_.input(i));
  return graph_.materialize(*v, node_.input(i), b_, loc_);
}

const HostTensor *NodeContext::constantInput(unsigned i) {
  if (!hasInput(i))
    return nullptr;
  return graph_.lookup(node_.input(i))->constant.get();
}

FailureOr<const HostTensor *> NodeContext::requireConstant(unsigned i,
                                                           StringRef what) {
  const HostTensor *t = constantInput(i);
  if (!t) {
    emitError() << what << " (input " << i << ", '"
                << (hasInput(i) ? node_.input(i) : std::string())
                << "') must be known at compile time; Cambrian compiles "
                   "static shapes";
    return failure();
  }
  return t;
}

FailureOr<std::vector<int64_t>>
NodeContext::requireConstantInts(unsigned i, StringRef what) {
  auto t = requireConstant(i, what);
  if (failed(t))
    return failure();
  return (*t)->toInts();
}

Value NodeContext::materializeConstant(const HostTensor &t, StringRef nameHint) {
  ImportedValue v;
  v.type = t.type();
  v.shape.assign(t.shape().begin(), t.shape().end());
  v.constant = std::make_shared<HostTensor>(t);
  return graph_.materialize(v, nameHint, b_, loc_);
}

bool NodeContext::allInputsConstant() {
  for (unsigned i = 0; i < numInputs(); ++i)
    if (hasInput(i) && !constantInput(i))
      return false;
  return true;
}

const onnx::AttributeProto *NodeContext::attr(StringRef name) const {
  for (const auto &a : node_.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

int64_t NodeContext::attrInt(StringRef name, int64_t dflt) const {
  const auto *a = attr(name);
  return a ? a->i() : dflt;
}

double NodeContext::attrFloat(StringRef name, double dflt) const {
  const auto *a = attr(name);
  return a ? a->f() : dflt;
}

std::string NodeContext::attrString(StringRef name, StringRef dflt) const {
  const auto *a = attr(name);
  return a ? a->s() : dflt.str();
}

std::vector<int64_t> NodeContext::attrInts(StringRef name,
                                           std::vector<int64_t> dflt) const {
  const auto *a = attr(name);
  if (!a)
    return dflt;
  return std::vector<int64_t>(a->ints().begin(), a->ints().end());
}

std::vector<double> NodeContext::attrFloats(StringRef name) const {
  const auto *a = attr(name);
  if (!a)
    return {};
  return std::vector<double>(a->floats().begin(), a->floats().end());
}

FailureOr<HostTensor> NodeContext::attrTensor(StringRef name) {
  const auto *a = attr(name);
  if (!a || !a->has_t()) {
    emitError() << "attribute '" << name << "' is missing or not a tensor";
    return failure();
  }
  HostTensor t;
  std::string err =
      decodeTensorProto(a->t(), graph_.baseDir(), graph_.keepAlive(), t);
  if (!err.empty()) {
    emitError() << err;
    return failure();
  }
  if (!mlirElementType(context(), t.type())) {
    emitError() << "attribute '" << name << "' has unsupported element type "
                << onnxTypeName(t.type());
    return failure();
  }
  return t;
}

unsigned NodeContext::numOutputs() const { return node_.output_size(); }

bool NodeContext::hasOutput(unsigned i) const {
  return i < (unsigned)node_.output_size() && !node_.output(i).empty();
}

void NodeContext::setResult(unsigned i, Value v, int32_t type) {
  if (!hasOutput(i))
    return;
  ImportedValue iv;
  iv.type = type;
  auto shape = cast<RankedTensorType>(v.getType()).getShape();
  iv.shape.assign(shape.begin(), shape.end());
  iv.value = v;
  graph_.define(node_.output(i), std::move(iv));
}

void NodeContext::setResult(unsigned i, const ImportedValue &v) {
  if (hasOutput(i))
    graph_.define(node_.output(i), v);
}

void NodeContext::setConstantResult(unsigned i, HostTensor t) {
  if (!hasOutput(i))
    return;
  ImportedValue iv;
  iv.type = t.type();
  iv.shape.assign(t.shape().begin(), t.shape().end());
  iv.constant = std::make_shared<HostTensor>(std::move(t));
  graph_.define(node_.output(i), std::move(iv));
}

InFlightDiagnostic NodeContext::emitError() const {
  std::string name = node_.name();
  if (name.empty())
    name = node_.output_size() ? "producing '" + node_.output(0) + "'" : "?";
  else
    name = "'" + name + "'";
  std::string op = node_.domain().empty() || node_.domain() == "ai.onnx"
                       ? node_.op_type()
                       : node_.domain() + "." + node_.op_type();
  return mlir::emitError(loc_) << "node " << name << " (" << op << ", opset "
                               << opset_ << "): ";
}

LogicalResult
NodeContext::checkInputType(unsigned i, std::initializer_list<int32_t> allowed) {
  int32_t t = inputType(i);
  if (llvm::is_contained(allowed, t))
    return success();
  return emitError() << "input " << i << " has element type "
                     << onnxTypeName(t) << ", which Cambrian does not support "
                                           "for this op";
}

FailureOr<int64_t> NodeContext::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1) ||
      (rank == 0 && axis != 0 && axis != -1)) {
    emitError() << "axis " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}
