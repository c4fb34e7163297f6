//===- X86KernelOps.td - x86 kernel-call ops ----------------*- tablegen -*-===//

#ifndef CAMBRIAN_TARGETS_X86_X86KERNELOPS_TD
#define CAMBRIAN_TARGETS_X86_X86KERNELOPS_TD

include "targets/x86/X86KernelDialect.td"
include "dialects/Cambrian/CambrianAttrs.td"
include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.td"
include "mlir/Interfaces/DestinationStyleOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

/// A kernel on tensors (one result, the `into` operand's) or on memrefs
/// (no result). The last operand is the destination.
class X86Kernel_Op<string mnemonic, list<Trait> traits = []>
    : Op<X86Kernel_Dialect, mnemonic, !listconcat(traits, [
        DeclareOpInterfaceMethods<MemoryEffectsOpInterface>,
        DestinationStyleOpInterface,
        DeclareOpInterfaceMethods<BufferizableOpInterface,
            ["bufferizesToMemoryRead", "bufferizesToMemoryWrite",
             "getAliasingValues", "bufferize"]>])> {
  let results = (outs Variadic<AnyRankedTensor>:$result);
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutputMutable();
    }
    /// Whether the kernel reads its destination (most overwrite it).
    bool readsOutput() { return false; }
  }];
}

