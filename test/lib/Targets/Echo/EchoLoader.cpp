//===- EchoLoader.cpp - The run side of the echo test target --------------===//
//
// Reads an echo module (EchoModule.h) and runs it by copying each input to
// its output. Plain C++ and libc, like all of lib/Runtime.
//
//===----------------------------------------------------------------------===//

#include "test/lib/Targets/Echo/EchoModule.h"

#include "cambrian/Runtime/ModuleLoader.h"

#include <cstring>
#include <fstream>
#include <sstream>

using namespace cambrian;

namespace cambrian::echo {
void registerEchoLoader();
} // namespace cambrian::echo

namespace {

class EchoModule : public LoadedModule {
public:
  const std::string &target() const override { return targetName; }
  const std::vector<TensorInfo> &inputs() const override { return ins; }
  const std::vector<TensorInfo> &outputs() const override { return outs; }
  void setThreads(int32_t) override {}
  std::string run(const std::vector<const void *> &inputs,
                  const std::vector<void *> &outputs) override {
    if (inputs.size() != ins.size() || outputs.size() != outs.size())
      return "wrong number of buffers";
    for (size_t i = 0; i < ins.size(); ++i)
      std::memcpy(outputs[i], inputs[i], ins[i].byteSize());
    return "";
  }

  std::string targetName = "echo";
  std::vector<TensorInfo> ins, outs;
};

/// Parses `2x3` (or `-`, a scalar) into `shape`.
bool parseShape(const std::string &dims, std::vector<int64_t> &shape) {
  if (dims == "-")
    return true;
  std::istringstream in(dims);
  std::string d;
  while (std::getline(in, d, 'x')) {
    if (d.empty() || d.find_first_not_of("0123456789") != std::string::npos)
      return false;
    shape.push_back(std::stoll(d));
  }
  return !shape.empty();
}

class EchoLoader : public ModuleLoader {
public:
  std::string_view name() const override { return "echo"; }

  bool recognizes(std::string_view header) const override {
    return header.substr(0, echo::kMagic.size()) == echo::kMagic;
  }

  std::unique_ptr<LoadedModule> load(const std::string &path,
                                     std::string &error) const override {
    std::ifstream file(path);
    std::string magic;
    int version = 0;
    file >> magic >> version;
    if (!file || magic != echo::kMagic) {
      error = path + ": not an echo module";
      return nullptr;
    }
    if (version != echo::kFormatVersion) {
      error = path + ": module format version " + std::to_string(version) +
              ", this runtime reads " + std::to_string(echo::kFormatVersion) +
              "; recompile the model";
      return nullptr;
    }
    auto module = std::make_unique<EchoModule>();
    std::string line;
    std::getline(file, line); // the rest of the first line
    for (int lineNo = 2; std::getline(file, line); ++lineNo) {
      std::istringstream words(line);
      std::string kind;
      words >> kind;
      if (kind != "input")
        continue; // the banner, and anything a later version adds
      TensorInfo t;
      std::string dims;
      words >> t.name >> t.elemType >> dims;
      if (!words || elementSize(t.elemType) == 0 || !parseShape(dims, t.shape)) {
        error = path + ":" + std::to_string(lineNo) + ": bad input line '" +
                line + "'";
        return nullptr;
      }
      module->ins.push_back(t);
      t.name += "_echo";
      module->outs.push_back(std::move(t));
    }
    return module;
  }
};

} // namespace

void cambrian::echo::registerEchoLoader() {
  LoaderRegistry::add(std::make_unique<EchoLoader>());
}
