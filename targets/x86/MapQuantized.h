//===- MapQuantized.h - quantized conv/matmul to the int8 kernels -*- C++ -*-===//

#ifndef CAMBRIAN_TARGETS_X86_MAPQUANTIZED_H
#define CAMBRIAN_TARGETS_X86_MAPQUANTIZED_H

#include "mlir/IR/PatternMatch.h"

namespace cambrian::x86 {

/// Whether `op` is a quantized cambrian.conv / cambrian.matmul that the
/// int8 kernels compute (so the graph pipeline keeps it whole).
bool mapsToInt8Kernel(mlir::Operation *op);

/// Rewrites those ops to x86kernel.qconv2d / x86kernel.qgemm.
void populateMapQuantizedPatterns(mlir::RewritePatternSet &patterns);

/// Rewrites bufferized x86kernel.qconv2d / qgemm to kernel calls.
void populateLowerQuantizedPatterns(mlir::RewritePatternSet &patterns);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_MAPQUANTIZED_H
