//===- EmitModule.cpp - LLVM dialect to a shared object -------------------===//
//
// The last step of the x86 target: translate to LLVM IR, add the module ABI
// (cambrian-c/ModuleABI.h) around the model's function, optimize for the
// chosen CPU, write an object file and link it with the kernel library into
// one shared object that needs only libc, libm and libpthread.
//
//===----------------------------------------------------------------------===//

#include "targets/x86/X86Target.h"
#include "cambrian-c/ModuleABI.h"
#include "dialects/Cambrian/CambrianDialect.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#ifndef CAMBRIAN_RUNTIME_DIR_DEFAULT
#define CAMBRIAN_RUNTIME_DIR_DEFAULT ""
#endif
#ifndef CAMBRIAN_VERSION
#define CAMBRIAN_VERSION "0.0.0"
#endif

using namespace mlir;
using namespace cambrian;

namespace {

struct TensorDesc {
  std::string name;
  int32_t elemType;
  SmallVector<int64_t> shape;
};

/// Reads the module's typed signature (verified with the module).
LogicalResult readSignature(ModuleOp module, SmallVectorImpl<TensorDesc> &ins,
                            SmallVectorImpl<TensorDesc> &outs) {
  auto sig = module->getAttrOfType<cmb::SignatureAttr>(
      cmb::CambrianDialect::kSignatureAttrName);
  if (!sig)
    return emitError(module.getLoc())
           << "module has no '" << cmb::CambrianDialect::kSignatureAttrName
           << "' attribute; was it produced by the Cambrian importer?";
  for (auto [specs, descs] : {std::make_pair(sig.getInputs(), &ins),
                              std::make_pair(sig.getOutputs(), &outs)})
    for (cmb::TensorSpecAttr spec : specs)
      descs->push_back({spec.getName().str(),
                        static_cast<int32_t>(spec.getElementType()),
                        SmallVector<int64_t>(spec.getShape())});
  return success();
}

/// The x86-64 target of LLVM, initialised once.
const llvm::Target *lookupX86Target(const llvm::Triple &triple,
                                    std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  return llvm::TargetRegistry::lookupTarget(triple, error);
}

/// "" if `cpu` is a CPU LLVM knows, else why not. Asked of a generic
/// subtarget: creating one for an unknown CPU would print LLVM's own warning.
std::string checkKnownCPU(const llvm::Target &target, const llvm::Triple &triple,
                          StringRef cpu) {
  std::unique_ptr<llvm::MCSubtargetInfo> sti(
      target.createMCSubtargetInfo(triple, "generic", ""));
  if (sti && sti->isCPUStringValid(cpu))
    return "";
  return "unknown CPU '" + cpu.str() + "' (try e.g. x86-64-v3, "
         "skylake-avx512, znver4, or leave it out for the host)";
}

/// The target machine for `cpu` (empty: the host) with its features.
std::unique_ptr<llvm::TargetMachine>
createTargetMachine(StringRef cpuName, unsigned optLevel, std::string &error) {
  llvm::Triple triple("x86_64-unknown-linux-gnu");
  const llvm::Target *target = lookupX86Target(triple, error);
  if (!target)
    return nullptr;
  std::string cpu = cpuName.str();
  std::string features;
  if (cpu.empty() || cpu == "host" || cpu == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      features += (features.empty() ? "" : ",") +
                  std::string(f.second ? "+" : "-") + f.first().str();
  } else if (error = checkKnownCPU(*target, triple, cpu); !error.empty()) {
    return nullptr;
  }
  llvm::TargetOptions to;
  auto level = optLevel == 0   ? llvm::CodeGenOptLevel::None
               : optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : optLevel == 2 ? llvm::CodeGenOptLevel::Default
                               : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, to, llvm::Reloc::PIC_, std::nullopt, level));
  if (!tm)
    error = "cannot create an x86-64 target machine for CPU '" + cpu + "'";
  return tm;
}