def X86Kernel_Conv2dOp : X86Kernel_Op<"conv2d"> {
  let summary = "2-D NCHW convolution with an epilogue (cmb_x86_conv2d*)";
  let description = [{
    `output = activation(conv(input, filter) + bias (+ output, with
    accumulate))` on f32 `input: N x C x H x W`, `filter: F x C/groups x KH
    x KW` and `output: N x F x OH x OW`. The input is read with implicit zero
    padding: `padding` holds the leading pads (top, left); reads past the
    bottom or right edge are zeros too, so the trailing pads follow from
    OH and OW. `bias` has F elements. With `accumulate` the kernel adds to
    what `output` holds (a residual). Which kernel runs (im2col, Winograd,
    packed, depthwise, fused with a max pooling) is decided when the op
    becomes a call.

    ```mlir
    %y = x86kernel.conv2d %x, %w bias %b into %e {strides = array<i64: 1, 1>,
           dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>,
           groups = 1 : i64, activation = #cambrian.activation<relu>}
           : (tensor<1x3x8x8xf32>, tensor<16x3x3x3xf32>, tensor<16xf32>,
              tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[F32]>:$input,
                       TensorOrMemRef<[F32]>:$filter,
                       Optional<TensorOrMemRef<[F32]>>:$bias,
                       TensorOrMemRef<[F32]>:$output,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$padding,
                       DefaultValuedAttr<I64Attr, "1">:$groups,
                       OptionalAttr<Cambrian_ActivationAttr>:$activation,
                       UnitAttr:$accumulate);
  let assemblyFormat = [{
    $input `,` $filter (`bias` $bias^)? `into` $output attr-dict `:`
    functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutputMutable();
    }
    /// A residual is accumulated into the destination, which is then read.
    bool readsOutput() { return getAccumulate(); }
  }];
}

def X86Kernel_MatmulOp : X86Kernel_Op<"matmul"> {
  let summary = "Matrix product with an epilogue (cmb_x86_sgemm[_epilogue])";
  let description = [{
    `output = activation(lhs @ rhs + bias (+ output, with accumulate))` on
    f32 `lhs: [B x] M x K`, `rhs: [B x] K x N` and `output: [B x] M x N`
    (all rank 2, or all rank 3 with one batch). `bias` has N elements, one
    per column. With `accumulate` the kernel adds the product to what
    `output` holds (a residual: the destination is then read too). The
    activation is one the kernel applies as it stores (runtime/Kernels.h,
    CMB_CONV_ACT_*).

    ```mlir
    %y = x86kernel.matmul %a, %b bias %c into %e
           {activation = #cambrian.activation<gelu_erf>}
           : (tensor<64x256xf32>, tensor<256x1024xf32>, tensor<1024xf32>,
              tensor<64x1024xf32>) -> tensor<64x1024xf32>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[F32]>:$lhs,
                       TensorOrMemRef<[F32]>:$rhs,
                       Optional<TensorOrMemRef<[F32]>>:$bias,
                       TensorOrMemRef<[F32]>:$output,
                       OptionalAttr<Cambrian_ActivationAttr>:$activation,
                       UnitAttr:$accumulate);
  let assemblyFormat = [{
    $lhs `,` $rhs (`bias` $bias^)? `into` $output attr-dict `:`
    functional-type(operands, results)
  }];
  let extraClassDeclaration = [{
    ::mlir::MutableOperandRange getDpsInitsMutable() {
      return getOutputMutable();
    }
    /// A residual is accumulated into the destination, which is then read.
    bool readsOutput() { return getAccumulate(); }
  }];
}

def X86Kernel_SoftmaxOp : X86Kernel_Op<"softmax"> {
  let summary = "Softmax over the last dimension (cmb_x86_softmax)";
  let description = [{
    `output = exp(x - max) / sum(exp(x - max))` along the last dimension of
    a statically shaped f32 `input`; `output` has the same shape.

    ```mlir
    %y = x86kernel.softmax %x into %e
           : (tensor<2x10xf32>, tensor<2x10xf32>) -> tensor<2x10xf32>
    x86kernel.softmax %a into %b : (memref<2x10xf32>, memref<2x10xf32>) -> ()
    ```
  }];
  let arguments = (ins TensorOrMemRef<[F32]>:$input,
                       TensorOrMemRef<[F32]>:$output);
  let assemblyFormat = [{
    $input `into` $output attr-dict `:` functional-type(operands, results)
  }];
}

def X86Kernel_LayerNormOp : X86Kernel_Op<"layer_norm"> {
  let summary = "Layer normalization of rows (cmb_x86_layernorm)";
  let description = [{
    Normalizes each row of `input` seen as `rows x cols` (`cols` the
    product of its trailing dimensions from `axis` on) to zero mean and
    unit variance (`epsilon` added to the variance), then multiplies by
    `scale` and adds `bias`, each `cols` dense f32 elements.

    ```mlir
    %y = x86kernel.layer_norm %x, %g bias %b into %e
           {axis = 1 : i64, epsilon = 1.0e-5 : f32}
           : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4x8xf32>)
             -> tensor<4x8xf32>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[F32]>:$input,
                       TensorOrMemRef<[F32]>:$scale,
                       Optional<TensorOrMemRef<[F32]>>:$bias,
                       TensorOrMemRef<[F32]>:$output,
                       I64Attr:$axis, F32Attr:$epsilon);
  let assemblyFormat = [{
    $input `,` $scale (`bias` $bias^)? `into` $output attr-dict `:`
    functional-type(operands, results)
  }];
}

def X86Kernel_MaxPool2dOp : X86Kernel_Op<"max_pool2d"> {
  let summary = "2-D max pooling of NCHW planes (cmb_x86_maxpool2d)";
  let description = [{
    `output[n, c, oh, ow]` is the max of `input[n, c, oh * SH - PT + kh * DH,
    ow * SW - PL + kw * DW]` over the `kernel` window (`strides` SH, SW;
    `dilations` DH, DW; `padding` PT, PL the leading pads). Positions outside
    the input never win (implicit -inf padding, on every side, so trailing
    pads and ceil mode need no attribute); NaN propagates. f32, static
    shapes.

    ```mlir
    %y = x86kernel.max_pool2d %x into %e {kernel = array<i64: 3, 3>,
           strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>,
           padding = array<i64: 1, 1>}
           : (tensor<1x8x16x16xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[F32]>:$input,
                       TensorOrMemRef<[F32]>:$output,
                       DenseI64ArrayAttr:$kernel,
                       DenseI64ArrayAttr:$strides,
                       DenseI64ArrayAttr:$dilations,
                       DenseI64ArrayAttr:$padding);
  let assemblyFormat = [{
    $input `into` $output attr-dict `:` functional-type(operands, results)
  }];
}

//===----------------------------------------------------------------------===//
// int8 (Int8Kernels.h)
//===----------------------------------------------------------------------===//

def X86Kernel_QConv2dOp : X86Kernel_Op<"qconv2d"> {
  let summary = "int8 2-D NCHW convolution (cmb_x86_qconv2d[_depthwise])";
  let description = [{
    A quantized `cambrian.conv` with everything the kernel needs made at
    compile time: `weights` packed by `cmb_q_pack_conv_weights` (for a
    depthwise convolution, `depthwise`, the plain C x KH x KW weights),
    `channels` the int32 table of corrected biases, multipliers and shifts
    (`cmb_q_channels`), and `params` the whole CMB_QCONV_* parameter block
    (geometry, leading pads, zero points, signedness, output stage and
    clamp). `input` and `output` hold the 8-bit storage (i8 whatever the
    signedness, which `params` says); an f32 `output` is the accumulator
    dequantized (CMB_Q_OUT_F32).

    ```mlir
    %y = x86kernel.qconv2d %x, %wp, %table into %e {params = array<i64: ...>}
           : (tensor<1x8x9x9xi8>, tensor<576xi8>, tensor<96xi32>,
              tensor<1x8x9x9xi8>) -> tensor<1x8x9x9xi8>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[I8]>:$input,
                       TensorOrMemRef<[I8]>:$weights,
                       TensorOrMemRef<[I32]>:$channels,
                       TensorOrMemRef<[I8, F32]>:$output,
                       DenseI64ArrayAttr:$params,
                       UnitAttr:$depthwise);
  let assemblyFormat = [{
    $input `,` $weights `,` $channels `into` $output attr-dict `:`
    functional-type(operands, results)
  }];
}

def X86Kernel_QGemmOp : X86Kernel_Op<"qgemm"> {
  let summary = "int8 matrix product with constant weights (cmb_x86_qgemm)";
  let description = [{
    `output[M x N] = requantize(lhs[M x K] * B)` with B the constant
    weights packed by `cmb_q_pack_gemm_weights`, `channels` the int32
    table of the N columns and `params` the CMB_QGEMM_* block. Storage in
    i8 as for `x86kernel.qconv2d`.

    ```mlir
    %y = x86kernel.qgemm %a, %bp, %table into %e {params = array<i64: ...>}
           : (tensor<8x64xi8>, tensor<2048xi8>, tensor<96xi32>,
              tensor<8x32xi8>) -> tensor<8x32xi8>
    ```
  }];
  let arguments = (ins TensorOrMemRef<[I8]>:$lhs,
                       TensorOrMemRef<[I8]>:$weights,
                       TensorOrMemRef<[I32]>:$channels,
                       TensorOrMemRef<[I8, F32]>:$output,
                       DenseI64ArrayAttr:$params);
  let assemblyFormat = [{
    $lhs `,` $weights `,` $channels `into` $output attr-dict `:`
    functional-type(operands, results)
  }];
}

#endif // CAMBRIAN_TARGETS_X86_X86KERNELOPS_TD
