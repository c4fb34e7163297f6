//===- main.cpp - cambrian-run: run a compiled module ---------------------===//

#include "cambrian/Runtime/LoadedModule.h"
#include "cambrian/Runtime/Npy.h"
#include "cambrian/Target/Target.h"
#include "cambrian-c/ModuleABI.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>

using namespace llvm;
using namespace cambrian;

// Arguments are parsed by hand: libLLVM registers global options (such as
// "threads") that would clash with cl::opt names.
static const char *kUsage =
    "usage: cambrian-run MODULE [INPUT.npy ...] [--out DIR] [--bench N]\n"
    "                    [--warmup N] [--threads T] [--profile]\n\n"
    "Runs a compiled Cambrian module on .npy inputs (in the model's input\n"
    "order).\n"
    "  --out DIR     write one DIR/<output name>.npy per output\n"
    "  --bench N     time N runs after a warm-up; the last line printed is\n"
    "                {\"median_ms\": ..., \"min_ms\": ..., \"runs\": N}\n"
    "  --warmup N    warm-up runs before --bench (default 3)\n"
    "  --threads T   threads the module's kernels use (default 1)\n"
    "  --profile     print the time per ONNX node, slowest first, averaged\n"
    "                over the --bench runs (or the first run); the module\n"
    "                must be compiled with `cambrian-compile --profile`\n";

static std::string modulePath, outDir;
static std::vector<std::string> inputFiles;
static unsigned bench = 0, warmup = 3, threads = 1;
static bool profile = false;

static int fail(const Twine &message) {
  WithColor::error(errs(), "cambrian-run") << message << "\n";
  return 1;
}

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

static std::string typeName(int32_t t) {
  std::string d = npyDtype(t);
  return d.empty() ? "type " + std::to_string(t) : d;
}

/// File name for an output: unsafe characters become '_'.
static std::string safeName(StringRef name) {
  std::string s;
  for (char c : name)
    s += (llvm::isAlnum(c) || c == '.' || c == '_' || c == '-') ? c : '_';
  return s.empty() ? "output" : s;
}

/// A few values of an output, for people reading the terminal.
static void printPreview(const TensorInfo &t, const std::vector<char> &data) {
  outs() << "  " << t.name << " " << typeName(t.elemType) << " "
         << shapeString(t.shape) << ":";
  int64_t n = std::min<int64_t>(t.numElements(), 8);
  for (int64_t i = 0; i < n; ++i) {
    outs() << " ";
    switch (t.elemType) {
    case CAMBRIAN_FLOAT: { float v; std::memcpy(&v, data.data() + 4 * i, 4); outs() << format("%.6g", v); break; }
    case CAMBRIAN_INT64: { int64_t v; std::memcpy(&v, data.data() + 8 * i, 8); outs() << v; break; }
    case CAMBRIAN_INT32: { int32_t v; std::memcpy(&v, data.data() + 4 * i, 4); outs() << v; break; }
    case CAMBRIAN_BOOL: outs() << (data[i] ? "true" : "false"); break;
    default: outs() << "?"; break;
    }
  }
  if (t.numElements() > n)
    outs() << " ...";
  if (t.elemType == CAMBRIAN_FLOAT && t.numElements() > 1) {
    const float *f = reinterpret_cast<const float *>(data.data());
    int64_t best = std::max_element(f, f + t.numElements()) - f;
    outs() << "  (argmax " << best << ")";
  }
  outs() << "\n";
}

