//===- OpRegistryTest.cpp - Dispatch on (domain, op, opset) and op flags --===//

#include "lib/Import/OpRegistry.h"

#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace cambrian::onnx_import;

namespace {

mlir::LogicalResult noop(NodeContext &) { return mlir::success(); }

/// The since-version of the registration that imports `op` at `opset`, or
/// -1 if none does.
int dispatchedSince(const OpRegistry &r, llvm::StringRef domain,
                    llvm::StringRef op, int64_t opset) {
  bool known = false;
  const OpEntry *e = r.lookup(domain, op, opset, known);
  return e ? e->since : -1;
}

/// ONNX's since-versions per default-domain op, from the table
/// onnx-since-versions.py writes.
std::map<std::string, std::set<int>> onnxSinceVersions() {
  std::map<std::string, std::set<int>> out;
  std::ifstream in(CAMBRIAN_ONNX_SINCE_VERSIONS);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    std::istringstream fields(line);
    std::string op;
    fields >> op;
    for (int v; fields >> v;)
      out[op].insert(v);
  }
  return out;
}

} // namespace

TEST_CASE("lookup picks the greatest since-version not above the opset",
          "[import][registry]") {
  OpRegistry r;
  // Registered out of order on purpose: the registry sorts.
  r.add("", "Foo", 13, noop, OpFlag::MovesSmallTypes);
  r.add("", "Foo", 1, noop);
  r.add("", "Foo", 7, noop);
  CHECK(dispatchedSince(r, "", "Foo", 1) == 1);
  CHECK(dispatchedSince(r, "", "Foo", 6) == 1);
  CHECK(dispatchedSince(r, "", "Foo", 7) == 7);
  CHECK(dispatchedSince(r, "", "Foo", 12) == 7);
  CHECK(dispatchedSince(r, "", "Foo", 13) == 13);
  CHECK(dispatchedSince(r, "", "Foo", 27) == 13);
  CHECK(r.sinceVersions("", "Foo") == std::vector<int>{1, 7, 13});
  // "ai.onnx" is the default domain's other name.
  CHECK(dispatchedSince(r, "ai.onnx", "Foo", 8) == 7);
}

TEST_CASE("an op below its oldest since-version is known but refused",
          "[import][registry]") {
  OpRegistry r;
  r.add("", "Bar", 9, noop);
  bool known = false;
  CHECK(r.lookup("", "Bar", 8, known) == nullptr);
  CHECK(known);
  CHECK(r.lookup("", "Baz", 8, known) == nullptr);
  CHECK_FALSE(known);
  CHECK(r.lookup("com.example", "Bar", 9, known) == nullptr);
  CHECK_FALSE(known);
  CHECK(r.sinceVersions("", "Baz").empty());
}

TEST_CASE("flags belong to each registration", "[import][registry]") {
  OpRegistry r;
  r.add("", {"A", "B"}, 5, noop, OpFlag::MovesSmallTypes);
  r.add("", "C", 5, noop);
  bool known = false;
  CHECK(r.lookup("", "A", 5, known)->has(OpFlag::MovesSmallTypes));
  CHECK(r.lookup("", "B", 6, known)->has(OpFlag::MovesSmallTypes));
  CHECK_FALSE(r.lookup("", "C", 5, known)->has(OpFlag::MovesSmallTypes));
  CHECK(r.lookup("", "C", 5, known)->flags == OpFlag::None);
}

TEST_CASE("Cambrian's registry dispatches on ONNX's semantic versions",
          "[import][registry]") {
  const OpRegistry &r = OpRegistry::get();
  // Softmax: 2-D coercion before 13, one axis from 13 on.
  CHECK(r.sinceVersions("", "Softmax") == std::vector<int>{1, 13});
  CHECK(dispatchedSince(r, "", "Softmax", 11) == 1);
  CHECK(dispatchedSince(r, "", "Softmax", 13) == 13);
  // ReduceSum takes its axes as an input from 13, the others from 18.
  CHECK(dispatchedSince(r, "", "ReduceSum", 17) == 13);
  CHECK(dispatchedSince(r, "", "ReduceMean", 17) == 1);
  CHECK(dispatchedSince(r, "", "ReduceMean", 18) == 18);
  CHECK(r.sinceVersions("", "Split") == std::vector<int>{2, 13, 18});
  // Scan-8 (with sequence_lens) has no handler.
  CHECK(dispatchedSince(r, "", "Scan", 8) == -1);
  CHECK(dispatchedSince(r, "", "Scan", 9) == 9);
}

TEST_CASE("small types: only data-moving ops carry the flag",
          "[import][registry]") {
  const OpRegistry &r = OpRegistry::get();
  bool known = false;
  for (llvm::StringRef op : {"Cast", "Reshape", "Gather", "QuantizeLinear"})
    CHECK(r.lookup("", op, 21, known)->has(OpFlag::MovesSmallTypes));
  for (llvm::StringRef op : {"Add", "Conv", "MatMul", "Relu"})
    CHECK_FALSE(r.lookup("", op, 21, known)->has(OpFlag::MovesSmallTypes));
  // Every registration of an op agrees on its flags.
  for (const auto &[domain, op] : r.ops()) {
    std::vector<int> versions = r.sinceVersions(domain, op);
    OpFlag first = r.lookup(domain, op, versions.front(), known)->flags;
    for (int since : versions) {
      INFO(op << " since " << since);
      CHECK(r.lookup(domain, op, since, known)->flags == first);
    }
  }
}

TEST_CASE("every registration is at a version where ONNX changed the op",
          "[import][registry]") {
  std::map<std::string, std::set<int>> onnx = onnxSinceVersions();
  REQUIRE(onnx.size() > 150);
  const OpRegistry &r = OpRegistry::get();
  int checked = 0;
  for (const auto &[domain, op] : r.ops()) {
    if (!domain.empty())
      continue; // only the default domain is tabulated
    ++checked;
    INFO(op);
    auto it = onnx.find(op);
    REQUIRE(it != onnx.end());
    for (int since : r.sinceVersions(domain, op)) {
      INFO("since " << since);
      CHECK(it->second.count(since) == 1);
    }
  }
  CHECK(checked > 100);
}
