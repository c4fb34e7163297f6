//===- X86Loader.cpp - Opening x86 modules for running --------------------===//
//
// The run side of the x86 target: a module is a shared object exporting the
// C ABI of cambrian-c/ModuleABI.h. Plain C++ and libc (lib/Runtime), no MLIR
// or LLVM.
//
//===----------------------------------------------------------------------===//

#include "cambrian/Runtime/ModuleLoader.h"

#include <elf.h>

#include <cstring>
#include <fstream>

using namespace cambrian;

namespace cambrian::x86 {
void registerX86Loader();
} // namespace cambrian::x86

namespace {

class X86Loader : public ModuleLoader {
public:
  std::string_view name() const override { return "x86"; }

  bool recognizes(std::string_view header) const override {
    return header.substr(0, SELFMAG) == std::string_view(ELFMAG, SELFMAG);
  }

  std::unique_ptr<LoadedModule> load(const std::string &path,
                                     std::string &error) const override {
    // Refuse what dlopen could not map, or would map for another machine,
    // before mapping it (mapping runs the object's constructors).
    Elf64_Ehdr ehdr;
    std::memset(&ehdr, 0, sizeof(ehdr));
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char *>(&ehdr), sizeof(ehdr));
    if (in.gcount() != sizeof(ehdr) ||
        std::memcmp(ehdr.e_ident, ELFMAG, SELFMAG) != 0) {
      error = path + ": not a Cambrian module (not an ELF file)";
      return nullptr;
    }
    if (ehdr.e_ident[EI_CLASS] != ELFCLASS64 ||
        ehdr.e_ident[EI_DATA] != ELFDATA2LSB || ehdr.e_machine != EM_X86_64 ||
        ehdr.e_type != ET_DYN) {
      error = path + ": not an x86 module (not an x86-64 shared object)";
      return nullptr;
    }
    return loadSharedObjectModule(path, "x86", error);
  }
};

} // namespace

void cambrian::x86::registerX86Loader() {
  LoaderRegistry::add(std::make_unique<X86Loader>());
}
