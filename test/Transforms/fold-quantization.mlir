// RUN: cambrian-opt %s --cambrian-fold-quantization --split-input-file --verify-diagnostics | FileCheck %s

!xq = !quant.uniform<u8:f32, 0.1:128>
!wq = !quant.uniform<i8:f32:0, {0.02, 0.03}>
!bq = !quant.uniform<i32:f32:0, {0.002, 0.003}>
!yq = !quant.uniform<u8:f32, 0.05>

// A padded, dequantized input, per-channel weights, an int32 bias at the
// product's scale and a relu: one integer conv. The padding moves onto the
// integers with the zero point (128 is -128 as i8).
// CHECK-LABEL: func @conv_relu
// CHECK-DAG:   %[[ZP:.*]] = arith.constant -128 : i8
// CHECK-DAG:   %[[B:.*]] = arith.constant dense<[10, -20]> : tensor<2xi32>
// CHECK:       %[[P:.*]] = tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK:         tensor.yield %[[ZP]] : i8
// CHECK:       %[[PQ:.*]] = quant.scast %[[P]] : tensor<1x2x6x6xi8> to tensor<1x2x6x6x!quant.uniform<u8:f32, 1.000000e-01:128>>
// CHECK:       %[[Y:.*]] = cambrian.conv %[[PQ]], %{{.*}} bias %[[B]] {activation = #cambrian.activation<relu>
// CHECK-SAME:    -> tensor<1x2x4x4x!quant.uniform<u8:f32, 5.000000e-02>>
// CHECK-NOT:   cambrian.dequantize
// CHECK-NOT:   cambrian.quantize
func.func @conv_relu(%x: tensor<1x2x4x4x!xq>, %w: tensor<2x2x3x3xi8>) -> tensor<1x2x4x4x!yq> {
  %xd = cambrian.dequantize %x : tensor<1x2x4x4x!xq> -> tensor<1x2x4x4xf32>
  %ws = quant.scast %w : tensor<2x2x3x3xi8> to tensor<2x2x3x3x!wq>
  %wd = cambrian.dequantize %ws : tensor<2x2x3x3x!wq> -> tensor<2x2x3x3xf32>
  %bc = arith.constant dense<[10, -20]> : tensor<2xi32>
  %bs = quant.scast %bc : tensor<2xi32> to tensor<2x!bq>
  %bd = cambrian.dequantize %bs : tensor<2x!bq> -> tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %xd low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x2x4x4xf32> to tensor<1x2x6x6xf32>
  %y = cambrian.conv %p, %wd bias %bd {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>, activation = #cambrian.activation<relu>}
     : (tensor<1x2x6x6xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %q = cambrian.quantize %y : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!yq>
  return %q : tensor<1x2x4x4x!yq>
}

// -----

!xq = !quant.uniform<i8:f32, 0.5:-3>
!wq = !quant.uniform<i8:f32, 0.25>
!yq = !quant.uniform<i8:f32, 2.0:1>

// A float constant bias is quantized on the host at 0.5 * 0.25 = 0.125:
// 1.0 -> 8, -0.3 -> round(-2.4) = -2, 0.0625 -> round(0.5) = 0 (even).
// CHECK-LABEL: func @matmul_float_bias
// CHECK:       %[[B:.*]] = arith.constant dense<[8, -2, 0]> : tensor<3xi32>
// CHECK:       %[[Y:.*]] = cambrian.matmul %arg0, %{{.*}} bias %[[B]] {activation = #cambrian.activation<clip, alpha = -1.000000e+00, beta = 6.000000e+00>}
// CHECK-SAME:    -> tensor<4x3x!quant.uniform<i8:f32, 2.000000e+00:1>>
func.func @matmul_float_bias(%a: tensor<4x8x!xq>, %b: tensor<8x3xi8>) -> tensor<4x3x!yq> {
  %ad = cambrian.dequantize %a : tensor<4x8x!xq> -> tensor<4x8xf32>
  %bs = quant.scast %b : tensor<8x3xi8> to tensor<8x3x!wq>
  %bd = cambrian.dequantize %bs : tensor<8x3x!wq> -> tensor<8x3xf32>
  %c = arith.constant dense<[1.0, -0.3, 0.0625]> : tensor<3xf32>
  %y = cambrian.matmul %ad, %bd bias %c {activation = #cambrian.activation<clip, alpha = -1.0, beta = 6.0>}
     : (tensor<4x8xf32>, tensor<8x3xf32>, tensor<3xf32>) -> tensor<4x3xf32>
  %q = cambrian.quantize %y : tensor<4x3xf32> -> tensor<4x3x!yq>
  return %q : tensor<4x3x!yq>
}

// -----

!xq = !quant.uniform<u8:f32, 0.1:128>
!wq = !quant.uniform<i8:f32:0, {0.02, 0.03, 0.04}>
!yq = !quant.uniform<u8:f32, 0.05>

// Gemm's transposed weights: the transpose moves onto the integers and the
// per-axis type's axis moves with it (0 -> 1), so the matmul folds.
// CHECK-LABEL: func @transposed_weights
// CHECK:       %[[T:.*]] = linalg.transpose ins(%{{.*}} : tensor<3x8xi8>) outs(%{{.*}} : tensor<8x3xi8>) permutation = [1, 0]
// CHECK:       %[[TQ:.*]] = quant.scast %[[T]] : tensor<8x3xi8> to tensor<8x3x!quant.uniform<i8:f32:1, {2.000000e-02,3.000000e-02,4.000000e-02}>>
// CHECK:       cambrian.matmul %arg0, %[[TQ]] :
// CHECK-SAME:    -> tensor<4x3x!quant.uniform<u8:f32, 5.000000e-02>>
func.func @transposed_weights(%a: tensor<4x8x!xq>, %w: tensor<3x8xi8>) -> tensor<4x3x!yq> {
  %ad = cambrian.dequantize %a : tensor<4x8x!xq> -> tensor<4x8xf32>
  %ws = quant.scast %w : tensor<3x8xi8> to tensor<3x8x!wq>
  %wd = cambrian.dequantize %ws : tensor<3x8x!wq> -> tensor<3x8xf32>
  %e = tensor.empty() : tensor<8x3xf32>
  %t = linalg.transpose ins(%wd : tensor<3x8xf32>) outs(%e : tensor<8x3xf32>) permutation = [1, 0]
  %y = cambrian.matmul %ad, %t : (tensor<4x8xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  %q = cambrian.quantize %y : tensor<4x3xf32> -> tensor<4x3x!yq>
  return %q : tensor<4x3x!yq>
}

// -----

!q = !quant.uniform<i8:f32, 0.1:2>

// Flatten between a dequantize and a quantize of the same type is a move
// of the integers: nothing float is left.
// CHECK-LABEL: func @reshape_round_trip
// CHECK-NEXT:  %[[S:.*]] = quant.scast %arg0 : tensor<1x2x2x2x!quant.uniform<i8:f32, 1.000000e-01:2>> to tensor<1x2x2x2xi8>
// CHECK-NEXT:  %[[C:.*]] = tensor.collapse_shape %[[S]] {{\[}}[0], [1, 2, 3]] : tensor<1x2x2x2xi8> into tensor<1x8xi8>
// CHECK-NEXT:  %[[Q:.*]] = quant.scast %[[C]] : tensor<1x8xi8> to tensor<1x8x!quant.uniform<i8:f32, 1.000000e-01:2>>
// CHECK-NEXT:  return %[[Q]]
func.func @reshape_round_trip(%x: tensor<1x2x2x2x!q>) -> tensor<1x8x!q> {
  %d = cambrian.dequantize %x : tensor<1x2x2x2x!q> -> tensor<1x2x2x2xf32>
  %c = tensor.collapse_shape %d [[0], [1, 2, 3]] : tensor<1x2x2x2xf32> into tensor<1x8xf32>
  %q = cambrian.quantize %c : tensor<1x8xf32> -> tensor<1x8x!q>
  return %q : tensor<1x8x!q>
}

// -----

!xq = !quant.uniform<u8:f32, 0.1:128>
!wq = !quant.uniform<i8:f32, 0.02>
!yq = !quant.uniform<u8:f32, 0.05>

// What cannot be integer stays float and says so: a residual in the
// epilogue, a sigmoid in a matmul's epilogue, and a subtraction of two
// dequantized values, each quantized again.
// CHECK-LABEL: func @stays_float
// CHECK:       cambrian.conv %{{.*}} residual
// CHECK:       cambrian.quantize
// CHECK:       cambrian.matmul
// CHECK-SAME:    -> tensor<4x4xf32>
func.func @stays_float(%x: tensor<1x2x4x4x!xq>, %w: tensor<2x2x1x1xi8>, %r: tensor<1x2x4x4xf32>,
                       %a: tensor<4x4x!xq>, %b: tensor<4x4xi8>) -> (tensor<1x2x4x4x!yq>, tensor<4x4x!yq>, tensor<4x4x!yq>, tensor<4x4xf32>) {
  %xd = cambrian.dequantize %x : tensor<1x2x4x4x!xq> -> tensor<1x2x4x4xf32>
  %ws = quant.scast %w : tensor<2x2x1x1xi8> to tensor<2x2x1x1x!wq>
  %wd = cambrian.dequantize %ws : tensor<2x2x1x1x!wq> -> tensor<2x2x1x1xf32>
  // expected-remark @below {{'cambrian.conv' runs in float on dequantized values}}
  %y = cambrian.conv %xd, %wd residual %r {strides = array<i64: 1, 1>, dilations = array<i64: 1, 1>}
     : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %q = cambrian.quantize %y : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!yq>
  %ad = cambrian.dequantize %a : tensor<4x4x!xq> -> tensor<4x4xf32>
  %bs = quant.scast %b : tensor<4x4xi8> to tensor<4x4x!wq>
  %bd = cambrian.dequantize %bs : tensor<4x4x!wq> -> tensor<4x4xf32>
  // expected-remark @below {{'cambrian.matmul' runs in float on dequantized values}}
  %m = cambrian.matmul %ad, %bd {activation = #cambrian.activation<sigmoid>} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %mq = cambrian.quantize %m : tensor<4x4xf32> -> tensor<4x4x!yq>
  // expected-remark @below {{'arith.subf' runs in float on dequantized values}}
  %s = arith.subf %ad, %ad : tensor<4x4xf32>
  %sq = cambrian.quantize %s : tensor<4x4xf32> -> tensor<4x4x!yq>
  // A float op on dequantized values that is not quantized again is the
  // model's own float op: no remark.
  %f = arith.mulf %ad, %ad : tensor<4x4xf32>
  return %q, %mq, %sq, %f : tensor<1x2x4x4x!yq>, tensor<4x4x!yq>, tensor<4x4x!yq>, tensor<4x4xf32>
}

// -----

!xq = !quant.uniform<i8:f32, 0.05:3>
!yq = !quant.uniform<u8:f32, 0.00390625>

// A sigmoid between a dequantize and a quantize is a lookup in a table of
// 256 entries, the same chain applied to the input's levels -128..127.
// CHECK-LABEL: func @sigmoid_table
// CHECK:       %[[L:.*]] = arith.constant dense<"0x808182{{[0-9A-F]*}}7D7E7F"> : tensor<256xi8>
// CHECK:       %[[LQ:.*]] = quant.scast %[[L]] : tensor<256xi8> to tensor<256x!quant.uniform<i8:f32, 5.000000e-02:3>>
// CHECK:       %[[LD:.*]] = cambrian.dequantize %[[LQ]]
// CHECK:       %[[LA:.*]] = cambrian.activation %[[LD]] {activation = #cambrian.activation<sigmoid>} : tensor<256xf32>
// CHECK:       %[[T:.*]] = cambrian.quantize %[[LA]] : tensor<256xf32> -> tensor<256x!quant.uniform<u8:f32, 3.906250e-03>>
// CHECK:       %[[Y:.*]] = cambrian.lookup %arg0, %[[T]] : (tensor<2x8x!quant.uniform<i8:f32, 5.000000e-02:3>>, tensor<256x!quant.uniform<u8:f32, 3.906250e-03>>) -> tensor<2x8x!quant.uniform<u8:f32, 3.906250e-03>>
// CHECK:       return %[[Y]]
func.func @sigmoid_table(%x: tensor<2x8x!xq>) -> tensor<2x8x!yq> {
  %d = cambrian.dequantize %x : tensor<2x8x!xq> -> tensor<2x8xf32>
  %s = cambrian.activation %d {activation = #cambrian.activation<sigmoid>} : tensor<2x8xf32>
  %q = cambrian.quantize %s : tensor<2x8xf32> -> tensor<2x8x!yq>
  return %q : tensor<2x8x!yq>
}

// -----

!xq = !quant.uniform<i8:f32, 0.5:-3>
!wq = !quant.uniform<i8:f32:1, {0.25, 0.125}>

// A model's last Gemm: quantized operands, a float result that nothing
// quantizes again. The weights, a transposed constant (transB), are
// transposed on the host; the product is integer and its accumulator is
// dequantized in the epilogue (the float bias becomes int32 at 0.5 * 0.25
// and 0.5 * 0.125: 1.0 -> 8, 1.0 -> 16).
// CHECK-LABEL: func @float_result
// CHECK:       %[[B:.*]] = arith.constant dense<[8, 16]> : tensor<2xi32>
// CHECK:       %[[W:.*]] = arith.constant dense_resource<transposed> : tensor<3x2xi8>
// CHECK:       %[[WQ:.*]] = quant.scast %[[W]] : tensor<3x2xi8> to tensor<3x2x!quant.uniform<i8:f32:1, {2.500000e-01,1.250000e-01}>>
// CHECK:       %[[Y:.*]] = cambrian.matmul %arg0, %[[WQ]] bias %[[B]] : ({{.*}}) -> tensor<4x2xf32>
// CHECK:       return %[[Y]]
// The transposed bytes: [[1, -4], [2, -5], [3, -6]].
// CHECK:       transposed: "0x0100000001FC02FB03FA"
func.func @float_result(%a: tensor<4x3x!xq>) -> tensor<4x2xf32> {
  %ad = cambrian.dequantize %a : tensor<4x3x!xq> -> tensor<4x3xf32>
  %w = arith.constant dense<[[1, 2, 3], [-4, -5, -6]]> : tensor<2x3xi8>
  %ws = quant.scast %w : tensor<2x3xi8> to tensor<2x3x!quant.uniform<i8:f32:0, {0.25, 0.125}>>
  %wd = cambrian.dequantize %ws : tensor<2x3x!quant.uniform<i8:f32:0, {0.25, 0.125}>> -> tensor<2x3xf32>
  %e = tensor.empty() : tensor<3x2xf32>
  %t = linalg.transpose ins(%wd : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  %b = arith.constant dense<[1.0, 1.0]> : tensor<2xf32>
  %y = cambrian.matmul %ad, %t bias %b : (tensor<4x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

!a = !quant.uniform<i8:f32, 0.1:-2>
!b = !quant.uniform<i8:f32, 0.05:3>
!s = !quant.uniform<u8:f32, 0.004>
!y = !quant.uniform<i8:f32, 0.12:-7>

// Adds and multiplies of two dequantized values, same shape (arith on
// tensors) or broadcast (the importer's generic), quantized again, become
// cambrian.add / cambrian.mul on the quantized values.
// CHECK-LABEL: func @binary
// CHECK:       %[[A:.*]] = cambrian.add %arg0, %arg1 : (tensor<1x8x4x4x!quant.uniform<i8:f32, 1.000000e-01:-2>>, tensor<1x8x4x4x!quant.uniform<i8:f32, 5.000000e-02:3>>) -> tensor<1x8x4x4x!quant.uniform<i8:f32, 1.200000e-01:-7>>
// CHECK:       %[[M:.*]] = cambrian.mul %[[A]], %arg2 : (tensor<1x8x4x4x!quant.uniform<i8:f32, 1.200000e-01:-7>>, tensor<1x8x1x1x!quant.uniform<u8:f32, 4.000000e-03>>) -> tensor<1x8x4x4x!quant.uniform<i8:f32, 1.200000e-01:-7>>
// CHECK:       return %[[M]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @binary(%a: tensor<1x8x4x4x!a>, %b: tensor<1x8x4x4x!b>, %s: tensor<1x8x1x1x!s>) -> tensor<1x8x4x4x!y> {
  %ad = cambrian.dequantize %a : tensor<1x8x4x4x!a> -> tensor<1x8x4x4xf32>
  %bd = cambrian.dequantize %b : tensor<1x8x4x4x!b> -> tensor<1x8x4x4xf32>
  %sum = arith.addf %ad, %bd : tensor<1x8x4x4xf32>
  %sq = cambrian.quantize %sum : tensor<1x8x4x4xf32> -> tensor<1x8x4x4x!y>
  %sd = cambrian.dequantize %sq : tensor<1x8x4x4x!y> -> tensor<1x8x4x4xf32>
  %gd = cambrian.dequantize %s : tensor<1x8x1x1x!s> -> tensor<1x8x1x1xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %p = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sd, %gd : tensor<1x8x4x4xf32>, tensor<1x8x1x1xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%x: f32, %g: f32, %o: f32):
    %m = arith.mulf %x, %g : f32
    linalg.yield %m : f32
  } -> tensor<1x8x4x4xf32>
  %q = cambrian.quantize %p : tensor<1x8x4x4xf32> -> tensor<1x8x4x4x!y>
  return %q : tensor<1x8x4x4x!y>
}

// -----

!q = !quant.uniform<u8:f32, 0.1:128>

// A max pooling of dequantized values pools the quantized ones (quantizing
// is monotonic); the quantize after it, of the same type, goes away.
// CHECK-LABEL: func @max_pool
// CHECK-NEXT:  %[[P:.*]] = cambrian.pool max %arg0 {{.*}} : tensor<1x2x4x4x!quant.uniform<u8:f32, 1.000000e-01:128>> -> tensor<1x2x2x2x!quant.uniform<u8:f32, 1.000000e-01:128>>
// CHECK-NEXT:  return %[[P]]
func.func @max_pool(%x: tensor<1x2x4x4x!q>) -> tensor<1x2x2x2x!q> {
  %d = cambrian.dequantize %x : tensor<1x2x4x4x!q> -> tensor<1x2x4x4xf32>
  %p = cambrian.pool max %d {kernel = array<i64: 2, 2>, strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, padding = array<i64: 0, 0, 0, 0>}
         : tensor<1x2x4x4xf32> -> tensor<1x2x2x2xf32>
  %q = cambrian.quantize %p : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!q>
  return %q : tensor<1x2x2x2x!q>
}

// -----

!a = !quant.uniform<i8:f32, 0.1:-2>
!y = !quant.uniform<i8:f32, 0.2:-7>

// A residual Add followed by a Relu, then quantized: the quantize moves
// before the clamp (a lookup of the clamp on the result's levels), and the
// Add becomes cambrian.add.
// CHECK-LABEL: func @add_relu
// CHECK:       %[[A:.*]] = cambrian.add %arg0, %arg1 : {{.*}} -> tensor<4x!quant.uniform<i8:f32, 2.000000e-01:-7>>
// CHECK:       %[[T:.*]] = cambrian.quantize %{{.*}} : tensor<256xf32> -> tensor<256x!quant.uniform<i8:f32, 2.000000e-01:-7>>
// CHECK:       %[[Y:.*]] = cambrian.lookup %[[A]], %[[T]]
// CHECK:       return %[[Y]]
func.func @add_relu(%a: tensor<4x!a>, %b: tensor<4x!a>) -> tensor<4x!y> {
  %ad = cambrian.dequantize %a : tensor<4x!a> -> tensor<4xf32>
  %bd = cambrian.dequantize %b : tensor<4x!a> -> tensor<4xf32>
  %s = arith.addf %ad, %bd : tensor<4xf32>
  %r = cambrian.activation %s {activation = #cambrian.activation<relu>} : tensor<4xf32>
  %q = cambrian.quantize %r : tensor<4xf32> -> tensor<4x!y>
  return %q : tensor<4x!y>
}

// -----

!a = !quant.uniform<i8:f32, 0.1:-2>

// The report follows single-use chains: a subtraction, then a tanh, then
// the quantize.
func.func @chain(%a: tensor<4x!a>) -> tensor<4x!a> {
  %ad = cambrian.dequantize %a : tensor<4x!a> -> tensor<4xf32>
  // expected-remark @below {{'arith.subf' runs in float on dequantized values}}
  %s = arith.subf %ad, %ad : tensor<4xf32>
  %t = cambrian.activation %s {activation = #cambrian.activation<tanh>} : tensor<4xf32>
  %q = cambrian.quantize %t : tensor<4xf32> -> tensor<4x!a>
  return %q : tensor<4x!a>
}

// -----

!x = !quant.uniform<i8:f32, 0.02:5>
!y = !quant.uniform<i8:f32, 0.0078>

// A chain of elementwise generics of one value with rank-0 constants (a
// GELU's x / sqrt(2), then erf) is a lookup too: the table runs the same
// two generics on the 256 levels.
// CHECK-LABEL: func @erf_chain
// CHECK:       %[[LD:.*]] = cambrian.dequantize %{{.*}} : tensor<256x!quant.uniform<i8:f32, 2.000000e-02:5>> -> tensor<256xf32>
// CHECK:       %[[D:.*]] = linalg.generic {{.*}} ins(%[[LD]], %{{.*}} : tensor<256xf32>, tensor<f32>)
// CHECK:         arith.divf
// CHECK:       %[[E:.*]] = linalg.generic {{.*}} ins(%[[D]] : tensor<256xf32>)
// CHECK:         math.erf
// CHECK:       %[[T:.*]] = cambrian.quantize %[[E]] : tensor<256xf32> -> tensor<256x!quant.uniform<i8:f32, 7.800000e-03>>
// CHECK:       cambrian.lookup %arg0, %[[T]] : (tensor<2x64x!quant.uniform<i8:f32, 2.000000e-02:5>>, tensor<256x!quant.uniform<i8:f32, 7.800000e-03>>) -> tensor<2x64x!quant.uniform<i8:f32, 7.800000e-03>>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#scalar2 = affine_map<(d0, d1) -> ()>
func.func @erf_chain(%x: tensor<2x64x!x>) -> tensor<2x64x!y> {
  %d = cambrian.dequantize %x : tensor<2x64x!x> -> tensor<2x64xf32>
  %c = arith.constant dense<1.41421354> : tensor<f32>
  %e0 = tensor.empty() : tensor<2x64xf32>
  %div = linalg.generic {indexing_maps = [#id2, #scalar2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%d, %c : tensor<2x64xf32>, tensor<f32>) outs(%e0 : tensor<2x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x64xf32>
  %e1 = tensor.empty() : tensor<2x64xf32>
  %erf = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%div : tensor<2x64xf32>) outs(%e1 : tensor<2x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.erf %a : f32
    linalg.yield %r : f32
  } -> tensor<2x64xf32>
  %q = cambrian.quantize %erf : tensor<2x64xf32> -> tensor<2x64x!y>
  return %q : tensor<2x64x!y>
}
