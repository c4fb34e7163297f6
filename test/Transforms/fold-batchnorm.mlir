// RUN: cambrian-opt %s --cambrian-fold-batchnorm --split-input-file | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// Conv -> BatchNormalization as the importer writes it (x * s + t per
// channel): the scale moves into the weights, the shift becomes a bias add.
// CHECK-LABEL: func.func @conv_bn
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x4x4xf32>)
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{.*}}2.000000e+00{{.*}}-2.000000e+00{{.*}}8.000000e+00{{.*}}2.000000e+00{{.*}}> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[T:.+]] = arith.constant dense<{{.*}}5.000000e-01{{.*}}-1.000000e+00{{.*}}> : tensor<2x1x1xf32>
// CHECK: %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[X]], %[[W]] :
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[Y]], %[[T]] :
// CHECK-NEXT: ^bb0(%[[A:.+]]: f32, %[[B:.+]]: f32, %{{.+}}: f32):
// CHECK-NEXT: %[[S:.+]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[S]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @conv_bn(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %t = arith.constant dense<[[[0.5]], [[-1.0]]]> : tensor<2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s, %t : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// Conv with a bias (added by its own generic, the bias reshaped from 1-D)
// -> BatchNormalization: one bias add of b * s + t remains.
// CHECK-LABEL: func.func @conv_bias_bn
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{.*}}2.000000e+00{{.*}}-2.000000e+00{{.*}}8.000000e+00{{.*}}2.000000e+00{{.*}}> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[T:.+]] = arith.constant dense<{{.*}}2.500000e+00{{.*}}7.000000e+00{{.*}}> : tensor<2x1x1xf32>
// CHECK: %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.+}}, %[[W]] :
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[Y]], %[[T]] :
// CHECK: arith.addf
// CHECK-NOT: arith.mulf
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @conv_bias_bn(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %bias = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %t = arith.constant dense<[[[0.5]], [[-1.0]]]> : tensor<2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %b3 = tensor.expand_shape %bias [[0, 1, 2]] output_shape [2, 1, 1] : tensor<2xf32> into tensor<2x1x1xf32>
  %yb = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %b3 : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %r = arith.addf %v, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%yb, %s, %t : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// The same after elementwise fusion put the bias add and the batch norm in
// one body (written here as (x + b - mean) * s + beta): the body is
// evaluated per channel, not matched by its spelling.
// CHECK-LABEL: func.func @conv_bias_bn_fused
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{.*}}2.000000e+00{{.*}}-2.000000e+00{{.*}}8.000000e+00{{.*}}2.000000e+00{{.*}}> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[T:.+]] = arith.constant dense<{{.*}}2.500000e+00{{.*}}7.000000e+00{{.*}}> : tensor<2x1x1xf32>
// CHECK: %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%{{.+}}, %[[W]] :
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %[[T]] :
// CHECK-NOT: arith.mulf
func.func @conv_bias_bn_fused(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %bias = arith.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %mean = arith.constant dense<[[[0.25]], [[0.5]]]> : tensor<2x1x1xf32>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %beta = arith.constant dense<[[[1.0]], [[1.0]]]> : tensor<2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %bias, %mean, %s, %beta : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %b: f32, %mu: f32, %a: f32, %be: f32, %o: f32):
    %p = arith.addf %v, %b : f32
    %d = arith.subf %p, %mu : f32
    %m = arith.mulf %d, %a : f32
    %r = arith.addf %m, %be : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// A shift of zero leaves no generic at all.
// CHECK-LABEL: func.func @conv_scale_only
// CHECK: %[[Y:.+]] = linalg.conv_2d_nchw_fchw
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @conv_scale_only(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    linalg.yield %m : f32
  } -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// The conv's result has another user, which must keep seeing it unscaled.
