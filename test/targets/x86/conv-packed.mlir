// RUN: cambrian-opt %s --split-input-file --cambrian-x86-lower-to-kernels | FileCheck %s
// RUN: cambrian-opt %s --split-input-file --cambrian-x86-lower-to-kernels=packed-conv=false | FileCheck %s --check-prefix=OFF

// A 1x1 convolution with constant weights on a 7x7 map (49 pixels: 77% of
// two 32-lane tiles) runs with the output channels in the lanes: the weights
// (48 x 64) are packed at compile time into panels of 32 channels, 64 x 32
// floats each, the second half-empty (2 * 64 * 32 = 4096 floats). With
// all-ones weights the blob starts 1.0, 1.0 (0x3F800000, little-endian,
// after its 4-byte alignment).
// CHECK-LABEL: memref.global "private" constant @w_packed : memref<4096xf32> = dense_resource<w_packed>
// CHECK-LABEL: func.func @pointwise_small_map
// CHECK: %[[W:.+]] = memref.get_global @w_packed : memref<4096xf32>
// CHECK: memref.extract_strided_metadata %[[W]]
// CHECK: call @cmb_x86_conv2d_packed
// CHECK-NOT: x86kernel.conv2d
// CHECK: w_packed: "0x040000000000803F0000803F
// OFF-LABEL: func.func @pointwise_small_map
// OFF: memref.get_global @w : memref<64x64x1x1xf32>
// OFF: call @cmb_x86_conv2d(
// OFF-NOT: {{conv2d_packed|_packed :}}
memref.global "private" constant @w : memref<64x64x1x1xf32> = dense<1.0>
func.func @pointwise_small_map(%x: memref<1x64x7x7xf32>, %y: memref<1x64x7x7xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<64x64x1x1xf32>
  x86kernel.conv2d %x, %w into %y {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x64x7x7xf32>, memref<64x64x1x1xf32>, memref<1x64x7x7xf32>) -> ()
  return
}

// -----

// A 3x3 stride-2 convolution down to 7x7 (through im2col rows in the
// kernel), and a second one reading the same weights: one packed global
// (64 x 32*3*3 floats) serves both.
// CHECK-LABEL: memref.global "private" constant @w2_packed : memref<18432xf32>
// CHECK-NOT: memref.global {{.*}}@w2_packed
// CHECK-LABEL: func.func @strided_shared
// CHECK-COUNT-2: call @cmb_x86_conv2d_packed
memref.global "private" constant @w2 : memref<64x32x3x3xf32> = dense<0.5>
func.func @strided_shared(%x: memref<1x32x15x15xf32>, %y: memref<1x64x7x7xf32>,
                          %z: memref<1x64x7x7xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w2 : memref<64x32x3x3xf32>
  x86kernel.conv2d %x, %w into %y {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 2, 2>}
    : (memref<1x32x15x15xf32>, memref<64x32x3x3xf32>, memref<1x64x7x7xf32>) -> ()
  %w1 = memref.get_global @w2 : memref<64x32x3x3xf32>
  x86kernel.conv2d %x, %w1 into %z {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 2, 2>, accumulate}
    : (memref<1x32x15x15xf32>, memref<64x32x3x3xf32>, memref<1x64x7x7xf32>) -> ()
  return
}

// -----

