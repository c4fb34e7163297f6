//===- Passes.td - Cambrian's graph passes -----------------*- tablegen -*-===//
//
// Target-independent rewrites of the imported graph (linalg, tensor and arith
// on static tensors), run by the graph pipeline before any target lowering.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TRANSFORMS_PASSES
#define CAMBRIAN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def FuseElementwisePass : Pass<"cambrian-fuse-elementwise"> {
  let summary = "Fuse chains of elementwise generics into one loop nest";
  let description = [{
    Every ONNX elementwise op is imported as its own `linalg.generic`, so a
    chain such as Add -> Mul -> Sigmoid is one pass over memory per op. This
    pass fuses an elementwise producer into its elementwise consumer when

    - both are `linalg.generic`s with only parallel loops, on static shapes,
      over the same iteration space (the same loop bounds),
    - the consumer reads the producer's result through an identity map,
    - the producer's result has no other user (nothing is computed twice).

    Nothing else is touched: named ops (matmul, convolutions) are never
    generalized and reshapes are never moved, unlike upstream's
    `linalg-fuse-elementwise-ops`, so the targets still recognise the ops
    they lower to kernels.

    ```mlir
    %a = linalg.generic {..., iterator_types = ["parallel"]} ins(%x, %b : ...) outs(%e : ...) {
      ... arith.addf ...
    } -> tensor<16xf32>
    %r = linalg.generic {..., iterator_types = ["parallel"]} ins(%a : ...) outs(%e : ...) {
      ... arith.maximumf ...
    } -> tensor<16xf32>
    // becomes one generic reading %x and %b, computing addf then maximumf
    ```
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect"];
}

def RaisePaddingPass : Pass<"cambrian-raise-padding"> {
  let summary = "Turn constant-filled tensors with an inserted slice into tensor.pad";
  let description = [{
    The importer writes zero padding (Conv, Pad, pooling) as a splat of the
    padding value with the input inserted into it. This pass raises that to
    `tensor.pad`, which says what it is: targets can fold a pad into the op
    that reads it (the x86 convolution kernel pads implicitly), and
    bufferization then copies the source into a fresh buffer instead of
    making the producer write into the middle of the padded one (which
    leaves the producer's consumers with strided views).

    ```mlir
    %e = tensor.empty() : tensor<1x3x10x10xf32>
    %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x10x10xf32>) -> tensor<1x3x10x10xf32>
    %p = tensor.insert_slice %x into %f[0, 0, 1, 1] [1, 3, 8, 8] [1, 1, 1, 1]
        : tensor<1x3x8x8xf32> into tensor<1x3x10x10xf32>
    // becomes
    %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
    ^bb0(%i: index, %j: index, %k: index, %l: index):
      tensor.yield %zero : f32
    } : tensor<1x3x8x8xf32> to tensor<1x3x10x10xf32>
    ```

    Only static, unit-stride, full-rank insertions into a `linalg.fill` of a
    scalar are raised.
  }];
  let dependentDialects = ["mlir::tensor::TensorDialect"];
}

#endif // CAMBRIAN_TRANSFORMS_PASSES
