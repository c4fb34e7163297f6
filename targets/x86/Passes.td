//===- Passes.td - x86 target passes -----------------------*- tablegen -*-===//

#ifndef CAMBRIAN_TARGETS_X86_PASSES
#define CAMBRIAN_TARGETS_X86_PASSES

include "mlir/Pass/PassBase.td"

def ApproximateMathPass : Pass<"cambrian-x86-approximate-math"> {
  let summary = "Replace transcendental math ops by vectorizable polynomials";
  let description = [{
    `math.exp`, `math.tanh`, `math.erf`, `math.log` and friends would otherwise
    become scalar libm calls that block LLVM's loop vectorizer. This pass
    rewrites them (for f32) into the polynomial approximations of MLIR's math
    dialect, which are accurate to a few ULP and made of arithmetic only.

    ```mlir
    %y = math.exp %x : f32
    // becomes a short chain of arith.mulf/addf/bitcast ops
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::math::MathDialect",
                           "mlir::vector::VectorDialect"];
}

def ExpandCopiesPass : Pass<"cambrian-x86-expand-copies"> {
  let summary = "Turn memref.copy into linalg.copy";
  let description = [{
    Bufferization writes copies as `memref.copy`, which the LLVM lowering
    turns into a call of `memrefCopy` from MLIR's C runner library whenever
    a layout is not the identity. A module must not depend on that library,
    so copies become `linalg.copy`, i.e. loops that LLVM vectorizes.

    ```mlir
    memref.copy %a, %b : memref<4xf32, strided<[2]>> to memref<4xf32>
    // becomes
    linalg.copy ins(%a : memref<4xf32, strided<[2]>>) outs(%b : memref<4xf32>)
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def FlattenGlobalsPass : Pass<"cambrian-x86-flatten-globals", "mlir::ModuleOp"> {
  let summary = "Give constant LLVM globals one flat array type";
  let description = [{
    Lowered memref globals have nested array types, one level per tensor
    dimension. LLVM IR translation builds such a global as one constant per
    innermost row, so the weights of a large model become millions of
    uniqued constants that every later step walks (ResNet-50 spent most of
    its compile time there). This pass retypes every constant global whose
    uses only take its address (directly or through a GEP of zeros) as a
    single `!llvm.array<N x T>` holding the same bytes; dense and
    dense_resource initializers are reshaped without copying.

    ```mlir
    llvm.mlir.global private constant @w(dense_resource<w> : tensor<8x4xf32>)
        : !llvm.array<8 x array<4 x f32>>
    // becomes
    llvm.mlir.global private constant @w(dense_resource<w> : tensor<32xf32>)
        : !llvm.array<32 x f32>
    ```
  }];
}

def FreeEarlyPass : Pass<"cambrian-x86-free-early"> {
  let summary = "Move each buffer's dealloc right after its last use";
  let description = [{
    The deallocation pipeline frees a function's buffers at its end, so
    every intermediate tensor of a model has memory of its own and the
    working set is the sum of all of them. This pass moves each
    `memref.dealloc` of a block up to just after the last op of that block
    that uses the buffer, directly or through anything computed from it
    (views, extracted pointers passed to kernel calls). The runtime's buffer
    cache then hands the freed block to a later tensor of about the same
    size while it is still in cache.

    ```mlir
    %a = memref.alloc() : memref<64xf32>
    linalg.generic ... outs(%a ...)
    linalg.generic ins(%a ...) outs(%b ...)   // last use of %a
    ...
    memref.dealloc %a : memref<64xf32>        // moves up to here
    ```
  }];
  let dependentDialects = ["mlir::memref::MemRefDialect"];
}

def InstrumentProfilePass : Pass<"cambrian-x86-instrument-profile",
                                 "mlir::ModuleOp"> {
  let summary = "Time every kernel call and loop nest of the model";
  let description = [{
    For `cambrian-compile --profile`. Runs on memrefs after the kernel
    lowering, while each unit of work is still one op in the body of a
    function: a kernel call, a linalg op (a loop nest to be), a copy. Each
    such op gets a row in a module-wide counter table (the private global
    `__cmb_profile`, `N x 4` i64) and is wrapped with two reads of the
    runtime's clock (`cmb_x86_profile_clock`, nanoseconds); the call count
    and the elapsed time are added atomically into its row. The rows' labels
    (the ONNX node name from the op's `NameLoc`, and the op's kind) go to the
    module attribute `cambrian.profile`, from which the emitter builds the
    exported `cambrian_module_profile` table (cambrian-c/ModuleABI.h).

    ```mlir
    func.call @cmb_x86_conv2d(...) : (...) -> ()  loc("conv1")
    // becomes
    %t0 = func.call @cmb_x86_profile_clock() : () -> i64
    func.call @cmb_x86_conv2d(...) : (...) -> ()
    %t1 = func.call @cmb_x86_profile_clock() : () -> i64
    // ... memref.atomic_rmw addi into @__cmb_profile[row, 2] and [row, 3]
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect"];
}

def CollapseLoopsPass : Pass<"cambrian-x86-collapse-loops"> {
  let summary = "Merge the contiguous loops of the remaining linalg.generics";
  let description = [{
    After the kernel lowering, what is left of a model is elementwise maps,
    broadcasts and reductions over NCHW buffers whose innermost extents are
    often tiny (7 or 14 columns), so LLVM vectorizes a 7-iteration loop and
    then runs its scalar remainder. This pass merges every run of adjacent
    loops that have the same iterator type and stay contiguous in every
    operand (upstream's `collapseOpIterationDims`): an elementwise op over
    1x96x56x56 becomes one loop of 301056 iterations, a global average pool
    a reduction of 3136 per channel. Only dense identity-layout buffers are
    collapsed.

    ```mlir
    linalg.generic {indexing_maps = [(n, c, h, w) -> (n, c, h, w),
                                     (n, c, h, w) -> (n, c, 0, 0), ...]}
    // becomes, on memref.collapse_shape views of the operands,
    linalg.generic {indexing_maps = [(n, c, hw) -> (n, c, hw),
                                     (n, c, hw) -> (n, c), ...]}
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect"];
}

def LowerReductionsPass : Pass<"cambrian-x86-lower-reductions"> {
  let summary = "Reductions over trailing loops accumulate in registers";
  let description = [{
    `convert-linalg-to-loops` loads and stores the output element in every
    iteration of a reduction; with plain pointers LLVM cannot prove that the
    output does not alias the input, so a sum runs at the speed of a
    store-to-load round trip per element and is never vectorized. For
    generics on buffers whose reduction loops are all innermost and whose
    outputs do not depend on them (sums, means, maxima over the last axes:
    global pooling, softmax, layer norm), this pass writes the loops itself:
    the outputs are loaded once before the reduction loops, carried through
    them as `iter_args`, and stored once after. The combining `arith.addf` /
    `arith.mulf` gets the `reassoc` fast-math flag so that LLVM's loop
    vectorizer may reorder the sum into vector lanes (as every BLAS and
    onnxruntime do).

    ```mlir
    linalg.generic {iterator_types = ["parallel", "reduction"]}
        ins(%x : memref<8x64xf32>) outs(%y : memref<8xf32>) { addf }
    // becomes
    scf.for %i = 0 to 8 {
      %init = memref.load %y[%i]
      %s = scf.for %k = 0 to 64 iter_args(%acc = %init) {
        %v = memref.load %x[%i, %k]
        %t = arith.addf %v, %acc fastmath<reassoc>
        scf.yield %t
      }
      memref.store %s, %y[%i]
    }
    ```
  }];
  let dependentDialects = ["mlir::scf::SCFDialect",
                           "mlir::memref::MemRefDialect",
                           "mlir::affine::AffineDialect",
                           "mlir::arith::ArithDialect"];
}

def InterchangeWindowLoopsPass : Pass<"cambrian-x86-interchange-window-loops"> {
  let summary = "Put the output's contiguous loop innermost in small-window reductions";
  let description = [{
    Pooling without a kernel (average pooling, 1-D and 3-D windows) is
    decomposed into a `linalg.generic` whose innermost loops are the
    window's reductions (n, c, oh, ow, kh, kw): as loops, the innermost one
    runs 3 times over a scalar accumulator and LLVM cannot vectorize it.
    When all reduction loops of a generic have a small static window (at most
    64 iterations together) and the output's last dimension is indexed by a
    parallel loop, this pass moves that loop innermost (n, c, oh, kh, kw,
    ow), so that the loop nest updates a row of outputs with vector loads
    and stores. Large reductions (global pooling, softmax, layer norm) keep
    their order.

    ```mlir
    linalg.generic {iterator_types = ["parallel", "parallel", "parallel",
                    "parallel", "reduction", "reduction"]} ...
    // becomes the same generic with loops 3 and 5 swapped into
    // [..., "reduction", "reduction", "parallel"]
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def LowerToKernelsPass : Pass<"cambrian-x86-lower-to-kernels",
                              "mlir::ModuleOp"> {
  let summary = "Lower matmuls, convolutions and x86kernel ops on memrefs to kernel calls";
  let description = [{
    Rewrites `linalg.matmul` and `linalg.batch_matmul` (ones the target did
    not map: a plain GEMM) on f32 memrefs with unit inner strides, and
    `x86kernel.matmul` and `x86kernel.conv2d` with their padding and
    epilogues, into calls of the x86 kernel library
    (`targets/x86/runtime/Kernels.h`): packed, cache-blocked, vectorized GEMM
    and convolution. The other `x86kernel` ops (max pooling
    in `LowerPooling.cpp`, softmax and layer normalization in
    `LowerNormalizations.cpp`; mapped from the cambrian ops before
    bufferization by `cambrian-x86-map-to-kernels`; an operand with a
    non-dense layout goes through a dense copy) and dense `linalg.transpose`
    (`LowerTranspose.cpp`) become kernel calls too. A `linalg.fill` of zero
    into the output right before the op is folded into the call
    (`accumulate = 0`). Ops whose operands the kernels cannot address stay as
    they are and become loops.

    ```mlir
    linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
                  outs(%c : memref<4x16xf32>)
    // becomes
    func.call @cmb_x86_sgemm(%batch, %m, %n, %k, %pa, ...) : (...) -> ()
    ```

    A 3x3 stride-1 convolution with constant weights whose geometry the cost
    model (`Winograd.cpp`) favours calls `cmb_x86_conv2d_winograd` instead,
    with the weights transformed at compile time into a new constant global
    (`<weights>_winograd`, 36 x F x C); the plain weights are left for symbol
    DCE. Likewise an ungrouped convolution on a small output map (7x7,
    14x14: its pixels fill the vector lanes badly) calls
    `cmb_x86_conv2d_packed`, which puts the output channels in the lanes,
    with the weights packed at compile time into GEMM panels
    (`<weights>_packed`, `ConvPacked.cpp`).

    An im2col convolution (ungrouped, not 1x1 stride 1) whose output buffer
    only an `x86kernel.max_pool2d` reads (as the stems of the ResNets and SqueezeNet:
    convolution, ReLU, 3x3 stride-2 pooling) becomes one
    `cmb_x86_conv2d_maxpool` call in the pooling's place: the kernel
    computes the convolution rows each band of pooled rows needs into a
    buffer that stays in cache, so the convolution's map is never written
    out and its buffer disappears. Convolutions are lowered before the
    other ops, while those poolings are still x86kernel ops.
  }];
  let options = [
    Option<"winograd", "winograd", "bool", /*default=*/"true",
           "Run 3x3 stride-1 convolutions by Winograd F(4x4, 3x3) where the "
           "cost model expects a gain">,
    Option<"packedConv", "packed-conv", "bool", /*default=*/"true",
           "Run convolutions on small maps with output channels in the "
           "vector lanes and packed weights where the cost model expects a "
           "gain">,
    Option<"convPool", "conv-pool", "bool", /*default=*/"true",
           "Compute a convolution whose output only a max pooling reads "
           "together with the pooling, band by band, without the "
           "convolution's output in memory">
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::memref::MemRefDialect"];
}

def MapToKernelsPass : Pass<"cambrian-x86-map-to-kernels"> {
  let summary = "Map cambrian ops to x86 kernel ops, on tensors";
  let description = [{
    The first pass of the x86 pipeline: each cambrian op that a kernel of
    the runtime computes whole becomes the `x86kernel` op of that kernel,
    with a `tensor.empty` destination, before bufferization.
    `cambrian.softmax` (not `log`) on f32 becomes `x86kernel.softmax`, between
    transposes that move its axis last and back when it is not last;
    `cambrian.layer_norm` on f32 whose scale (and bias) has one element per
    normalized position becomes `x86kernel.layer_norm`; 2-D f32
    `cambrian.pool max` becomes `x86kernel.max_pool2d` with its leading
    pads (the kernel pads with -inf on every side); 1-D and 2-D f32
    `cambrian.conv` becomes `x86kernel.conv2d`, absorbing a zero
    `tensor.pad` in front as its implicit padding; f32 `cambrian.matmul`
    with an activation the GEMM applies becomes `x86kernel.matmul` (one
    GEMM over all rows when the weights are 2-D, else one flat batch; a
    residual is the destination, accumulated into). Other ops, types
    and shapes are left to `cambrian-decompose`, which runs next. The graph
    pipeline leaves exactly these ops undecomposed (`X86Target::mapsOp`
    asks `mapsToKernel`, which this pass's patterns ask too).

    ```mlir
    %y = cambrian.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
    // becomes
    %e = tensor.empty() : tensor<2x10xf32>
    %y = x86kernel.softmax %x into %e
           : (tensor<2x10xf32>, tensor<2x10xf32>) -> tensor<2x10xf32>
    ```
  }];
  let dependentDialects = ["::cambrian::x86::X86KernelDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

def ParallelizeLoopsPass : Pass<"cambrian-x86-parallelize-loops",
                                "mlir::ModuleOp"> {
  let summary = "Run large loop nests on the module's thread pool";
  let description = [{
    The kernel calls use the runtime's thread pool; everything else (the
    linalg ops left on buffers: elementwise maps, quantize/dequantize,
    table lookups, reductions, integer matmuls) would become loop nests on
    the calling thread alone. For each linalg op in a function body whose
    iteration space has at least `min-work` points and whose outermost loop
    of more than one iteration is parallel and indexes every output, this
    pass moves the op into a private task function
    `(ctx: !llvm.ptr, task: i64, scratch: !llvm.ptr)` that slices the op's
    operands to the task's chunk `[extent * task / n, extent * (task + 1) / n)`
    of that loop, and replaces it by a call of the runtime's
    `cmb_parallel_for(n, task, ctx)` with `n = min(cmb_pool_size(), extent)`.
    The context struct, allocated at the function's entry, holds `n` and the
    captured memrefs (as their LLVM descriptors) and scalars; constants and
    globals are recreated in the task. Each element is computed by the same
    code as before and reductions are never split, so results do not depend
    on the thread count; with one thread the op runs as one task on the
    calling thread.

    ```mlir
    linalg.generic {iterator_types = ["parallel"]}
        ins(%x : memref<301056xf32>) outs(%y : memref<301056xf32>) {...}
    // becomes
    %n = ... min(cmb_pool_size(), 301056)
    llvm.store %n, %ctx[0]; llvm.store <descriptor of %x>, %ctx[1]; ...
    func.call @cmb_parallel_for(%n, <address of @f_task>, %ctx)
    func.func private @f_task(%ctx: !llvm.ptr, %t: i64, %scratch: !llvm.ptr) {
      // loads, lo/hi of the chunk, memref.subview of %x and %y
      linalg.generic ins(%xs : memref<?xf32, ...>) outs(%ys : ...) {...}
    }
    ```
  }];
  let options = [
    // 16K measured best at 2 threads on the int8 QDQ models (against 4K,
    // 8K, 64K and 256K): a region costs a few microseconds to dispatch.
    Option<"minWork", "min-work", "int64_t", /*default=*/"16384",
           "Smallest iteration space (points) worth splitting into tasks">,
  ];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::LLVM::LLVMDialect",
                           "mlir::memref::MemRefDialect"];
}

def UnshareInitsPass : Pass<"cambrian-x86-unshare-inits"> {
  let summary = "Give every user of a shared tensor.empty or fill its own";
  let description = [{
    CSE merges identical `tensor.empty` and `linalg.fill` ops, so several
    ops end up with the same destination tensor. Bufferization then fills
    one buffer and copies it for every other convolution accumulating into
    it (the kernel lowering, which folds a zero fill right before the op,
    sees a copy instead), and lets an elementwise op write into a buffer
    that a convolution still reads (so the convolution cannot take over the
    elementwise op as its epilogue). Run before bufferization, this pass
    clones a shared fill (with its `tensor.empty` init) or a shared
    `tensor.empty` for each use after the first, right before that use.

    ```mlir
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
    %a = linalg.matmul ins(...) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
    %b = linalg.matmul ins(...) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
    // the second matmul gets its own tensor.empty and linalg.fill
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect"];
}

#endif // CAMBRIAN_TARGETS_X86_PASSES
