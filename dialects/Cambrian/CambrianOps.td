//===- CambrianOps.td - cambrian ops ------------------------*- tablegen -*-===//

#ifndef CAMBRIAN_OPS_TD
#define CAMBRIAN_OPS_TD

include "dialects/Cambrian/CambrianDialect.td"
include "dialects/Cambrian/CambrianAttrs.td"
include "dialects/Cambrian/CambrianInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Convolution and matmul, with an epilogue
//===----------------------------------------------------------------------===//

def Cambrian_ConvOp : Cambrian_Op<"conv", [Pure, AttrSizedOperandSegments,
    Cambrian_EpilogueOpInterface]> {
  let summary = "Grouped N-D convolution (NCHW) with a fused epilogue";
  let description = [{
    `output = pool(activation(conv(input, filter) + bias + residual))` on
    `input: N x C x S1..Sd`, `filter: F x C/groups x K1..Kd`, d in 1..3.
    There is no padding attribute: a padded input is a `tensor.pad`, which
    targets may fold. The convolution's spatial size is
    `(S - dilation * (K - 1) - 1) / stride + 1`. `bias` has F elements;
    `residual` has the convolution's shape. `pool`, present only where the
    target asked `cambrian-fuse-epilogue` for it, is a pooling window
    applied last (the output is then the pooled shape).

    On `!quant.uniform` operands the convolution is integer arithmetic (see
    `docs/quantization.md`): `input` quantized per tensor, `filter` per
    tensor or along its output channels, `bias` int32 in units of input
    scale times filter scale, the accumulation in int32, and the result
    requantized to its per-tensor type with a fixed-point multiplier and
    shift (round half to even, saturating); the activation may only be a
    clamp (relu, clip), applied in the integer domain. A result of the
    expressed float type instead is the accumulator dequantized
    (`acc * input_scale * filter_scale`), then the clamp. No residual, no
    pool.

    ```mlir
    %y = cambrian.conv %x, %w bias %b
           {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
            activation = #cambrian.activation<relu>}
           : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>)
           -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$filter,
                       Optional<AnyRankedTensor>:$bias,
                       Optional<AnyRankedTensor>:$residual,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations,
                       DefaultValuedAttr<I64Attr, "1">:$groups,
                       OptionalAttr<Cambrian_ActivationAttr>:$activation,
                       OptionalAttr<Cambrian_WindowAttr>:$pool);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $input `,` $filter (`bias` $bias^)? (`residual` $residual^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    unsigned getBiasDim() { return 1; }
    ::mlir::Value cloneWithEpilogue(::mlir::OpBuilder &builder,
                                   ::mlir::Value bias, ::mlir::Value residual,
                                   ::cambrian::cmb::ActivationAttr activation);
    bool hasTrailingPool() { return static_cast<bool>(getPoolAttr()); }
    /// Number of spatial dimensions.
    int64_t getSpatialRank() { return getInput().getType().getRank() - 2; }
  }];
}

def Cambrian_MatmulOp : Cambrian_Op<"matmul", [Pure, AttrSizedOperandSegments,
    Cambrian_EpilogueOpInterface]> {
  let summary = "Batched matrix product with a fused epilogue";
  let description = [{
    `output = activation(lhs @ rhs + bias + residual)` on `lhs: B.. x M x K`
    and `rhs: B.. x K x N` (rank 2 or more; batch dimensions broadcast as
    in numpy). `bias` has N elements; `residual` has the output's type.

    On `!quant.uniform` operands the product is integer arithmetic as for
    `cambrian.conv`: `rhs` is quantized per tensor or along its last
    dimension (N), `bias` is int32, the result requantized per tensor.

    ```mlir
    %y = cambrian.matmul %a, %b bias %c
           : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>)
           -> tensor<4x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs,
                       Optional<AnyRankedTensor>:$bias,
                       Optional<AnyRankedTensor>:$residual,
                       OptionalAttr<Cambrian_ActivationAttr>:$activation);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` $bias^)? (`residual` $residual^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    unsigned getBiasDim() { return getOutput().getType().getRank() - 1; }
    ::mlir::Value cloneWithEpilogue(::mlir::OpBuilder &builder,
                                   ::mlir::Value bias, ::mlir::Value residual,
                                   ::cambrian::cmb::ActivationAttr activation);
  }];
}

//===----------------------------------------------------------------------===//
// Pooling, softmax, normalizations, attention
//===----------------------------------------------------------------------===//

def Cambrian_PoolOp : Cambrian_Op<"pool", [Pure]> {
  let summary = "Max or average pooling over an N-D window (NCHW)";
  let description = [{
    Reduces each window of `input: N x C x S1..Sd` (d in 1..3). `padding`
    holds d leading then d trailing amounts per spatial dimension: padded
    positions never win a max and, for an average, count in the divisor only
    with `count_include_pad`. With `ceil_mode` the output extent rounds up
    (as long as the last window starts inside the input or its leading
    padding) and the last windows may overhang the trailing padding; the
    overhang never counts. Padding is an attribute here, not a
    `tensor.pad`, because the average's divisor depends on it. A max
    pooling may take a `!quant.uniform` tensor (per tensor) and give the
    same type: the max of the stored integers.

    ```mlir
    %y = cambrian.pool max %x {kernel = array<i64: 3, 3>,
           strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>,
           padding = array<i64: 1, 1, 1, 1>}
           : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins Cambrian_PoolKind:$kind, AnyRankedTensor:$input,
                       DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<BoolAttr, "false">:$count_include_pad,
                       DefaultValuedAttr<BoolAttr, "false">:$ceil_mode);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $kind $input attr-dict `:` type($input) `->` type($output)
  }];
  let hasVerifier = 1;
}

