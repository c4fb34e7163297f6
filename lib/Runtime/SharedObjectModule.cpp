//===- SharedObjectModule.cpp - Running modules that are shared objects ---===//

#include "cambrian-c/ModuleABI.h"
#include "cambrian/Runtime/LoadedModule.h"

#include "llvm/Support/Path.h"

#include <dlfcn.h>

using namespace cambrian;

LoadedModule::~LoadedModule() = default;

int64_t cambrian::elementSize(int32_t t) {
  switch (t) {
  case CAMBRIAN_FLOAT: case CAMBRIAN_INT32: case CAMBRIAN_UINT32: return 4;
  case CAMBRIAN_UINT8: case CAMBRIAN_INT8: case CAMBRIAN_BOOL: return 1;
  case CAMBRIAN_UINT16: case CAMBRIAN_INT16: case CAMBRIAN_FLOAT16:
  case CAMBRIAN_BFLOAT16: return 2;
  case CAMBRIAN_INT64: case CAMBRIAN_DOUBLE: case CAMBRIAN_UINT64: return 8;
  default:
    // float8, float4, int4 and int2 are stored one element per byte.
    return t >= CAMBRIAN_FLOAT8E4M3FN && t <= CAMBRIAN_INT2 ? 1 : 0;
  }
}

int64_t TensorInfo::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

int64_t TensorInfo::byteSize() const { return numElements() * elementSize(elemType); }

namespace {

class SharedObjectModule : public LoadedModule {
public:
  ~SharedObjectModule() override {
    if (handle)
      dlclose(handle);
  }

  static std::unique_ptr<LoadedModule> open(llvm::StringRef path,
                                            llvm::StringRef expectedTarget,
                                            std::string &error) {
    auto m = std::make_unique<SharedObjectModule>();
    // A relative name without a slash would make dlopen search the library
    // path instead of opening the file.
    std::string p = path.str();
    if (!llvm::sys::path::has_parent_path(path))
      p = "./" + p;
    m->handle = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!m->handle) {
      error = path.str() + ": cannot load the module: " + dlerror();
      return nullptr;
    }
    auto describe = reinterpret_cast<const cambrian_module_info *(*)()>(
        dlsym(m->handle, "cambrian_module_describe"));
    m->runFn = reinterpret_cast<int32_t (*)(const void *const *, void *const *)>(
        dlsym(m->handle, "cambrian_module_run"));
    m->threadsFn = reinterpret_cast<void (*)(int32_t)>(
        dlsym(m->handle, "cambrian_module_set_threads"));
    if (!describe || !m->runFn || !m->threadsFn) {
      error = path.str() + ": not a Cambrian module (it lacks the "
                           "cambrian_module_* entry points)";
      return nullptr;
    }
    m->profileFn =
        reinterpret_cast<const cambrian_profile_entry *(*)(int32_t *)>(
            dlsym(m->handle, "cambrian_module_profile"));
    const cambrian_module_info *info = describe();
    if (!info || info->magic != CAMBRIAN_MODULE_MAGIC) {
      error = path.str() + ": not a Cambrian module (bad magic number)";
      return nullptr;
    }
    if (info->abi_version != CAMBRIAN_MODULE_ABI_VERSION) {
      error = path.str() + ": module format version " +
              std::to_string(info->abi_version) + ", this runtime reads " +
              std::to_string(CAMBRIAN_MODULE_ABI_VERSION) +
              "; recompile the model";
      return nullptr;
    }
    m->targetName = info->target ? info->target : "";
    if (m->targetName != expectedTarget) {
      error = path.str() + ": module is for target '" + m->targetName +
              "', expected '" + expectedTarget.str() + "'";
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

  llvm::StringRef target() const override { return targetName; }
  const std::vector<TensorInfo> &inputs() const override { return ins; }
  const std::vector<TensorInfo> &outputs() const override { return outs; }
  void setThreads(int32_t n) override { threadsFn(n < 1 ? 1 : n); }
  std::string run(llvm::ArrayRef<const void *> inputs,
                  llvm::ArrayRef<void *> outputs) override {
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
cambrian::loadSharedObjectModule(llvm::StringRef path,
                                 llvm::StringRef expectedTarget,
                                 std::string &error) {
  return SharedObjectModule::open(path, expectedTarget, error);
}
