//===- Calibration.cpp - Running the float model natively -----------------===//
//
// Calibration compiles the model for this machine with the tensors it needs
// as extra graph outputs, loads the module with the run-time loader and
// runs it on every sample. The same runner serves the report, which runs
// the quantized model next to the float one.
//
//===----------------------------------------------------------------------===//

#include "QuantizeInternal.h"

#include "cambrian/Runtime/ModuleLoader.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Signals.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstring>

using namespace cambrian;
using namespace cambrian::quant;
using namespace mlir;

//===----------------------------------------------------------------------===//
// TempDir
//===----------------------------------------------------------------------===//

std::string TempDir::create() {
  // In the system's temporary folder ($TMPDIR), never the working one.
  llvm::SmallString<128> model;
  llvm::sys::path::system_temp_directory(/*ErasedOnReboot=*/true, model);
  llvm::sys::path::append(model, "cambrian-quantize");
  std::error_code ec = llvm::sys::fs::createUniqueDirectory(model, dir);
  if (ec)
    return "cannot create a temporary folder: " + ec.message();
  return "";
}

std::string TempDir::file(llvm::StringRef name) {
  llvm::SmallString<128> p(dir);
  llvm::sys::path::append(p, name);
  llvm::sys::RemoveFileOnSignal(p);
  files.push_back(std::string(p));
  return files.back();
}

TempDir::~TempDir() {
  if (dir.empty())
    return;
  for (const std::string &f : files)
    llvm::sys::DontRemoveFileOnSignal(f);
  // Everything in it, including what a compiler step left beside our files.
  llvm::sys::fs::remove_directories(dir);
}

//===----------------------------------------------------------------------===//
// NativeRunner
//===----------------------------------------------------------------------===//

LogicalResult NativeRunner::build(MLIRContext &ctx, onnx::ModelProto model,
                                  const std::vector<std::string> &extraOutputs,
                                  const CompileOptions &compile,
                                  const std::vector<ModelInput> &inputs,
                                  const std::vector<std::vector<int64_t>> &shapes,
                                  TempDir &tmp, llvm::StringRef stem) {
  onnx::GraphProto &graph = *model.mutable_graph();
  std::set<std::string> present;
  for (const onnx::ValueInfoProto &o : graph.output())
    present.insert(o.name());
  for (const std::string &name : extraOutputs)
    if (present.insert(name).second)
      graph.add_output()->set_name(name);

  std::string modelPath = tmp.file((stem + ".onnx").str());
  std::string modulePath = tmp.file((stem + ".so").str());
  if (std::string err = writeModel(model, modelPath); !err.empty())
    return emitError(UnknownLoc::get(&ctx)) << err;

  // Calibration runs here, whatever the target: x86 for the host CPU, with
  // the caller's shapes and bound inputs.
  CompileOptions native;
  native.target = "x86";
  native.optLevel = compile.optLevel;
  native.import = compile.import;
  for (size_t k = 0; k < inputs.size(); ++k)
    native.import.inputShapes[inputs[k].name] =
        llvm::SmallVector<int64_t, 4>(shapes[k].begin(), shapes[k].end());
  if (failed(compileModel(ctx, modelPath, native, "", modulePath,
                          llvm::nulls())))
    return emitError(UnknownLoc::get(&ctx))
           << "could not compile the model for calibration (above)";

  registerAllLoaders();
  std::string error;
  module = loadModule(modulePath, error);
  if (!module)
    return emitError(UnknownLoc::get(&ctx)) << error;
  module->setThreads(1);
  const std::vector<TensorInfo> &outs = module->outputs();
  buffers.resize(outs.size());
  for (size_t i = 0; i < outs.size(); ++i) {
    outputIndex[outs[i].name] = i;
    buffers[i].resize(outs[i].byteSize());
  }
  return success();
}

std::string NativeRunner::run(const std::vector<NpyArray> &arrays) {
  std::vector<const void *> in;
  for (const NpyArray &a : arrays)
    in.push_back(a.data.data());
  std::vector<void *> out;
  for (std::vector<char> &b : buffers)
    out.push_back(b.data());
  return module->run(in, out);
}

int32_t NativeRunner::outputType(const std::string &name) const {
  auto it = outputIndex.find(name);
  return it == outputIndex.end() ? 0 : module->outputs()[it->second].elemType;
}

const float *NativeRunner::output(const std::string &name,
                                  int64_t &count) const {
  auto it = outputIndex.find(name);
  if (it == outputIndex.end())
    return nullptr;
  const TensorInfo &info = module->outputs()[it->second];
  if (info.elemType != onnx::TensorProto::FLOAT)
    return nullptr;
  count = info.numElements();
  return reinterpret_cast<const float *>(buffers[it->second].data());
}

//===----------------------------------------------------------------------===//
// Progress
//===----------------------------------------------------------------------===//

void Progress::update(llvm::StringRef what, size_t done) {
  if (!enabled || total == 0)
    return;
  // A few redraws a second are enough, and keep a log of --verbose short.
  auto now = std::chrono::steady_clock::now();
  if (drawn && done < total && now - lastDraw < std::chrono::milliseconds(100))
    return;
  lastDraw = now;
  constexpr int kWidth = 30;
  int filled = int(done * kWidth / total);
  std::string bar(filled, '#');
  bar.resize(kWidth, ' ');
  // \r and clear-to-end keep it one line as the label changes.
  llvm::errs() << "\r" << what << " [" << bar << "] " << done << "/" << total
               << "\x1b[K";
  llvm::errs().flush();
  drawn = true;
}

void Progress::finish() {
  if (drawn)
    llvm::errs() << "\n";
  drawn = false;
}
