//===- Passes.h - x86 target passes -----------------------------*- C++ -*-===//

#ifndef CAMBRIAN_TARGETS_X86_PASSES_H
#define CAMBRIAN_TARGETS_X86_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "targets/x86/X86KernelDialect.h"

namespace cambrian::x86 {

#define GEN_PASS_DECL
#include "targets/x86/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "targets/x86/Passes.h.inc"

/// Adds the kernel-call rewrites to `patterns`; with `winograd`, 3x3
/// stride-1 convolutions run as F(4x4, 3x3) where preferWinograd says so,
/// with `packedConv` convolutions on small maps run with output channels in
/// the lanes where preferPackedConv says so, with `convPool` a convolution
/// whose output only a max pooling reads calls the fused kernel.
void populateLowerToKernelsPatterns(mlir::RewritePatternSet &patterns,
                                    bool winograd = true,
                                    bool packedConv = true,
                                    bool convPool = true);

/// The convolution rewrites of populateLowerToKernelsPatterns alone.
void populateLowerConvolutionPatterns(mlir::RewritePatternSet &patterns,
                                      bool winograd = true,
                                      bool packedConv = true,
                                      bool convPool = true);

/// Whether a kernel op of the x86 runtime computes the cambrian op `op`
/// whole (then cambrian-x86-map-to-kernels rewrites it, and the graph
/// pipeline leaves it undecomposed).
bool mapsToKernel(mlir::Operation *op);

/// The rewrites of cambrian-x86-map-to-kernels.
void populateMapToKernelsPatterns(mlir::RewritePatternSet &patterns);

} // namespace cambrian::x86

#endif // CAMBRIAN_TARGETS_X86_PASSES_H
