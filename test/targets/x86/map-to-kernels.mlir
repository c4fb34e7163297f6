// RUN: cambrian-opt %s --cambrian-x86-map-to-kernels --split-input-file | FileCheck %s

// A last-axis f32 softmax is the kernel op, into a new tensor.
// CHECK-LABEL: func.func @softmax_last
// CHECK-SAME: (%[[X:.+]]: tensor<2x10xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x10xf32>
// CHECK: %[[Y:.+]] = x86kernel.softmax %[[X]] into %[[E]]
// CHECK: return %[[Y]]
func.func @softmax_last(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %y = cambrian.softmax %x {axis = 1 : i64} : tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// -----

// Another axis is moved last and back, as the decomposition does.
// CHECK-LABEL: func.func @softmax_axis
// CHECK: %[[T:.+]] = linalg.transpose ins(%{{.+}} : tensor<2x3x4xf32>) outs(%{{.+}} : tensor<2x4x3xf32>) permutation = [0, 2, 1]
// CHECK: %[[Y:.+]] = x86kernel.softmax %[[T]] into %{{.+}} : (tensor<2x4x3xf32>, tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
// CHECK: linalg.transpose ins(%[[Y]] : tensor<2x4x3xf32>) outs(%{{.+}} : tensor<2x3x4xf32>) permutation = [0, 2, 1]
func.func @softmax_axis(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %y = cambrian.softmax %x {axis = 1 : i64} : tensor<2x3x4xf32>
  return %y : tensor<2x3x4xf32>
}

// -----

// No kernel for log-softmax or f16: left to the decomposition.
// CHECK-LABEL: func.func @softmax_unmapped
// CHECK: cambrian.softmax %{{.+}} {axis = 1 : i64, log = true}
// CHECK: cambrian.softmax %{{.+}} {axis = 1 : i64} : tensor<2x10xf16>
// CHECK-NOT: x86kernel
func.func @softmax_unmapped(%x: tensor<2x10xf32>, %h: tensor<2x10xf16>) -> (tensor<2x10xf32>, tensor<2x10xf16>) {
  %y = cambrian.softmax %x {axis = 1 : i64, log = true} : tensor<2x10xf32>
  %z = cambrian.softmax %h {axis = 1 : i64} : tensor<2x10xf16>
  return %y, %z : tensor<2x10xf32>, tensor<2x10xf16>
}

// -----

// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.+]]: tensor<4x8xf32>, %[[G:.+]]: tensor<8xf32>, %[[B:.+]]: tensor<8xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<4x8xf32>
// CHECK: x86kernel.layer_norm %[[X]], %[[G]] bias %[[B]] into %[[E]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32}
func.func @layer_norm(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  %y = cambrian.layer_norm %x, %g bias %b {axis = 1 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Over the trailing 2x4, with a scale of all 8 positions and no bias.
// CHECK-LABEL: func.func @layer_norm_trailing
// CHECK: x86kernel.layer_norm %{{.+}}, %{{.+}} into %{{.+}} {axis = 1 : i64
func.func @layer_norm_trailing(%x: tensor<3x2x4xf32>, %g: tensor<2x4xf32>) -> tensor<3x2x4xf32> {
  %y = cambrian.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<3x2x4xf32>, tensor<2x4xf32>) -> tensor<3x2x4xf32>
  return %y : tensor<3x2x4xf32>
}

// -----

// A scale broadcast from one element is not what the kernel reads.
// CHECK-LABEL: func.func @layer_norm_broadcast_scale
// CHECK: cambrian.layer_norm
// CHECK-NOT: x86kernel
func.func @layer_norm_broadcast_scale(%x: tensor<4x8xf32>, %g: tensor<1xf32>) -> tensor<4x8xf32> {
  %y = cambrian.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<4x8xf32>, tensor<1xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// 2-D f32 max pooling keeps its leading pads; the kernel pads with -inf on
// every side, so the trailing ones (and ceil mode) need nothing.
// CHECK-LABEL: func.func @max_pool
// CHECK-SAME: (%[[X:.+]]: tensor<1x8x16x16xf32>)
// CHECK: %[[E:.+]] = tensor.empty() : tensor<1x8x8x8xf32>
// CHECK: x86kernel.max_pool2d %[[X]] into %[[E]] {dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, padding = array<i64: 1, 2>, strides = array<i64: 2, 2>}
func.func @max_pool(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  %y = cambrian.pool max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 1, 2, 1, 0>}
         : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}

// -----

// Average pooling, 1-D max pooling and integer max pooling have no kernel.
// CHECK-LABEL: func.func @pool_unmapped
// CHECK-COUNT-3: cambrian.pool
// CHECK-NOT: x86kernel
func.func @pool_unmapped(%x: tensor<1x8x16x16xf32>, %s: tensor<1x8x16xf32>, %i: tensor<1x8x16x16xi8>)
    -> (tensor<1x8x8x8xf32>, tensor<1x8x8xf32>, tensor<1x8x8x8xi8>) {
  %a = cambrian.pool average %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
         : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
  %b = cambrian.pool max %s {kernel = array<i64: 2>, strides = array<i64: 2>,
         dilations = array<i64: 1>, padding = array<i64: 0, 0>}
         : tensor<1x8x16xf32> -> tensor<1x8x8xf32>
  %c = cambrian.pool max %i {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
         : tensor<1x8x16x16xi8> -> tensor<1x8x8x8xi8>
  return %a, %b, %c : tensor<1x8x8x8xf32>, tensor<1x8x8xf32>, tensor<1x8x8x8xi8>
}

// -----

// A matmul with its epilogue is the kernel op; weights shared over the
// batch make one GEMM over all rows (lhs collapsed, result expanded back).
// CHECK-LABEL: func.func @matmul_bias_gelu
// CHECK-SAME: (%[[A:.+]]: tensor<2x4x8xf32>, %[[B:.+]]: tensor<8x16xf32>, %[[C:.+]]: tensor<16xf32>)
// CHECK: %[[A2:.+]] = tensor.expand_shape %{{.+}} : tensor<64xf32> into tensor<8x8xf32>
// CHECK: %[[E:.+]] = tensor.empty() : tensor<8x16xf32>
// CHECK: %[[Y:.+]] = x86kernel.matmul %[[A2]], %[[B]] bias %[[C]] into %[[E]] {activation = #cambrian.activation<gelu_erf>}
// CHECK: tensor.expand_shape %{{.+}} : tensor<128xf32> into tensor<2x4x16xf32>
func.func @matmul_bias_gelu(%a: tensor<2x4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<16xf32>) -> tensor<2x4x16xf32> {
  %y = cambrian.matmul %a, %b bias %c {activation = #cambrian.activation<gelu_erf>}
         : (tensor<2x4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<2x4x16xf32>
  return %y : tensor<2x4x16xf32>
}

// -----

// A residual is the destination, accumulated into; batched operands keep
// their batch.
// CHECK-LABEL: func.func @matmul_residual
// CHECK-SAME: (%[[A:.+]]: tensor<2x4x8xf32>, %[[B:.+]]: tensor<2x8x16xf32>, %[[R:.+]]: tensor<2x4x16xf32>)
// CHECK: %[[Y:.+]] = x86kernel.matmul %[[A]], %[[B]] into %[[R]] {accumulate}
// CHECK: return %[[Y]]
func.func @matmul_residual(%a: tensor<2x4x8xf32>, %b: tensor<2x8x16xf32>, %r: tensor<2x4x16xf32>) -> tensor<2x4x16xf32> {
  %y = cambrian.matmul %a, %b residual %r : (tensor<2x4x8xf32>, tensor<2x8x16xf32>, tensor<2x4x16xf32>) -> tensor<2x4x16xf32>
  return %y : tensor<2x4x16xf32>
}

// -----

// No kernel: an activation the GEMM lacks (Elu, a Clip other than (0, 6)),
// or f16.
// CHECK-LABEL: func.func @matmul_unmapped
// CHECK-COUNT-3: cambrian.matmul
// CHECK-NOT: x86kernel
func.func @matmul_unmapped(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %h: tensor<4x8xf16>, %g: tensor<8x16xf16>)
    -> (tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf16>) {
  %x = cambrian.matmul %a, %b {activation = #cambrian.activation<elu, alpha = 1.0>} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %y = cambrian.matmul %a, %b {activation = #cambrian.activation<clip, alpha = 0.0, beta = 1.0>} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %z = cambrian.matmul %h, %g : (tensor<4x8xf16>, tensor<8x16xf16>) -> tensor<4x16xf16>
  return %x, %y, %z : tensor<4x16xf32>, tensor<4x16xf32>, tensor<4x16xf16>
}

// -----

// A convolution with its epilogue is the kernel op; the zero padding in
// front is absorbed (leading pads 1, 2; the trailing ones follow from the
// output size).
// CHECK-LABEL: func.func @conv_padded
// CHECK-SAME: (%[[X:.+]]: tensor<1x3x8x8xf32>, %[[W:.+]]: tensor<4x3x3x3xf32>, %[[B:.+]]: tensor<4xf32>)
// CHECK-NOT: tensor.pad
// CHECK: %[[E:.+]] = tensor.empty() : tensor<1x4x8x9xf32>
// CHECK: x86kernel.conv2d %[[X]], %[[W]] bias %[[B]] into %[[E]] {activation = #cambrian.activation<relu>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 2>, strides = array<i64: 1, 1>}
func.func @conv_padded(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x8x9xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 2] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x3x8x8xf32> to tensor<1x3x10x11xf32>
  %y = cambrian.conv %p, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                                     activation = #cambrian.activation<relu>}
         : (tensor<1x3x10x11xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x9xf32>
  return %y : tensor<1x4x8x9xf32>
}

// -----

// A 1-D convolution with a residual: unit height, the residual reshaped as
// the destination, accumulated into; a padding of another value stays.
// CHECK-LABEL: func.func @conv_1d_residual
// CHECK: %[[P:.+]] = tensor.pad
// CHECK: %[[X:.+]] = tensor.expand_shape %{{.+}} : tensor<{{[0-9]+}}xf32> into tensor<1x2x1x10xf32>
// CHECK: x86kernel.conv2d %[[X]], %{{.+}} into %{{.+}} {accumulate, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
// CHECK-SAME: -> tensor<1x4x1x8xf32>
func.func @conv_1d_residual(%x: tensor<1x2x8xf32>, %w: tensor<4x2x3xf32>, %r: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %one = arith.constant 1.0 : f32
  %p = tensor.pad %x low[0, 0, 1] high[0, 0, 1] {
  ^bb0(%i: index, %j: index, %k: index):
    tensor.yield %one : f32
  } : tensor<1x2x8xf32> to tensor<1x2x10xf32>
  %y = cambrian.conv %p, %w residual %r {strides = array<i64: 1>, dilations = array<i64: 1>}
         : (tensor<1x2x10xf32>, tensor<4x2x3xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %y : tensor<1x4x8xf32>
}

// -----

// No kernel: a 3-D convolution, a pooling window, an activation the
// kernels lack.
// CHECK-LABEL: func.func @conv_unmapped
// CHECK-COUNT-2: cambrian.conv
// CHECK-NOT: x86kernel
func.func @conv_unmapped(%x: tensor<1x2x4x4x4xf32>, %w: tensor<2x2x1x1x1xf32>, %y: tensor<1x2x4x4xf32>, %v: tensor<2x2x1x1xf32>)
    -> (tensor<1x2x4x4x4xf32>, tensor<1x2x4x4xf32>) {
  %a = cambrian.conv %x, %w {strides = array<i64: 1, 1, 1>, dilations = array<i64: 1, 1, 1>}
         : (tensor<1x2x4x4x4xf32>, tensor<2x2x1x1x1xf32>) -> tensor<1x2x4x4x4xf32>
  %b = cambrian.conv %y, %v {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
                             activation = #cambrian.activation<elu, alpha = 1.0>}
         : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %a, %b : tensor<1x2x4x4x4xf32>, tensor<1x2x4x4xf32>
}
