//===- ModuleLoader.cpp - The registered module loaders -------------------===//

#include "cambrian/Runtime/ModuleLoader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

using namespace cambrian;

ModuleLoader::~ModuleLoader() = default;

namespace {
struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<ModuleLoader>> loaders;
};
Registry &registry() {
  static Registry r;
  return r;
}
} // namespace

void LoaderRegistry::add(std::unique_ptr<ModuleLoader> loader) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto &l : r.loaders)
    if (l->name() == loader->name())
      return;
  r.loaders.push_back(std::move(loader));
}

const ModuleLoader *LoaderRegistry::lookup(std::string_view name) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto &l : r.loaders)
    if (l->name() == name)
      return l.get();
  return nullptr;
}

std::vector<const ModuleLoader *> LoaderRegistry::all() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<const ModuleLoader *> out;
  for (const auto &l : r.loaders)
    out.push_back(l.get());
  return out;
}

std::unique_ptr<LoadedModule> cambrian::loadModule(const std::string &path,
                                                   std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read the module: " + std::strerror(errno);
    return nullptr;
  }
  std::string header(ModuleLoader::kHeaderBytes, '\0');
  in.read(header.data(), header.size());
  if (in.bad()) {
    error = path + ": cannot read the module: " + std::strerror(errno);
    return nullptr;
  }
  header.resize(in.gcount());
  for (const ModuleLoader *l : LoaderRegistry::all())
    if (l->recognizes(header))
      return l->load(path, error);
  error = path + ": not a Cambrian module of any known target";
  return nullptr;
}
