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

// CHECK: memref.global "private" constant @__cmb_conv_params_1_3_10_10_8_3_3_4_4_2_2_1_1_0_0_1_0_0_0_0 : memref<20xi64>
// CHECK-LABEL: func.func @conv
// CHECK: call @cmb_x86_conv2d
// CHECK-NOT: x86kernel.conv2d
func.func @conv(%x: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  x86kernel.conv2d %x, %w into %y {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 2, 2>}
    : (memref<1x3x10x10xf32>, memref<8x3x3x3xf32>, memref<1x8x4x4xf32>) -> ()
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

// -----

// x86kernel.conv2d carries its padding and epilogue into the parameter
// block: H, W = 8 with padding top 1, left 1, then groups 1, accumulate 0,
// activation 2 (Clip(0, 6)) and the bias pointer.
// CHECK: memref.global "private" constant @__cmb_conv_params_1_3_8_8_4_3_3_8_8_1_1_1_1_1_1_1_0_2_0_0
// CHECK-LABEL: func.func @conv_padded_bias_relu6
// CHECK-SAME: (%[[X:[^:]+]]: memref<1x3x8x8xf32>
// CHECK: call @cmb_x86_conv2d(
// CHECK-NOT: x86kernel
func.func @conv_padded_bias_relu6(%x: memref<1x3x8x8xf32>, %w: memref<4x3x3x3xf32>, %b: memref<4xf32>, %y: memref<1x4x8x8xf32>) {
  x86kernel.conv2d %x, %w bias %b into %y {dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>, strides = array<i64: 1, 1>,
                                           activation = #cambrian.activation<clip, alpha = 0.0, beta = 6.0>}
    : (memref<1x3x8x8xf32>, memref<4x3x3x3xf32>, memref<4xf32>, memref<1x4x8x8xf32>) -> ()
  return
}

// -----

// A residual is the destination, accumulated into (accumulate 1), then
// HardSwish (5, with alpha 1/6 and beta 1/2 as float bits).
// CHECK: memref.global "private" constant @__cmb_conv_params_1_4_6_6_4_1_1_6_6_1_1_1_1_0_0_1_1_5_1042983595_1056964608
// CHECK-LABEL: func.func @conv_residual_hardswish
// CHECK: call @cmb_x86_conv2d(
func.func @conv_residual_hardswish(%x: memref<1x4x6x6xf32>, %w: memref<4x4x1x1xf32>, %r: memref<1x4x6x6xf32>) {
  x86kernel.conv2d %x, %w into %r {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>,
                                   accumulate, activation = #cambrian.activation<hard_swish>}
    : (memref<1x4x6x6xf32>, memref<4x4x1x1xf32>, memref<1x4x6x6xf32>) -> ()
  return
}

// -----

// An input the kernel cannot address (a spatial window of a larger map)
// goes through a dense copy.
// CHECK-LABEL: func.func @conv_strided_input
// CHECK: %[[D:.+]] = memref.alloc() {{.*}}: memref<1x2x4x4xf32>
// CHECK: memref.copy %{{.+}}, %[[D]]
// CHECK: call @cmb_x86_conv2d(
func.func @conv_strided_input(%x: memref<1x2x8x8xf32>, %w: memref<4x2x1x1xf32>, %y: memref<1x4x4x4xf32>) {
  %v = memref.subview %x[0, 0, 2, 2] [1, 2, 4, 4] [1, 1, 1, 1] : memref<1x2x8x8xf32> to memref<1x2x4x4xf32, strided<[128, 64, 8, 1], offset: 18>>
  x86kernel.conv2d %v, %w into %y {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x2x4x4xf32, strided<[128, 64, 8, 1], offset: 18>>, memref<4x2x1x1xf32>, memref<1x4x4x4xf32>) -> ()
  return
}

// -----

// A depthwise convolution (groups = C = F) is one call with its groups;
// a 1-D convolution comes as a 2-D one of unit height.
// CHECK-DAG: memref.global "private" constant @__cmb_conv_params_1_8_1_16_8_1_3_1_16_1_1_1_1_0_1_1_0_0_0_0
// CHECK-DAG: memref.global "private" constant @__cmb_conv_params_1_8_6_6_8_3_3_6_6_1_1_1_1_1_1_8_0_7_0_0
// CHECK-LABEL: func.func @depthwise_and_1d
// CHECK: call @cmb_x86_conv2d(
// CHECK: call @cmb_x86_conv2d(
func.func @depthwise_and_1d(%x: memref<1x8x6x6xf32>, %w: memref<8x1x3x3xf32>, %y: memref<1x8x6x6xf32>,
                            %s: memref<1x8x1x16xf32>, %v: memref<8x8x1x3xf32>, %t: memref<1x8x1x16xf32>) {
  x86kernel.conv2d %x, %w into %y {dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>, strides = array<i64: 1, 1>,
                                   groups = 8 : i64, activation = #cambrian.activation<silu>}
    : (memref<1x8x6x6xf32>, memref<8x1x3x3xf32>, memref<1x8x6x6xf32>) -> ()
  x86kernel.conv2d %s, %v into %t {dilations = array<i64: 1, 1>, padding = array<i64: 0, 1>, strides = array<i64: 1, 1>}
    : (memref<1x8x1x16xf32>, memref<8x8x1x3xf32>, memref<1x8x1x16xf32>) -> ()
  return
}

// -----

// Copies between different slices, or through memref.view (whose type
// does not say where it starts), stay.
// CHECK-LABEL: func.func @not_self_copies
// CHECK-COUNT-2: memref.copy
func.func @not_self_copies(%out: memref<1x16x6x6xf32>, %raw: memref<2048xi8>) {
  %a = memref.subview %out[0, 0, 0, 0] [1, 8, 6, 6] [1, 1, 1, 1] : memref<1x16x6x6xf32> to memref<1x8x6x6xf32, strided<[576, 36, 6, 1]>>
  %b = memref.subview %out[0, 8, 0, 0] [1, 8, 6, 6] [1, 1, 1, 1] : memref<1x16x6x6xf32> to memref<1x8x6x6xf32, strided<[576, 36, 6, 1], offset: 288>>
  memref.copy %a, %b : memref<1x8x6x6xf32, strided<[576, 36, 6, 1]>> to memref<1x8x6x6xf32, strided<[576, 36, 6, 1], offset: 288>>
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %v0 = memref.view %raw[%c0][] : memref<2048xi8> to memref<16xf32>
  %v1 = memref.view %raw[%c64][] : memref<2048xi8> to memref<16xf32>
  memref.copy %v0, %v1 : memref<16xf32> to memref<16xf32>
  return
}

// -----

// x86kernel.max_pool2d (stride 2, 3x3 window) calls the pooling kernel,
// which overwrites its output (accumulate 0).
// CHECK: memref.global "private" constant @__cmb_pool_params_64_111_111_55_55_3_3_2_2_1_1_0_0_0 : memref<14xi64>
// CHECK-LABEL: func.func @maxpool
// CHECK: call @cmb_x86_maxpool2d
// CHECK-NOT: x86kernel.max_pool2d
func.func @maxpool(%x: memref<1x64x111x111xf32>, %y: memref<1x64x55x55xf32>) {
  x86kernel.max_pool2d %x into %y {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                                   dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>}
    : (memref<1x64x111x111xf32>, memref<1x64x55x55xf32>) -> ()
  return
}

// -----

// Dilation 2, and an input with another layout (a slice of a
// concatenation) read through a dense copy.
// CHECK: memref.global "private" constant @__cmb_pool_params_2_9_9_5_5_2_2_1_1_2_2_0_0_0 : memref<14xi64>
// CHECK-LABEL: func.func @maxpool_dilated
// CHECK: %[[TMP:.+]] = memref.alloc() : memref<2x1x9x9xf32>
// CHECK: memref.copy %{{.+}}, %[[TMP]]
// CHECK: call @cmb_x86_maxpool2d
func.func @maxpool_dilated(%x: memref<2x1x9x9xf32, strided<[162, 81, 9, 1]>>, %y: memref<2x1x5x5xf32>) {
  x86kernel.max_pool2d %x into %y {kernel = array<i64: 2, 2>, strides = array<i64: 1, 1>,
                                   dilations = array<i64: 2, 2>, padding = array<i64: 0, 0>}
    : (memref<2x1x9x9xf32, strided<[162, 81, 9, 1]>>, memref<2x1x5x5xf32>) -> ()
  return
}

// -----

// In a module whose constants exceed the caches (32 MiB), a matmul reading
// weights gets CMB_SGEMM_STREAM_B (flags 2): they come from memory every
// inference, so the kernel reads them in sequential runs. (With 4 rows the
// weights stay row-major; more rows get them packed, gemm-packed-weights.mlir.)
// CHECK-LABEL: func.func @streamed_weights
// CHECK-DAG: %[[FLAGS:.+]] = arith.constant 2 : i64
// CHECK: call @cmb_x86_sgemm({{.*}}, %[[FLAGS]])
memref.global "private" constant @big : memref<8388609xf32> = dense<0.0>
memref.global "private" constant @weights : memref<64x32xf32> = dense<1.0>
func.func @streamed_weights(%a: memref<4x64xf32>, %c: memref<4x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %b = memref.get_global @weights : memref<64x32xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<4x32xf32>)
  linalg.matmul ins(%a, %b : memref<4x64xf32>, memref<64x32xf32>) outs(%c : memref<4x32xf32>)
  return
}

// -----

// The same weights in a small model stay in cache: no flag.
// CHECK-LABEL: func.func @cached_weights
// CHECK-DAG: %[[FLAGS:.+]] = arith.constant 0 : i64
// CHECK: call @cmb_x86_sgemm({{.*}}, %[[FLAGS]])
memref.global "private" constant @weights : memref<64x32xf32> = dense<1.0>
func.func @cached_weights(%a: memref<4x64xf32>, %c: memref<4x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %b = memref.get_global @weights : memref<64x32xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<4x32xf32>)
  linalg.matmul ins(%a, %b : memref<4x64xf32>, memref<64x32xf32>) outs(%c : memref<4x32xf32>)
  return
}

// -----

// x86kernel.matmul carries its epilogue: the bias pointer and the
// activation (9, GELU) go to cmb_x86_sgemm_epilogue, which overwrites C
// (flags 0).
// CHECK-LABEL: func.func @kernel_matmul_bias_gelu
// CHECK-DAG: %[[ACT:.+]] = arith.constant 9 : i64
// CHECK-DAG: %[[FLAGS:.+]] = arith.constant 0 : i64
// CHECK: call @cmb_x86_sgemm_epilogue({{.*}}, %[[FLAGS]], %{{.+}}, %[[ACT]], %{{.+}}, %{{.+}})
// CHECK-NOT: x86kernel.matmul
func.func @kernel_matmul_bias_gelu(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %bias: memref<32xf32>, %c: memref<8x32xf32>) {
  x86kernel.matmul %a, %b bias %bias into %c {activation = #cambrian.activation<gelu_erf>}
    : (memref<8x16xf32>, memref<16x32xf32>, memref<32xf32>, memref<8x32xf32>) -> ()
  return
}

// -----

// A residual is the destination, accumulated into (flags 1); without a
// bias or activation the plain GEMM does it.
// CHECK-LABEL: func.func @kernel_matmul_residual
// CHECK: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK: call @cmb_x86_sgemm({{.*}}, %[[ONE]]) :
func.func @kernel_matmul_residual(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %r: memref<8x32xf32>) {
  x86kernel.matmul %a, %b into %r {accumulate}
    : (memref<8x16xf32>, memref<16x32xf32>, memref<8x32xf32>) -> ()
  return
}

// -----

// A batched kernel matmul: batch strides 64 (A), 128 (B) and 32 (C), a
// residual and Relu (1).
// CHECK-LABEL: func.func @kernel_matmul_batched
// CHECK-DAG: %[[S32:.+]] = arith.constant 32 : i64
// CHECK-DAG: %[[S8:.+]] = arith.constant 8 : i64
// CHECK-DAG: %[[ONE:.+]] = arith.constant 1 : i64
// CHECK: call @cmb_x86_sgemm_epilogue({{.*}}, %[[S32]], %[[S8]], %[[ONE]], %{{.+}}, %[[ONE]], %{{.+}}, %{{.+}})
func.func @kernel_matmul_batched(%a: memref<2x4x16xf32>, %b: memref<2x16x8xf32>, %bias: memref<8xf32>, %r: memref<2x4x8xf32>) {
  x86kernel.matmul %a, %b bias %bias into %r {accumulate, activation = #cambrian.activation<relu>}
    : (memref<2x4x16xf32>, memref<2x16x8xf32>, memref<8xf32>, memref<2x4x8xf32>) -> ()
  return
}

// -----

// A linalg matmul (one the target did not map) is a plain GEMM: nothing
// after it is folded in, the elementwise generic stays.
// CHECK-LABEL: func.func @linalg_matmul_then_bias
// CHECK: call @cmb_x86_sgemm(
// CHECK: linalg.generic
func.func @linalg_matmul_then_bias(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %bias: memref<32xf32>) -> memref<8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<8x32xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<8x32xf32>)
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  %y = memref.alloc() : memref<8x32xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias, %c : memref<32xf32>, memref<8x32xf32>) outs(%y : memref<8x32xf32>) {
  ^bb0(%bi: f32, %v: f32, %o: f32):
    %s = arith.addf %bi, %v : f32
    linalg.yield %s : f32
  }
  return %y : memref<8x32xf32>
}

// -----

// f64 has no kernel: the matmul stays, and so does the fill it starts from.
// CHECK-LABEL: func.func @f64_matmul
// CHECK: linalg.fill
// CHECK: linalg.matmul
// CHECK-NOT: call
func.func @f64_matmul(%a: memref<4x8xf64>, %b: memref<8x16xf64>, %c: memref<4x16xf64>) {
  %zero = arith.constant 0.0 : f64
  linalg.fill ins(%zero : f64) outs(%c : memref<4x16xf64>)
  linalg.matmul ins(%a, %b : memref<4x8xf64>, memref<8x16xf64>) outs(%c : memref<4x16xf64>)
  return
}

// -----

// With pads the kernel reads the input itself with padding top 1, left 1
// (the last two parameters): no padded copy exists.
// CHECK: memref.global "private" constant @__cmb_pool_params_8_16_16_8_8_3_3_2_2_1_1_0_1_1 : memref<14xi64>
// CHECK-LABEL: func.func @maxpool_padded
// CHECK-NOT: memref.alloc
// CHECK: call @cmb_x86_maxpool2d
func.func @maxpool_padded(%x: memref<1x8x16x16xf32>, %y: memref<1x8x8x8xf32>) {
  x86kernel.max_pool2d %x into %y {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                                   dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>}
    : (memref<1x8x16x16xf32>, memref<1x8x8x8xf32>) -> ()
  return
}

// -----

// x86kernel.softmax (cambrian.softmax mapped by cambrian-x86-map-to-kernels,
// bufferized) is one kernel call over 2*3 rows of 5.
// CHECK-LABEL: func.func @softmax
// CHECK-DAG: %[[ROWS:.+]] = arith.constant 6 : i64
// CHECK-DAG: %[[COLS:.+]] = arith.constant 5 : i64
// CHECK: call @cmb_x86_softmax(%{{.+}}, %{{.+}}, %[[ROWS]], %[[COLS]])
// CHECK-NOT: x86kernel.softmax
// CHECK-NOT: memref.alloc
func.func @softmax(%x: memref<2x3x5xf32>, %y: memref<2x3x5xf32>) {
  x86kernel.softmax %x into %y : (memref<2x3x5xf32>, memref<2x3x5xf32>) -> ()
  return
}

// -----

// A strided output (a slice of a concatenation) is written through a dense
// buffer and copied into place after the call.
// CHECK-LABEL: func.func @softmax_strided_output
// CHECK: %[[TMP:.+]] = memref.alloc() : memref<4x8xf32>
// CHECK: call @cmb_x86_softmax
// CHECK: memref.copy %[[TMP]], %{{.+}} : memref<4x8xf32> to memref<4x8xf32, strided<[16, 1]>>
func.func @softmax_strided_output(%x: memref<4x8xf32>, %y: memref<4x8xf32, strided<[16, 1]>>) {
  x86kernel.softmax %x into %y : (memref<4x8xf32>, memref<4x8xf32, strided<[16, 1]>>) -> ()
  return
}

// -----

// A softmax written as loops is never recognised (x86 maps cambrian.softmax
// before bufferization): only its row sums become a plane-sum call.
// CHECK-LABEL: func.func @softmax_shared_exp
// CHECK-NOT: cmb_x86_softmax
// CHECK-COUNT-2: linalg.generic
// CHECK: call @cmb_x86_plane_sums
// CHECK-NOT: cmb_x86_softmax
// CHECK: linalg.generic
func.func @softmax_shared_exp(%x: memref<4x8xf32>, %y: memref<4x8xf32>, %z: memref<4x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %m = memref.alloc() : memref<4xf32>
  linalg.fill ins(%ninf : f32) outs(%m : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x8xf32>) outs(%m : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.maximumf %out, %in : f32
    linalg.yield %r : f32
  }
  %e = memref.alloc() : memref<4x8xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : memref<4x8xf32>, memref<4xf32>) outs(%e : memref<4x8xf32>) {
  ^bb0(%in: f32, %mx: f32, %out: f32):
    %d = arith.subf %in, %mx : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  }
  %s = memref.alloc() : memref<4xf32>
  linalg.fill ins(%zero : f32) outs(%s : memref<4xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%e : memref<4x8xf32>) outs(%s : memref<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %out, %in : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%e, %s : memref<4x8xf32>, memref<4xf32>) outs(%y : memref<4x8xf32>) {
  ^bb0(%in: f32, %sm: f32, %out: f32):
    %r = arith.divf %in, %sm : f32
    linalg.yield %r : f32
  }
  memref.copy %e, %z : memref<4x8xf32> to memref<4x8xf32>
  return
}

