//===- main.cpp - cambrian-run: run a compiled module ---------------------===//
//
// A tool of the run half only: it links lib/Runtime and the targets'
// loaders, no MLIR and no LLVM (test/Runtime/no-mlir.test).
//
//===----------------------------------------------------------------------===//

#include "cambrian/Runtime/LoadedModule.h"
#include "cambrian/Runtime/ModuleLoader.h"
#include "cambrian/Runtime/Npy.h"
#include "cambrian-c/ModuleABI.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <string_view>

using namespace cambrian;

static const char *kUsage =
    "usage: cambrian-run MODULE [INPUT.npy ...] [--out DIR] [--bench N]\n"
    "                    [--warmup N] [--threads T] [--profile]\n"
    "       cambrian-run MODULE --info\n\n"
    "Runs a compiled Cambrian module on .npy inputs (in the model's input\n"
    "order).\n"
    "  --out DIR     write one DIR/<output name>.npy per output\n"
    "  --bench N     time N runs after a warm-up; the last line printed is\n"
    "                {\"median_ms\": ..., \"min_ms\": ..., \"runs\": N}\n"
    "  --warmup N    warm-up runs before --bench (default 3)\n"
    "  --threads T   threads the module's kernels use (default 1)\n"
    "  --profile     print the time per ONNX node, slowest first, averaged\n"
    "                over the --bench runs (or the first run); the module\n"
    "                must be compiled with `cambrian-compile --profile`\n"
    "  --info        print the module's target, inputs and outputs; run "
    "nothing\n";

static std::string modulePath, outDir;
static std::vector<std::string> inputFiles;
static unsigned bench = 0, warmup = 3, threads = 1;
static bool profile = false, info = false;

static int fail(const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "cambrian-run: error: %s\n", message.c_str());
  return 1;
}