/// Adds cambrian_module_describe and cambrian_module_run around `main`.
/// With `profile` (the labels of an instrumented module), also
/// cambrian_module_profile.
LogicalResult addModuleABI(llvm::Module &m, ArrayRef<TensorDesc> ins,
                           ArrayRef<TensorDesc> outs, StringRef modelName,
                           ArrayAttr profile, Location loc) {
  llvm::LLVMContext &ctx = m.getContext();
  llvm::Function *main = m.getFunction("main");
  if (!main)
    return emitError(loc) << "the lowered module has no 'main' function";
  auto *i32 = llvm::Type::getInt32Ty(ctx);
  auto *i64 = llvm::Type::getInt64Ty(ctx);
  auto *ptr = llvm::PointerType::getUnqual(ctx);
  llvm::IRBuilder<> b(ctx);

  // --- describe ---------------------------------------------------------
  auto *tensorInfo = llvm::StructType::create(ctx, {ptr, i32, i32, ptr},
                                              "cambrian_tensor_info");
  auto str = [&](StringRef s, StringRef name) -> llvm::Constant * {
    auto *init = llvm::ConstantDataArray::getString(ctx, s, true);
    return new llvm::GlobalVariable(m, init->getType(), true,
                                    llvm::GlobalValue::PrivateLinkage, init,
                                    name);
  };
  auto infos = [&](ArrayRef<TensorDesc> ts, StringRef kind) -> llvm::Constant * {
    std::vector<llvm::Constant *> elems;
    for (size_t i = 0; i < ts.size(); ++i) {
      std::vector<llvm::Constant *> dims;
      for (int64_t d : ts[i].shape)
        dims.push_back(llvm::ConstantInt::get(i64, d));
      auto *shapeTy = llvm::ArrayType::get(i64, dims.size());
      auto *shape = new llvm::GlobalVariable(
          m, shapeTy, true, llvm::GlobalValue::PrivateLinkage,
          llvm::ConstantArray::get(shapeTy, dims),
          (kind + "_shape_" + std::to_string(i)).str());
      elems.push_back(llvm::ConstantStruct::get(
          tensorInfo,
          {str(ts[i].name, (kind + "_name_" + std::to_string(i)).str()),
           llvm::ConstantInt::get(i32, ts[i].elemType),
           llvm::ConstantInt::get(i32, ts[i].shape.size()), shape}));
    }
    auto *arrTy = llvm::ArrayType::get(tensorInfo, elems.size());
    return new llvm::GlobalVariable(m, arrTy, true,
                                    llvm::GlobalValue::PrivateLinkage,
                                    llvm::ConstantArray::get(arrTy, elems),
                                    (kind + "_infos").str());
  };
  auto *moduleInfo = llvm::StructType::create(
      ctx, {i32, i32, ptr, ptr, ptr, i32, i32, ptr, ptr}, "cambrian_module_info");
  auto *info = new llvm::GlobalVariable(
      m, moduleInfo, true, llvm::GlobalValue::PrivateLinkage,
      llvm::ConstantStruct::get(
          moduleInfo,
          {llvm::ConstantInt::get(i32, CAMBRIAN_MODULE_MAGIC),
           llvm::ConstantInt::get(i32, CAMBRIAN_MODULE_ABI_VERSION),
           str("x86", "target_name"),
           str("cambrian " CAMBRIAN_VERSION, "producer"),
           str(modelName, "model_name"),
           llvm::ConstantInt::get(i32, ins.size()),
           llvm::ConstantInt::get(i32, outs.size()), infos(ins, "input"),
           infos(outs, "output")}),
      "module_info");
  auto *describe = llvm::Function::Create(
      llvm::FunctionType::get(ptr, false), llvm::GlobalValue::ExternalLinkage,
      "cambrian_module_describe", m);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", describe));
  b.CreateRet(info);

  // --- run --------------------------------------------------------------
  // main takes each memref (inputs, then outputs) expanded as
  // (allocated, aligned, offset, sizes..., strides...).
  size_t expected = 0;
  for (ArrayRef<TensorDesc> side : {ins, outs})
    for (const TensorDesc &t : side)
      expected += 3 + 2 * t.shape.size();
  if (main->arg_size() != expected || !main->getReturnType()->isVoidTy())
    return emitError(loc) << "internal error: 'main' has " << main->arg_size()
                          << " parameters, the signature implies " << expected;
  auto *run = llvm::Function::Create(
      llvm::FunctionType::get(i32, {ptr, ptr}, false),
      llvm::GlobalValue::ExternalLinkage, "cambrian_module_run", m);
  b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", run));
  std::vector<llvm::Value *> args;
  auto addArgs = [&](llvm::Value *array, ArrayRef<TensorDesc> ts) {
    for (size_t i = 0; i < ts.size(); ++i) {
      llvm::Value *slot = b.CreateConstInBoundsGEP1_64(ptr, array, i);
      llvm::Value *p = b.CreateLoad(ptr, slot);
      args.push_back(p);
      args.push_back(p);
      args.push_back(llvm::ConstantInt::get(i64, 0));
      for (int64_t d : ts[i].shape)
        args.push_back(llvm::ConstantInt::get(i64, d));
      int64_t stride = 1;
      std::vector<llvm::Value *> strides(ts[i].shape.size());
      for (int64_t d = ts[i].shape.size() - 1; d >= 0; --d) {
        strides[d] = llvm::ConstantInt::get(i64, stride);
        stride *= ts[i].shape[d];
      }
      args.insert(args.end(), strides.begin(), strides.end());
    }
  };
  addArgs(run->getArg(0), ins);
  addArgs(run->getArg(1), outs);
  b.CreateCall(main, args);
  b.CreateRet(llvm::ConstantInt::get(i32, 0));

  // --- profile (modules compiled with --profile only) ---------------------
  llvm::Function *profileFn = nullptr;
  if (profile) {
    // The instrumented code counts into the rows' last two words; the first
    // two become the label pointers of cambrian_profile_entry.
    llvm::GlobalVariable *counters =
        m.getGlobalVariable(x86::kProfileTableSymbol, /*AllowInternal=*/true);
    if (!counters)
      return emitError(loc) << "internal error: the module has profile "
                               "labels but no counter table";
    auto *entryTy = llvm::StructType::create(ctx, {ptr, ptr, i64, i64},
                                             "cambrian_profile_entry");
    std::vector<llvm::Constant *> rows;
    for (auto [i, a] : llvm::enumerate(profile)) {
      auto label = cast<ArrayAttr>(a);
      std::string suffix = std::to_string(i);
      rows.push_back(llvm::ConstantStruct::get(
          entryTy, {str(cast<StringAttr>(label[0]).getValue(), "profile_node_" + suffix),
                    str(cast<StringAttr>(label[1]).getValue(), "profile_kind_" + suffix),
                    llvm::ConstantInt::get(i64, 0),
                    llvm::ConstantInt::get(i64, 0)}));
    }
    auto *arrTy = llvm::ArrayType::get(entryTy, rows.size());
    if (m.getDataLayout().getTypeAllocSize(arrTy) !=
        m.getDataLayout().getTypeAllocSize(counters->getValueType()))
      return emitError(loc) << "internal error: the profile table has "
                            << rows.size() << " labels but a different size";
    auto *table = new llvm::GlobalVariable(
        m, arrTy, /*isConstant=*/false, llvm::GlobalValue::InternalLinkage,
        llvm::ConstantArray::get(arrTy, rows), "profile_table");
    table->setAlignment(llvm::Align(8));
    counters->replaceAllUsesWith(table);
    counters->eraseFromParent();
    profileFn = llvm::Function::Create(
        llvm::FunctionType::get(ptr, {ptr}, false),
        llvm::GlobalValue::ExternalLinkage, "cambrian_module_profile", m);
    b.SetInsertPoint(llvm::BasicBlock::Create(ctx, "entry", profileFn));
    b.CreateStore(llvm::ConstantInt::get(i32, rows.size()),
                  profileFn->getArg(0));
    b.CreateRet(table);
  }

  // Only the ABI is exported.
  for (llvm::Function &f : m)
    if (!f.isDeclaration() && &f != run && &f != describe && &f != profileFn)
      f.setLinkage(llvm::GlobalValue::InternalLinkage);
  std::string err;
  llvm::raw_string_ostream es(err);
  if (llvm::verifyModule(m, &es))
    return emitError(loc) << "internal error: invalid LLVM IR: " << err;
  return success();
}

