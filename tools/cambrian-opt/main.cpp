//===- main.cpp - cambrian-opt: mlir-opt with Cambrian's passes -----------===//

#include "dialects/Cambrian/Passes.h"
#include "cambrian/Pipeline/Pipeline.h"
#include "cambrian/Transforms/Passes.h"
#include "targets/x86/Passes.h"
#include "targets/x86/X86Target.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  cambrian::cmb::registerCambrianPasses();
  cambrian::registerTransformsPasses();
  cambrian::x86::registerX86Passes();
  cambrian::x86::registerX86Pipeline();
  cambrian::registerGraphPipeline();
  mlir::DialectRegistry registry;
  cambrian::registerAllDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Cambrian optimizer driver\n", registry));
}
