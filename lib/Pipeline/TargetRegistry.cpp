//===- TargetRegistry.cpp - The registered targets ------------------------===//

#include "cambrian/Target/TargetRegistry.h"

#include <mutex>

using namespace cambrian;

namespace {
struct Registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<Target>> targets;
};
Registry &registry() {
  static Registry r;
  return r;
}
} // namespace

void TargetRegistry::add(std::unique_ptr<Target> target) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto &t : r.targets)
    if (t->name() == target->name())
      return;
  r.targets.push_back(std::move(target));
}

const Target *TargetRegistry::lookup(llvm::StringRef name) {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  for (const auto &t : r.targets)
    if (t->name() == name)
      return t.get();
  return nullptr;
}

std::vector<const Target *> TargetRegistry::all() {
  Registry &r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  std::vector<const Target *> out;
  for (const auto &t : r.targets)
    out.push_back(t.get());
  return out;
}

std::string TargetRegistry::names() {
  std::string names;
  for (const Target *t : all())
    names += (names.empty() ? "" : ", ") + t->name().str();
  return names;
}

void cambrian::registerTargetDialectsAndPasses(
    mlir::DialectRegistry &registry) {
  static bool passesRegistered = [] {
    for (const Target *t : TargetRegistry::all())
      t->registerPasses();
    return true;
  }();
  (void)passesRegistered;
  for (const Target *t : TargetRegistry::all())
    t->registerDialects(registry);
}
