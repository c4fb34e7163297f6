// RUN: cambrian-opt %s --split-input-file --cambrian-x86-lower-to-kernels | FileCheck %s
// RUN: cambrian-opt %s --split-input-file --cambrian-x86-lower-to-kernels=winograd=false | FileCheck %s --check-prefix=OFF

// A 3x3 stride-1 convolution with constant weights on a 28x28 map (49
// tiles of 4x4) runs by Winograd F(4x4, 3x3): the weights are transformed at
// compile time into 36 x F x C. With all-ones weights the first point is
// (G 1 G^T)[0][0] = (1/4)^2 = 0.0625 = 0x3D800000 (little-endian in the blob,
// after its 4-byte alignment).
// CHECK-LABEL: memref.global "private" constant @w_winograd : memref<36x16x16xf32> = dense_resource<w_winograd>
// CHECK-LABEL: func.func @winograd
// CHECK: %[[U:.+]] = memref.get_global @w_winograd : memref<36x16x16xf32>
// CHECK: memref.extract_strided_metadata %[[U]]
// CHECK: call @cmb_x86_conv2d_winograd
// CHECK-NOT: x86kernel.conv2d
// CHECK: w_winograd: "0x040000000000803D
// OFF-LABEL: func.func @winograd
// OFF: memref.get_global @w : memref<16x16x3x3xf32>
// OFF: call @cmb_x86_conv2d(
// OFF-NOT: {{conv2d_winograd|_winograd :}}
memref.global "private" constant @w : memref<16x16x3x3xf32> = dense<1.0>
func.func @winograd(%x: memref<1x16x30x30xf32>, %y: memref<1x16x28x28xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w : memref<16x16x3x3xf32>
  x86kernel.conv2d %x, %w into %y {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x16x30x30xf32>, memref<16x16x3x3xf32>, memref<1x16x28x28xf32>) -> ()
  return
}

// -----

// A 14x14 map has 16 tiles, too few to fill the GEMMs: the direct kernel.
// CHECK-LABEL: func.func @small_map
// CHECK: memref.get_global @w2 : memref<16x16x3x3xf32>
// CHECK: call @cmb_x86_conv2d(
// CHECK-NOT: conv2d_winograd
memref.global "private" constant @w2 : memref<16x16x3x3xf32> = dense<1.0>
func.func @small_map(%x: memref<1x16x16x16xf32>, %y: memref<1x16x14x14xf32>) {
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @w2 : memref<16x16x3x3xf32>
  x86kernel.conv2d %x, %w into %y {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x16x16x16xf32>, memref<16x16x3x3xf32>, memref<1x16x14x14xf32>) -> ()
  return
}

// -----

// Weights only known at run time cannot be transformed in advance; strided
// and narrow (8-channel) convolutions do not pay.
// CHECK-LABEL: func.func @not_winograd
// CHECK-COUNT-3: call @cmb_x86_conv2d(
// CHECK-NOT: conv2d_winograd
memref.global "private" constant @w3 : memref<16x16x3x3xf32> = dense<1.0>
memref.global "private" constant @w4 : memref<8x16x3x3xf32> = dense<1.0>
func.func @not_winograd(%x: memref<1x16x30x30xf32>, %wa: memref<16x16x3x3xf32>,
                        %y: memref<1x16x28x28xf32>, %s: memref<1x16x14x14xf32>,
                        %n: memref<1x8x28x28xf32>) {
  %zero = arith.constant 0.0 : f32
  x86kernel.conv2d %x, %wa into %y {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x16x30x30xf32>, memref<16x16x3x3xf32>, memref<1x16x28x28xf32>) -> ()
  %w = memref.get_global @w3 : memref<16x16x3x3xf32>
  x86kernel.conv2d %x, %w into %s {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 2, 2>}
    : (memref<1x16x30x30xf32>, memref<16x16x3x3xf32>, memref<1x16x14x14xf32>) -> ()
  %w8 = memref.get_global @w4 : memref<8x16x3x3xf32>
  x86kernel.conv2d %x, %w8 into %n {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x16x30x30xf32>, memref<8x16x3x3xf32>, memref<1x8x28x28xf32>) -> ()
  return
}