def Cambrian_ActivationOp : Cambrian_Op<"activation", [Pure,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "An activation function applied elementwise";
  let description = [{
    The activations an epilogue can carry, as an op of their own: the
    importer emits one per ONNX activation node, and
    `cambrian-fuse-epilogue` moves it into the convolution or matmul that
    produces its input.

    ```mlir
    %y = cambrian.activation %x {activation = #cambrian.activation<relu>}
           : tensor<1x8x4x4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       Cambrian_ActivationAttr:$activation);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

def Cambrian_SoftmaxOp : Cambrian_Op<"softmax", [Pure,
    AllTypesMatch<["input", "output"]>]> {
  let summary = "Softmax (or log-softmax) along one axis";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis` (non-negative), or its
    logarithm with `log`.

    ```mlir
    %y = cambrian.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, I64Attr:$axis,
                       DefaultValuedAttr<BoolAttr, "false">:$log);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
}

class Cambrian_NormOp<string mnemonic, list<Trait> traits = []>
    : Cambrian_Op<mnemonic, !listconcat(traits, [Pure,
        AllTypesMatch<["input", "output"]>])> {
  let results = (outs AnyRankedTensor:$output);
  let hasVerifier = 1;
}

def Cambrian_LayerNormOp : Cambrian_NormOp<"layer_norm"> {
  let summary = "Layer normalization over the trailing dimensions";
  let description = [{
    Normalizes `input` over dimensions `axis..rank-1` to zero mean and unit
    variance (`epsilon` added to the variance), then multiplies by `scale`
    and adds `bias`, both broadcast (numpy, aligned right) to those
    dimensions.

    ```mlir
    %y = cambrian.layer_norm %x, %g bias %b {axis = 1 : i64, epsilon = 1.0e-5 : f32}
           : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                       Optional<AnyRankedTensor>:$bias, I64Attr:$axis,
                       F32Attr:$epsilon);
  let assemblyFormat = [{
    $input `,` $scale (`bias` $bias^)? attr-dict
    `:` functional-type(operands, results)
  }];
}

def Cambrian_RmsNormOp : Cambrian_NormOp<"rms_norm"> {
  let summary = "RMS normalization over the trailing dimensions";
  let description = [{
    `x / sqrt(mean(x^2) + epsilon) * scale` over dimensions `axis..rank-1`;
    `scale` broadcasts to them as in `cambrian.layer_norm`.

    ```mlir
    %y = cambrian.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-6 : f32}
           : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                       I64Attr:$axis, F32Attr:$epsilon);
  let assemblyFormat = [{
    $input `,` $scale attr-dict `:` functional-type(operands, results)
  }];
}

def Cambrian_GroupNormOp : Cambrian_NormOp<"group_norm"> {
  let summary = "Group normalization (NCHW) with per-channel scale and bias";
  let description = [{
    Splits the C channels of `input: N x C x ...` into `num_groups` groups,
    normalizes each (sample, group) over its channels and spatial positions,
    then applies `scale` and `bias` per channel (C elements each).

    ```mlir
    %y = cambrian.group_norm %x, %g, %b {num_groups = 2 : i64, epsilon = 1.0e-5 : f32}
           : (tensor<1x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x3x3xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$scale,
                       AnyRankedTensor:$bias, I64Attr:$num_groups,
                       F32Attr:$epsilon);
  let assemblyFormat = [{
    $input `,` $scale `,` $bias attr-dict `:` functional-type(operands, results)
  }];
}

def Cambrian_AttentionOp : Cambrian_Op<"attention", [Pure]> {
  let summary = "Scaled dot-product attention over heads";
  let description = [{
    `softmax(softcap(scale * q @ k^T) + mask) @ v` per batch and head, on
    `q: B x Hq x Sq x D`, `k: B x Hkv x Skv x D`, `v: B x Hkv x Skv x Dv`
    with Hq a multiple of Hkv (grouped-query attention shares each k/v head
    among Hq/Hkv query heads). `mask` broadcasts to `B x Hq x Sq x Skv`: i1
    keeps where true, a float mask is added. `is_causal` masks positions
    after the query's own (aligned to the end of the keys); `softcap` of 0
    means none. `scale` defaults to 1/sqrt(D).

    ```mlir
    %o = cambrian.attention %q, %k, %v {is_causal = true}
           : (tensor<1x4x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>)
           -> tensor<1x4x8x16xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$query, AnyRankedTensor:$key,
                       AnyRankedTensor:$value,
                       Optional<AnyRankedTensor>:$mask,
                       OptionalAttr<F32Attr>:$scale,
                       DefaultValuedAttr<BoolAttr, "false">:$is_causal,
                       DefaultValuedAttr<F32Attr, "0.0f">:$softcap);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $query `,` $key `,` $value (`mask` $mask^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

def Cambrian_QuantizeOp : Cambrian_Op<"quantize", [Pure]> {
  let summary = "Float to a uniform quantized type";
  let description = [{
    `clamp(round_half_even(x / scale) + zero_point)` to the storage range of
    the result's `!quant.uniform` type, per tensor or per axis.

    ```mlir
    %q = cambrian.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5:3>>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def Cambrian_DequantizeOp : Cambrian_Op<"dequantize", [Pure]> {
  let summary = "A uniform quantized type back to float";
  let description = [{
    `(q - zero_point) * scale`, per tensor or per axis of the operand's
    `!quant.uniform` type; the result has its expressed type.

    ```mlir
    %x = cambrian.dequantize %q : tensor<4x!quant.uniform<i8:f32, 0.5:3>> -> tensor<4xf32>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($output)";
  let hasVerifier = 1;
}

def Cambrian_LookupOp : Cambrian_Op<"lookup", [Pure]> {
  let summary = "An 8-bit quantized tensor mapped through a 256-entry table";
  let description = [{
    `output[i] = table[storage(input[i]) - storage_min]`: any elementwise
    function of one 8-bit quantized value, quantized again, is a table of
    its 256 results. `cambrian-fold-quantization` makes one from a
    dequantize -> activation -> quantize chain, with the table computed by
    that same chain on the 256 input levels, so the result is what the
    float chain computes, to the bit. The output has the table's element
    type and the input's shape.

    ```mlir
    %y = cambrian.lookup %x, %table
           : (tensor<1x8x!quant.uniform<i8:f32, 0.05:3>>,
              tensor<256x!quant.uniform<u8:f32, 0.0039>>)
           -> tensor<1x8x!quant.uniform<u8:f32, 0.0039>>
    ```
  }];
  let arguments = (ins AnyRankedTensor:$input, AnyRankedTensor:$table);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $input `,` $table attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

class Cambrian_QuantizedBinaryOp<string mnemonic, string summaryText,
                                 string formula>
    : Cambrian_Op<mnemonic, [Pure]> {
  let summary = summaryText;
  let description = !strconcat([{
    An elementwise op on 8-bit tensors quantized per tensor, with numpy
    broadcasting (operands aligned right; a dimension of 1 stretches), the
    result quantized per tensor: }], formula, [{ Float adds and
    multiplies stay `arith` ops on tensors; this op is what
    `cambrian-fold-quantization` makes of one between dequantize and
    quantize.
  }]);
  let arguments = (ins AnyRankedTensor:$lhs, AnyRankedTensor:$rhs);
  let results = (outs AnyRankedTensor:$output);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Cambrian_AddOp : Cambrian_QuantizedBinaryOp<"add",
    "Quantized addition with requantization", [{
    `y = clamp(zy + round_half_even(((a - za) * sa + (b - zb) * sb) / sy))`
    in float32, each operation rounded as ONNX's DequantizeLinear, Add and
    QuantizeLinear round it, so it equals that chain bit for bit (a target
    may approximate it with fixed-point factors `sa / sy`, `sb / sy`).

    ```mlir
    %y = cambrian.add %a, %b
           : (tensor<1x8x4x4x!quant.uniform<i8:f32, 0.1:-2>>,
              tensor<1x8x4x4x!quant.uniform<i8:f32, 0.05:3>>)
           -> tensor<1x8x4x4x!quant.uniform<i8:f32, 0.12:-7>>
    ```
  }]>;

def Cambrian_MulOp : Cambrian_QuantizedBinaryOp<"mul",
    "Quantized multiplication with requantization", [{
    `y = clamp(zy + round_half_even(((a - za) * sa) * ((b - zb) * sb) / sy))`
    in float32, rounded as ONNX's DequantizeLinear, Mul and QuantizeLinear
    round it (a target may use the int32 product of the centered values
    and one factor `sa * sb / sy` instead, within one step).

    ```mlir
    %y = cambrian.mul %a, %s
           : (tensor<1x8x4x4x!quant.uniform<u8:f32, 0.1>>,
              tensor<1x8x1x1x!quant.uniform<u8:f32, 0.004>>)
           -> tensor<1x8x4x4x!quant.uniform<u8:f32, 0.05>>
    ```
  }]>;

#endif // CAMBRIAN_OPS_TD
