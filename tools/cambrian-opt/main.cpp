//===- main.cpp - cambrian-opt: mlir-opt with Cambrian's passes -----------===//
//
// Upstream's passes, Cambrian's graph passes and pipeline, and every
// registered target's dialects, passes and pipelines.
//
//===----------------------------------------------------------------------===//

#include "dialects/Cambrian/Passes.h"
#include "cambrian/Pipeline/Pipeline.h"
#include "cambrian/Target/TargetRegistry.h"
#include "cambrian/Transforms/Passes.h"

#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  cambrian::cmb::registerCambrianPasses();
  cambrian::registerTransformsPasses();
  cambrian::registerGraphPipeline();
  mlir::DialectRegistry registry;
  cambrian::registerAllDialects(registry);
  cambrian::registerAllTargets();
  cambrian::registerTargetDialectsAndPasses(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "Cambrian optimizer driver\n", registry));
}
