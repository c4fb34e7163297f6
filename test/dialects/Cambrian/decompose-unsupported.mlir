// RUN: cambrian-opt %s --cambrian-decompose -split-input-file -verify-diagnostics
// What the decomposition cannot lower yet is named, not silently kept.

func.func @dynamic_conv(%x: tensor<?x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<?x8x6x6xf32> {
  // expected-error @+1 {{'cambrian.conv' has no decomposition for these types or shapes}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<?x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<?x8x6x6xf32>
  return %0 : tensor<?x8x6x6xf32>
}

// -----

func.func @integer_avgpool(%x: tensor<1x2x4x4xi32>) -> tensor<1x2x2x2xi32> {
  // expected-error @+1 {{'cambrian.pool' has no decomposition for these types or shapes}}
  %0 = cambrian.pool average %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
         : tensor<1x2x4x4xi32> -> tensor<1x2x2x2xi32>
  return %0 : tensor<1x2x2x2xi32>
}