void optimize(llvm::Module &m, llvm::TargetMachine &tm, unsigned level) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = level >= 2;
  tuning.SLPVectorization = level >= 2;
  llvm::PassBuilder pb(&tm, tuning);
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cgam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel ol = level == 0   ? llvm::OptimizationLevel::O0
                               : level == 1 ? llvm::OptimizationLevel::O1
                               : level == 2 ? llvm::OptimizationLevel::O2
                                            : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager mpm = level == 0
                                    ? pb.buildO0DefaultPipeline(ol)
                                    : pb.buildPerModuleDefaultPipeline(ol);
  mpm.run(m, mam);
}

/// Translates, adds the ABI and optimizes.
FailureOr<std::unique_ptr<llvm::Module>>
buildLLVMModule(ModuleOp module, const CompileOptions &options,
                llvm::LLVMContext &llvmCtx, llvm::TargetMachine &tm) {
  SmallVector<TensorDesc> ins, outs;
  if (failed(readSignature(module, ins, outs)))
    return failure();
  registerBuiltinDialectTranslation(*module.getContext());
  registerLLVMDialectTranslation(*module.getContext());
  std::unique_ptr<llvm::Module> m =
      translateModuleToLLVMIR(module, llvmCtx, "cambrian_model");
  if (!m)
    return emitError(module.getLoc()) << "cannot translate to LLVM IR", failure();
  m->setTargetTriple(tm.getTargetTriple());
  m->setDataLayout(tm.createDataLayout());
  std::string modelName;
  if (auto src = module->getAttrOfType<StringAttr>(
          cmb::CambrianDialect::kModelAttrName))
    modelName = llvm::sys::path::filename(src.getValue()).str();
  auto profile = module->getAttrOfType<ArrayAttr>(x86::kProfileAttr);
  if (failed(addModuleABI(*m, ins, outs, modelName, profile, module.getLoc())))
    return failure();
  optimize(*m, tm, options.optLevel);
  return m;
}

