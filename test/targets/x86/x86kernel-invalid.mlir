// RUN: cambrian-opt %s -split-input-file -verify-diagnostics
// Each verifier of the x86kernel dialect rejects what it must.

func.func @mixed(%x: tensor<2x10xf32>, %y: memref<2x10xf32>) {
  // expected-error @+1 {{needs all operands tensors or all memrefs}}
  x86kernel.softmax %x into %y : (tensor<2x10xf32>, memref<2x10xf32>) -> ()
  return
}

// -----

func.func @dynamic(%x: memref<?x10xf32>, %y: memref<?x10xf32>) {
  // expected-error @+1 {{needs static shapes}}
  x86kernel.softmax %x into %y : (memref<?x10xf32>, memref<?x10xf32>) -> ()
  return
}

// -----

func.func @scalar(%x: memref<f32>, %y: memref<f32>) {
  // expected-error @+1 {{needs a rank of at least 1}}
  x86kernel.softmax %x into %y : (memref<f32>, memref<f32>) -> ()
  return
}

// -----

func.func @softmax_shape(%x: memref<2x10xf32>, %y: memref<10x2xf32>) {
  // expected-error @+1 {{needs the input's shape for its output}}
  x86kernel.softmax %x into %y : (memref<2x10xf32>, memref<10x2xf32>) -> ()
  return
}

// -----

