//===- ControlFlow.cpp - If, Loop and Scan --------------------------------===//
//
// If with a condition known at compile time imports the taken branch inline;
// otherwise both branches become the regions of an scf.if, which then must
// produce the same types. Loop and Scan are unrolled: their trip counts are
// compile-time facts under static shapes (a scan output's length is the trip
// count), and unrolling lets the body's index arithmetic fold, so each
// iteration becomes straight-line code. A loop whose continuation condition
// is only known at run time is refused with a clear message.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/GraphImporter.h"
#include "lib/Import/Ops/OpHelpers.h"

#include "onnx/onnx_pb.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

/// Unrolling stops with an error beyond this many iterations.
constexpr int64_t kMaxUnrolledIterations = 4096;

FailureOr<const onnx::GraphProto *> graphAttr(NodeContext &nc,
                                              StringRef name) {
  const onnx::AttributeProto *a = nc.attr(name);
  if (!a || !a->has_g())
    return nc.emitError() << "missing graph attribute '" << name << "'";
  return &a->g();
}

ImportedValue constantValue(HostTensor t) {
  ImportedValue v;
  v.type = t.type();
  v.shape.assign(t.shape().begin(), t.shape().end());
  v.constant = std::make_shared<HostTensor>(std::move(t));
  return v;
}

/// Stacks per-iteration values of equal shape along a new axis `axis`.
FailureOr<Value> stack(NodeContext &nc, ArrayRef<ImportedValue> items,
                       int64_t axis, bool reverse, StringRef what) {
  TensorBuilder tb = nc.tb();
  SmallVector<Value> parts;
  for (size_t i = 0; i < items.size(); ++i) {
    const ImportedValue &it = items[reverse ? items.size() - 1 - i : i];
    if (it.shape != items[0].shape || it.type != items[0].type)
      return nc.emitError() << what << " changes shape or type between "
                                       "iterations";
    ImportedValue copy = it;
    Value v = nc.graph().materialize(copy, what, nc.builder(), nc.loc());
    SmallVector<int64_t> s(it.shape.begin(), it.shape.end());
    s.insert(s.begin() + axis, 1);
    parts.push_back(tb.reshape(v, s));
  }
  return parts.size() == 1 ? parts[0] : tb.concat(parts, axis);
}

/// If (1, 11, 13, 16, 19, 21, 23, 24, 25).
LogicalResult importIf(NodeContext &nc) {
  auto thenG = graphAttr(nc, "then_branch"), elseG = graphAttr(nc, "else_branch");
  if (failed(thenG) || failed(elseG))
    return failure();
  if (nc.inputType(0) != kBool || numElements(nc.inputShape(0)) != 1)
    return nc.emitError() << "cond must be a single bool";
  GraphImporter &g = nc.graph();
  if (const HostTensor *c = nc.constantInput(0)) {
    auto outs = g.importSubgraph(c->getInt(0) ? **thenG : **elseG, {},
                                 nc.builder());
    if (failed(outs))
      return failure();
    if (outs->size() != nc.numOutputs())
      return nc.emitError() << "the branch has " << outs->size()
                            << " outputs, the node " << nc.numOutputs();
    for (unsigned i = 0; i < outs->size(); ++i)
      nc.setResult(i, (*outs)[i]);
    return success();
  }

  // Both branches into the regions of one scf.if.
  OpBuilder &b = nc.builder();
  Location loc = nc.loc();
  Value condT = nc.operand(0);
  SmallVector<Value> zeros(
      nc.inputShape(0).size(), arith::ConstantIndexOp::create(b, loc, 0));
  Value cond = tensor::ExtractOp::create(b, loc, condT, zeros);
  auto tmp = scf::IfOp::create(b, loc, TypeRange{}, cond, /*withElse=*/true);
  SmallVector<SmallVector<ImportedValue>> branchOuts;
  for (auto [region, graph] :
       {std::pair(&tmp.getThenRegion(), *thenG),
        std::pair(&tmp.getElseRegion(), *elseG)}) {
    Block &block = region->front();
    OpBuilder rb(block.getTerminator());
    auto outs = g.importSubgraph(*graph, {}, rb);
    if (failed(outs))
      return failure();
    SmallVector<Value> yielded;
    for (ImportedValue &v : *outs)
      yielded.push_back(g.materialize(v, "branch output", rb, loc));
    block.getTerminator()->erase();
    rb.setInsertionPointToEnd(&block);
    scf::YieldOp::create(rb, loc, yielded);
    branchOuts.push_back(std::move(*outs));
  }
  if (branchOuts[0].size() != nc.numOutputs() ||
      branchOuts[1].size() != nc.numOutputs())
    return nc.emitError() << "the branches must produce " << nc.numOutputs()
                          << " outputs each";
  SmallVector<Type> types;
  for (unsigned i = 0; i < nc.numOutputs(); ++i) {
    const ImportedValue &t = branchOuts[0][i], &e = branchOuts[1][i];
    if (t.shape != e.shape || t.type != e.type)
      return nc.emitError() << "output " << i << " differs in shape or type "
                               "between the branches; Cambrian compiles "
                               "static shapes";
    types.push_back(
        RankedTensorType::get(t.shape, mlirElementType(nc.context(), t.type)));
  }
  auto ifOp = scf::IfOp::create(b, loc, types, cond, /*withElse=*/true);
  ifOp.getThenRegion().takeBody(tmp.getThenRegion());
  ifOp.getElseRegion().takeBody(tmp.getElseRegion());
  tmp.erase();
  for (unsigned i = 0; i < nc.numOutputs(); ++i)
    nc.setResult(i, ifOp.getResult(i), branchOuts[0][i].type);
  return success();
}

