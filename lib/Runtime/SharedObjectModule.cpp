//===- SharedObjectModule.cpp - Running modules that are shared objects ---===//

#include "cambrian-c/ModuleABI.h"
#include "cambrian/Runtime/LoadedModule.h"

#include <dlfcn.h>

using namespace cambrian;

namespace {

class SharedObjectModule : public LoadedModule {
public:
  ~SharedObjectModule() override {
    if (handle)
      dlclose(handle);
  }

  static std::unique_ptr<LoadedModule> open(const std::string &path,
                                            const std::string &expectedTarget,
                                            std::string &error) {
    auto m = std::make_unique<SharedObjectModule>();
    // A relative name without a slash would make dlopen search the library
    // path instead of opening the file.
    std::string p = path;
    if (p.find('/') == std::string::npos)
      p = "./" + p;
    m->handle = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!m->handle) {
      error = path + ": cannot load the module: " + dlerror();
      return nullptr;
    }
    auto describe = reinterpret_cast<const cambrian_module_info *(*)()>(
        dlsym(m->handle, "cambrian_module_describe"));
    m->runFn = reinterpret_cast<int32_t (*)(const void *const *, void *const *)>(
        dlsym(m->handle, "cambrian_module_run"));
    m->threadsFn = reinterpret_cast<void (*)(int32_t)>(
        dlsym(m->handle, "cambrian_module_set_threads"));
    if (!describe || !m->runFn || !m->threadsFn) {
      error = path + ": not a Cambrian module (it lacks the "
                           "cambrian_module_* entry points)";
      return nullptr;
    }
    m->profileFn =
        reinterpret_cast<const cambrian_profile_entry *(*)(int32_t *)>(
            dlsym(m->handle, "cambrian_module_profile"));
    const cambrian_module_info *info = describe();
    if (!info || info->magic != CAMBRIAN_MODULE_MAGIC) {
      error = path + ": not a Cambrian module (bad magic number)";
      return nullptr;
    }
    if (info->abi_version != CAMBRIAN_MODULE_ABI_VERSION) {
      error = path + ": module format version " +
              std::to_string(info->abi_version) + ", this runtime reads " +
              std::to_string(CAMBRIAN_MODULE_ABI_VERSION) +
              "; recompile the model";
      return nullptr;
    }
    m->targetName = info->target ? info->target : "";
    if (m->targetName != expectedTarget) {
      error = path + ": module is for target '" + m->targetName +
              "', expected '" + expectedTarget + "'";
      return nullptr;
    }
    auto read = [](const cambrian_tensor_info *ts, int32_t n) {
      std::vector<TensorInfo> out;
      for (int32_t i = 0; i < n; ++i)
        out.push_back({ts[i].name, ts[i].elem_type,
                       std::vector<int64_t>(ts[i].shape,
                                            ts[i].shape + ts[i].rank)});
      return out;
    };
    m->ins = read(info->inputs, info->num_inputs);
    m->outs = read(info->outputs, info->num_outputs);
    return m;
  }

  const std::string &target() const override { return targetName; }
  const std::vector<TensorInfo> &inputs() const override { return ins; }
  const std::vector<TensorInfo> &outputs() const override { return outs; }
  void setThreads(int32_t n) override { threadsFn(n < 1 ? 1 : n); }
  std::string run(const std::vector<const void *> &inputs,
                  const std::vector<void *> &outputs) override {
    if (inputs.size() != ins.size() || outputs.size() != outs.size())
      return "wrong number of buffers";
    if (runFn(inputs.data(), outputs.data()) != 0)
      return "the module failed to run (out of memory?)";
    return "";
  }

  bool hasProfile() const override { return profileFn != nullptr; }
  std::vector<ProfileEntry> readProfile() const override {
    std::vector<ProfileEntry> out;
    if (!profileFn)
      return out;
    int32_t n = 0;
    const cambrian_profile_entry *rows = profileFn(&n);
    for (int32_t i = 0; i < n; ++i)
      out.push_back({rows[i].node ? rows[i].node : "?",
                     rows[i].kind ? rows[i].kind : "?", rows[i].calls,
                     rows[i].nanoseconds});
    return out;
  }

private:
  void *handle = nullptr;
  const cambrian_profile_entry *(*profileFn)(int32_t *) = nullptr;
  int32_t (*runFn)(const void *const *, void *const *) = nullptr;
  void (*threadsFn)(int32_t) = nullptr;
  std::string targetName;
  std::vector<TensorInfo> ins, outs;
};

} // namespace

std::unique_ptr<LoadedModule>
cambrian::loadSharedObjectModule(const std::string &path,
                                 const std::string &expectedTarget,
                                 std::string &error) {
  return SharedObjectModule::open(path, expectedTarget, error);
}
