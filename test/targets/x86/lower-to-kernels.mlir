// RUN: cambrian-opt %s --cambrian-x86-lower-to-kernels --split-input-file | FileCheck %s

// CHECK-LABEL: func.func @matmul
// CHECK-NOT: linalg.fill
// CHECK: %[[ACC:.+]] = arith.constant 0 : i64
// CHECK: call @cmb_x86_sgemm({{.*}}, %[[ACC]]) :
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// Without a zero fill the kernel accumulates into the output.
// CHECK-LABEL: func.func @matmul_accumulate
// CHECK: %[[ACC:.+]] = arith.constant 1 : i64
// CHECK: call @cmb_x86_sgemm({{.*}}, %[[ACC]]) :
func.func @matmul_accumulate(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// CHECK: memref.global "private" constant @__cmb_conv_params_1_3_10_10_8_3_3_4_4_2_2_1_1_0_0_1_0_0 : memref<18xi64>
// CHECK-LABEL: func.func @conv
// CHECK: call @cmb_x86_conv2d
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv(%x: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x4x4xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x4x4xf32>)
  return
}

// -----

// A transposed (non unit-stride) operand cannot be addressed by the kernel:
// the op stays and becomes loops later.
// CHECK-LABEL: func.func @strided
// CHECK: linalg.matmul
// CHECK-NOT: call @cmb_x86_sgemm
func.func @strided(%a: memref<4x8xf32, strided<[1, 4]>>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32, strided<[1, 4]>>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}