/// Loop (1, 11, 13, 16, 19, 21, 23, 24, 25), unrolled.
LogicalResult importLoop(NodeContext &nc) {
  auto body = graphAttr(nc, "body");
  if (failed(body))
    return failure();
  std::optional<int64_t> tripCount;
  if (nc.hasInput(0)) {
    auto m = nc.requireConstantInts(0, "the trip count M");
    if (failed(m))
      return failure();
    tripCount = m->at(0);
  }
  bool cond = true;
  if (nc.hasInput(1)) {
    auto c = nc.requireConstant(1, "the loop condition");
    if (failed(c))
      return failure();
    cond = (*c)->getInt(0) != 0;
  }
  unsigned numCarried = nc.numInputs() - 2;
  if ((*body)->output_size() < (int)numCarried + 1)
    return nc.emitError() << "the body has too few outputs";
  unsigned numScan = (*body)->output_size() - 1 - numCarried;
  SmallVector<ImportedValue> carried;
  for (unsigned i = 0; i < numCarried; ++i)
    carried.push_back(nc.input(2 + i));
  SmallVector<SmallVector<ImportedValue>> scans(numScan);
  int64_t iter = 0;
  for (; cond && (!tripCount || iter < *tripCount); ++iter) {
    if (iter >= kMaxUnrolledIterations)
      return nc.emitError() << "more than " << kMaxUnrolledIterations
                            << " iterations; Cambrian unrolls loops";
    SmallVector<ImportedValue> inputs = {
        constantValue(HostTensor::fromInts(kInt64, {}, {iter})),
        constantValue(HostTensor::fromInts(kBool, {}, {1}))};
    inputs.append(carried.begin(), carried.end());
    auto outs = nc.graph().importSubgraph(**body, inputs, nc.builder());
    if (failed(outs))
      return failure();
    const ImportedValue &condOut = (*outs)[0];
    if (!condOut.constant)
      return nc.emitError() << "the loop's continuation condition is only "
                               "known at run time; Cambrian unrolls loops and "
                               "needs it at compile time";
    cond = condOut.constant->getInt(0) != 0;
    for (unsigned i = 0; i < numCarried; ++i) {
      const ImportedValue &next = (*outs)[1 + i];
      if (next.shape != carried[i].shape || next.type != carried[i].type)
        return nc.emitError() << "loop-carried value " << i
                              << " changes shape or type";
      carried[i] = next;
    }
    for (unsigned k = 0; k < numScan; ++k)
      scans[k].push_back((*outs)[1 + numCarried + k]);
  }
  for (unsigned i = 0; i < numCarried; ++i)
    nc.setResult(i, carried[i]);
  for (unsigned k = 0; k < numScan; ++k) {
    if (scans[k].empty())
      return nc.emitError() << "the loop runs no iteration, so scan output "
                            << k << " has no known element shape";
    auto v = stack(nc, scans[k], 0, false, "scan output");
    if (failed(v))
      return failure();
    nc.setResult(numCarried + k, *v, scans[k][0].type);
  }
  return success();
}

