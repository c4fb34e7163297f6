//===- main.cpp - cambrian-compile: ONNX model to deployable module -------===//

#include "cambrian/Pipeline/Diagnostics.h"
#include "cambrian/Pipeline/Pipeline.h"
#include "cambrian/Quantize/Quantize.h"
#include "cambrian/Runtime/Npy.h"
#include "cambrian/Target/TargetRegistry.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/WithColor.h"

using namespace llvm;
using namespace cambrian;

static cl::OptionCategory category("cambrian-compile options");
static cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                                      cl::desc("<model.onnx | model.onnxtxt>"),
                                      cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Output file"),
                                       cl::value_desc("path"), cl::cat(category));
static cl::opt<std::string> targetName("target", cl::desc("Target (default x86)"),
                                       cl::init("x86"), cl::cat(category));
static cl::list<std::string>
    targetOpts("target-opt",
               cl::desc("An option of the target, parsed by the target (see "
                        "the list of targets above)"),
               cl::value_desc("key=value"), cl::cat(category));
// The x86 target's options under the names they had before targets parsed
// their own: forwarded as `--target-opt cpu=...` and `profile=1`.
static cl::opt<std::string> cpu("cpu",
                                cl::desc("Target CPU (default: the host); same "
                                         "as --target-opt cpu=NAME"),
                                cl::value_desc("name"), cl::cat(category));
static cl::opt<unsigned> optLevel("O", cl::desc("Optimization level 0..3 (default 2)"),
                                  cl::Prefix, cl::init(2), cl::cat(category));
static cl::opt<std::string>
    emit("emit",
         cl::desc("Print the output of a phase instead of writing a module: "
                  "import, graph, target (after the target pipeline), or a "
                  "phase the target adds (see the list of targets above)"),
         cl::value_desc("phase"), cl::cat(category));
static cl::alias compileTo("compile-to", cl::desc("Alias for --emit"),
                           cl::aliasopt(emit), cl::cat(category));
static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Static shape of an input, e.g. x=1x3x224x224 "
                         "(pins symbolic dimensions)"),
                cl::value_desc("name=DxDx..."), cl::cat(category));
static cl::list<std::string>
    bindInputs("bind-input",
               cl::desc("Fix an input to the value in a .npy file; it becomes "
                        "a constant and leaves the module's inputs"),
               cl::value_desc("name=file.npy"), cl::cat(category));
static cl::opt<bool>
    profile("profile",
            cl::desc("Time every kernel call and loop nest at run time "
                     "(read with `cambrian-run --profile`); same as "
                     "--target-opt profile=1"),
            cl::cat(category));
static cl::OptionCategory quantCategory(
    "Post-training quantization (docs/quantization.md)");
static cl::opt<std::string>
    quantize("quantize",
             cl::desc("Quantize the float model after calibrating it on "
                      "--calibration (only int8)"),
             cl::value_desc("int8"), cl::cat(quantCategory));
static cl::opt<std::string>
    calibrationDir("calibration",
                   cl::desc("Calibration samples: one .npy per sample, or one "
                            "sub-folder per sample with one <input>.npy per "
                            "input"),
                   cl::value_desc("dir"), cl::cat(quantCategory));
static cl::opt<std::string>
    calibrate("calibrate",
              cl::desc("How ranges are chosen: minmax (default), percentile "
                       "or entropy"),
              cl::value_desc("method"), cl::init("minmax"),
              cl::cat(quantCategory));
static cl::opt<double>
    percentile("percentile",
               cl::desc("The mass --calibrate=percentile keeps on each side, "
                        "in % (default 99.999)"),
               cl::init(99.999), cl::cat(quantCategory));
static cl::opt<bool> perChannel("per-channel",
                                cl::desc("One weight scale per output channel "
                                         "(the default)"),
                                cl::cat(quantCategory));
static cl::opt<bool> perTensor("per-tensor",
                               cl::desc("One scale per weight tensor"),
                               cl::cat(quantCategory));
static cl::list<std::string>
    quantizeExclude("quantize-exclude",
                    cl::desc("Nodes that stay float, by ONNX node name"),
                    cl::value_desc("node,..."), cl::CommaSeparated,
                    cl::cat(quantCategory));
