//===- Passes.td - Cambrian's graph passes -----------------*- tablegen -*-===//
//
// Target-independent rewrites of the imported graph (linalg, tensor and arith
// on static tensors), run by the graph pipeline before any target lowering.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TRANSFORMS_PASSES
#define CAMBRIAN_TRANSFORMS_PASSES

include "mlir/Pass/PassBase.td"

def FoldBatchNormPass : Pass<"cambrian-fold-batchnorm"> {
  let summary = "Fold per-channel affine maps (inference BatchNormalization) into constant weights";
  let description = [{
    The importer turns inference BatchNormalization with constant parameters
    into `y = x * s[c] + t[c]`. After a convolution or matmul whose weights
    are constants that is only a change of weights and bias, since
    `conv(x, W) * s + t == conv(x, W * s) + t`. This pass makes that change
    on the host, as ONNX Runtime does, so the targets see a convolution with
    a per-channel bias (which the x86 kernels take in their epilogue)
    instead of an extra pass over the activations.

    On the dialect, the producer is a `cambrian.conv` or `cambrian.matmul`
    whose epilogue has at most a constant bias, and the generic that reads
    it (its only user) computes `x * s + t` per output channel (dim 1, or
    the matmul's last dim): the op is rebuilt with a new constant filter
    (or rhs) and bias `b * s + t`, so a target that maps the op whole gets
    the fold too, and an activation after the batch norm can then join the
    epilogue. A plain bias add (s = 1) needs no constant weights.

    On linalg, the producer is a `linalg.conv_2d_nchw_fchw`, `depthwise_conv_2d_nchw_chw`,
    `conv_2d_ngchw_gfchw` or `matmul` (default maps) with a zero-filled
    init, f32 weights that are constants (possibly behind reshapes), and no
    user but the chain being folded. The chain is any number of elementwise
    generics that compute `x * s + t` per output channel (the bias add, the
    batch norm, a Mul or Add by a per-channel constant; the body may use
    addf, subf, mulf, divf by a constant and negf, and sqrt/rsqrt of
    constants), with `tensor.expand_shape`/`collapse_shape` in between that
    keep the channels apart (1-D and grouped convolutions). Every constant
    must be f32, read per channel. Anything else is left alone.

    ```mlir
    %y = linalg.conv_2d_nchw_fchw ins(%x, %w : ...) outs(%zero : tensor<1x8x4x4xf32>)
    %b = linalg.generic {indexing_maps = [#id, #chan, #id], ...}
        ins(%y, %bias : tensor<1x8x4x4xf32>, tensor<8x1x1xf32>) ... { addf }
    %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #id], ...}
        ins(%b, %s, %t : tensor<1x8x4x4xf32>, tensor<8x1x1xf32>, tensor<8x1x1xf32>) ... { mulf, addf }
    // becomes
    %y = linalg.conv_2d_nchw_fchw ins(%x, %w_scaled : ...) outs(%zero : ...)
    %n = linalg.generic {indexing_maps = [#id, #chan, #id], ...}
        ins(%y, %bias_scaled_plus_t : ...) ... { addf }
    ```

    The new weights are stored like the old ones (a dense resource when the
    old weights were one or have more than 16 elements).
  }];
  let dependentDialects = ["mlir::linalg::LinalgDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::arith::ArithDialect"];
}

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
    they lower to kernels. A generic that reads a tensor at a computed
    index (`tensor.extract`, a quantized table lookup) is neither fused nor
    fused into: the gather would keep the whole chain from vectorizing.

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

def FuseEpiloguePass : Pass<"cambrian-fuse-epilogue"> {
  let summary = "Move residual adds and activations into the epilogue of the op that produces their input";
  let description = [{
    For an op with an epilogue (`EpilogueOpInterface`: convolution, matmul)
    whose result has one user:
    - an `arith.addf` of that result and another tensor of its type (how
      the importer writes an ONNX Add without broadcasting) becomes the
      op's residual, when it has neither a residual nor an activation yet;
    - a `cambrian.activation` becomes the op's activation, when it has none;
      `x * sigmoid(x)` (a same-shape Mul of a tensor and its own sigmoid,
      as ONNX spells SiLU) first becomes one `silu` activation, and so do
      torch's node-by-node GELU (`x * (1 + erf(x / sqrt 2)) * 0.5`) and a
      Tanh node, when they can join the op producing x at once;
    - with `fuse-conv-pooling` (for targets that say they can run it: see
      `Target::graphFusions`), a max `cambrian.pool` becomes the
      convolution's trailing `pool` window, which closes the epilogue.
    So every target sees one op that stores
    `activation(op + bias + residual)`; a target with a fused kernel maps
    it as is, the decomposition spells it out again.

    ```mlir
    %c = cambrian.conv %x, %w bias %b {...} : (...) -> tensor<1x8x4x4xf32>
    %y = cambrian.activation %c {activation = #cambrian.activation<relu>}
           : tensor<1x8x4x4xf32>
    // becomes
    %y = cambrian.conv %x, %w bias %b {activation = #cambrian.activation<relu>, ...}
    ```
  }];
  let options = [
    Option<"fuseConvPooling", "fuse-conv-pooling", "bool", "false",
           "Move a max pooling into the convolution before it">
  ];
  let dependentDialects = ["cambrian::cmb::CambrianDialect",
                           "mlir::arith::ArithDialect"];
}

def FoldQuantizationPass : Pass<"cambrian-fold-quantization"> {
  let summary = "Make dequantize -> conv/matmul -> quantize integer ops";
  let description = [{
    A QDQ model (QuantizeLinear/DequantizeLinear around float ops, as ONNX
    Runtime's quantizer writes it, or Cambrian's own `--quantize int8`)
    arrives as `cambrian.dequantize` -> float op -> `cambrian.quantize`.
    This pass rewrites

    - `quantize(conv|matmul(dequantize(x), dequantize(w), bias))`, with x
      quantized per tensor, w per tensor or per output channel, a bias that
      is a constant or an int32 at scale x_scale * w_scale, and a clamp
      activation (relu, clip) or none, to the same `cambrian.conv` /
      `cambrian.matmul` on the `!quant.uniform` values, whose result type
      is the quantize's: int32 accumulation and requantization in its
      epilogue (see the ops);
    - `tensor.pad(dequantize(x), 0.0)` to `dequantize(tensor.pad(x, zp))`,
      and reshapes and transposes of dequantized values to the same moves
      of the quantized ones (a per-axis type's axis follows a transpose),
      so they do not stand between a dequantize and its consumer;
    - `quantize(dequantize(x))` to x where the types agree.

    Every op that still reads a dequantized value (and is not such a move)
    gets a remark saying it runs in float: `cambrian-compile --verbose`
    prints them, so a model is never silently slow.

    ```mlir
    %x = cambrian.dequantize %xq : tensor<1x8x6x6x!quant.uniform<i8:f32, 0.1>> -> tensor<1x8x6x6xf32>
    %w = cambrian.dequantize %wq : tensor<4x8x3x3x!quant.uniform<i8:f32:0, {...}>> -> tensor<4x8x3x3xf32>
    %y = cambrian.conv %x, %w {activation = #cambrian.activation<relu>, ...}
    %q = cambrian.quantize %y : tensor<1x4x4x4xf32> -> tensor<1x4x4x4x!quant.uniform<u8:f32, 0.05>>
    // becomes
    %q = cambrian.conv %xq, %wq {activation = #cambrian.activation<relu>, ...}
           : (...) -> tensor<1x4x4x4x!quant.uniform<u8:f32, 0.05>>
    ```
  }];
  let dependentDialects = ["cambrian::cmb::CambrianDialect",
                           "mlir::arith::ArithDialect",
                           "mlir::quant::QuantDialect",
                           "mlir::tensor::TensorDialect",
                           "mlir::linalg::LinalgDialect"];
}

#endif // CAMBRIAN_TRANSFORMS_PASSES
