// RUN: cambrian-opt %s | cambrian-opt | FileCheck %s
// Every cambrian op and attribute prints and parses back.

// CHECK: module attributes {cambrian.format_version = 1 : i64, cambrian.signature = #cambrian.signature<inputs = [#cambrian.tensor<"x", f32, [1, 3, 10, 10]>, #cambrian.tensor<"ids", i64, [?, 8]>], outputs = [#cambrian.tensor<"y", f8e4m3fn, [1, 8, 8, 8]>]>}
module attributes {
  cambrian.format_version = 1 : i64,
  cambrian.signature = #cambrian.signature<
    inputs = [#cambrian.tensor<"x", f32, [1, 3, 10, 10]>,
              #cambrian.tensor<"ids", i64, [?, 8]>],
    outputs = [#cambrian.tensor<"y", f8e4m3fn, [1, 8, 8, 8]>]>} {

// CHECK-LABEL: func @conv
func.func @conv(%x: tensor<1x3x10x10xf32>, %w: tensor<8x3x3x3xf32>,
                %b: tensor<8xf32>, %r: tensor<1x8x8x8xf32>,
                %dx: tensor<?x3x?x10xf32>, %dw: tensor<8x1x3x3xf32>)
    -> tensor<1x8x8x8xf32> {
  // CHECK: cambrian.conv %{{.*}}, %{{.*}} bias %{{.*}} residual %{{.*}} {activation = #cambrian.activation<clip, alpha = 0.000000e+00, beta = 6.000000e+00>, dilations = array<i64: 1, 1>, strides = array<i64: 1, 1>}
  %0 = cambrian.conv %x, %w bias %b residual %r
         {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
          activation = #cambrian.activation<clip, alpha = 0.0, beta = 6.0>}
         : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>,
            tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  // Dynamic dimensions verify against the static ones that are known.
  // CHECK: cambrian.conv %{{.*}}, %{{.*}} {dilations = array<i64: 2, 1>, strides = array<i64: 2, 2>}
  %1 = cambrian.conv %dx, %w {strides = array<i64: 2, 2>,
         dilations = array<i64: 2, 1>, groups = 1 : i64}
         : (tensor<?x3x?x10xf32>, tensor<8x3x3x3xf32>) -> tensor<?x8x?x4xf32>
  // CHECK: cambrian.conv {{.*}} groups = 8 : i64
  %2 = cambrian.conv %0, %dw {strides = array<i64: 1, 1>,
         dilations = array<i64: 1, 1>, groups = 8 : i64}
         : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// CHECK-LABEL: func @conv_pool
func.func @conv_pool(%x: tensor<1x3x10x10xf32>, %w: tensor<8x3x3x3xf32>)
    -> tensor<1x8x5x4xf32> {
  // CHECK: cambrian.conv %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, pool = #cambrian.window<max, kernel = [3, 3], strides = [2, 2], dilations = [1, 1], padding = [1, 0, 1, 0], ceil_mode>, strides = array<i64: 1, 1>}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
         pool = #cambrian.window<max, kernel = [3, 3], strides = [2, 2],
                                 dilations = [1, 1], padding = [1, 0, 1, 0], ceil_mode>}
         : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x5x4xf32>
  return %0 : tensor<1x8x5x4xf32>
}

// CHECK-LABEL: func @matmul
func.func @matmul(%a: tensor<2x1x4x8xf32>, %b: tensor<3x8x16xf32>,
                  %c: tensor<16xf32>) -> tensor<2x3x4x16xf32> {
  // CHECK: cambrian.matmul %{{.*}}, %{{.*}} bias %{{.*}} {activation = #cambrian.activation<gelu_erf>}
  %0 = cambrian.matmul %a, %b bias %c {activation = #cambrian.activation<gelu_erf>}
         : (tensor<2x1x4x8xf32>, tensor<3x8x16xf32>, tensor<16xf32>)
         -> tensor<2x3x4x16xf32>
  return %0 : tensor<2x3x4x16xf32>
}

// CHECK-LABEL: func @activation
func.func @activation(%x: tensor<2x?xf16>) -> tensor<2x?xf16> {
  // CHECK: cambrian.activation %{{.*}} {activation = #cambrian.activation<leaky_relu, alpha = 1.000000e-01>} : tensor<2x?xf16>
  %0 = cambrian.activation %x {activation = #cambrian.activation<leaky_relu, alpha = 0.1>} : tensor<2x?xf16>
  return %0 : tensor<2x?xf16>
}

// CHECK-LABEL: func @pool
func.func @pool(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  // CHECK: cambrian.pool max %{{.*}} {dilations = array<i64: 1, 1>, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
  %0 = cambrian.pool max %x {kernel = array<i64: 3, 3>,
         strides = array<i64: 2, 2>, dilations = array<i64: 1, 1>,
         padding = array<i64: 1, 1, 1, 1>}
         : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
  // CHECK: cambrian.pool average %{{.*}} {ceil_mode = true, count_include_pad = true
  %1 = cambrian.pool average %x {kernel = array<i64: 2, 2>,
         strides = array<i64: 3, 3>, dilations = array<i64: 1, 1>,
         padding = array<i64: 0, 0, 0, 0>, count_include_pad = true,
         ceil_mode = true}
         : tensor<1x8x16x16xf32> -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// CHECK-LABEL: func @norms
func.func @norms(%x: tensor<2x4x3x3xf32>, %g: tensor<3xf32>,
                 %c: tensor<4xf32>) -> tensor<2x4x3x3xf32> {
  // CHECK: cambrian.softmax %{{.*}} {axis = 1 : i64, log = true} : tensor<2x4x3x3xf32>
  %0 = cambrian.softmax %x {axis = 1 : i64, log = true} : tensor<2x4x3x3xf32>
  // CHECK: cambrian.layer_norm %{{.*}}, %{{.*}} bias %{{.*}} {axis = 3 : i64, epsilon = 9.99999974E-6 : f32}
  %1 = cambrian.layer_norm %0, %g bias %g {axis = 3 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x4x3x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x4x3x3xf32>
  // CHECK: cambrian.rms_norm
  %2 = cambrian.rms_norm %1, %g {axis = 2 : i64, epsilon = 1.0e-6 : f32}
         : (tensor<2x4x3x3xf32>, tensor<3xf32>) -> tensor<2x4x3x3xf32>
  // CHECK: cambrian.group_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon = 9.99999974E-6 : f32, num_groups = 2 : i64}
  %3 = cambrian.group_norm %2, %c, %c {num_groups = 2 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x4x3x3xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<2x4x3x3xf32>
  return %3 : tensor<2x4x3x3xf32>
}

// CHECK-LABEL: func @attention
func.func @attention(%q: tensor<1x4x8x16xf32>, %k: tensor<1x2x6x16xf32>,
                     %v: tensor<1x2x6x32xf32>, %m: tensor<8x6xi1>)
    -> tensor<1x4x8x32xf32> {
  // CHECK: cambrian.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {is_causal = true, scale = 2.500000e-01 : f32}
  %0 = cambrian.attention %q, %k, %v mask %m {is_causal = true, scale = 0.25 : f32}
         : (tensor<1x4x8x16xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x32xf32>,
            tensor<8x6xi1>) -> tensor<1x4x8x32xf32>
  return %0 : tensor<1x4x8x32xf32>
}

// CHECK-LABEL: func @quant
func.func @quant(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: cambrian.quantize %{{.*}} : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<i8:f32:1, {1.000000e-01,2.000000e-01:-3,5.000000e-01:4}>>
  %q = cambrian.quantize %x : tensor<2x3xf32>
         -> tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.2:-3, 0.5:4}>>
  // CHECK: cambrian.dequantize
  %y = cambrian.dequantize %q
         : tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.2:-3, 0.5:4}>> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}


// Integer conv and matmul on quantized types, requantized to the result.
// CHECK-LABEL: func @quantized_products
func.func @quantized_products(%x: tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1:128>>,
                              %w: tensor<3x2x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>,
                              %b: tensor<3xi32>,
                              %m: tensor<4x3x!quant.uniform<i8:f32, 0.5>>)
    -> (tensor<1x3x4x4x!quant.uniform<u8:f32, 0.05>>, tensor<1x3x4x3x!quant.uniform<i8:f32, 0.2:-1>>) {
  // CHECK: cambrian.conv %{{.*}}, %{{.*}} bias %{{.*}} {{.*}} -> tensor<1x3x4x4x!quant.uniform<u8:f32, 5.000000e-02>>
  %y = cambrian.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
         activation = #cambrian.activation<relu>}
         : (tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1:128>>, tensor<3x2x1x1x!quant.uniform<i8:f32:0, {0.1, 0.2, 0.3}>>, tensor<3xi32>)
         -> tensor<1x3x4x4x!quant.uniform<u8:f32, 0.05>>
  // CHECK: cambrian.matmul {{.*}} -> tensor<1x3x4x3x!quant.uniform<i8:f32, 2.000000e-01:-1>>
  %z = cambrian.matmul %y, %m
         : (tensor<1x3x4x4x!quant.uniform<u8:f32, 0.05>>, tensor<4x3x!quant.uniform<i8:f32, 0.5>>)
         -> tensor<1x3x4x3x!quant.uniform<i8:f32, 0.2:-1>>
  return %y, %z : tensor<1x3x4x4x!quant.uniform<u8:f32, 0.05>>, tensor<1x3x4x3x!quant.uniform<i8:f32, 0.2:-1>>
}

}
