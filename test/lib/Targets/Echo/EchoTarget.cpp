//===- EchoTarget.cpp - The compile side of the echo test target ----------===//
//
// The smallest complete target: a pipeline registered for cambrian-opt, an
// option it parses itself, a phase of its own and an emitter. It exists to
// show (and test) that a target plugs in through cambrian_add_target alone.
//
//===----------------------------------------------------------------------===//

#include "test/lib/Targets/Echo/EchoModule.h"

#include "cambrian/Target/TargetRegistry.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace cambrian;

namespace cambrian::echo {
void registerEchoTarget();
} // namespace cambrian::echo

namespace {

/// `--target-opt banner=TEXT`: a line copied into the module.
struct EchoOptions : TargetOptions {
  std::string banner = "echo";

  void declare(TargetOptionParser &parser) override {
    parser.add("banner", &banner, "text",
               "A line written into the module (default: echo)",
               [](StringRef value) -> std::string {
                 if (value.contains('\n'))
                   return "must be one line";
                 return "";
               });
  }
};

void buildEchoPipeline(OpPassManager &pm) {
  // Nothing to lower: the module only describes `main`'s arguments.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSymbolDCEPass());
}

/// The ONNX element type code of `type`, or 0 for one echo does not take.
int32_t elementCode(Type type) {
  if (type.isF32())
    return 1;
  if (type.isF64())
    return 11;
  if (type.isF16())
    return 10;
  if (type.isInteger(1))
    return 9;
  if (auto i = dyn_cast<IntegerType>(type)) {
    bool isUnsigned = i.isUnsigned();
    switch (i.getWidth()) {
    case 8: return isUnsigned ? 2 : 3;
    case 16: return isUnsigned ? 4 : 5;
    case 32: return isUnsigned ? 12 : 6;
    case 64: return isUnsigned ? 13 : 7;
    }
  }
  return 0;
}

/// Writes the echo module for `module`'s `main` (EchoModule.h).
LogicalResult writeEchoModule(ModuleOp module, const EchoOptions &options,
                              raw_ostream &os) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return emitError(module.getLoc())
           << "target 'echo': the module has no 'main' function";
  std::string text;
  llvm::raw_string_ostream out(text);
  out << echo::kMagic << " " << echo::kFormatVersion << "\n"
      << "banner " << options.banner << "\n";
  for (auto [i, arg] : llvm::enumerate(main.getArguments())) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    int32_t code = type ? elementCode(type.getElementType()) : 0;
    if (!code || !type.hasStaticShape())
      return emitError(arg.getLoc())
             << "target 'echo': input " << i
             << " is not a static tensor of a plain element type: "
             << arg.getType();
    out << "input in" << i << " " << code << " ";
    if (type.getRank() == 0)
      out << "-";
    llvm::interleave(type.getShape(), out, "x");
    out << "\n";
  }
  os << text;
  return success();
}

class EchoTarget : public Target {
public:
  StringRef name() const override { return "echo"; }
  StringRef summary() const override {
    return "test target (test/lib/Targets/Echo): a text module whose "
           "outputs echo its inputs";
  }
  StringRef moduleSuffix() const override { return ".echo"; }

  void registerPasses() const override {
    PassPipelineRegistration<>(
        "cambrian-echo-pipeline",
        "The echo test target's pipeline (canonicalize, symbol-dce)",
        [](OpPassManager &pm) { buildEchoPipeline(pm); });
  }

  std::unique_ptr<TargetOptions> createOptions() const override {
    return std::make_unique<EchoOptions>();
  }
  std::vector<TargetPhase> phases() const override {
    return {{"listing", "the text of the echo module"}};
  }

  LogicalResult buildPipeline(OpPassManager &pm, const CompileOptions &,
                              const TargetOptions &) const override {
    buildEchoPipeline(pm);
    return success();
  }
  LogicalResult emitPhase(ModuleOp module, StringRef phase,
                          const CompileOptions &options,
                          const TargetOptions &targetOptions,
                          raw_ostream &os) const override {
    if (phase == "listing")
      return writeEchoModule(module, echoOptions(targetOptions), os);
    return Target::emitPhase(module, phase, options, targetOptions, os);
  }
  LogicalResult emitModule(ModuleOp module, const CompileOptions &,
                           const TargetOptions &targetOptions,
                           StringRef path) const override {
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
    if (!file)
      return emitError(module.getLoc()) << error;
    if (failed(writeEchoModule(module, echoOptions(targetOptions), file->os())))
      return failure(); // the file is removed unless kept
    file->keep();
    return success();
  }

private:
  static const EchoOptions &echoOptions(const TargetOptions &options) {
    return static_cast<const EchoOptions &>(options);
  }
};

} // namespace

void cambrian::echo::registerEchoTarget() {
  TargetRegistry::add(std::make_unique<EchoTarget>());
}