// The plain kernel where channels in the lanes do not pay or cannot be
// prepared: a 56x56 map (the pixels fill the lanes), weights known only at
// run time, a shallow reduction (16 input channels), 24 output channels on
// a 14x14 map (75% of a panel against 88% of the pixel tiles).
// CHECK-LABEL: func.func @not_packed
// CHECK-COUNT-4: call @cmb_x86_conv2d(
// CHECK-NOT: conv2d_packed
memref.global "private" constant @w3 : memref<64x64x1x1xf32> = dense<1.0>
memref.global "private" constant @w4 : memref<64x16x1x1xf32> = dense<1.0>
memref.global "private" constant @w5 : memref<24x64x1x1xf32> = dense<1.0>
func.func @not_packed(%big: memref<1x64x56x56xf32>, %ybig: memref<1x64x56x56xf32>,
                      %x: memref<1x64x7x7xf32>, %wr: memref<64x64x1x1xf32>,
                      %y: memref<1x64x7x7xf32>, %xs: memref<1x16x7x7xf32>,
                      %x14: memref<1x64x14x14xf32>, %y14: memref<1x24x14x14xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w3 : memref<64x64x1x1xf32>
  x86kernel.conv2d %big, %w into %ybig {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x64x56x56xf32>, memref<64x64x1x1xf32>, memref<1x64x56x56xf32>) -> ()
  x86kernel.conv2d %x, %wr into %y {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>, accumulate}
    : (memref<1x64x7x7xf32>, memref<64x64x1x1xf32>, memref<1x64x7x7xf32>) -> ()
  %ws = memref.get_global @w4 : memref<64x16x1x1xf32>
  x86kernel.conv2d %xs, %ws into %y {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>, accumulate}
    : (memref<1x16x7x7xf32>, memref<64x16x1x1xf32>, memref<1x64x7x7xf32>) -> ()
  %wn = memref.get_global @w5 : memref<24x64x1x1xf32>
  x86kernel.conv2d %x14, %wn into %y14 {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>, accumulate}
    : (memref<1x64x14x14xf32>, memref<24x64x1x1xf32>, memref<1x24x14x14xf32>) -> ()
  return
}

// -----

// The depth from which the packed kernel wins grows with how well the
// pixels fill the plain GEMM's lanes: on 28x28 (98%) 64 input channels stay
// plain and 144 are packed; on 14x14 (88%) 48 stay plain and 64 are packed;
// on 7x7 (77%) 32 are packed.
// CHECK-LABEL: memref.global "private" constant @__cmb_conv_params_1_64_28_28_192_
// CHECK-LABEL: func.func @depth_by_map
// CHECK: call @cmb_x86_conv2d(
// CHECK-SAME: -> ()
// CHECK: memref.get_global @w144_packed
// CHECK: call @cmb_x86_conv2d_packed(
// CHECK: call @cmb_x86_conv2d(
// CHECK: memref.get_global @w64_packed
// CHECK: call @cmb_x86_conv2d_packed(
// CHECK: memref.get_global @w32_packed
// CHECK: call @cmb_x86_conv2d_packed(
// CHECK-NOT: call
memref.global "private" constant @w64 : memref<192x64x1x1xf32> = dense<1.0>
memref.global "private" constant @w144 : memref<192x144x1x1xf32> = dense<1.0>
memref.global "private" constant @w48 : memref<192x48x1x1xf32> = dense<1.0>
memref.global "private" constant @w32 : memref<192x32x1x1xf32> = dense<1.0>
func.func @depth_by_map(%x28: memref<1x64x28x28xf32>, %x28d: memref<1x144x28x28xf32>, %y28: memref<1x192x28x28xf32>,
                        %x14s: memref<1x48x14x14xf32>, %x14: memref<1x64x14x14xf32>, %y14: memref<1x192x14x14xf32>,
                        %x7: memref<1x32x7x7xf32>, %y7: memref<1x192x7x7xf32>) {
  %w64 = memref.get_global @w64 : memref<192x64x1x1xf32>
  %w144 = memref.get_global @w144 : memref<192x144x1x1xf32>
  %w48 = memref.get_global @w48 : memref<192x48x1x1xf32>
  %w32 = memref.get_global @w32 : memref<192x32x1x1xf32>
  x86kernel.conv2d %x28, %w64 into %y28 {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>, accumulate}
    : (memref<1x64x28x28xf32>, memref<192x64x1x1xf32>, memref<1x192x28x28xf32>) -> ()
  x86kernel.conv2d %x28d, %w144 into %y28 {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>, accumulate}
    : (memref<1x144x28x28xf32>, memref<192x144x1x1xf32>, memref<1x192x28x28xf32>) -> ()
  x86kernel.conv2d %x14s, %w48 into %y14 {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>, accumulate}
    : (memref<1x48x14x14xf32>, memref<192x48x1x1xf32>, memref<1x192x14x14xf32>) -> ()
  x86kernel.conv2d %x14, %w64 into %y14 {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>, accumulate}
    : (memref<1x64x14x14xf32>, memref<192x64x1x1xf32>, memref<1x192x14x14xf32>) -> ()
  x86kernel.conv2d %x7, %w32 into %y7 {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>, accumulate}
    : (memref<1x32x7x7xf32>, memref<192x32x1x1xf32>, memref<1x192x7x7xf32>) -> ()
  return
}
