//===- Einsum.cpp - ONNX Einsum (12) as one linalg.generic ----------------===//
//
// Every distinct label of the equation is one loop: the output's labels are
// parallel, the others reductions. Each operand is read through the map of
// its labels (a label repeated within a term reads a diagonal), the body
// multiplies the operands and accumulates. An ellipsis stands for the
// right-aligned broadcast dims and becomes labels of its own; an operand's
// ellipsis dim of extent 1 broadcasts against the others.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/Ops/OpHelpers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include <map>

using namespace mlir;
using namespace cambrian::onnx_import;

namespace {

LogicalResult importEinsum(NodeContext &nc) {
  std::string eq;
  for (char c : nc.attrString("equation", ""))
    if (c != ' ')
      eq += c;
  unsigned n = nc.numInputs();
  int32_t type = nc.inputType(0);
  for (unsigned i = 1; i < n; ++i)
    if (nc.inputType(i) != type)
      return nc.emitError() << "inputs differ in element type";
  if (type == kBool || !mlirElementType(nc.context(), type))
    return nc.emitError() << "unsupported element type " << onnxTypeName(type);
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  std::optional<std::string> rhs;
  if (arrow != std::string::npos)
    rhs = eq.substr(arrow + 2);
  SmallVector<std::string> terms;
  for (StringRef t : llvm::split(StringRef(lhs), ','))
    terms.push_back(t.str());
  if (terms.size() != n)
    return nc.emitError() << "equation '" << eq << "' has " << terms.size()
                          << " operands, the node " << n;
  // Labels are letters (digits name ellipsis dims below), with at most one
  // ellipsis per term; an output label appears once.
  auto checkTerm = [&](StringRef t, bool isOutput) -> LogicalResult {
    size_t p = t.find("...");
    std::string rest = t.str();
    if (p != StringRef::npos)
      rest.erase(p, 3);
    for (size_t i = 0; i < rest.size(); ++i) {
      if (!isalpha(rest[i]))
        return nc.emitError() << "equation '" << eq << "': '" << rest[i]
                              << "' is not a label (a letter) or an ellipsis";
      if (isOutput && rest.find(rest[i], i + 1) != std::string::npos)
        return nc.emitError() << "equation '" << eq << "': output label '"
                              << rest[i] << "' is repeated";
    }
    return success();
  };
  for (const std::string &t : terms)
    if (failed(checkTerm(t, false)))
      return failure();
  if (rhs && failed(checkTerm(*rhs, true)))
    return failure();

  // Ellipsis dims become labels '0', '1', ... (right-aligned across terms).
  int64_t numEllipsis = 0;
  for (unsigned i = 0; i < n; ++i) {
    size_t p = terms[i].find("...");
    if (p == std::string::npos)
      continue;
    int64_t cnt = (int64_t)nc.inputShape(i).size() - ((int64_t)terms[i].size() - 3);
    if (cnt < 0)
      return nc.emitError() << "term '" << terms[i] << "' has more labels "
                            << "than operand " << i << " has dims";
    numEllipsis = std::max(numEllipsis, cnt);
  }
  auto expand = [&](std::string t, int64_t cnt) {
    size_t p = t.find("...");
    if (p == std::string::npos)
      return t;
    std::string e;
    for (int64_t k = numEllipsis - cnt; k < numEllipsis; ++k)
      e += char('0' + k);
    return t.substr(0, p) + e + t.substr(p + 3);
  };
  for (unsigned i = 0; i < n; ++i) {
    int64_t cnt = (int64_t)nc.inputShape(i).size() - ((int64_t)terms[i].size() - 3);
    terms[i] = expand(terms[i], cnt);
    if (terms[i].size() != nc.inputShape(i).size())
      return nc.emitError() << "term " << i << " of '" << eq << "' does not "
                            << "match the operand's rank";
  }
  // Implicit output: ellipsis dims, then labels used once, alphabetically.
  std::string out;
  if (rhs) {
    out = expand(*rhs, numEllipsis);
  } else {
    for (int64_t k = 0; k < numEllipsis; ++k)
      out += char('0' + k);
    std::map<char, int> uses;
    for (auto &t : terms)
      for (char c : t)
        if (isalpha(c))
          uses[c]++;
    for (auto [c, u] : uses)
      if (u == 1)
        out += c;
  }

  // Extents and loop order: output labels first, then the reduced ones.
  std::map<char, int64_t> extent;
  for (unsigned i = 0; i < n; ++i)
    for (size_t d = 0; d < terms[i].size(); ++d) {
      char c = terms[i][d];
      int64_t e = nc.inputShape(i)[d];
      auto [it, inserted] = extent.insert({c, e});
      if (inserted || it->second == e)
        continue;
      // Ellipsis dims broadcast (numpy rules): an extent of 1 stretches.
      if (isdigit(c) && (it->second == 1 || e == 1)) {
        it->second = std::max(it->second, e);
        continue;
      }
      return nc.emitError() << "label '" << c << "' has extents "
                            << it->second << " and " << e;
    }
  std::string loops = out;
  for (auto [c, e] : extent)
    if (loops.find(c) == std::string::npos)
      loops += c;
  for (char c : out)
    if (!extent.count(c))
      return nc.emitError() << "output label '" << c << "' appears in no input";
  MLIRContext *ctx = nc.context();
  // A dim of extent 1 that broadcasts is read at 0.
  auto mapOf = [&](StringRef t, ArrayRef<int64_t> shape) {
    SmallVector<AffineExpr> exprs;
    for (size_t d = 0; d < t.size(); ++d) {
      char c = t[d];
      if (!shape.empty() && shape[d] == 1 && extent[c] != 1)
        exprs.push_back(getAffineConstantExpr(0, ctx));
      else
        exprs.push_back(getAffineDimExpr(loops.find(c), ctx));
    }
    return AffineMap::get(loops.size(), 0, exprs, ctx);
  };
  SmallVector<AffineMap> maps;
  SmallVector<Value> operands;
  for (unsigned i = 0; i < n; ++i) {
    maps.push_back(mapOf(terms[i], nc.inputShape(i)));
    operands.push_back(nc.operand(i));
  }
  maps.push_back(mapOf(out, {}));
  SmallVector<int64_t> outShape;
  for (char c : out)
    outShape.push_back(extent[c]);
  SmallVector<utils::IteratorType> iters;
  for (size_t k = 0; k < loops.size(); ++k)
    iters.push_back(k < out.size() ? utils::IteratorType::parallel
                                   : utils::IteratorType::reduction);
  TensorBuilder tb = nc.tb();
  Type elem = mlirElementType(ctx, type);
  Value init = tb.splat(tb.scalar(elem, 0.0), outShape);
  bool isFloat = isFloatType(type);
  auto op = linalg::GenericOp::create(
      nc.builder(), nc.loc(), TypeRange{init.getType()}, operands,
      ValueRange{init}, maps, iters,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value prod = args[0];
        for (unsigned i = 1; i < n; ++i)
          prod = isFloat ? arith::MulFOp::create(b, loc, prod, args[i]).getResult()
                         : arith::MulIOp::create(b, loc, prod, args[i]).getResult();
        Value acc = isFloat
                        ? arith::AddFOp::create(b, loc, args[n], prod).getResult()
                        : arith::AddIOp::create(b, loc, args[n], prod).getResult();
        linalg::YieldOp::create(b, loc, acc);
      });
  nc.setResult(0, op.getResult(0), type);
  return success();
}

} // namespace

void cambrian::onnx_import::registerEinsum(OpRegistry &r) {
  r.add("", "Einsum", 12, importEinsum);
}