static std::string shapeString(const std::vector<int64_t> &shape) {
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
static std::string safeName(const std::string &name) {
  std::string s;
  for (char c : name)
    s += (std::isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-')
             ? c
             : '_';
  return s.empty() ? "output" : s;
}

/// A few values of an output, for people reading the terminal.
static void printPreview(const TensorInfo &t, const std::vector<char> &data) {
  std::printf("  %s %s %s:", t.name.c_str(), typeName(t.elemType).c_str(),
              shapeString(t.shape).c_str());
  int64_t n = std::min<int64_t>(t.numElements(), 8);
  for (int64_t i = 0; i < n; ++i) {
    switch (t.elemType) {
    case CAMBRIAN_FLOAT: { float v; std::memcpy(&v, data.data() + 4 * i, 4); std::printf(" %.6g", v); break; }
    case CAMBRIAN_INT64: { int64_t v; std::memcpy(&v, data.data() + 8 * i, 8); std::printf(" %lld", (long long)v); break; }
    case CAMBRIAN_INT32: { int32_t v; std::memcpy(&v, data.data() + 4 * i, 4); std::printf(" %d", v); break; }
    case CAMBRIAN_BOOL: std::printf(" %s", data[i] ? "true" : "false"); break;
    default: std::printf(" ?"); break;
    }
  }
  if (t.numElements() > n)
    std::printf(" ...");
  if (t.elemType == CAMBRIAN_FLOAT && t.numElements() > 1) {
    const float *f = reinterpret_cast<const float *>(data.data());
    int64_t best = std::max_element(f, f + t.numElements()) - f;
    std::printf("  (argmax %lld)", (long long)best);
  }
  std::printf("\n");
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
  std::map<std::string, size_t> index;
  double totalNs = 0;
  for (size_t i = 0; i < after.size(); ++i) {
    const ProfileEntry &e = after[i];
    double ns = double(e.nanoseconds - (i < before.size() ? before[i].nanoseconds : 0));
    auto [it, inserted] = index.try_emplace(e.node, nodes.size());
    if (inserted)
      nodes.push_back({e.node, "", 0, 0});
    Node &n = nodes[it->second];
    if (n.kinds.find(e.kind) == std::string::npos)
      n.kinds += (n.kinds.empty() ? "" : " ") + e.kind;
    n.ns += ns;
    ++n.ops;
    totalNs += ns;
  }
  std::stable_sort(nodes.begin(), nodes.end(),
                   [](const Node &a, const Node &b) { return a.ns > b.ns; });
  std::printf("profile: ms per run over %u run(s), by ONNX node, slowest "
              "first\n",
              runs);
  std::printf("%9s %6s %7s  %-48s %s\n", "ms", "%", "cum%", "node", "work");
  double cum = 0;
  for (const Node &n : nodes) {
    cum += n.ns;
    std::printf("%9.3f %5.1f%% %6.1f%%  %-48s %s\n", n.ns / runs / 1e6,
                totalNs > 0 ? 100 * n.ns / totalNs : 0.0,
                totalNs > 0 ? 100 * cum / totalNs : 0.0, n.name.c_str(),
                n.kinds.c_str());
  }
  std::printf("%9.3f ms per run in %zu timed ops of %zu nodes (whole "
              "run: %.3f ms)\n",
              totalNs / runs / 1e6, after.size(), nodes.size(), runMs);
}

/// Creates `dir` and its parents; returns "" or an error message.
static std::string createDirectories(const std::string &dir) {
  for (size_t at = 1; at <= dir.size(); ++at) {
    if (at < dir.size() && dir[at] != '/')
      continue;
    std::string prefix = dir.substr(0, at);
    if (mkdir(prefix.c_str(), 0777) != 0 && errno != EEXIST)
      return dir + ": cannot create: " + std::strerror(errno);
  }
  struct stat st;
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return dir + ": cannot create: not a directory";
  return "";
}

/// Parses a non-negative decimal number, all of `s`.
static bool parseUnsigned(std::string_view s, unsigned &out) {
  if (s.empty() || s.size() > 9)
    return false;
  out = 0;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
    out = out * 10 + (c - '0');
  }
  return true;
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    // `--flag=value` or `--flag value`.
    auto value = [&](std::string_view flag) -> std::optional<std::string_view> {
      if (a.substr(0, flag.size()) != flag)
        return std::nullopt;
      std::string_view rest = a.substr(flag.size());
      if (!rest.empty() && rest.front() == '=')
        return rest.substr(1);
      if (rest.empty() && i + 1 < argc)
        return std::string_view(argv[++i]);
      return std::nullopt;
    };
    auto number = [&](std::string_view flag, unsigned &out) -> int {
      auto v = value(flag);
      if (!v)
        return 0;
      if (!parseUnsigned(*v, out))
        return fail("--" + std::string(flag.substr(2)) +
                    " expects a number, got '" + std::string(*v) + "'"),
               -1;
      return 1;
    };
    if (a == "-h" || a == "--help") {
      std::printf("%s", kUsage);
      return 0;
    }
    if (a == "--profile") {
      profile = true;
      continue;
    }
    if (a == "--info") {
      info = true;
      continue;
    }
    if (a.substr(0, 2) == "--") {
      int r;
      if ((r = number("--bench", bench)) || (r = number("--warmup", warmup)) ||
          (r = number("--threads", threads))) {
        if (r < 0)
          return 1;
        continue;
      }
      if (auto v = value("--out")) {
        outDir = std::string(*v);
        continue;
      }
      return fail("unknown option '" + std::string(argv[i]) + "'\n" + kUsage);
    }
    if (modulePath.empty())
      modulePath = std::string(a);
    else
      inputFiles.push_back(std::string(a));
  }
  if (modulePath.empty())
    return fail(std::string("no module given\n") + kUsage);
  registerAllLoaders();
  std::string error;
  auto module = loadModule(modulePath, error);
  if (!module)
    return fail(error);
  const auto &ins = module->inputs();
  const auto &outs_ = module->outputs();
  if (info) {
    std::printf("target: %s\n", module->target().c_str());
    for (const TensorInfo &t : ins)
      std::printf("input: %s %s %s\n", t.name.c_str(),
                  typeName(t.elemType).c_str(), shapeString(t.shape).c_str());
    for (const TensorInfo &t : outs_)
      std::printf("output: %s %s %s\n", t.name.c_str(),
                  typeName(t.elemType).c_str(), shapeString(t.shape).c_str());
    return 0;
  }
  if (inputFiles.size() != ins.size())
    return fail(modulePath + ": the model takes " + std::to_string(ins.size()) +
                " input(s), " + std::to_string(inputFiles.size()) + " given");

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
    if (std::string err = createDirectories(outDir); !err.empty())
      return fail(err);
    for (size_t i = 0; i < outs_.size(); ++i) {
      NpyArray a;
      a.elemType = outs_[i].elemType;
      a.shape = outs_[i].shape;
      a.data.assign(results[i].begin(),
                    results[i].begin() + outs_[i].byteSize());
      std::string p = outDir + "/" + safeName(outs_[i].name) + ".npy";
      std::string err = writeNpy(p, a);
      if (!err.empty())
        return fail(err);
    }
  } else {
    for (size_t i = 0; i < outs_.size(); ++i)
      printPreview(outs_[i], results[i]);
    std::printf("latency: %.3f ms (first run)\n", first);
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
    std::printf("{\"median_ms\": %.4f, \"min_ms\": %.4f, \"runs\": %u, "
                "\"threads\": %u}\n",
                median, times.front(), (unsigned)bench, (unsigned)threads);
  }
  return 0;
}
