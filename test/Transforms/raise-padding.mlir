// RUN: cambrian-opt %s --cambrian-raise-padding --split-input-file | FileCheck %s

// A zero-filled tensor with the input inserted into its middle is a pad.
// CHECK-LABEL: func.func @pad
// CHECK-SAME: (%[[X:.+]]: tensor<1x3x8x8xf32>)
// CHECK: %[[ZERO:.+]] = arith.constant 0.0
// CHECK: %[[P:.+]] = tensor.pad %[[X]] low[0, 0, 1, 2] high[0, 0, 1, 0]
// CHECK: tensor.yield %[[ZERO]] : f32
// CHECK-NOT: tensor.insert_slice
// CHECK: return %[[P]]
func.func @pad(%x: tensor<1x3x8x8xf32>) -> tensor<1x3x10x10xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x3x10x10xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<1x3x10x10xf32>) -> tensor<1x3x10x10xf32>
  %p = tensor.insert_slice %x into %f[0, 0, 1, 2] [1, 3, 8, 8] [1, 1, 1, 1]
      : tensor<1x3x8x8xf32> into tensor<1x3x10x10xf32>
  return %p : tensor<1x3x10x10xf32>
}

// -----

// Any fill value (here MaxPool's -inf) becomes the padding value.
// CHECK-LABEL: func.func @pad_value
// CHECK: %[[NEG:.+]] = arith.constant 0xFF800000 : f32
// CHECK: tensor.pad %{{.+}} low[1] high[1]
// CHECK: tensor.yield %[[NEG]] : f32
func.func @pad_value(%x: tensor<4xf32>) -> tensor<6xf32> {
  %neg = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<6xf32>
  %f = linalg.fill ins(%neg : f32) outs(%e : tensor<6xf32>) -> tensor<6xf32>
  %p = tensor.insert_slice %x into %f[1] [4] [1] : tensor<4xf32> into tensor<6xf32>
  return %p : tensor<6xf32>
}

// -----

// Strided insertions, and insertions into something else than a fill
// (a concatenation), stay.
// CHECK-LABEL: func.func @not_a_pad
// CHECK-NOT: tensor.pad
// CHECK: tensor.insert_slice
// CHECK: tensor.insert_slice
func.func @not_a_pad(%x: tensor<4xf32>, %y: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  %a = tensor.insert_slice %x into %f[0] [4] [2] : tensor<4xf32> into tensor<8xf32>
  %b = tensor.insert_slice %x into %y[4] [4] [1] : tensor<4xf32> into tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}