/// The kernel archive for the ISA level the target machine supports.
std::string runtimeArchive(llvm::TargetMachine &tm, std::string &error) {
  const llvm::MCSubtargetInfo *sti = tm.getMCSubtargetInfo();
  StringRef isa = "generic";
  if (sti->checkFeatures("+avx512f,+avx512bw,+avx512dq,+avx512vl"))
    isa = "avx512";
  else if (sti->checkFeatures("+avx2,+fma"))
    isa = "avx2";
  std::string file = ("libcambrian_x86_rt_" + isa + ".a").str();
  SmallVector<std::string> dirs;
  if (const char *env = std::getenv("CAMBRIAN_RUNTIME_DIR"))
    dirs.push_back(env);
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
  if (!exe.empty()) {
    SmallString<256> d(llvm::sys::path::parent_path(exe));
    llvm::sys::path::append(d, "..", "lib");
    dirs.push_back(std::string(d));
  }
  dirs.push_back(CAMBRIAN_RUNTIME_DIR_DEFAULT);
  for (const std::string &d : dirs) {
    if (d.empty())
      continue;
    SmallString<256> p(d);
    llvm::sys::path::append(p, file);
    if (llvm::sys::fs::exists(p))
      return std::string(p);
  }
  error = "cannot find the x86 kernel library " + file +
          " (set CAMBRIAN_RUNTIME_DIR to the folder holding it)";
  return "";
}

} // namespace

std::string cambrian::x86::checkCPU(StringRef cpu) {
  if (cpu.empty() || cpu == "host" || cpu == "native")
    return "";
  llvm::Triple triple("x86_64-unknown-linux-gnu");
  std::string error;
  const llvm::Target *target = lookupX86Target(triple, error);
  if (!target)
    return error;
  return checkKnownCPU(*target, triple, cpu);
}

LogicalResult cambrian::x86::emitLLVMIR(ModuleOp module,
                                        const CompileOptions &options,
                                        const X86Options &x86Options,
                                        raw_ostream &os) {
  std::string error;
  auto tm = createTargetMachine(x86Options.cpu, options.optLevel, error);
  if (!tm)
    return emitError(module.getLoc()) << error;
  llvm::LLVMContext llvmCtx;
  auto m = buildLLVMModule(module, options, llvmCtx, *tm);
  if (failed(m))
    return failure();
  (*m)->print(os, nullptr);
  return success();
}

