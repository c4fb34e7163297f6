// RUN: cambrian-opt %s -split-input-file -verify-diagnostics
// Each verifier of the cambrian dialect rejects what it must.

func.func @conv_rank(%x: tensor<3x10xf32>, %w: tensor<8x3xf32>) -> tensor<3x8xf32> {
  // expected-error @+1 {{input must be N x C x 1 to 3 spatial dims}}
  %0 = cambrian.conv %x, %w {strides = array<i64>, dilations = array<i64>}
         : (tensor<3x10xf32>, tensor<8x3xf32>) -> tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

func.func @conv_groups(%x: tensor<1x6x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{6 input channels do not split into 4 groups}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>,
         dilations = array<i64: 1, 1>, groups = 4 : i64}
         : (tensor<1x6x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_filter_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{filter has 3 channels per group}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x4x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_strides(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{'strides' needs 2 values (one per spatial dimension), got 1}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_dilation(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{'dilations' values must be positive, got 0}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 0, 1>}
         : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_result_spatial(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x7x6xf32> {
  // expected-error @+1 {{result spatial dim 0 is 7}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x7x6xf32>
  return %0 : tensor<1x8x7x6xf32>
}

// -----

func.func @conv_window_too_big(%x: tensor<1x3x2x8xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x1x6xf32> {
  // expected-error @+1 {{spatial dim 0 of size 2}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x2x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x1x6xf32>
  return %0 : tensor<1x8x1x6xf32>
}

// -----

func.func @conv_bias(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{bias must be 1-D with 8 elements, got 'tensor<4xf32>'}}
  %0 = cambrian.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<4xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_residual(%x: tensor<1x3x8x8xf32>, %w: tensor<8x3x3x3xf32>, %r: tensor<1x8x6x5xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{residual type 'tensor<1x8x6x5xf32>' must match the result type}}
  %0 = cambrian.conv %x, %w residual %r {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x8x8xf32>, tensor<8x3x3x3xf32>, tensor<1x8x6x5xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_element_type(%x: tensor<1x3x8x8xf16>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{operand element type 'f16' differs from the result's 'f32'}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x8x8xf16>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_pool_shape(%x: tensor<1x3x10x10xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error @+1 {{result spatial dim 0 is 8, expected 4}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
         pool = #cambrian.window<max, kernel = [3, 3], strides = [2, 2],
                                 dilations = [1, 1], padding = [1, 1, 1, 1]>}
         : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

func.func @conv_pool_rank(%x: tensor<1x3x10x10xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x4x4xf32> {
  // expected-error @+1 {{pooling window has 1 dims, the convolution 2}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
         pool = #cambrian.window<max, kernel = [3], strides = [2],
                                 dilations = [1], padding = [1, 1]>}
         : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

func.func @conv_pool_residual(%x: tensor<1x3x10x10xf32>, %w: tensor<8x3x3x3xf32>, %r: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  // expected-error @+1 {{residual type 'tensor<1x8x4x4xf32>' must match the result type 'tensor<1x8x8x8xf32>'}}
  %0 = cambrian.conv %x, %w residual %r {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
         pool = #cambrian.window<max, kernel = [3, 3], strides = [2, 2],
                                 dilations = [1, 1], padding = [1, 1, 1, 1]>}
         : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>, tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// expected-error @+1 {{a 2-D window needs 2 strides and dilations and 4 paddings}}
func.func @window_lengths() attributes {w = #cambrian.window<max, kernel = [3, 3],
    strides = [2], dilations = [1, 1], padding = [0, 0, 0, 0]>} {
  return
}

// -----

// expected-error @+1 {{window padding must not be negative, got -1}}
func.func @window_padding() attributes {w = #cambrian.window<max, kernel = [3],
    strides = [2], dilations = [1], padding = [0, -1]>} {
  return
}

// -----

// expected-error @+1 {{unknown pooling kind 'min'}}
func.func @window_kind() attributes {w = #cambrian.window<min, kernel = [3], strides = [2], dilations = [1], padding = [0, 0]>} {
  return
}

// -----

func.func @matmul_contraction(%a: tensor<4x8xf32>, %b: tensor<7x16xf32>) -> tensor<4x16xf32> {
  // expected-error @+1 {{contraction sizes differ: 8 and 7}}
  %0 = cambrian.matmul %a, %b : (tensor<4x8xf32>, tensor<7x16xf32>) -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}

// -----

func.func @matmul_batch(%a: tensor<2x4x8xf32>, %b: tensor<3x8x16xf32>) -> tensor<3x4x16xf32> {
  // expected-error @+1 {{batch dims 2 and 3}}
  %0 = cambrian.matmul %a, %b : (tensor<2x4x8xf32>, tensor<3x8x16xf32>) -> tensor<3x4x16xf32>
  return %0 : tensor<3x4x16xf32>
}

// -----

func.func @matmul_result(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x15xf32> {
  // expected-error @+1 {{result must end in 4 x 16}}
  %0 = cambrian.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x15xf32>
  return %0 : tensor<4x15xf32>
}

// -----

func.func @matmul_rank(%a: tensor<8xf32>, %b: tensor<8x16xf32>) -> tensor<16xf32> {
  // expected-error @+1 {{operands must have rank 2 or more}}
  %0 = cambrian.matmul %a, %b : (tensor<8xf32>, tensor<8x16xf32>) -> tensor<16xf32>
  return %0 : tensor<16xf32>
}

// -----

func.func @pool_padding(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error @+1 {{'padding' needs 4}}
  %0 = cambrian.pool max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>}
         : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

func.func @pool_negative_padding(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x7x8xf32> {
  // expected-error @+1 {{padding must not be negative, got -1}}
  %0 = cambrian.pool max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: -1, 1, 1, 1>}
         : tensor<1x8x16x16xf32> -> tensor<1x8x7x8xf32>
  return %0 : tensor<1x8x7x8xf32>
}

// -----

func.func @pool_count_include_pad(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error @+1 {{'count_include_pad' only applies to average}}
  %0 = cambrian.pool max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>,
         count_include_pad = true}
         : tensor<1x8x16x16xf32> -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

func.func @pool_result(%x: tensor<1x8x16x16xf32>) -> tensor<1x8x8x7xf32> {
  // expected-error @+1 {{result spatial dim 1 is 7}}
  %0 = cambrian.pool max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
         : tensor<1x8x16x16xf32> -> tensor<1x8x8x7xf32>
  return %0 : tensor<1x8x8x7xf32>
}

// -----

func.func @pool_channels(%x: tensor<1x8x16x16xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{result dim 1 is 4}}
  %0 = cambrian.pool max %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
         : tensor<1x8x16x16xf32> -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @activation_int(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{needs a float tensor}}
  %0 = cambrian.activation %x {activation = #cambrian.activation<relu>} : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @activation_none(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{applies no activation}}
  %0 = cambrian.activation %x {activation = #cambrian.activation<none>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @softmax_axis(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{axis 2 is out of range for rank 2}}
  %0 = cambrian.softmax %x {axis = 2 : i64} : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @softmax_int(%x: tensor<2x4xi32>) -> tensor<2x4xi32> {
  // expected-error @+1 {{needs a float tensor}}
  %0 = cambrian.softmax %x {axis = 1 : i64} : tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// -----

func.func @layer_norm_scale(%x: tensor<2x4x3xf32>, %g: tensor<4xf32>) -> tensor<2x4x3xf32> {
  // expected-error @+1 {{scale dim}}
  %0 = cambrian.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x4x3xf32>, tensor<4xf32>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

func.func @layer_norm_epsilon(%x: tensor<2x4x3xf32>, %g: tensor<3xf32>) -> tensor<2x4x3xf32> {
  // expected-error @+1 {{epsilon must be finite and not negative}}
  %0 = cambrian.layer_norm %x, %g {axis = 2 : i64, epsilon = -1.0 : f32}
         : (tensor<2x4x3xf32>, tensor<3xf32>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

func.func @rms_norm_scale_type(%x: tensor<2x4x3xf32>, %g: tensor<3xf16>) -> tensor<2x4x3xf32> {
  // expected-error @+1 {{scale element type differs}}
  %0 = cambrian.rms_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x4x3xf32>, tensor<3xf16>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// -----

func.func @group_norm_groups(%x: tensor<2x6x3xf32>, %c: tensor<6xf32>) -> tensor<2x6x3xf32> {
  // expected-error @+1 {{6 channels do not split into 4}}
  %0 = cambrian.group_norm %x, %c, %c {num_groups = 4 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x6x3xf32>, tensor<6xf32>, tensor<6xf32>) -> tensor<2x6x3xf32>
  return %0 : tensor<2x6x3xf32>
}

// -----

func.func @group_norm_scale(%x: tensor<2x6x3xf32>, %c: tensor<3xf32>) -> tensor<2x6x3xf32> {
  // expected-error @+1 {{must have one element per channel}}
  %0 = cambrian.group_norm %x, %c, %c {num_groups = 3 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<2x6x3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<2x6x3xf32>
  return %0 : tensor<2x6x3xf32>
}

// -----

func.func @attention_heads(%q: tensor<1x3x8x16xf32>, %k: tensor<1x2x6x16xf32>,
                           %v: tensor<1x2x6x16xf32>) -> tensor<1x3x8x16xf32> {
  // expected-error @+1 {{3 query heads are not a multiple of}}
  %0 = cambrian.attention %q, %k, %v
         : (tensor<1x3x8x16xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>) -> tensor<1x3x8x16xf32>
  return %0 : tensor<1x3x8x16xf32>
}

// -----

func.func @attention_head_size(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x6x8xf32>,
                               %v: tensor<1x2x6x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{query and key head sizes differ}}
  %0 = cambrian.attention %q, %k, %v
         : (tensor<1x2x8x16xf32>, tensor<1x2x6x8xf32>, tensor<1x2x6x16xf32>) -> tensor<1x2x8x16xf32>
  return %0 : tensor<1x2x8x16xf32>
}

// -----

func.func @attention_seq(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x6x16xf32>,
                         %v: tensor<1x2x5x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{key and value sequence lengths differ}}
  %0 = cambrian.attention %q, %k, %v
         : (tensor<1x2x8x16xf32>, tensor<1x2x6x16xf32>, tensor<1x2x5x16xf32>) -> tensor<1x2x8x16xf32>
  return %0 : tensor<1x2x8x16xf32>
}

// -----

func.func @attention_mask(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x6x16xf32>,
                          %v: tensor<1x2x6x16xf32>, %m: tensor<8x5xi1>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{does not broadcast to}}
  %0 = cambrian.attention %q, %k, %v mask %m
         : (tensor<1x2x8x16xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>, tensor<8x5xi1>) -> tensor<1x2x8x16xf32>
  return %0 : tensor<1x2x8x16xf32>
}

// -----

func.func @attention_scale(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x6x16xf32>,
                           %v: tensor<1x2x6x16xf32>) -> tensor<1x2x8x16xf32> {
  // expected-error @+1 {{scale must be finite and non-zero}}
  %0 = cambrian.attention %q, %k, %v {scale = 0.0 : f32}
         : (tensor<1x2x8x16xf32>, tensor<1x2x6x16xf32>, tensor<1x2x6x16xf32>) -> tensor<1x2x8x16xf32>
  return %0 : tensor<1x2x8x16xf32>
}

// -----

func.func @quantize_not_quant(%x: tensor<2x3xf32>) -> tensor<2x3xi8> {
  // expected-error @+1 {{needs a tensor of !quant.uniform}}
  %0 = cambrian.quantize %x : tensor<2x3xf32> -> tensor<2x3xi8>
  return %0 : tensor<2x3xi8>
}

// -----

func.func @quantize_expressed(%x: tensor<2x3xf16>) -> tensor<2x3x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @+1 {{quantized type expresses}}
  %0 = cambrian.quantize %x : tensor<2x3xf16> -> tensor<2x3x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32, 0.1>>
}

// -----

func.func @quantize_shape(%x: tensor<2x3xf32>) -> tensor<3x2x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @+1 {{shapes differ}}
  %0 = cambrian.quantize %x : tensor<2x3xf32> -> tensor<3x2x!quant.uniform<i8:f32, 0.1>>
  return %0 : tensor<3x2x!quant.uniform<i8:f32, 0.1>>
}

// -----

func.func @quantize_axis(%x: tensor<2x3xf32>) -> tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.2}>> {
  // expected-error @+1 {{2 scales for axis 1 of size 3}}
  %0 = cambrian.quantize %x : tensor<2x3xf32> -> tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
  return %0 : tensor<2x3x!quant.uniform<i8:f32:1, {0.1, 0.2}>>
}

// -----

func.func @dequantize_result(%x: tensor<2x3x!quant.uniform<i8:f32, 0.1>>) -> tensor<2x3xi32> {
  // expected-error @+1 {{needs a float tensor on the expressed side}}
  %0 = cambrian.dequantize %x : tensor<2x3x!quant.uniform<i8:f32, 0.1>> -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// -----

// expected-error @+1 {{clip bounds must satisfy alpha <= beta, got 6.000000e+00 > 0.000000e+00}}
func.func @clip_bounds() attributes {act = #cambrian.activation<clip, alpha = 6.0>} {
  return
}

// -----

// expected-error @+1 {{unknown activation 'swish'}}
func.func @unknown_activation() attributes {act = #cambrian.activation<swish>} {
  return
}

// -----

// expected-error @+1 {{activation 'relu'}}
func.func @relu_parameters() attributes {act = #cambrian.activation<relu, alpha = 1.0>} {
  return
}

// -----

// expected-error @+1 {{signature lists input 'x' twice}}
module attributes {cambrian.signature = #cambrian.signature<
    inputs = [#cambrian.tensor<"x", f32, [1]>, #cambrian.tensor<"x", f32, [1]>],
    outputs = [#cambrian.tensor<"y", f32, [1]>]>} {}

// -----

// expected-error @+1 {{a module needs at least one output}}
module attributes {cambrian.signature = #cambrian.signature<inputs = [], outputs = []>} {}

// -----

// expected-error @+2 {{'x' has negative dimension -2}}
module attributes {cambrian.signature = #cambrian.signature<
    inputs = [#cambrian.tensor<"x", f32, [-2]>], outputs = [#cambrian.tensor<"y", f32, [1]>]>} {}

// -----

// expected-error @+2 {{unknown element type 'f33'}}
module attributes {cambrian.signature = #cambrian.signature<
    inputs = [#cambrian.tensor<"x", f33, [1]>], outputs = [#cambrian.tensor<"y", f32, [1]>]>} {}

// -----

// expected-error @+1 {{signature lists 1 inputs but @main has 2}}
module attributes {cambrian.signature = #cambrian.signature<
    inputs = [#cambrian.tensor<"x", f32, [4]>], outputs = [#cambrian.tensor<"y", f32, [4]>]>} {
  func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
    return %a : tensor<4xf32>
  }
}

// -----

// expected-error @+1 {{signature outputs 'y' disagrees with @main's shape}}
module attributes {cambrian.signature = #cambrian.signature<
    inputs = [#cambrian.tensor<"x", f32, [4]>], outputs = [#cambrian.tensor<"y", f32, [5]>]>} {
  func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
    return %a : tensor<4xf32>
  }
}

// -----

// expected-error @+1 {{'cambrian.signature' must be a #cambrian.signature}}
module attributes {cambrian.signature = "x"} {}

// -----

// expected-error @+1 {{format version 2 is not supported (this build reads version 1)}}
module attributes {cambrian.format_version = 2 : i64} {}

// -----

// expected-error @+1 {{'cambrian.format_version' belongs on a module}}
func.func @version_on_func() attributes {cambrian.format_version = 1 : i64} {
  return
}

// -----

// expected-error @+1 {{unknown cambrian attribute 'cambrian.colour'}}
module attributes {cambrian.colour = 1} {}

// -----

!x = !quant.uniform<u8:f32, 0.1:128>
func.func @qconv_float_filter(%x: tensor<1x2x4x4x!x>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4x!x> {
  // expected-error @+1 {{quantized input needs a quantized filter}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x2x4x4x!x>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4x!x>
  return %0 : tensor<1x2x4x4x!x>
}

// -----

!x = !quant.uniform<u8:f32, 0.1:128>
!w = !quant.uniform<i8:f32:1, {0.1, 0.2}>
func.func @qconv_filter_axis(%x: tensor<1x2x4x4x!x>, %w: tensor<2x2x1x1x!w>) -> tensor<1x2x4x4x!x> {
  // expected-error @+1 {{filter must be quantized per tensor or along dimension 0, not 1}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x2x4x4x!x>, tensor<2x2x1x1x!w>) -> tensor<1x2x4x4x!x>
  return %0 : tensor<1x2x4x4x!x>
}

// -----

!x = !quant.uniform<u8:f32, 0.1:128>
!w = !quant.uniform<i8:f32, 0.1>
func.func @qconv_float_bias(%x: tensor<1x2x4x4x!x>, %w: tensor<2x2x1x1x!w>, %b: tensor<2xf32>) -> tensor<1x2x4x4x!x> {
  // expected-error @+1 {{quantized bias must be 1-D i32 with 2 elements, got 'tensor<2xf32>'}}
  %0 = cambrian.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x2x4x4x!x>, tensor<2x2x1x1x!w>, tensor<2xf32>) -> tensor<1x2x4x4x!x>
  return %0 : tensor<1x2x4x4x!x>
}

// -----

!x = !quant.uniform<u8:f32, 0.1:128>
!w = !quant.uniform<i8:f32, 0.1>
func.func @qconv_int_result(%x: tensor<1x2x4x4x!x>, %w: tensor<2x2x1x1x!w>) -> tensor<1x2x4x4xi32> {
  // expected-error @+1 {{quantized operands need a result quantized per tensor or of their expressed type}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x2x4x4x!x>, tensor<2x2x1x1x!w>) -> tensor<1x2x4x4xi32>
  return %0 : tensor<1x2x4x4xi32>
}

// -----

!x = !quant.uniform<u8:f32, 0.1:128>
!w = !quant.uniform<i8:f32, 0.1>
func.func @qconv_sigmoid(%x: tensor<1x2x4x4x!x>, %w: tensor<2x2x1x1x!w>) -> tensor<1x2x4x4x!x> {
  // expected-error @+1 {{a quantized op's activation must be a clamp (relu or clip)}}
  %0 = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>,
         activation = #cambrian.activation<sigmoid>}
         : (tensor<1x2x4x4x!x>, tensor<2x2x1x1x!w>) -> tensor<1x2x4x4x!x>
  return %0 : tensor<1x2x4x4x!x>
}

// -----

!x = !quant.uniform<u8:f32, 0.1:128>
!w = !quant.uniform<i8:f32, 0.1>
func.func @qconv_residual(%x: tensor<1x2x4x4x!x>, %w: tensor<2x2x1x1x!w>, %r: tensor<1x2x4x4x!x>) -> tensor<1x2x4x4x!x> {
  // expected-error @+1 {{a quantized op takes no residual}}
  %0 = cambrian.conv %x, %w residual %r {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x2x4x4x!x>, tensor<2x2x1x1x!w>, tensor<1x2x4x4x!x>) -> tensor<1x2x4x4x!x>
  return %0 : tensor<1x2x4x4x!x>
}

// -----

!x = !quant.uniform<u8:f32:0, {0.1, 0.2}>
!w = !quant.uniform<i8:f32, 0.1>
!y = !quant.uniform<u8:f32, 0.1>
func.func @qmatmul_per_axis_input(%a: tensor<2x4x!x>, %b: tensor<4x3x!w>) -> tensor<2x3x!y> {
  // expected-error @+1 {{quantized input must be quantized per tensor}}
  %0 = cambrian.matmul %a, %b : (tensor<2x4x!x>, tensor<4x3x!w>) -> tensor<2x3x!y>
  return %0 : tensor<2x3x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.1>
!w = !quant.uniform<i8:f32:1, {0.1, 0.2}>
!y = !quant.uniform<u8:f32, 0.1>
func.func @qmatmul_scales(%a: tensor<2x4x!x>, %b: tensor<4x3x!w>) -> tensor<2x3x!y> {
  // expected-error @+1 {{filter has 2 scales for 3 output channels}}
  %0 = cambrian.matmul %a, %b : (tensor<2x4x!x>, tensor<4x3x!w>) -> tensor<2x3x!y>
  return %0 : tensor<2x3x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.1:128>
func.func @lookup_table_size(%x: tensor<4x!x>, %t: tensor<128x!x>) -> tensor<4x!x> {
  // expected-error @+1 {{table must be 1-D with 256 entries, one per input level}}
  %0 = cambrian.lookup %x, %t : (tensor<4x!x>, tensor<128x!x>) -> tensor<4x!x>
  return %0 : tensor<4x!x>
}

// -----

func.func @lookup_float_input(%x: tensor<4xf32>, %t: tensor<256xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{input must be quantized per tensor in 8 bits}}
  %0 = cambrian.lookup %x, %t : (tensor<4xf32>, tensor<256xi8>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

!x = !quant.uniform<u8:f32, 0.1:128>
!y = !quant.uniform<i8:f32, 0.1>
func.func @lookup_result_type(%x: tensor<4x!x>, %t: tensor<256x!x>) -> tensor<4x!y> {
  // expected-error @+1 {{result element type}}
  %0 = cambrian.lookup %x, %t : (tensor<4x!x>, tensor<256x!x>) -> tensor<4x!y>
  return %0 : tensor<4x!y>
}

// -----

!q = !quant.uniform<i8:f32, 0.1>
func.func @add_float(%a: tensor<4x!q>, %b: tensor<4xf32>) -> tensor<4x!q> {
  // expected-error @+1 {{operands and result must be 8-bit quantized per tensor}}
  %0 = cambrian.add %a, %b : (tensor<4x!q>, tensor<4xf32>) -> tensor<4x!q>
  return %0 : tensor<4x!q>
}

// -----

!q = !quant.uniform<i8:f32, 0.1>
func.func @mul_broadcast(%a: tensor<2x4x!q>, %b: tensor<3x1x!q>) -> tensor<2x4x!q> {
  // expected-error @+1 {{operand shape does not broadcast to the result's}}
  %0 = cambrian.mul %a, %b : (tensor<2x4x!q>, tensor<3x1x!q>) -> tensor<2x4x!q>
  return %0 : tensor<2x4x!q>
}

// -----

!q = !quant.uniform<u8:f32, 0.1:128>
func.func @quantized_average_pool(%x: tensor<1x2x4x4x!q>) -> tensor<1x2x2x2x!q> {
  // expected-error @+1 {{pools quantized values only by max, per tensor, to the input's own type}}
  %0 = cambrian.pool average %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
         : tensor<1x2x4x4x!q> -> tensor<1x2x2x2x!q>
  return %0 : tensor<1x2x2x2x!q>
}
