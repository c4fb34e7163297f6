//===- Diagnostics.h - One-line error messages ------------------*- C++ -*-===//

#ifndef CAMBRIAN_PIPELINE_DIAGNOSTICS_H
#define CAMBRIAN_PIPELINE_DIAGNOSTICS_H

#include <string>

namespace mlir {
class Diagnostic;
} // namespace mlir

/// Formats `diag` on one line: "<file>: <message> (<notes>)".
std::string formatDiagnostic(mlir::Diagnostic &diag);

#endif // CAMBRIAN_PIPELINE_DIAGNOSTICS_H
