//===- X86KernelDialect.td - The x86 kernel-call dialect ---*- tablegen -*-===//
//
// The operations of the x86 kernel library (runtime/Kernels.h) that the
// target maps cambrian ops to, before they become calls.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TARGETS_X86_X86KERNELDIALECT_TD
#define CAMBRIAN_TARGETS_X86_X86KERNELDIALECT_TD

include "mlir/IR/OpBase.td"

def X86Kernel_Dialect : Dialect {
  let name = "x86kernel";
  let cppNamespace = "::cambrian::x86";
  let summary = "Kernels of the x86 runtime as destination-style ops";
  let description = [{
    One op per kernel of `targets/x86/runtime/Kernels.h` that a cambrian op
    maps to whole. `cambrian-x86-map-to-kernels` creates them on tensors,
    one-shot bufferization turns them into the same ops on memrefs (they
    are destination-style: the result is the `into` operand), and
    `cambrian-x86-lower-to-kernels` turns those into calls. On memrefs they
    read their inputs and write their output, so that bufferization and
    buffer deallocation see what a call will touch.
  }];
}

#endif // CAMBRIAN_TARGETS_X86_X86KERNELDIALECT_TD