func.func @layer_norm_shape(%x: memref<2x10xf32>, %g: memref<10xf32>, %y: memref<2x5xf32>) {
  // expected-error @+1 {{needs the input's shape for its output}}
  x86kernel.layer_norm %x, %g into %y {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (memref<2x10xf32>, memref<10xf32>, memref<2x5xf32>) -> ()
  return
}

// -----

func.func @layer_norm_axis(%x: memref<2x10xf32>, %g: memref<10xf32>, %y: memref<2x10xf32>) {
  // expected-error @+1 {{axis 2 is not a dimension of a rank 2 input}}
  x86kernel.layer_norm %x, %g into %y {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (memref<2x10xf32>, memref<10xf32>, memref<2x10xf32>) -> ()
  return
}

// -----

func.func @layer_norm_scale(%x: memref<2x10xf32>, %g: memref<1xf32>, %y: memref<2x10xf32>) {
  // expected-error @+1 {{needs 10 scale elements, one per normalized position}}
  x86kernel.layer_norm %x, %g into %y {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (memref<2x10xf32>, memref<1xf32>, memref<2x10xf32>) -> ()
  return
}

// -----

func.func @layer_norm_bias(%x: memref<2x10xf32>, %g: memref<10xf32>, %b: memref<5xf32>, %y: memref<2x10xf32>) {
  // expected-error @+1 {{needs 10 bias elements, one per normalized position}}
  x86kernel.layer_norm %x, %g bias %b into %y {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (memref<2x10xf32>, memref<10xf32>, memref<5xf32>, memref<2x10xf32>) -> ()
  return
}

// -----

func.func @f16(%x: memref<2x10xf16>, %y: memref<2x10xf16>) {
  // expected-error @+1 {{must be Tensor or MemRef of 32-bit float values}}
  x86kernel.softmax %x into %y : (memref<2x10xf16>, memref<2x10xf16>) -> ()
  return
}

// -----

func.func @pool_rank(%x: memref<8x16x16xf32>, %y: memref<8x8x8xf32>) {
  // expected-error @+1 {{needs NCHW input and output}}
  x86kernel.max_pool2d %x into %y {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (memref<8x16x16xf32>, memref<8x8x8xf32>) -> ()
  return
}

// -----

func.func @pool_channels(%x: memref<1x8x16x16xf32>, %y: memref<1x4x8x8xf32>) {
  // expected-error @+1 {{needs the input's N and C for its output}}
  x86kernel.max_pool2d %x into %y {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (memref<1x8x16x16xf32>, memref<1x4x8x8xf32>) -> ()
  return
}

// -----

func.func @pool_kernel_size(%x: memref<1x8x16x16xf32>, %y: memref<1x8x8x8xf32>) {
  // expected-error @+1 {{kernel needs 2 values, one per spatial dimension}}
  x86kernel.max_pool2d %x into %y {kernel = array<i64: 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (memref<1x8x16x16xf32>, memref<1x8x8x8xf32>) -> ()
  return
}

// -----

func.func @pool_stride(%x: memref<1x8x16x16xf32>, %y: memref<1x8x8x8xf32>) {
  // expected-error @+1 {{strides must be at least 1}}
  x86kernel.max_pool2d %x into %y {kernel = array<i64: 3, 3>, strides = array<i64: 0, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>} : (memref<1x8x16x16xf32>, memref<1x8x8x8xf32>) -> ()
  return
}

// -----

func.func @pool_padding(%x: memref<1x8x16x16xf32>, %y: memref<1x8x8x8xf32>) {
  // expected-error @+1 {{padding must be at least 0}}
  x86kernel.max_pool2d %x into %y {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: -1, 0>} : (memref<1x8x16x16xf32>, memref<1x8x8x8xf32>) -> ()
  return
}

// -----

func.func @matmul_ranks(%a: memref<2x4x8xf32>, %b: memref<8x16xf32>, %c: memref<2x4x16xf32>) {
  // expected-error @+1 {{needs operands all of rank 2 or all of rank 3}}
  x86kernel.matmul %a, %b into %c : (memref<2x4x8xf32>, memref<8x16xf32>, memref<2x4x16xf32>) -> ()
  return
}

// -----

func.func @matmul_batch(%a: memref<2x4x8xf32>, %b: memref<3x8x16xf32>, %c: memref<2x4x16xf32>) {
  // expected-error @+1 {{needs one batch size}}
  x86kernel.matmul %a, %b into %c : (memref<2x4x8xf32>, memref<3x8x16xf32>, memref<2x4x16xf32>) -> ()
  return
}

// -----

func.func @matmul_shapes(%a: memref<4x8xf32>, %b: memref<4x16xf32>, %c: memref<4x16xf32>) {
  // expected-error @+1 {{needs lhs M x K, rhs K x N and output M x N}}
  x86kernel.matmul %a, %b into %c : (memref<4x8xf32>, memref<4x16xf32>, memref<4x16xf32>) -> ()
  return
}

// -----

func.func @matmul_bias(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %bias: memref<4xf32>, %c: memref<4x16xf32>) {
  // expected-error @+1 {{needs 16 bias elements, one per column}}
  x86kernel.matmul %a, %b bias %bias into %c : (memref<4x8xf32>, memref<8x16xf32>, memref<4xf32>, memref<4x16xf32>) -> ()
  return
}

// -----

func.func @conv_groups(%x: memref<1x6x4x4xf32>, %w: memref<4x2x1x1xf32>, %y: memref<1x4x4x4xf32>) {
  // expected-error @+1 {{needs C and F divisible by 2 groups, with C / groups filter channels}}
  x86kernel.conv2d %x, %w into %y {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, groups = 2 : i64}
    : (memref<1x6x4x4xf32>, memref<4x2x1x1xf32>, memref<1x4x4x4xf32>) -> ()
  return
}

// -----

func.func @conv_padding(%x: memref<1x2x4x4xf32>, %w: memref<4x2x1x1xf32>, %y: memref<1x4x4x4xf32>) {
  // expected-error @+1 {{padding needs 2 values, one per spatial dimension}}
  x86kernel.conv2d %x, %w into %y {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0>}
    : (memref<1x2x4x4xf32>, memref<4x2x1x1xf32>, memref<1x4x4x4xf32>) -> ()
  return
}

// -----

func.func @conv_output(%x: memref<1x2x4x4xf32>, %w: memref<4x2x1x1xf32>, %y: memref<1x3x4x4xf32>) {
  // expected-error @+1 {{needs the input's N and the filter's F for its output}}
  x86kernel.conv2d %x, %w into %y {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>}
    : (memref<1x2x4x4xf32>, memref<4x2x1x1xf32>, memref<1x3x4x4xf32>) -> ()
  return
}
