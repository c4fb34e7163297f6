//===- CambrianDialect.h - The cambrian dialect and its attributes -*- C++ -*-===//
//
// The middle of the compiler: neural-network ops every target lowers from
// (see CambrianDialect.td).
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_DIALECTS_CAMBRIAN_CAMBRIANDIALECT_H
#define CAMBRIAN_DIALECTS_CAMBRIAN_CAMBRIANDIALECT_H

#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Cambrian/CambrianOpsDialect.h.inc"

namespace cambrian::cmb {
/// Size of a window reduction's output along one dimension (0 when the
/// window does not fit), or dynamic for a dynamic input. `padBegin` and
/// `padEnd` pad the input; with `ceil` the count rounds up while the last
/// window starts inside the input or the leading padding (ONNX's pooling
/// rule).
int64_t windowOutputSize(int64_t in, int64_t kernel, int64_t stride,
                         int64_t dilation, int64_t padBegin = 0,
                         int64_t padEnd = 0, bool ceil = false);
} // namespace cambrian::cmb
#include "dialects/Cambrian/CambrianEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Cambrian/CambrianAttrs.h.inc"

#endif // CAMBRIAN_DIALECTS_CAMBRIAN_CAMBRIANDIALECT_H
