//===- Diagnostics.cpp - One-line error messages --------------------------===//
//
// Cambrian's errors name the file and, inside the message, the node, op and
// opset. Locations are printed as the file name only (ONNX has no lines).
//
//===----------------------------------------------------------------------===//

#include "cambrian/Pipeline/Diagnostics.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"

#include "llvm/Support/raw_ostream.h"

/// The file a location refers to, or "".
static std::string fileOf(mlir::Location loc) {
  if (auto f = mlir::dyn_cast<mlir::FileLineColLoc>(loc))
    return f.getFilename().str();
  if (auto n = mlir::dyn_cast<mlir::NameLoc>(loc))
    return fileOf(n.getChildLoc());
  if (auto c = mlir::dyn_cast<mlir::CallSiteLoc>(loc))
    return fileOf(c.getCallee());
  if (auto f = mlir::dyn_cast<mlir::FusedLoc>(loc))
    for (mlir::Location l : f.getLocations())
      if (std::string s = fileOf(l); !s.empty())
        return s;
  return "";
}

std::string formatDiagnostic(mlir::Diagnostic &diag) {
  std::string out;
  llvm::raw_string_ostream os(out);
  std::string file = fileOf(diag.getLocation());
  if (!file.empty())
    os << file << ": ";
  os << diag.str();
  for (mlir::Diagnostic &note : diag.getNotes())
    os << " (" << note.str() << ")";
  return out;
}
