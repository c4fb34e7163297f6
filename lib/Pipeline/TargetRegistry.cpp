//===- TargetRegistry.cpp - The registered targets ------------------------===//

#include "cambrian/Target/Target.h"

#include "llvm/Support/MemoryBuffer.h"

#include <mutex>

using namespace cambrian;

Target::~Target() = default;

mlir::LogicalResult Target::emitLowLevelIR(mlir::ModuleOp module,
                                           const CompileOptions &,
                                           llvm::raw_ostream &) const {
  return mlir::emitError(module.getLoc())
         << "target '" << name() << "' has no low-level IR to print";
}

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

std::unique_ptr<LoadedModule> cambrian::loadModule(llvm::StringRef path,
                                                   std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFileSlice(path, 4096, 0);
  if (!buffer) {
    // Shorter files than the slice are fine; read them whole.
    buffer = llvm::MemoryBuffer::getFile(path);
    if (!buffer) {
      error = path.str() + ": cannot read the module: " +
              buffer.getError().message();
      return nullptr;
    }
  }
  llvm::StringRef header = (*buffer)->getBuffer();
  for (const Target *t : TargetRegistry::all())
    if (t->recognizes(header))
      return t->load(path, error);
  error = path.str() + ": not a Cambrian module of any known target";
  return nullptr;
}
