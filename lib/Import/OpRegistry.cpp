//===- OpRegistry.cpp - Dispatch from (domain, op, opset) to handlers -----===//

#include "lib/Import/OpRegistry.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"

using namespace cambrian::onnx_import;

static std::string key(llvm::StringRef domain, llvm::StringRef op) {
  // "ai.onnx" and "" name the same default domain.
  if (domain == "ai.onnx")
    domain = "";
  return (domain + "::" + op).str();
}

const OpRegistry &OpRegistry::get() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    registerActivation(r);
    registerAttention(r);
    registerCast(r);
    registerControlFlow(r);
    registerConvolution(r);
    registerEinsum(r);
    registerGenerators(r);
    registerGridSample(r);
    registerIndexing(r);
    registerLogical(r);
    registerLoss(r);
    registerMath(r);
    registerMatMul(r);
    registerNormalization(r);
    registerOrdering(r);
    registerPad(r);
    registerPooling(r);
    registerQOperator(r);
    registerQuantization(r);
    registerRearrange(r);
    registerReduction(r);
    registerResize(r);
    registerShape(r);
    return r;
  }();
  return registry;
}

void OpRegistry::add(llvm::StringRef domain, llvm::StringRef opType,
                     int sinceVersion, OpHandler handler, OpFlag flags) {
  auto &entries = table[key(domain, opType)];
  // Checked in release builds too: the table is built once, at first use.
  if (llvm::any_of(entries,
                   [&](const OpEntry &e) { return e.since == sinceVersion; }))
    llvm::report_fatal_error(llvm::Twine("op '") + opType +
                             "' registered twice at since-version " +
                             llvm::Twine(sinceVersion));
  entries.push_back({sinceVersion, flags, std::move(handler)});
  llvm::sort(entries, [](const OpEntry &a, const OpEntry &b) {
    return a.since < b.since;
  });
}

void OpRegistry::add(llvm::StringRef domain,
                     std::initializer_list<llvm::StringRef> ops,
                     int sinceVersion, OpHandler handler, OpFlag flags) {
  for (llvm::StringRef op : ops)
    add(domain, op, sinceVersion, handler, flags);
}

const OpEntry *OpRegistry::lookup(llvm::StringRef domain,
                                  llvm::StringRef opType, int64_t opset,
                                  bool &knownOp) const {
  auto it = table.find(key(domain, opType));
  knownOp = it != table.end();
  if (!knownOp)
    return nullptr;
  const OpEntry *best = nullptr;
  for (const OpEntry &e : it->second)
    if (e.since <= opset)
      best = &e;
  return best;
}

std::vector<int> OpRegistry::sinceVersions(llvm::StringRef domain,
                                           llvm::StringRef opType) const {
  std::vector<int> out;
  auto it = table.find(key(domain, opType));
  if (it != table.end())
    for (const OpEntry &e : it->second)
      out.push_back(e.since);
  return out;
}

std::vector<std::pair<std::string, std::string>> OpRegistry::ops() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto &kv : table) {
    auto [domain, op] = kv.getKey().split("::");
    out.emplace_back(domain.str(), op.str());
  }
  llvm::sort(out);
  return out;
}
