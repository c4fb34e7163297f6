// RUN: cambrian-opt %s --cambrian-decompose | FileCheck %s
// Every cambrian op lowers to linalg/tensor/arith on tensors.

// The epilogue follows the convolution: bias, residual, then activation.
// CHECK-LABEL: func @conv_epilogue
// CHECK:       %[[CONV:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
// CHECK:       %[[BIAS:.*]] = linalg.generic {{.*}} ins(%[[CONV]], %{{.*}} : tensor<1x8x8x8xf32>, tensor<8x1x1xf32>)
// CHECK:         arith.addf
// CHECK:       %[[RES:.*]] = linalg.generic {{.*}} ins(%[[BIAS]], %arg3 :
// CHECK:         arith.addf
// CHECK:       linalg.generic {{.*}} ins(%[[RES]] :
// CHECK:         arith.maximumf
// CHECK:         arith.minimumf
// CHECK-NOT:   cambrian.
func.func @conv_epilogue(%x: tensor<1x3x10x10xf32>, %w: tensor<8x3x3x3xf32>,
                         %b: tensor<8xf32>, %r: tensor<1x8x8x8xf32>)
    -> tensor<1x8x8x8xf32> {
  %0 = cambrian.conv %x, %w bias %b residual %r
         {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
          activation = #cambrian.activation<clip, alpha = 0.0, beta = 6.0>}
         : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>,
            tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// A same-shape tensor add (an imported ONNX Add) is one elementwise
// generic; scalar adds are left alone.
// CHECK-LABEL: func @tensor_add
// CHECK:       linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK:         arith.addf %{{.*}}, %{{.*}} : f32
// CHECK:       arith.addf %arg2, %arg2 : f32
func.func @tensor_add(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %s: f32) -> (tensor<2x3xf32>, f32) {
  %0 = arith.addf %a, %b : tensor<2x3xf32>
  %1 = arith.addf %s, %s : f32
  return %0, %1 : tensor<2x3xf32>, f32
}

// HardSwish: x * max(min(x / 6 + 1/2, 1), 0), one elementwise generic.
// CHECK-LABEL: func @hard_swish
// CHECK:       linalg.generic {{.*}} ins(%arg0 : tensor<2x3xf32>)
// CHECK:         arith.mulf
// CHECK-NEXT:    arith.addf
// CHECK-NEXT:    arith.minimumf
// CHECK-NEXT:    arith.maximumf
// CHECK-NEXT:    arith.mulf
func.func @hard_swish(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = cambrian.activation %x {activation = #cambrian.activation<hard_swish>} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// A fused pooling window is a max pooling after the epilogue again.
// CHECK-LABEL: func @conv_pool
// CHECK:       linalg.conv_2d_nchw_fchw {{.*}} -> tensor<1x8x8x8xf32>
// CHECK:       arith.maximumf
// CHECK:       tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK-SAME:    outs(%{{.*}} : tensor<1x8x4x4xf32>)
// CHECK-NOT:   cambrian.
func.func @conv_pool(%x: tensor<1x3x10x10xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
         activation = #cambrian.activation<relu>,
         pool = #cambrian.window<max, kernel = [3, 3], strides = [2, 2],
                                 dilations = [1, 1], padding = [1, 1, 1, 1]>}
         : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// CHECK-LABEL: func @depthwise
// CHECK:       tensor.expand_shape {{.*}} into tensor<8x3x3xf32>
// CHECK:       linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>}
// CHECK:       arith.maximumf
func.func @depthwise(%x: tensor<1x8x10x10xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %0 = cambrian.conv %x, %w {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>,
         groups = 8 : i64, activation = #cambrian.activation<relu>}
         : (tensor<1x8x10x10xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// Groups become a dimension of their own.
// CHECK-LABEL: func @grouped
// CHECK:       tensor.expand_shape {{.*}} into tensor<1x2x4x6x6xf32>
// CHECK:       tensor.expand_shape {{.*}} into tensor<2x2x4x1x1xf32>
// CHECK:       linalg.conv_2d_ngchw_gfchw
// CHECK-SAME:    -> tensor<1x2x2x6x6xf32>
// CHECK:       tensor.expand_shape {{.*}} into tensor<1x4x6x6xf32>
func.func @grouped(%x: tensor<1x8x6x6xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32> {
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, groups = 2 : i64}
         : (tensor<1x8x6x6xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x6x6xf32>
  return %0 : tensor<1x4x6x6xf32>
}

// Broadcast batch dimensions are materialised, then folded into one.
// CHECK-LABEL: func @matmul
// CHECK:       linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<6x4x8xf32>, tensor<6x8x16xf32>)
// CHECK:       tensor.expand_shape {{.*}} into tensor<2x3x4x16xf32>
// CHECK:       math.erf
func.func @matmul(%a: tensor<2x1x4x8xf32>, %b: tensor<3x8x16xf32>,
                  %c: tensor<16xf32>) -> tensor<2x3x4x16xf32> {
  %0 = cambrian.matmul %a, %b bias %c {activation = #cambrian.activation<gelu_erf>}
         : (tensor<2x1x4x8xf32>, tensor<3x8x16xf32>, tensor<16xf32>)
         -> tensor<2x3x4x16xf32>
  return %0 : tensor<2x3x4x16xf32>
}

// CHECK-LABEL: func @plain_matmul
// CHECK:       linalg.matmul ins(%arg0, %arg1 : tensor<4x8xf32>, tensor<8x16xf32>)
func.func @plain_matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %0 = cambrian.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// Max pooling pads with -inf through tensor.pad.
// CHECK-LABEL: func @maxpool
// CHECK:       %[[NEG:.*]] = arith.constant 0xFF800000 : f32
// CHECK:       tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         tensor.yield %[[NEG]]
// CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
// CHECK:         arith.maximumf
func.func @maxpool(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  %0 = cambrian.pool max %x {kernel = array<i64: 3, 3>,
         strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>,
         padding = array<i64: 1, 1, 1, 1>}
         : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// Without count_include_pad, border windows divide by what they cover.
// CHECK-LABEL: func @avgpool
// CHECK:       arith.constant dense<{{\[}}[2.500000e-01, 0.166666672, 2.500000e-01], [0.166666672, 0.111111112, 0.166666672], [2.500000e-01, 0.166666672, 2.500000e-01]]> : tensor<3x3xf32>
// CHECK:       tensor.pad
// CHECK:       arith.addf
// CHECK:       arith.mulf
func.func @avgpool(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x3x3xf32> {
  %0 = cambrian.pool average %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
         : tensor<1x2x5x5xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// Max-shifted exponentials over the last axis.
// CHECK-LABEL: func @softmax_last
// CHECK-NOT:   linalg.transpose
// CHECK:       arith.maximumf
// CHECK:       arith.subf
// CHECK:       math.exp
// CHECK:       arith.addf
// CHECK:       arith.divf
func.func @softmax_last(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = cambrian.softmax %x {axis = 1 : i64} : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// Another axis goes through a transpose to the last and back.
// CHECK-LABEL: func @log_softmax_axis1
// CHECK:       linalg.transpose {{.*}} permutation = [0, 2, 1]
// CHECK:       math.log
// CHECK:       linalg.transpose {{.*}} permutation = [0, 2, 1]
func.func @log_softmax_axis1(%x: tensor<2x4x3xf32>) -> tensor<2x4x3xf32> {
  %0 = cambrian.softmax %x {axis = 1 : i64, log = true} : tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// CHECK-LABEL: func @layer_norm
// CHECK-DAG:   %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK-DAG:   %[[INV:.*]] = arith.constant 2.500000e-01 : f32
// CHECK:       arith.mulf %{{.*}}, %[[INV]]
// CHECK:       arith.subf
// CHECK:       arith.addf %{{.*}}, %[[EPS]]
// CHECK-NEXT:  math.rsqrt
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %arg1, %arg2 :
func.func @layer_norm(%x: tensor<2x4xf32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = cambrian.layer_norm %x, %g bias %b {axis = 1 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// RMS normalization has no mean subtraction.
// CHECK-LABEL: func @rms_norm
// CHECK-NOT:   arith.subf
// CHECK:       math.rsqrt
func.func @rms_norm(%x: tensor<2x4xf32>, %g: tensor<4xf32>) -> tensor<2x4xf32> {
  %0 = cambrian.rms_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-6 : f32}
         : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// CHECK-LABEL: func @group_norm
// CHECK:       tensor.expand_shape {{.*}} into tensor<2x2x2x3xf32>
// CHECK:       math.rsqrt
// CHECK:       tensor.expand_shape {{.*}} into tensor<2x4x3xf32>
func.func @group_norm(%x: tensor<2x4x3xf32>, %c: tensor<4xf32>) -> tensor<2x4x3xf32> {
  %0 = cambrian.group_norm %x, %c, %c {num_groups = 2 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x4x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// Quantize rounds half to even, adds the zero point and saturates.
// CHECK-LABEL: func @quant
// CHECK:       arith.divf
// CHECK-NEXT:  math.roundeven
// CHECK-NEXT:  arith.addf
// CHECK-NEXT:  arith.maximumf %{{.*}}, %{{.*}} : f32
// CHECK-NEXT:  arith.minimumf
// CHECK-NEXT:  arith.fptosi %{{.*}} : f32 to i8
// CHECK:       arith.sitofp %{{.*}} : i8 to f32
// CHECK-NEXT:  arith.subf
// CHECK-NEXT:  arith.mulf
func.func @quant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = cambrian.quantize %x : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.5:3>>
  %1 = cambrian.dequantize %0 : tensor<4x!quant.uniform<i8:f32, 0.5:3>> -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// Key and value heads are repeated for grouped queries; the default scale is
// 1/sqrt(head size).
// CHECK-LABEL: func @attention
// CHECK:       arith.constant 0.353553385 : f32
// CHECK:       tensor.collapse_shape {{.*}} : tensor<1x1x2x6x8xf32> into tensor<96xf32>
// CHECK:       linalg.batch_matmul
// CHECK:       math.exp
// CHECK:       linalg.batch_matmul
// CHECK-NOT:   cambrian.attention
func.func @attention(%q: tensor<1x2x4x8xf32>, %k: tensor<1x1x6x8xf32>, %v: tensor<1x1x6x8xf32>) -> tensor<1x2x4x8xf32> {
  %0 = cambrian.attention %q, %k, %v {is_causal = true}
         : (tensor<1x2x4x8xf32>, tensor<1x1x6x8xf32>, tensor<1x1x6x8xf32>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}

// -----

// A quantized convolution: centered int32 operands, an int32 convolution,
// then one requantizing generic: bias, float32(acc) times the float32
// factor 0.1 * 0.02 / 0.05, rounded half to even, clamped to the range less
// the zero point ([3 - 3, 255 - 3]: the relu clamps at the zero point),
// plus the zero point.
// CHECK-LABEL: func @qconv
// CHECK-DAG:   %[[M:.*]] = arith.constant dense<0.0400000028> : tensor<f32>
// CHECK-DAG:   %[[LO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG:   %[[HI:.*]] = arith.constant 2.520000e+02 : f32
// CHECK-DAG:   %[[ZP:.*]] = arith.constant 3 : i32
// CHECK:       %[[X:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x2x4x4xi8>, tensor<i32>)
// CHECK:         arith.extui
// CHECK:         arith.subi
// CHECK:       %[[W:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x2x3x3xi8>, tensor<i32>)
// CHECK:         arith.extsi
// CHECK:       %[[ACC:.*]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[X]], %[[W]] : tensor<1x2x4x4xi32>, tensor<2x2x3x3xi32>)
// CHECK:       %[[Y:.*]] = linalg.generic {{.*}} ins(%[[ACC]], %[[M]], %{{.*}} : tensor<1x2x2x2xi32>, tensor<f32>, tensor<2x1x1xi32>)
// CHECK:         arith.addi
// CHECK:         arith.sitofp
// CHECK:         arith.mulf
// CHECK:         math.roundeven
// CHECK:         arith.maximumf %{{.*}}, %[[LO]]
// CHECK:         arith.minimumf %{{.*}}, %[[HI]]
// CHECK:         arith.fptosi
// CHECK:         arith.addi %{{.*}}, %[[ZP]]
// CHECK:         arith.trunci %{{.*}} : i32 to i8
// CHECK:       quant.scast %[[Y]] : tensor<1x2x2x2xi8> to tensor<1x2x2x2x!quant.uniform<u8:f32, 5.000000e-02:3>>
func.func @qconv(%x: tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1:128>>,
                 %w: tensor<2x2x3x3x!quant.uniform<i8:f32, 0.02>>,
                 %b: tensor<2xi32>) -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.05:3>> {
  %0 = cambrian.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
         activation = #cambrian.activation<relu>}
         : (tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1:128>>, tensor<2x2x3x3x!quant.uniform<i8:f32, 0.02>>, tensor<2xi32>)
         -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.05:3>>
  return %0 : tensor<1x2x2x2x!quant.uniform<u8:f32, 0.05:3>>
}

// -----

// A quantized matmul with per-column weights: one factor per column,
// broadcast along the last dimension.
// CHECK-LABEL: func @qmatmul
// CHECK-DAG:   %[[M:.*]] = arith.constant dense<[0.0400000028, 0.0800000056]> : tensor<2xf32>
// CHECK:       %[[ACC:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x4xi32>, tensor<4x2xi32>)
// CHECK:       linalg.generic {{.*}} ins(%[[ACC]], %[[M]] : tensor<3x2xi32>, tensor<2xf32>)
// CHECK:         math.roundeven
// CHECK:         arith.trunci %{{.*}} : i32 to i8
func.func @qmatmul(%a: tensor<3x4x!quant.uniform<i8:f32, 0.1:-2>>,
                   %b: tensor<4x2x!quant.uniform<i8:f32:1, {0.02, 0.04}>>) -> tensor<3x2x!quant.uniform<i8:f32, 0.05>> {
  %0 = cambrian.matmul %a, %b
         : (tensor<3x4x!quant.uniform<i8:f32, 0.1:-2>>, tensor<4x2x!quant.uniform<i8:f32:1, {0.02, 0.04}>>)
         -> tensor<3x2x!quant.uniform<i8:f32, 0.05>>
  return %0 : tensor<3x2x!quant.uniform<i8:f32, 0.05>>
}

// -----

// A lookup reads the table at the input's storage minus its minimum (for
// int8, +128).
// CHECK-LABEL: func @lookup
// CHECK:       %[[T:.*]] = quant.scast %arg1 : tensor<256x!quant.uniform<u8:f32, 1.000000e-01>> to tensor<256xi8>
// CHECK:       linalg.generic {{.*}} ins(%{{.*}} : tensor<4xi8>)
// CHECK:         %[[W:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK:         %[[I:.*]] = arith.subi %[[W]], %{{.*}} : i32
// CHECK:         %[[IX:.*]] = arith.index_cast %[[I]] : i32 to index
// CHECK:         tensor.extract %[[T]][%[[IX]]] : tensor<256xi8>
func.func @lookup(%x: tensor<4x!quant.uniform<i8:f32, 0.5>>, %t: tensor<256x!quant.uniform<u8:f32, 0.1>>)
    -> tensor<4x!quant.uniform<u8:f32, 0.1>> {
  %0 = cambrian.lookup %x, %t : (tensor<4x!quant.uniform<i8:f32, 0.5>>, tensor<256x!quant.uniform<u8:f32, 0.1>>)
         -> tensor<4x!quant.uniform<u8:f32, 0.1>>
  return %0 : tensor<4x!quant.uniform<u8:f32, 0.1>>
}

// -----

// A float result: the accumulator times the float32 scales 0.5 * 0.25 and
// 0.5 * 0.125, then the relu.
// CHECK-LABEL: func @qmatmul_float
// CHECK-DAG:   %[[S:.*]] = arith.constant dense<[1.250000e-01, 6.250000e-02]> : tensor<2xf32>
// CHECK:       %[[ACC:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<3x4xi32>, tensor<4x2xi32>)
// CHECK:       linalg.generic {{.*}} ins(%[[ACC]], %[[S]] : tensor<3x2xi32>, tensor<2xf32>)
// CHECK:         arith.sitofp
// CHECK:         arith.mulf
// CHECK:         arith.maximumf
// CHECK-NOT:     arith.trunci
func.func @qmatmul_float(%a: tensor<3x4x!quant.uniform<i8:f32, 0.5>>,
                         %b: tensor<4x2x!quant.uniform<i8:f32:1, {0.25, 0.125}>>) -> tensor<3x2xf32> {
  %0 = cambrian.matmul %a, %b {activation = #cambrian.activation<relu>}
         : (tensor<3x4x!quant.uniform<i8:f32, 0.5>>, tensor<4x2x!quant.uniform<i8:f32:1, {0.25, 0.125}>>)
         -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// cambrian.mul: the storage dequantized in float32, multiplied, divided by
// the result's scale, rounded, clamped, the zero point added; the rhs
// broadcast over the last dimension.
// CHECK-LABEL: func @qmul
// CHECK:       linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x4xi8>, tensor<2x1xi8>)
// CHECK:         arith.extsi
// CHECK:         arith.mulf
// CHECK:         arith.extui
// CHECK:         arith.mulf
// CHECK:         arith.mulf
// CHECK:         arith.divf
// CHECK:         math.roundeven
// CHECK:         arith.trunci %{{.*}} : i32 to i8
func.func @qmul(%a: tensor<2x4x!quant.uniform<i8:f32, 0.1:-2>>, %b: tensor<2x1x!quant.uniform<u8:f32, 0.5:3>>)
    -> tensor<2x4x!quant.uniform<i8:f32, 0.2>> {
  %0 = cambrian.mul %a, %b : (tensor<2x4x!quant.uniform<i8:f32, 0.1:-2>>, tensor<2x1x!quant.uniform<u8:f32, 0.5:3>>)
         -> tensor<2x4x!quant.uniform<i8:f32, 0.2>>
  return %0 : tensor<2x4x!quant.uniform<i8:f32, 0.2>>
}

// -----

// A quantized max pooling compares the storage with the type's signedness:
// uint8 starts from 0 and takes arith.maxui.
// CHECK-LABEL: func @qmax_pool
// CHECK:       tensor.pad
// CHECK:       linalg.generic
// CHECK:         arith.maxui
// CHECK:       quant.scast %{{.*}} : tensor<1x2x2x2xi8> to tensor<1x2x2x2x!quant.uniform<u8:f32, 1.000000e-01:128>>
func.func @qmax_pool(%x: tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1:128>>) -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.1:128>> {
  %0 = cambrian.pool max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 0, 0>}
         : tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1:128>> -> tensor<1x2x2x2x!quant.uniform<u8:f32, 0.1:128>>
  return %0 : tensor<1x2x2x2x!quant.uniform<u8:f32, 0.1:128>>
}