static cl::opt<std::string>
    quantizeReport("quantize-report",
                   cl::desc("Write the scales and the error of every "
                            "quantized layer as JSON"),
                   cl::value_desc("file.json"), cl::cat(quantCategory));
static cl::opt<std::string>
    saveQuantized("save-quantized",
                  cl::desc("Also write the quantized (QDQ) ONNX model, e.g. "
                           "to run it with another runtime"),
                  cl::value_desc("file.onnx"), cl::cat(quantCategory));
static cl::opt<bool>
    verbose("verbose",
            cl::desc("Print the compiler's remarks (which quantized nodes run "
                     "in float) and the calibration's progress even when "
                     "stderr is not a terminal"),
            cl::cat(category));
static cl::opt<bool> listTargets("list-targets", cl::desc("List the targets"),
                                 cl::cat(category));

static int fail(const Twine &message) {
  WithColor::error(errs(), "cambrian-compile") << message << "\n";
  return 1;
}

/// Reads the quantization options; an error message or "".
static std::string quantizeOptions(quant::QuantizeOptions &q) {
  bool any = !calibrationDir.empty() || calibrate.getNumOccurrences() ||
             percentile.getNumOccurrences() || perChannel || perTensor ||
             !quantizeExclude.empty() || !quantizeReport.empty() ||
             !saveQuantized.empty();
  if (quantize.empty())
    return any ? "--calibration, --calibrate, --percentile, --per-channel, "
                 "--per-tensor, --quantize-exclude, --quantize-report and "
                 "--save-quantized need --quantize int8"
               : "";
  if (quantize != "int8")
    return "--quantize expects int8, got '" + quantize + "'";
  if (calibrationDir.empty())
    return "--quantize int8 needs --calibration DIR (the samples to "
           "calibrate on)";
  std::optional<quant::Calibrator> method = quant::parseCalibrator(calibrate);
  if (!method)
    return "--calibrate expects minmax, percentile or entropy, got '" +
           calibrate + "'";
  if (perChannel && perTensor)
    return "--per-channel and --per-tensor exclude each other";
  if (!(percentile > 0 && percentile <= 100))
    return "--percentile expects a value in (0, 100], got " +
           std::to_string(percentile);
  q.calibrationDir = calibrationDir;
  q.calibrator = *method;
  q.percentile = percentile;
  q.perChannel = !perTensor;
  q.exclude.assign(quantizeExclude.begin(), quantizeExclude.end());
  q.reportPath = quantizeReport;
  q.progress = verbose || sys::Process::StandardErrIsDisplayed();
  return "";
}

/// The overview `--help` prints: usage, then each target with its phases
/// and options.
static std::string overview() {
  std::string text;
  raw_string_ostream os(text);
  os << "Cambrian: compile an ONNX model into a deployable module\n\n"
        "  cambrian-compile model.onnx --target x86 -o model.so\n\n"
        "Targets (--target NAME), the phases each adds after `target` "
        "(--emit) and its\noptions (--target-opt key=value):\n";
  for (const Target *t : TargetRegistry::all()) {
    os << "  " << t->name() << ": " << t->summary() << "\n";
    for (const TargetPhase &p : t->phases())
      os << "    --emit=" << p.name << ": " << p.description << "\n";
    printTargetOptions(*t, os, 4);
  }
  return text;
}