/// Prints the time per ONNX node between two snapshots of the profile
/// counters, slowest first, per run.
static void printProfile(const std::vector<ProfileEntry> &before,
                         const std::vector<ProfileEntry> &after,
                         unsigned runs, double runMs) {
  struct Node {
    std::string name, kinds;
    double ns = 0;
    uint64_t ops = 0;
  };
  std::vector<Node> nodes;
  StringMap<size_t> index;
  double totalNs = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    const ProfileEntry &e = after[i];
    double ns = double(e.nanoseconds - (i < before.size() ? before[i].nanoseconds : 0));
    auto [it, inserted] = index.try_emplace(e.node, nodes.size());
    if (inserted)
      nodes.push_back({e.node, "", 0, 0});
    Node &n = nodes[it->second];
    if (!StringRef(n.kinds).contains(e.kind))
      n.kinds += (n.kinds.empty() ? "" : " ") + e.kind;
    n.ns += ns;
    ++n.ops;
    totalNs += ns;
  }
  std::stable_sort(nodes.begin(), nodes.end(),
                   [](const Node &a, const Node &b) { return a.ns > b.ns; });
  outs() << format("profile: ms per run over %u run(s), by ONNX node, slowest "
                   "first\n",
                   runs);
  outs() << format("%9s %6s %7s  %-48s %s\n", "ms", "%", "cum%", "node", "work");
  double cum = 0;
  for (const Node &n : nodes) {
    cum += n.ns;
    outs() << format("%9.3f %5.1f%% %6.1f%%  %-48s %s\n", n.ns / runs / 1e6,
                     totalNs > 0 ? 100 * n.ns / totalNs : 0.0,
                     totalNs > 0 ? 100 * cum / totalNs : 0.0, n.name.c_str(),
                     n.kinds.c_str());
  }
  outs() << format("%9.3f ms per run in %zu timed ops of %zu nodes (whole "
                   "run: %.3f ms)\n",
                   totalNs / runs / 1e6, after.size(), nodes.size(), runMs);
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  for (int i = 1; i < argc; ++i) {
    StringRef a = argv[i];
    auto value = [&](StringRef flag) -> std::optional<StringRef> {
      if (a.consume_front(flag)) {
        if (a.consume_front("="))
          return a;
        if (a.empty() && i + 1 < argc)
          return StringRef(argv[++i]);
      }
      return std::nullopt;
    };
    auto number = [&](StringRef flag, unsigned &out) -> int {
      auto v = value(flag);
      if (!v)
        return 0;
      if (v->getAsInteger(10, out))
        return fail("--" + flag.drop_front(2) + " expects a number, got '" + *v + "'"), -1;
      return 1;
    };
    if (a == "-h" || a == "--help") {
      outs() << kUsage;
      return 0;
    }
    if (a == "--profile") {
      profile = true;
      continue;
    }
    if (a.starts_with("--")) {
      int r;
      if ((r = number("--bench", bench)) || (r = number("--warmup", warmup)) ||
          (r = number("--threads", threads))) {
        if (r < 0)
          return 1;
        continue;
      }
      if (auto v = value("--out")) {
        outDir = v->str();
        continue;
      }
      return fail("unknown option '" + StringRef(argv[i]) + "'\n" + kUsage);
    }
    if (modulePath.empty())
      modulePath = a.str();
    else
      inputFiles.push_back(a.str());
  }
  if (modulePath.empty())
    return fail(Twine("no module given\n") + kUsage);
  registerAllTargets();
  std::string error;
  auto module = loadModule(modulePath, error);
  if (!module)
    return fail(error);
  const auto &ins = module->inputs();
  const auto &outs_ = module->outputs();
  if (inputFiles.size() != ins.size())
    return fail(modulePath + ": the model takes " + Twine(ins.size()) +
                " input(s), " + Twine(inputFiles.size()) + " given");

  std::vector<NpyArray> arrays(ins.size());
  std::vector<const void *> inPtrs;
  for (size_t i = 0; i < ins.size(); ++i) {
    std::string err = readNpy(inputFiles[i], arrays[i]);
    if (!err.empty())
      return fail(err);
    if (!npyHolds(arrays[i].elemType, ins[i].elemType))
      return fail(inputFiles[i] + ": input '" + ins[i].name + "' expects " +
                  typeName(ins[i].elemType) + ", the file holds " +
                  typeName(arrays[i].elemType));
    if (arrays[i].shape != ins[i].shape)
      return fail(inputFiles[i] + ": input '" + ins[i].name + "' expects shape " +
                  shapeString(ins[i].shape) + ", the file holds " +
                  shapeString(arrays[i].shape));
    inPtrs.push_back(arrays[i].data.data());
  }
  std::vector<std::vector<char>> results(outs_.size());
  std::vector<void *> outPtrs;
  for (size_t i = 0; i < outs_.size(); ++i) {
    results[i].assign(std::max<int64_t>(outs_[i].byteSize(), 1), 0);
    outPtrs.push_back(results[i].data());
  }
  if (profile && !module->hasProfile())
    return fail(modulePath + ": the module has no profile counters; compile "
                             "it with `cambrian-compile --profile`");
  module->setThreads(std::max(1u, (unsigned)threads));

  using clock = std::chrono::steady_clock;
  auto runOnce = [&]() -> double {
    auto t0 = clock::now();
    std::string err = module->run(inPtrs, outPtrs);
    if (!err.empty()) {
      fail(modulePath + ": " + err);
      exit(1);
    }
    return std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  };
  double first = runOnce();

  if (!outDir.empty()) {
    if (auto ec = sys::fs::create_directories(outDir))
      return fail(outDir + ": cannot create: " + ec.message());
    for (size_t i = 0; i < outs_.size(); ++i) {
      NpyArray a;
      a.elemType = outs_[i].elemType;
      a.shape = outs_[i].shape;
      a.data.assign(results[i].begin(),
                    results[i].begin() + outs_[i].byteSize());
      SmallString<256> p(outDir);
      sys::path::append(p, safeName(outs_[i].name) + ".npy");
      std::string err = writeNpy(p, a);
      if (!err.empty())
        return fail(err);
    }
  } else {
    for (size_t i = 0; i < outs_.size(); ++i)
      printPreview(outs_[i], results[i]);
    outs() << format("latency: %.3f ms (first run)\n", first);
  }

  if (profile && bench == 0)
    printProfile({}, module->readProfile(), 1, first);
  if (bench > 0) {
    for (unsigned i = 0; i < warmup; ++i)
      runOnce();
    std::vector<ProfileEntry> before = module->readProfile();
    std::vector<double> times;
    for (unsigned i = 0; i < bench; ++i)
      times.push_back(runOnce());
    std::sort(times.begin(), times.end());
    double median = times.size() % 2
                        ? times[times.size() / 2]
                        : (times[times.size() / 2 - 1] + times[times.size() / 2]) / 2;
    if (profile)
      printProfile(before, module->readProfile(), bench, median);
    outs() << format("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"runs\": %u, "
                     "\"threads\": %u}\n",
                     median, times.front(), (unsigned)bench, (unsigned)threads);
  }
  return 0;
}
