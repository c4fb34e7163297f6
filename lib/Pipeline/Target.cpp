//===- Target.cpp - The compile side of a target --------------------------===//

#include "cambrian/Target/Target.h"

#include "mlir/IR/Diagnostics.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace cambrian;

//===----------------------------------------------------------------------===//
// Target options
//===----------------------------------------------------------------------===//

TargetOptions::~TargetOptions() = default;

void TargetOptions::declare(TargetOptionParser &) {}

void TargetOptionParser::add(llvm::StringRef key, std::string *value,
                             llvm::StringRef valueName, llvm::StringRef help,
                             Check check) {
  options.push_back({key.str(), valueName.str(), help.str(), false,
                     [value, check](llvm::StringRef v) -> std::string {
                       if (check)
                         if (std::string why = check(v); !why.empty())
                           return why;
                       *value = v.str();
                       return "";
                     }});
}

void TargetOptionParser::add(llvm::StringRef key, bool *value,
                             llvm::StringRef help) {
  options.push_back({key.str(), "bool", help.str(), true,
                     [value](llvm::StringRef v) -> std::string {
                       if (v == "1" || v == "true") {
                         *value = true;
                         return "";
                       }
                       if (v == "0" || v == "false") {
                         *value = false;
                         return "";
                       }
                       return "expects 1, 0, true or false, got '" + v.str() +
                              "'";
                     }});
}

void TargetOptionParser::add(llvm::StringRef key, unsigned *value,
                             llvm::StringRef help) {
  options.push_back({key.str(), "n", help.str(), false,
                     [value](llvm::StringRef v) -> std::string {
                       unsigned n;
                       if (v.getAsInteger(10, n))
                         return "expects a non-negative integer, got '" +
                                v.str() + "'";
                       *value = n;
                       return "";
                     }});
}

std::string TargetOptionParser::parse(llvm::StringRef keyValue) const {
  auto [key, value] = keyValue.split('=');
  bool hasValue = keyValue.contains('=');
  for (const Option &o : options) {
    if (o.key != key)
      continue;
    if (!hasValue && !o.isFlag)
      return "target '" + targetName + "': option '" + o.key +
             "' expects a value (" + o.key + "=<" + o.valueName + ">)";
    std::string why = o.set(hasValue ? value : "1");
    if (!why.empty())
      return "target '" + targetName + "': option '" + o.key + "': " + why;
    return "";
  }
  std::string known;
  for (const Option &o : options)
    known += (known.empty() ? "" : ", ") + o.key;
  return "target '" + targetName + "' has no option '" + key.str() + "' (" +
         (known.empty() ? std::string("it has none") : "it has: " + known) +
         ")";
}

void TargetOptionParser::printHelp(llvm::raw_ostream &os,
                                   unsigned indent) const {
  size_t width = 0;
  for (const Option &o : options)
    width = std::max(width, o.key.size() + o.valueName.size() + 3);
  for (const Option &o : options) {
    std::string spelling = o.key + "=<" + o.valueName + ">";
    os.indent(indent) << spelling;
    os.indent(width - spelling.size() + 2) << o.help << "\n";
  }
}

std::unique_ptr<TargetOptions>
cambrian::parseTargetOptions(const Target &target,
                             llvm::ArrayRef<std::string> keyValues,
                             std::string &error) {
  std::unique_ptr<TargetOptions> options = target.createOptions();
  TargetOptionParser parser(target.name());
  options->declare(parser);
  for (const std::string &kv : keyValues) {
    error = parser.parse(kv);
    if (!error.empty())
      return nullptr;
  }
  return options;
}

void cambrian::printTargetOptions(const Target &target, llvm::raw_ostream &os,
                                  unsigned indent) {
  std::unique_ptr<TargetOptions> options = target.createOptions();
  TargetOptionParser parser(target.name());
  options->declare(parser);
  parser.printHelp(os, indent);
}

//===----------------------------------------------------------------------===//
// Target
//===----------------------------------------------------------------------===//

Target::~Target() = default;

void Target::registerDialects(mlir::DialectRegistry &) const {}

void Target::registerPasses() const {}

bool Target::mapsOp(mlir::Operation *) const { return false; }

std::unique_ptr<TargetOptions> Target::createOptions() const {
  return std::make_unique<TargetOptions>();
}

std::vector<TargetPhase> Target::phases() const { return {}; }

mlir::LogicalResult Target::emitPhase(mlir::ModuleOp module,
                                      llvm::StringRef phase,
                                      const CompileOptions &,
                                      const TargetOptions &,
                                      llvm::raw_ostream &) const {
  return mlir::emitError(module.getLoc())
         << "target '" << name() << "' has no phase '" << phase << "'";
}
