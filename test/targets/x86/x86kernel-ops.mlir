// RUN: cambrian-opt %s | cambrian-opt | FileCheck %s
// The x86kernel ops round-trip, on tensors and on memrefs.

// CHECK-LABEL: func.func @tensors
// CHECK: x86kernel.softmax %{{.+}} into %{{.+}} : (tensor<2x10xf32>, tensor<2x10xf32>) -> tensor<2x10xf32>
// CHECK: x86kernel.layer_norm %{{.+}}, %{{.+}} bias %{{.+}} into %{{.+}} {axis = 1 : i64, epsilon = 9.99999974E-6 : f32}
func.func @tensors(%x: tensor<2x10xf32>, %g: tensor<10xf32>, %e: tensor<2x10xf32>) -> (tensor<2x10xf32>, tensor<2x10xf32>) {
  %y = x86kernel.softmax %x into %e : (tensor<2x10xf32>, tensor<2x10xf32>) -> tensor<2x10xf32>
  %z = x86kernel.layer_norm %x, %g bias %g into %e {axis = 1 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x10xf32>, tensor<10xf32>, tensor<10xf32>, tensor<2x10xf32>) -> tensor<2x10xf32>
  return %y, %z : tensor<2x10xf32>, tensor<2x10xf32>
}

// CHECK-LABEL: func.func @memrefs
// CHECK: x86kernel.softmax %{{.+}} into %{{.+}} : (memref<2x10xf32>, memref<2x10xf32>) -> ()
// CHECK: x86kernel.layer_norm %{{.+}}, %{{.+}} into %{{.+}} {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (memref<2x10xf32>, memref<10xf32>, memref<2x10xf32>) -> ()
func.func @memrefs(%x: memref<2x10xf32>, %g: memref<10xf32>, %y: memref<2x10xf32>) {
  x86kernel.softmax %x into %y : (memref<2x10xf32>, memref<2x10xf32>) -> ()
  x86kernel.layer_norm %x, %g into %y {axis = 1 : i64, epsilon = 1.0e-5 : f32}
    : (memref<2x10xf32>, memref<10xf32>, memref<2x10xf32>) -> ()
  return
}

// CHECK-LABEL: func.func @max_pool
// CHECK: x86kernel.max_pool2d %{{.+}} into %{{.+}} {dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
// CHECK: x86kernel.max_pool2d %{{.+}} into %{{.+}} {{.+}} : (memref<1x8x16x16xf32>, memref<1x8x8x8xf32>) -> ()
func.func @max_pool(%x: tensor<1x8x16x16xf32>, %e: tensor<1x8x8x8xf32>, %a: memref<1x8x16x16xf32>, %b: memref<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %y = x86kernel.max_pool2d %x into %e {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>}
         : (tensor<1x8x16x16xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  x86kernel.max_pool2d %a into %b {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>}
    : (memref<1x8x16x16xf32>, memref<1x8x8x8xf32>) -> ()
  return %y : tensor<1x8x8x8xf32>
}

// CHECK-LABEL: func.func @matmul
// CHECK: x86kernel.matmul %{{.+}}, %{{.+}} bias %{{.+}} into %{{.+}} {activation = #cambrian.activation<relu>} : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
// CHECK: x86kernel.matmul %{{.+}}, %{{.+}} into %{{.+}} {accumulate} : (memref<2x4x8xf32>, memref<2x8x16xf32>, memref<2x4x16xf32>) -> ()
func.func @matmul(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %bias: tensor<16xf32>, %e: tensor<4x16xf32>,
                  %a3: memref<2x4x8xf32>, %b3: memref<2x8x16xf32>, %c3: memref<2x4x16xf32>) -> tensor<4x16xf32> {
  %y = x86kernel.matmul %a, %b bias %bias into %e {activation = #cambrian.activation<relu>}
         : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  x86kernel.matmul %a3, %b3 into %c3 {accumulate} : (memref<2x4x8xf32>, memref<2x8x16xf32>, memref<2x4x16xf32>) -> ()
  return %y : tensor<4x16xf32>
}

// CHECK-LABEL: func.func @conv2d
// CHECK: x86kernel.conv2d %{{.+}}, %{{.+}} bias %{{.+}} into %{{.+}} {accumulate, activation = #cambrian.activation<relu>, dilations = array<i64: 1, 1>, groups = 2 : i64, padding = array<i64: 1, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>, tensor<1x6x4x3xf32>) -> tensor<1x6x4x3xf32>
func.func @conv2d(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32>, %b: tensor<6xf32>, %r: tensor<1x6x4x3xf32>) -> tensor<1x6x4x3xf32> {
  %y = x86kernel.conv2d %x, %w bias %b into %r {strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>, padding = array<i64: 1, 0>,
                                                groups = 2 : i64, accumulate, activation = #cambrian.activation<relu>}
         : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32>, tensor<1x6x4x3xf32>) -> tensor<1x6x4x3xf32>
  return %y : tensor<1x6x4x3xf32>
}