// CHECK-LABEL: func.func @conv_other_user
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x4x4xf32>)
// CHECK: %[[W:.+]] = arith.constant dense<{{.*}}1.000000e+00{{.*}}-1.000000e+00{{.*}}2.000000e+00{{.*}}5.000000e-01{{.*}}> : tensor<2x2x1x1xf32>
// CHECK: %[[Y:.+]] = linalg.conv_2d_nchw_fchw {{.*}} ins(%[[X]], %[[W]] :
// CHECK: %[[N:.+]] = linalg.generic {{.*}} ins(%[[Y]],
// CHECK: arith.mulf
// CHECK: return %[[N]], %[[Y]]
func.func @conv_other_user(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %t = arith.constant dense<[[[0.5]], [[-1.0]]]> : tensor<2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s, %t : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  return %n, %y : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// Weights that are not constants cannot be scaled at compile time.
// CHECK-LABEL: func.func @non_constant_weights
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x4x4xf32>, %[[W:.+]]: tensor<2x2x1x1xf32>)
// CHECK: linalg.conv_2d_nchw_fchw {{.*}} ins(%[[X]], %[[W]] :
// CHECK: linalg.generic
// CHECK: arith.mulf
func.func @non_constant_weights(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %t = arith.constant dense<[[[0.5]], [[-1.0]]]> : tensor<2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s, %t : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// A conv accumulating into a nonzero init: the init would not be scaled.
// CHECK-LABEL: func.func @nonzero_init
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK: arith.mulf
func.func @nonzero_init(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %t = arith.constant dense<[[[0.5]], [[-1.0]]]> : tensor<2x1x1xf32>
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %init = linalg.fill ins(%one : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s, %t : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A scale that varies over the image, not per channel, stays.
// CHECK-LABEL: func.func @not_per_channel
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK: arith.mulf
func.func @not_per_channel(%x: tensor<1x2x1x2xf32>) -> tensor<1x2x1x2xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<[[[[1.0, 2.0]], [[3.0, 4.0]]]]> : tensor<1x2x1x2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x1x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x1x2xf32>) -> tensor<1x2x1x2xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x1x2xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x1x2xf32>) -> tensor<1x2x1x2xf32>
  %n = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s : tensor<1x2x1x2xf32>, tensor<1x2x1x2xf32>) outs(%e : tensor<1x2x1x2xf32>) {
  ^bb0(%v: f32, %a: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    linalg.yield %m : f32
  } -> tensor<1x2x1x2xf32>
  return %n : tensor<1x2x1x2xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Relu is not affine: conv -> relu is left for the target's epilogue.
// CHECK-LABEL: func.func @conv_relu
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK: arith.maximumf
func.func @conv_relu(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) outs(%init : tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : tensor<1x2x4x4xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.maximumf %v, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// Only f32 is folded (the host arithmetic is f32).
// CHECK-LABEL: func.func @f16
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK: arith.mulf
func.func @f16(%x: tensor<1x2x4x4xf16>) -> tensor<1x2x4x4xf16> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf16>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf16>
  %zero = arith.constant 0.0 : f16
  %e = tensor.empty() : tensor<1x2x4x4xf16>
  %init = linalg.fill ins(%zero : f16) outs(%e : tensor<1x2x4x4xf16>) -> tensor<1x2x4x4xf16>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x4xf16>, tensor<2x2x1x1xf16>) outs(%init : tensor<1x2x4x4xf16>) -> tensor<1x2x4x4xf16>
  %n = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s : tensor<1x2x4x4xf16>, tensor<2x1x1xf16>) outs(%e : tensor<1x2x4x4xf16>) {
  ^bb0(%v: f16, %a: f16, %o: f16):
    %m = arith.mulf %v, %a : f16
    linalg.yield %m : f16
  } -> tensor<1x2x4x4xf16>
  return %n : tensor<1x2x4x4xf16>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// Gemm -> BatchNormalization: the output channel is the last dim, so the
