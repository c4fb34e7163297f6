// RUN: cambrian-opt %s --cambrian-fuse-epilogue --split-input-file | FileCheck %s
// RUN: cambrian-opt %s --cambrian-fuse-epilogue="fuse-conv-pooling" --split-input-file | FileCheck %s --check-prefix=POOL

// The activation becomes the convolution's, after its bias.
// CHECK-LABEL: func @conv_relu
// CHECK-NEXT:  %[[Y:.*]] = cambrian.conv %arg0, %arg1 bias %arg2 {activation = #cambrian.activation<relu>, dilations = array<i64: 1, 1>, strides = array<i64: 1, 1>}
// CHECK-NEXT:  return %[[Y]]
func.func @conv_relu(%x: tensor<1x3x6x6xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %c = cambrian.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x6x6xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %y = cambrian.activation %c {activation = #cambrian.activation<relu>} : tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// Matmuls take it too, residual and parameters kept.
// CHECK-LABEL: func @matmul_clip
// CHECK-NEXT:  %[[Y:.*]] = cambrian.matmul %arg0, %arg1 residual %arg2 {activation = #cambrian.activation<clip, alpha = 0.000000e+00, beta = 6.000000e+00>}
// CHECK-NEXT:  return %[[Y]]
func.func @matmul_clip(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %r: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %m = cambrian.matmul %a, %b residual %r : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = cambrian.activation %m {activation = #cambrian.activation<clip, alpha = 0.0, beta = 6.0>} : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// The raw product is used elsewhere: fusing would change that use.
// CHECK-LABEL: func @shared_producer
// CHECK:       %[[M:.*]] = cambrian.matmul %arg0, %arg1 :
// CHECK-NEXT:  %[[Y:.*]] = cambrian.activation %[[M]]
// CHECK-NEXT:  return %[[M]], %[[Y]]
func.func @shared_producer(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %m = cambrian.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %y = cambrian.activation %m {activation = #cambrian.activation<sigmoid>} : tensor<4x16xf32>
  return %m, %y : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// A second activation cannot follow the first inside the epilogue.
// CHECK-LABEL: func @already_activated
// CHECK:       cambrian.matmul {{.*}} {activation = #cambrian.activation<relu>}
// CHECK-NEXT:  cambrian.activation {{.*}} {activation = #cambrian.activation<tanh>}
func.func @already_activated(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %m = cambrian.matmul %a, %b {activation = #cambrian.activation<relu>} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %y = cambrian.activation %m {activation = #cambrian.activation<tanh>} : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// Pooling has no epilogue.
// CHECK-LABEL: func @after_pool
// CHECK:       cambrian.pool
// CHECK-NEXT:  cambrian.activation
func.func @after_pool(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %p = cambrian.pool max %x {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
         : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %y = cambrian.activation %p {activation = #cambrian.activation<relu>} : tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A residual block: conv + bias, add the skip, Relu; all one conv.
// CHECK-LABEL: func @residual_relu
// CHECK-NEXT:  %[[Y:.*]] = cambrian.conv %arg0, %arg1 bias %arg2 residual %arg3 {activation = #cambrian.activation<relu>, dilations = array<i64: 1, 1>, strides = array<i64: 1, 1>}
// CHECK-NEXT:  return %[[Y]]
func.func @residual_relu(%x: tensor<1x3x6x6xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>,
                         %skip: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %c = cambrian.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x6x6xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %s = arith.addf %skip, %c : tensor<1x8x4x4xf32>
  %y = cambrian.activation %s {activation = #cambrian.activation<relu>} : tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// An add after the activation, or one the importer spelled out as a
// broadcasting loop, is left alone.
// CHECK-LABEL: func @not_residual
// CHECK:       %[[M:.*]] = cambrian.matmul %arg0, %arg1 {activation = #cambrian.activation<relu>}
// CHECK-NEXT:  arith.addf %[[M]], %arg2 : tensor<4x16xf32>
// CHECK:       %[[N:.*]] = cambrian.matmul %arg0, %arg1 :
// CHECK:       linalg.generic {{.*}} ins(%[[N]], %arg3 :
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @not_residual(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %r: tensor<4x16xf32>,
                        %v: tensor<16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %m = cambrian.matmul %a, %b {activation = #cambrian.activation<relu>} : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %s = arith.addf %m, %r : tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %n = cambrian.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %t = linalg.generic {indexing_maps = [#id2, #row, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%n, %v : tensor<4x16xf32>, tensor<16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %z = arith.addf %x, %y : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  return %s, %t : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// x * sigmoid(x) (ONNX's two-node SiLU) becomes one silu activation, which
// then joins the convolution that had two users before.
// CHECK-LABEL: func @conv_silu
// CHECK-NEXT:  %[[Y:.*]] = cambrian.conv %arg0, %arg1 bias %arg2 {activation = #cambrian.activation<silu>, dilations = array<i64: 1, 1>, strides = array<i64: 1, 1>}
// CHECK-NEXT:  return %[[Y]]
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @conv_silu(%x: tensor<1x3x6x6xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %c = cambrian.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x6x6xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %s = cambrian.activation %c {activation = #cambrian.activation<sigmoid>} : tensor<1x8x4x4xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %y = arith.mulf %s, %c : tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// The sigmoid is used elsewhere (an SE block's gate), or multiplies another
// tensor: no SiLU.
// CHECK-LABEL: func @not_silu
// CHECK:       %[[C:.*]] = cambrian.conv
// CHECK:       %[[S:.*]] = cambrian.activation %[[C]] {activation = #cambrian.activation<sigmoid>}
// CHECK:       arith.mulf %[[C]], %[[S]] : tensor<1x8x4x4xf32>
// CHECK:       %[[T:.*]] = cambrian.activation %arg3 {activation = #cambrian.activation<sigmoid>}
// CHECK:       arith.mulf %[[C]], %[[T]] : tensor<1x8x4x4xf32>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @not_silu(%x: tensor<1x3x6x6xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>,
                    %g: tensor<1x8x4x4xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %c = cambrian.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x6x6xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  %s = cambrian.activation %c {activation = #cambrian.activation<sigmoid>} : tensor<1x8x4x4xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %y = arith.mulf %c, %s : tensor<1x8x4x4xf32>
  %t = cambrian.activation %g {activation = #cambrian.activation<sigmoid>} : tensor<1x8x4x4xf32>
  %u = arith.mulf %c, %t : tensor<1x8x4x4xf32>
  return %y, %s, %u : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}

// -----

// torch's GELU, node by node (Div by sqrt 2, Erf, Add 1, Mul by x, Mul by
// 0.5), after a matmul: one gelu_erf activation, which joins the matmul.
// CHECK-LABEL: func @matmul_gelu_chain
// CHECK-NEXT:  %[[Y:.*]] = cambrian.matmul %arg0, %arg1 bias %arg2 {activation = #cambrian.activation<gelu_erf>}
// CHECK-NEXT:  return %[[Y]]
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#sc2 = affine_map<(d0, d1) -> ()>
func.func @matmul_gelu_chain(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<16xf32>) -> tensor<4x16xf32> {
  %m = cambrian.matmul %a, %b bias %c : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %e = tensor.empty() : tensor<4x16xf32>
  %d = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%m, %sqrt2 : tensor<4x16xf32>, tensor<f32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %k: f32, %o: f32):
    %z = arith.divf %x, %k : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%d : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %z = math.erf %x : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%r, %one : tensor<4x16xf32>, tensor<f32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %k: f32, %o: f32):
    %z = arith.addf %x, %k : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %p = arith.mulf %m, %s : tensor<4x16xf32>
  %h = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%p, %half : tensor<4x16xf32>, tensor<f32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %k: f32, %o: f32):
    %z = arith.mulf %x, %k : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  return %h : tensor<4x16xf32>
}

// -----

// A Tanh node after a matmul (BERT's pooler) joins it; one after an op
// without an epilogue stays a generic.
// CHECK-LABEL: func @matmul_tanh
// CHECK:       %[[Y:.*]] = cambrian.matmul %arg0, %arg1 {activation = #cambrian.activation<tanh>}
// CHECK:       %[[T:.*]] = linalg.generic {{.*}} ins(%arg2 :
// CHECK:       math.tanh
// CHECK:       return %[[Y]], %[[T]]
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @matmul_tanh(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %v: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %m = cambrian.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %e = tensor.empty() : tensor<4x16xf32>
  %t = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%m : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %z = math.tanh %x : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %u = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%v : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %z = math.tanh %x : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  return %t, %u : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// A GELU chain whose input is also used elsewhere keeps its nodes.
// CHECK-LABEL: func @gelu_chain_shared
// CHECK:       cambrian.matmul %arg0, %arg1 :
// CHECK:       math.erf
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#sc2 = affine_map<(d0, d1) -> ()>
func.func @gelu_chain_shared(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %m = cambrian.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %e = tensor.empty() : tensor<4x16xf32>
  %d = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%m, %sqrt2 : tensor<4x16xf32>, tensor<f32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %k: f32, %o: f32):
    %z = arith.divf %x, %k : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%d : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %z = math.erf %x : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%r, %one : tensor<4x16xf32>, tensor<f32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %k: f32, %o: f32):
    %z = arith.addf %x, %k : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %p = arith.mulf %m, %s : tensor<4x16xf32>
  %h = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%p, %half : tensor<4x16xf32>, tensor<f32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %k: f32, %o: f32):
    %z = arith.mulf %x, %k : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  return %h, %m : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Pooling joins only when the target asks for it (second RUN line); then
// nothing more joins after it.
// CHECK-LABEL: func @conv_relu_pool
// CHECK:       cambrian.conv {{.*}} {activation = #cambrian.activation<relu>
// CHECK-NEXT:  cambrian.pool max
// POOL-LABEL:  func @conv_relu_pool
// POOL-NEXT:   %[[Y:.*]] = cambrian.conv %arg0, %arg1 bias %arg2 {activation = #cambrian.activation<relu>, dilations = array<i64: 1, 1>, pool = #cambrian.window<max, kernel = [3, 3], strides = [2, 2], dilations = [1, 1], padding = [1, 1, 1, 1]>, strides = array<i64: 1, 1>} : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
// POOL-NEXT:   %[[Z:.*]] = cambrian.activation %[[Y]]
// POOL-NEXT:   return %[[Z]]
func.func @conv_relu_pool(%x: tensor<1x3x10x10xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x4x4xf32> {
  %c = cambrian.conv %x, %w bias %b {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x10x10xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %r = cambrian.activation %c {activation = #cambrian.activation<relu>} : tensor<1x8x8x8xf32>
  %p = cambrian.pool max %r {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 1, 1, 1, 1>}
         : tensor<1x8x8x8xf32> -> tensor<1x8x4x4xf32>
  %t = cambrian.activation %p {activation = #cambrian.activation<tanh>} : tensor<1x8x4x4xf32>
  return %t : tensor<1x8x4x4xf32>
}

// -----

// Average pooling keeps its own op.
// POOL-LABEL:  func @conv_avgpool
// POOL:        cambrian.conv
// POOL-NOT:    pool =
// POOL:        cambrian.pool average
func.func @conv_avgpool(%x: tensor<1x3x6x6xf32>, %w: tensor<8x3x3x3xf32>) -> tensor<1x8x2x2xf32> {
  %c = cambrian.conv %x, %w {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
         : (tensor<1x3x6x6xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x4x4xf32>
  %p = cambrian.pool average %c {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
         : tensor<1x8x4x4xf32> -> tensor<1x8x2x2xf32>
  return %p : tensor<1x8x2x2xf32>
}

// -----

// sqrt 2 / x is not x / sqrt 2: the chain keeps its nodes.
// CHECK-LABEL: func @gelu_chain_reversed_div
// CHECK:       cambrian.matmul %arg0, %arg1 :
// CHECK:       arith.divf
// CHECK:       math.erf
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#sc2 = affine_map<(d0, d1) -> ()>
func.func @gelu_chain_reversed_div(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %m = cambrian.matmul %a, %b : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %e = tensor.empty() : tensor<4x16xf32>
  %d = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%m, %sqrt2 : tensor<4x16xf32>, tensor<f32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %k: f32, %o: f32):
    %z = arith.divf %k, %x : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%d : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %z = math.erf %x : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %s = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%r, %one : tensor<4x16xf32>, tensor<f32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %k: f32, %o: f32):
    %z = arith.addf %x, %k : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  %p = arith.mulf %m, %s : tensor<4x16xf32>
  %h = linalg.generic {indexing_maps = [#id2, #sc2, #id2], iterator_types = ["parallel", "parallel"]}
         ins(%p, %half : tensor<4x16xf32>, tensor<f32>) outs(%e : tensor<4x16xf32>) {
  ^bb0(%x: f32, %k: f32, %o: f32):
    %z = arith.mulf %x, %k : f32
    linalg.yield %z : f32
  } -> tensor<4x16xf32>
  return %h : tensor<4x16xf32>
}