LogicalResult cambrian::x86::emitSharedObject(ModuleOp module,
                                              const CompileOptions &options,
                                              const X86Options &x86Options,
                                              StringRef path) {
  Location loc = module.getLoc();
  std::string error;
  auto tm = createTargetMachine(x86Options.cpu, options.optLevel, error);
  if (!tm)
    return emitError(loc) << error;
  std::string archive = runtimeArchive(*tm, error);
  if (archive.empty())
    return emitError(loc) << error;
  llvm::LLVMContext llvmCtx;
  auto m = buildLLVMModule(module, options, llvmCtx, *tm);
  if (failed(m))
    return failure();

  // Object file in a temporary place; removed whatever happens.
  SmallString<128> objPath;
  if (auto ec = llvm::sys::fs::createTemporaryFile("cambrian", "o", objPath))
    return emitError(loc) << "cannot create a temporary file: " << ec.message();
  llvm::FileRemover removeObj(objPath);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(objPath, ec, llvm::sys::fs::OF_None);
    if (ec)
      return emitError(loc) << "cannot write " << objPath << ": " << ec.message();
    llvm::legacy::PassManager pm;
    if (tm->addPassesToEmitFile(pm, os, nullptr,
                                llvm::CodeGenFileType::ObjectFile))
      return emitError(loc) << "the target cannot emit object files";
    pm.run(**m);
  }

  // Link next to the destination, then rename: no half-written module.
  SmallString<256> tmpOut(path);
  tmpOut += ".tmp%%%%%%";
  SmallString<256> tmpPath;
  int fd;
  if (auto ec = llvm::sys::fs::createUniqueFile(tmpOut, fd, tmpPath))
    return emitError(loc) << "cannot create the output '" << path
                          << "': " << ec.message();
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  llvm::FileRemover removeTmp(tmpPath);
  // Only the module ABI leaves the shared object; the kernels stay local.
  SmallString<128> mapPath;
  if (auto ec = llvm::sys::fs::createTemporaryFile("cambrian", "map", mapPath))
    return emitError(loc) << "cannot create a temporary file: " << ec.message();
  llvm::FileRemover removeMap(mapPath);
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(mapPath, ec);
    os << "{ global: cambrian_module_describe; cambrian_module_run; "
          "cambrian_module_set_threads; "
       << (module->hasAttr(x86::kProfileAttr) ? "cambrian_module_profile; " : "")
       << "local: *; };\n";
  }
  auto cc = llvm::sys::findProgramByName("cc");
  if (!cc)
    return emitError(loc) << "cannot find the system linker driver 'cc' on PATH";
  SmallVector<std::string> argv = {*cc,
                                   "-shared",
                                   "-o",
                                   std::string(tmpPath),
                                   std::string(objPath),
                                   "-Wl,-u,cambrian_module_set_threads",
                                   archive,
                                   "-Wl,--as-needed",
                                   "-lm",
                                   "-lpthread",
                                   "-Wl,-z,noexecstack",
                                   "-Wl,--version-script=" + std::string(mapPath)};
  SmallVector<StringRef> args(argv.begin(), argv.end());
  std::string linkError;
  SmallString<128> logPath;
  llvm::sys::fs::createTemporaryFile("cambrian-link", "log", logPath);
  llvm::FileRemover removeLog(logPath);
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(logPath),
                                          StringRef(logPath)};
  int rc = llvm::sys::ExecuteAndWait(*cc, args, std::nullopt, redirects, 0, 0,
                                     &linkError);
  if (rc != 0) {
    auto log = llvm::MemoryBuffer::getFile(logPath);
    return emitError(loc) << "linking the module failed"
                          << (linkError.empty() ? "" : ": " + linkError)
                          << (log ? "\n" + (*log)->getBuffer().str() : "");
  }
  if (auto ec = llvm::sys::fs::rename(tmpPath, path))
    return emitError(loc) << "cannot write '" << path << "': " << ec.message();
  removeTmp.releaseFile();
  return success();
}
