// RUN: cambrian-opt %s --cambrian-decompose="keep=cambrian.softmax" --split-input-file | FileCheck %s
// The ops a target maps itself are left whole, including those another
// op's decomposition makes.

// CHECK-LABEL: func @kept
// CHECK: cambrian.softmax
// CHECK-NOT: cambrian.layer_norm
func.func @kept(%x: tensor<2x8xf32>, %g: tensor<8xf32>) -> tensor<2x8xf32> {
  %n = cambrian.layer_norm %x, %g {axis = 1 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %y = cambrian.softmax %n {axis = 1 : i64} : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Attention's softmax is a softmax op of its own.
// CHECK-LABEL: func @attention
// CHECK: linalg.batch_matmul
// CHECK: cambrian.softmax %{{.+}} {axis = 3 : i64} : tensor<1x2x4x6xf32>
// CHECK: linalg.batch_matmul
// CHECK-NOT: cambrian.attention
func.func @attention(%q: tensor<1x2x4x8xf32>, %k: tensor<1x2x6x8xf32>, %v: tensor<1x2x6x8xf32>) -> tensor<1x2x4x8xf32> {
  %0 = cambrian.attention %q, %k, %v : (tensor<1x2x4x8xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x8xf32>) -> tensor<1x2x4x8xf32>
  return %0 : tensor<1x2x4x8xf32>
}