// weights' columns are scaled.
// CHECK-LABEL: func.func @matmul_bn
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>)
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{\[}}[2.000000e+00, 1.000000e+00], [6.000000e+00, 2.000000e+00], [1.000000e+01, 3.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[T:.+]] = arith.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.+]] = linalg.matmul ins(%[[X]], %[[W]] :
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[Y]], %[[T]] :
// CHECK-NOT: arith.mulf
// CHECK: return %[[R]]
func.func @matmul_bn(%x: tensor<2x3xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %s = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %t = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x3xf32>, tensor<3x2xf32>) outs(%init : tensor<2x2xf32>) -> tensor<2x2xf32>
  %n = linalg.generic {indexing_maps = [#id, #col, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %s, %t : tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x2xf32>
  return %n : tensor<2x2xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// On the dialect: cambrian.conv with a bias -> BatchNormalization. The op
// stays whole (a target may map it) with W * s and b * s + t.
// CHECK-LABEL: func.func @cambrian_conv_bias_bn
// CHECK-SAME: (%[[X:.+]]: tensor<1x2x4x4xf32>)
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{.*}}2.000000e+00{{.*}}-2.000000e+00{{.*}}8.000000e+00{{.*}}2.000000e+00{{.*}}> : tensor<2x2x1x1xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[2.500000e+00, 7.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.+]] = cambrian.conv %[[X]], %[[W]] bias %[[B]] {dilations = array<i64: 1, 1>, strides = array<i64: 1, 1>}
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @cambrian_conv_bias_bn(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %bias = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %t = arith.constant dense<[[[0.5]], [[-1.0]]]> : tensor<2x1x1xf32>
  %y = cambrian.conv %x, %w bias %bias {dilations = array<i64: 1, 1>, strides = array<i64: 1, 1>}
      : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s, %t : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// A grouped cambrian.conv (2 groups, one filter each) without a bias: each
// filter is scaled by its channel's s, the shift becomes the bias; strides
// and groups are kept.
// CHECK-LABEL: func.func @cambrian_grouped_bn
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{\[}}[{{\[}}[2.000000e+00]]], [{{\[}}[-4.000000e+00]]]]> : tensor<2x1x1x1xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.+]] = cambrian.conv %{{.+}}, %[[W]] bias %[[B]] {dilations = array<i64: 1, 1>, groups = 2 : i64, strides = array<i64: 2, 2>}
// CHECK: return %[[Y]]
func.func @cambrian_grouped_bn(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = arith.constant dense<[[[[1.0]]], [[[-1.0]]]]> : tensor<2x1x1x1xf32>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %t = arith.constant dense<[[[0.0]], [[1.0]]]> : tensor<2x1x1xf32>
  %y = cambrian.conv %x, %w {dilations = array<i64: 1, 1>, strides = array<i64: 2, 2>, groups = 2 : i64}
      : (tensor<1x2x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  %e = tensor.empty() : tensor<1x2x2x2xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s, %t : tensor<1x2x2x2xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x2x2xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x2x2xf32>
  return %n : tensor<1x2x2x2xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#col = affine_map<(d0, d1, d2) -> (d2)>

// A batched cambrian.matmul -> x * s + t per column: the rhs's columns are
// scaled.
// CHECK-LABEL: func.func @cambrian_matmul_bn
// CHECK-SAME: (%[[X:.+]]: tensor<2x2x3xf32>)
// CHECK-DAG: %[[W:.+]] = arith.constant dense<{{\[}}[2.000000e+00, 1.000000e+00], [6.000000e+00, 2.000000e+00], [1.000000e+01, 3.000000e+00]]> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.+]] = arith.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.+]] = cambrian.matmul %[[X]], %[[W]] bias %[[B]]
// CHECK: return %[[Y]]
func.func @cambrian_matmul_bn(%x: tensor<2x2x3xf32>) -> tensor<2x2x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>
  %s = arith.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %t = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %y = cambrian.matmul %x, %w : (tensor<2x2x3xf32>, tensor<3x2xf32>) -> tensor<2x2x2xf32>
  %e = tensor.empty() : tensor<2x2x2xf32>
  %n = linalg.generic {indexing_maps = [#id, #col, #col, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%y, %s, %t : tensor<2x2x2xf32>, tensor<2xf32>, tensor<2xf32>) outs(%e : tensor<2x2x2xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2xf32>
  return %n : tensor<2x2x2xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// A bias add scales nothing: it joins the epilogue of a matmul whose rhs is
// not a constant, and the rhs stays.
// CHECK-LABEL: func.func @cambrian_matmul_bias_add
// CHECK-SAME: (%[[X:.+]]: tensor<2x3xf32>, %[[W:.+]]: tensor<3x2xf32>)
// CHECK: %[[B:.+]] = arith.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.+]] = cambrian.matmul %[[X]], %[[W]] bias %[[B]]
// CHECK: return %[[Y]]
func.func @cambrian_matmul_bias_add(%x: tensor<2x3xf32>, %w: tensor<3x2xf32>) -> tensor<2x2xf32> {
  %t = arith.constant dense<[1.0, -1.0]> : tensor<2xf32>
  %y = cambrian.matmul %x, %w : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %n = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %t : tensor<2x2xf32>, tensor<2xf32>) outs(%e : tensor<2x2xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %r = arith.addf %v, %b : f32
    linalg.yield %r : f32
  } -> tensor<2x2xf32>
  return %n : tensor<2x2xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// Not folded: the activation comes before the batch norm, the scale would
// change it (relu(x) * s != relu(x * s) for s < 0); and a conv whose result
// has another user.
// CHECK-LABEL: func.func @cambrian_no_fold
// CHECK: cambrian.conv %{{.+}}, %[[W:.+]] {activation = #cambrian.activation<relu>
// CHECK: linalg.generic
// CHECK: cambrian.conv %{{.+}}, %[[W]] {dilations
// CHECK: linalg.generic
func.func @cambrian_no_fold(%x: tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = arith.constant dense<[[[[1.0]], [[-1.0]]], [[[2.0]], [[0.5]]]]> : tensor<2x2x1x1xf32>
  %s = arith.constant dense<[[[2.0]], [[-4.0]]]> : tensor<2x1x1xf32>
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %y = cambrian.conv %x, %w {activation = #cambrian.activation<relu>, dilations = array<i64: 1, 1>, strides = array<i64: 1, 1>}
      : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    linalg.yield %m : f32
  } -> tensor<1x2x4x4xf32>
  %z = cambrian.conv %x, %w {dilations = array<i64: 1, 1>, strides = array<i64: 1, 1>}
      : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %m2 = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%z, %s : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    linalg.yield %m : f32
  } -> tensor<1x2x4x4xf32>
  return %n, %m2, %z : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>

// A grouped conv (N G F H W, reshaped to N C H W) with its weights in a
// dense resource: the new weights are a resource too, the bias is added
// after the reshape, where the channels are one dim.
// CHECK-LABEL: func.func @grouped_resource
// CHECK-DAG: %[[W:.+]] = arith.constant dense_resource<[[NAME:w_folded[A-Za-z0-9_]*]]> : tensor<2x1x1x1x1xf32>
// CHECK-DAG: %[[T:.+]] = arith.constant dense<{{.*}}0.000000e+00{{.*}}1.000000e+00{{.*}}> : tensor<2x1x1xf32>
// CHECK: %[[Y:.+]] = linalg.conv_2d_ngchw_gfchw {{.*}} ins(%{{.+}}, %[[W]] :
// CHECK: %[[C:.+]] = tensor.collapse_shape %[[Y]]
// CHECK: %[[R:.+]] = linalg.generic {{.*}} ins(%[[C]], %[[T]] :
// CHECK-NOT: arith.mulf
// CHECK: return %[[R]]
// CHECK: [[NAME]]: "0x040000000000004000008040"
func.func @grouped_resource(%x: tensor<1x2x1x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = arith.constant dense_resource<w> : tensor<2x1x1x1xf32>
  %s = arith.constant dense<[[[2.0]], [[4.0]]]> : tensor<2x1x1xf32>
  %t = arith.constant dense<[[[0.0]], [[1.0]]]> : tensor<2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e5 = tensor.empty() : tensor<1x2x1x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e5 : tensor<1x2x1x4x4xf32>) -> tensor<1x2x1x4x4xf32>
  %w5 = tensor.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [2, 1, 1, 1, 1] : tensor<2x1x1x1xf32> into tensor<2x1x1x1x1xf32>
  %y = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w5 : tensor<1x2x1x4x4xf32>, tensor<2x1x1x1x1xf32>) outs(%init : tensor<1x2x1x4x4xf32>) -> tensor<1x2x1x4x4xf32>
  %c = tensor.collapse_shape %y [[0], [1, 2], [3], [4]] : tensor<1x2x1x4x4xf32> into tensor<1x2x4x4xf32>
  %e = tensor.empty() : tensor<1x2x4x4xf32>
  %n = linalg.generic {indexing_maps = [#id, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %s, %t : tensor<1x2x4x4xf32>, tensor<2x1x1xf32>, tensor<2x1x1xf32>) outs(%e : tensor<1x2x4x4xf32>) {
  ^bb0(%v: f32, %a: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %a : f32
    %r = arith.addf %m, %b : f32
    linalg.yield %r : f32
  } -> tensor<1x2x4x4xf32>
  return %n : tensor<1x2x4x4xf32>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F0000803F"
    }
  }
#-}