// -----

// A transpose of dense buffers (attention's K^T, read through the reshape
// that splits the heads) is one threaded kernel call with its shape and
// permutation in a parameter block: rank 4, shape 1x8x2x4, perm 0,2,3,1.
// CHECK: memref.global "private" constant @__cmb_transpose_params_4_1_8_2_4_0_2_3_1 : memref<9xi64>
// CHECK-LABEL: func.func @transpose
// CHECK: call @cmb_x86_transpose
// CHECK-NOT: linalg.transpose
func.func @transpose(%x: memref<1x8x8xf32>, %y: memref<1x2x4x8xf32>) {
  %e = memref.expand_shape %x [[0], [1], [2, 3]] output_shape [1, 8, 2, 4] : memref<1x8x8xf32> into memref<1x8x2x4xf32>
  linalg.transpose ins(%e : memref<1x8x2x4xf32>) outs(%y : memref<1x2x4x8xf32>) permutation = [0, 2, 3, 1]
  return
}

// -----

// A strided view cannot be addressed densely: the transpose stays.
// CHECK-LABEL: func.func @transpose_strided
// CHECK: linalg.transpose
// CHECK-NOT: cmb_x86_transpose
func.func @transpose_strided(%x: memref<4x8xf32, strided<[16, 1]>>, %y: memref<8x4xf32>) {
  linalg.transpose ins(%x : memref<4x8xf32, strided<[16, 1]>>) outs(%y : memref<8x4xf32>) permutation = [1, 0]
  return
}

