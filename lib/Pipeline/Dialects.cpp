//===- Dialects.cpp - The dialects Cambrian's pipelines use ---------------===//

#include "cambrian/Pipeline/Pipeline.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"

void cambrian::registerAllDialects(mlir::DialectRegistry &registry) {
  // Bufferization and LLVM conversion reach ops through interfaces that
  // are registered as extensions; register all of upstream's.
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registerImportDialects(registry);
}
