//===- Run.cpp - Cambrian's C API, the run half ---------------------------===//
//
// Loading and running modules through the targets' ModuleLoaders: plain
// C++ and libc, so that libcambrian_runtime.so needs no MLIR or LLVM.
//
//===----------------------------------------------------------------------===//

#include "cambrian-c/Runtime.h"
#include "cambrian/Runtime/ModuleLoader.h"

#include <cstdlib>
#include <cstring>

using namespace cambrian;

static void setError(char **error, const std::string &message) {
  if (error)
    *error = strdup(message.c_str());
}

struct cambrian_loaded_module {
  std::unique_ptr<LoadedModule> module;
};

cambrian_loaded_module *cambrian_load(const char *path, char **error) {
  registerAllLoaders();
  std::string err;
  auto m = loadModule(path ? path : "", err);
  if (!m) {
    setError(error, err);
    return nullptr;
  }
  return new cambrian_loaded_module{std::move(m)};
}

void cambrian_unload(cambrian_loaded_module *module) { delete module; }

int32_t cambrian_num_inputs(const cambrian_loaded_module *m) {
  return m->module->inputs().size();
}

int32_t cambrian_num_outputs(const cambrian_loaded_module *m) {
  return m->module->outputs().size();
}

static int32_t fill(const std::vector<TensorInfo> &ts, int32_t i,
                    cambrian_tensor_info *info) {
  if (i < 0 || i >= (int32_t)ts.size() || !info)
    return 1;
  info->name = ts[i].name.c_str();
  info->elem_type = ts[i].elemType;
  info->rank = ts[i].shape.size();
  info->shape = ts[i].shape.data();
  return 0;
}

int32_t cambrian_input_info(const cambrian_loaded_module *m, int32_t i,
                            cambrian_tensor_info *info) {
  return fill(m->module->inputs(), i, info);
}

int32_t cambrian_output_info(const cambrian_loaded_module *m, int32_t i,
                             cambrian_tensor_info *info) {
  return fill(m->module->outputs(), i, info);
}

void cambrian_set_threads(cambrian_loaded_module *m, int32_t threads) {
  m->module->setThreads(threads);
}

int32_t cambrian_run(cambrian_loaded_module *m, const void *const *inputs,
                     void *const *outputs, char **error) {
  std::vector<const void *> in(inputs, inputs + m->module->inputs().size());
  std::vector<void *> out(outputs, outputs + m->module->outputs().size());
  std::string err = m->module->run(in, out);
  if (!err.empty()) {
    setError(error, err);
    return 1;
  }
  return 0;
}

void cambrian_free_string(char *s) { free(s); }