int main(int argc, char **argv) {
  InitLLVM init(argc, argv);
  registerAllTargets();
  cl::HideUnrelatedOptions({&category, &quantCategory});
  if (argc > 1 && StringRef(argv[1]) == "--list-targets") {
    for (const Target *t : TargetRegistry::all())
      outs() << t->name() << "\t" << t->summary() << "\n";
    return 0;
  }
  std::string help = overview();
  cl::ParseCommandLineOptions(argc, argv, help);

  CompileOptions options;
  options.target = targetName;
  if (optLevel > 3)
    return fail("-O" + Twine(optLevel) + " is not a level (use -O0..-O3)");
  options.optLevel = optLevel;
  if (cpu.getNumOccurrences())
    options.targetOptions.push_back("cpu=" + cpu);
  if (profile)
    options.targetOptions.push_back("profile=1");
  options.targetOptions.insert(options.targetOptions.end(), targetOpts.begin(),
                               targetOpts.end());
  for (const std::string &spec : inputShapes) {
    auto [name, dims] = StringRef(spec).rsplit('=');
    if (name.empty() || dims.empty())
      return fail("--input-shape expects name=DxDx..., got '" + spec + "'");
    SmallVector<int64_t, 4> shape;
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    for (StringRef p : parts) {
      int64_t d;
      if (p.getAsInteger(10, d) || d < 0)
        return fail("--input-shape '" + spec + "': '" + p +
                    "' is not a dimension");
      shape.push_back(d);
    }
    options.import.inputShapes[name] = shape;
  }
  for (const std::string &spec : bindInputs) {
    auto [name, file] = StringRef(spec).split('=');
    if (name.empty() || file.empty())
      return fail("--bind-input expects name=file.npy, got '" + spec + "'");
    NpyArray array;
    std::string err = readNpy(file.str(), array);
    if (!err.empty())
      return fail("--bind-input '" + spec + "': " + err);
    BoundInput &bound = options.import.boundInputs[name];
    bound.elemType = array.elemType;
    bound.shape.assign(array.shape.begin(), array.shape.end());
    bound.data = std::move(array.data);
  }
  quant::QuantizeOptions quantOptions;
  if (std::string err = quantizeOptions(quantOptions); !err.empty())
    return fail(err);
  if (emit == phaseName(Phase::Module))
    return fail("--emit expects a phase before the module (import, graph, "
                "target, or one the target adds), got 'module'; leave --emit "
                "out to write the module");
  bool writeModule = emit.empty();
  std::string out = outputPath;
  if (out.empty() && writeModule) {
    const Target *target = TargetRegistry::lookup(targetName);
    SmallString<128> stem(sys::path::stem(modelPath));
    out = (stem + (target ? target->moduleSuffix() : ".so")).str();
  }

  mlir::MLIRContext ctx(mlir::MLIRContext::Threading::DISABLED);
  bool failed = false;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    if (d.getSeverity() == mlir::DiagnosticSeverity::Error) {
      failed = true;
      WithColor::error(errs(), "cambrian-compile") << formatDiagnostic(d) << "\n";
    } else if (d.getSeverity() == mlir::DiagnosticSeverity::Warning) {
      WithColor::warning(errs(), "cambrian-compile") << formatDiagnostic(d) << "\n";
    } else if (d.getSeverity() == mlir::DiagnosticSeverity::Remark &&
               verbose) {
      // The message alone: its node name says where; the op it is attached
      // to would only repeat that as IR.
      WithColor::remark(errs(), "cambrian-compile")
          << sys::path::filename(modelPath) << ": " << d.str() << "\n";
    }
    return mlir::success();
  });

  // Quantization writes a QDQ model, which then compiles like any other.
  std::string compiledPath = modelPath;
  SmallString<128> quantizedPath;
  std::optional<FileRemover> removeQuantized;
  if (!quantize.empty()) {
    if (!saveQuantized.empty()) {
      quantizedPath = saveQuantized;
    } else {
      if (std::error_code ec = sys::fs::createTemporaryFile(
              "cambrian-quantized", "onnx", quantizedPath))
        return fail("cannot create a temporary file: " + ec.message());
      removeQuantized.emplace(quantizedPath);
      sys::RemoveFileOnSignal(quantizedPath);
    }
    if (mlir::failed(quant::quantizeModel(ctx, modelPath, options,
                                          quantOptions, quantizedPath)) ||
        failed)
      return 1;
    compiledPath = std::string(quantizedPath);
  }
  auto quantizedNote = [&] {
    if (!quantize.empty())
      WithColor::note(errs(), "cambrian-compile")
          << "'" << compiledPath << "' is the quantized model of '"
          << modelPath << "'\n";
    return 1;
  };

  if (!writeModule) {
    std::string err;
    auto file = mlir::openOutputFile(out.empty() ? "-" : out, &err);
    if (!file)
      return fail(err);
    if (mlir::failed(compileModel(ctx, compiledPath, options, emit, "",
                                  file->os())) || failed)
      return quantizedNote();
    file->keep();
    return 0;
  }
  if (mlir::failed(compileModel(ctx, compiledPath, options, "", out, nulls())) ||
      failed)
    return quantizedNote();
  return 0;
}