// -----

// x86kernel.layer_norm is one kernel call over 4 rows of 8 with epsilon
// 1e-5 (bits 925353388); no bias is a null pointer.
// CHECK-LABEL: func.func @layernorm
// CHECK-DAG: %[[NULL:.+]] = llvm.mlir.zero : !llvm.ptr
// CHECK-DAG: %[[ROWS:.+]] = arith.constant 4 : i64
// CHECK-DAG: %[[COLS:.+]] = arith.constant 8 : i64
// CHECK-DAG: %[[EPS:.+]] = arith.constant 925353388 : i64
// CHECK: call @cmb_x86_layernorm(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[ROWS]], %[[COLS]], %[[EPS]])
// CHECK: call @cmb_x86_layernorm(%{{.+}}, %{{.+}}, %[[NULL]], %{{.+}}, %[[ROWS]], %[[COLS]], %[[EPS]])
// CHECK-NOT: x86kernel.layer_norm
func.func @layernorm(%x: memref<4x8xf32>, %g: memref<8xf32>, %b: memref<8xf32>, %y: memref<4x8xf32>, %z: memref<4x8xf32>) {
  x86kernel.layer_norm %x, %g bias %b into %y {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (memref<4x8xf32>, memref<8xf32>, memref<8xf32>, memref<4x8xf32>) -> ()
  x86kernel.layer_norm %x, %g into %z {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (memref<4x8xf32>, memref<8xf32>, memref<4x8xf32>) -> ()
  return
}

// -----

// Normalized over the trailing 2x4 of a 3x2x4 input: 3 rows of 8, the scale
// read densely whatever its shape.
// CHECK-LABEL: func.func @layernorm_trailing
// CHECK-DAG: %[[ROWS:.+]] = arith.constant 3 : i64
// CHECK-DAG: %[[COLS:.+]] = arith.constant 8 : i64
// CHECK: call @cmb_x86_layernorm(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %[[ROWS]], %[[COLS]], %{{.+}})
func.func @layernorm_trailing(%x: memref<3x2x4xf32>, %g: memref<2x4xf32>, %y: memref<3x2x4xf32>) {
  x86kernel.layer_norm %x, %g into %y {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (memref<3x2x4xf32>, memref<2x4xf32>, memref<3x2x4xf32>) -> ()
  return
}