/// Scan (9, 11, 16, 19, 21, 23, 24, 25), unrolled over the scanned axis.
LogicalResult importScan(NodeContext &nc) {
  auto body = graphAttr(nc, "body");
  if (failed(body))
    return failure();
  int64_t numScanIn = nc.attrInt("num_scan_inputs", 0);
  unsigned numIn = nc.numInputs();
  if (numScanIn <= 0 || numScanIn > (int64_t)numIn)
    return nc.emitError() << "num_scan_inputs must be in 1.." << numIn;
  unsigned numState = numIn - numScanIn;
  unsigned numScanOut = (*body)->output_size() - numState;
  auto readAxes = [&](StringRef name, unsigned n) {
    std::vector<int64_t> v = nc.attrInts(name);
    if (v.empty())
      v.assign(n, 0);
    return v;
  };
  std::vector<int64_t> inAxes = readAxes("scan_input_axes", numScanIn),
                       inDirs = readAxes("scan_input_directions", numScanIn),
                       outAxes = readAxes("scan_output_axes", numScanOut),
                       outDirs = readAxes("scan_output_directions", numScanOut);
  if (inAxes.size() != (size_t)numScanIn || inDirs.size() != (size_t)numScanIn ||
      outAxes.size() != numScanOut || outDirs.size() != numScanOut)
    return nc.emitError() << "scan axes/directions do not match the inputs "
                             "and outputs";
  int64_t length = -1;
  for (int64_t j = 0; j < numScanIn; ++j) {
    ArrayRef<int64_t> s = nc.inputShape(numState + j);
    auto a = nc.normalizeAxis(inAxes[j], s.size());
    if (failed(a))
      return failure();
    inAxes[j] = *a;
    if (length >= 0 && s[*a] != length)
      return nc.emitError() << "scan inputs differ in length";
    length = s[*a];
  }
  if (length > kMaxUnrolledIterations)
    return nc.emitError() << "more than " << kMaxUnrolledIterations
                          << " iterations; Cambrian unrolls loops";
  TensorBuilder tb = nc.tb();
  SmallVector<ImportedValue> state;
  for (unsigned i = 0; i < numState; ++i)
    state.push_back(nc.input(i));
  SmallVector<Value> scanIn;
  for (int64_t j = 0; j < numScanIn; ++j)
    scanIn.push_back(nc.operand(numState + j));
  SmallVector<SmallVector<ImportedValue>> scans(numScanOut);
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<ImportedValue> inputs(state);
    for (int64_t j = 0; j < numScanIn; ++j) {
      // Element t (or length-1-t backwards) of the scanned axis.
      int64_t pos = inDirs[j] ? length - 1 - t : t;
      ArrayRef<int64_t> s = nc.inputShape(numState + j);
      SmallVector<int64_t> off(s.size(), 0), size(s), step(s.size(), 1),
          squeezed;
      off[inAxes[j]] = pos;
      size[inAxes[j]] = 1;
      for (size_t d = 0; d < s.size(); ++d)
        if ((int64_t)d != inAxes[j])
          squeezed.push_back(s[d]);
      ImportedValue v;
      v.type = nc.inputType(numState + j);
      v.shape.assign(squeezed.begin(), squeezed.end());
      v.value = tb.reshape(tb.slice(scanIn[j], off, size, step), squeezed);
      inputs.push_back(v);
    }
    auto outs = nc.graph().importSubgraph(**body, inputs, nc.builder());
    if (failed(outs))
      return failure();
    for (unsigned i = 0; i < numState; ++i) {
      if ((*outs)[i].shape != state[i].shape)
        return nc.emitError() << "state " << i << " changes shape";
      state[i] = (*outs)[i];
    }
    for (unsigned k = 0; k < numScanOut; ++k)
      scans[k].push_back((*outs)[numState + k]);
  }
  for (unsigned i = 0; i < numState; ++i)
    nc.setResult(i, state[i]);
  for (unsigned k = 0; k < numScanOut; ++k) {
    if (scans[k].empty())
      return nc.emitError() << "scan output " << k << " would be empty";
    auto axis = nc.normalizeAxis(outAxes[k], scans[k][0].shape.size() + 1);
    if (failed(axis))
      return failure();
    auto v = stack(nc, scans[k], *axis, outDirs[k] != 0, "scan output");
    if (failed(v))
      return failure();
    nc.setResult(numState + k, *v, scans[k][0].type);
  }
  return success();
}

} // namespace

void cambrian::onnx_import::registerControlFlow(OpRegistry &r) {
  r.add("", "If", 1, importIf, OpFlag::MovesSmallTypes);
  r.add("", "Loop", 1, importLoop, OpFlag::MovesSmallTypes);
  // Scan-8 (batched, with a sequence_lens input) is not implemented.
  r.add("", "Scan", 9, importScan, OpFlag::MovesSmallTypes);
}
