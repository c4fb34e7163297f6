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
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv(%x: memref<1x3x10x10xf32>, %w: memref<8x3x3x3xf32>, %y: memref<1x8x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x4x4xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
    ins(%x, %w : memref<1x3x10x10xf32>, memref<8x3x3x3xf32>) outs(%y : memref<1x8x4x4xf32>)
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

// A zero-filled buffer with the input copied into its middle, read only by
// the convolution, becomes the kernel's implicit padding: the call reads the
// input itself with H, W = 8 and padding top 1, left 1.
// CHECK: memref.global "private" constant @__cmb_conv_params_1_3_8_8_4_3_3_8_8_1_1_1_1_1_1_1_0_0
// CHECK-LABEL: func.func @padded
// CHECK-SAME: (%[[X:[^:]+]]: memref<1x3x8x8xf32>
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: memref.extract_strided_metadata %[[X]]
// CHECK: call @cmb_x86_conv2d
func.func @padded(%x: memref<1x3x8x8xf32>, %w: memref<4x3x3x3xf32>, %y: memref<1x4x8x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<1x3x10x10xf32>
  linalg.map outs(%p : memref<1x3x10x10xf32>)
    (%init: f32) {
      linalg.yield %zero : f32
    }
  %in = memref.subview %p[0, 0, 1, 1] [1, 3, 8, 8] [1, 1, 1, 1]
      : memref<1x3x10x10xf32> to memref<1x3x8x8xf32, strided<[300, 100, 10, 1], offset: 11>>
  memref.copy %x, %in : memref<1x3x8x8xf32> to memref<1x3x8x8xf32, strided<[300, 100, 10, 1], offset: 11>>
  linalg.fill ins(%zero : f32) outs(%y : memref<1x4x8x8xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p, %w : memref<1x3x10x10xf32>, memref<4x3x3x3xf32>) outs(%y : memref<1x4x8x8xf32>)
  return
}

// -----

// The padded buffer is also read by someone else: it stays.
// CHECK: memref.global "private" constant @__cmb_conv_params_1_3_10_10_4_3_3_8_8_1_1_1_1_0_0_1_0_0
// CHECK-LABEL: func.func @padded_shared
// CHECK: memref.copy
// CHECK: call @cmb_x86_conv2d
func.func @padded_shared(%x: memref<1x3x8x8xf32>, %w: memref<4x3x3x3xf32>, %y: memref<1x4x8x8xf32>, %z: memref<1x3x10x10xf32>) {
  %zero = arith.constant 0.0 : f32
  %p = memref.alloc() : memref<1x3x10x10xf32>
  linalg.fill ins(%zero : f32) outs(%p : memref<1x3x10x10xf32>)
  %in = memref.subview %p[0, 0, 1, 1] [1, 3, 8, 8] [1, 1, 1, 1]
      : memref<1x3x10x10xf32> to memref<1x3x8x8xf32, strided<[300, 100, 10, 1], offset: 11>>
  memref.copy %x, %in : memref<1x3x8x8xf32> to memref<1x3x8x8xf32, strided<[300, 100, 10, 1], offset: 11>>
  linalg.fill ins(%zero : f32) outs(%y : memref<1x4x8x8xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%p, %w : memref<1x3x10x10xf32>, memref<4x3x3x3xf32>) outs(%y : memref<1x4x8x8xf32>)
  memref.copy %p, %z : memref<1x3x10x10xf32> to memref<1x3x10x10xf32>
  return
}

// -----

// Bias and Clip(0, 6) applied in place after the conv, as two generics: both
// fold into the call (bias pointer, activation 2 = relu6).
// CHECK: memref.global "private" constant @__cmb_conv_params_1_4_6_6_8_1_1_6_6_1_1_1_1_0_0_1_0_2
// CHECK-LABEL: func.func @bias_relu6_in_place
// CHECK-SAME: %[[B:[^:]+]]: memref<8xf32>
// CHECK: %[[B3:.+]] = memref.expand_shape %[[B]]
// CHECK: memref.extract_strided_metadata %[[B3]]
// CHECK: call @cmb_x86_conv2d
// CHECK-NOT: linalg.generic
// CHECK: return
#id = affine_map<(n, f, h, w) -> (n, f, h, w)>
#ch = affine_map<(n, f, h, w) -> (f, 0, 0)>
#sc = affine_map<(n, f, h, w) -> ()>
memref.global "private" constant @zero : memref<f32> = dense<0.0>
memref.global "private" constant @six : memref<f32> = dense<6.0>
func.func @bias_relu6_in_place(%x: memref<1x4x6x6xf32>, %w: memref<8x4x1x1xf32>, %b: memref<8xf32>, %y: memref<1x8x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y : memref<1x8x6x6xf32>)
  %b3 = memref.expand_shape %b [[0, 1, 2]] output_shape [8, 1, 1] : memref<8xf32> into memref<8x1x1xf32>
  linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %b3 : memref<1x8x6x6xf32>, memref<8x1x1xf32>) outs(%y : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %bv: f32, %o: f32):
    %s = arith.addf %v, %bv : f32
    linalg.yield %s : f32
  }
  %lo = memref.get_global @zero : memref<f32>
  %hi = memref.get_global @six : memref<f32>
  linalg.generic {indexing_maps = [#id, #sc, #sc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %lo, %hi : memref<1x8x6x6xf32>, memref<f32>, memref<f32>) outs(%y : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %l: f32, %h: f32, %o: f32):
    %m = arith.maximumf %v, %l : f32
    %n = arith.minimumf %m, %h : f32
    linalg.yield %n : f32
  }
  return
}

// -----

// A fused bias + relu that writes a buffer of its own: the call writes that
// buffer directly and the conv's own buffer disappears.
// CHECK: memref.global "private" constant @__cmb_conv_params_1_4_6_6_8_1_1_6_6_1_1_1_1_0_0_1_0_1
// CHECK-LABEL: func.func @bias_relu_out_of_place
// CHECK-SAME: %[[Z:[^:]+]]: memref<1x8x6x6xf32>)
// CHECK-NOT: memref.alloc
// CHECK: memref.extract_strided_metadata %[[Z]]
// CHECK: call @cmb_x86_conv2d
// CHECK-NOT: linalg.generic
#id = affine_map<(n, f, h, w) -> (n, f, h, w)>
#ch = affine_map<(n, f, h, w) -> (f)>
func.func @bias_relu_out_of_place(%x: memref<1x4x6x6xf32>, %w: memref<8x4x1x1xf32>, %b: memref<8xf32>, %z: memref<1x8x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<1x8x6x6xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y : memref<1x8x6x6xf32>)
  linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %b : memref<1x8x6x6xf32>, memref<8xf32>) outs(%z : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %bv: f32, %o: f32):
    %s = arith.addf %bv, %v : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Not an epilogue: an exp body (no activation of the kernel's), and an
// accumulating conv, keep their generics.
// CHECK-LABEL: func.func @no_epilogue
// CHECK: call @cmb_x86_conv2d
// CHECK: linalg.generic
// CHECK: call @cmb_x86_conv2d
// CHECK: linalg.generic
#id = affine_map<(n, f, h, w) -> (n, f, h, w)>
func.func @no_epilogue(%x: memref<1x4x6x6xf32>, %w: memref<8x4x1x1xf32>, %y: memref<1x8x6x6xf32>, %y2: memref<1x8x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y : memref<1x8x6x6xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : memref<1x8x6x6xf32>) outs(%y : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %o: f32):
    %e = math.exp %v : f32
    linalg.yield %e : f32
  }
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y2 : memref<1x8x6x6xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y2 : memref<1x8x6x6xf32>) outs(%y2 : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// Bias + HardSwish as the importer writes it, fused: activation 5 with
// alpha = 1/6 and beta = 0.5 as float32 bits (0x3E2AAAAB, 0x3F000000).
// CHECK: memref.global "private" constant @__cmb_conv_params_1_4_6_6_8_1_1_6_6_1_1_1_1_0_0_1_0_5_1042983595_1056964608
// CHECK-LABEL: func.func @bias_hardswish
// CHECK: call @cmb_x86_conv2d
// CHECK-NOT: linalg.generic
// CHECK: return
#id = affine_map<(n, f, h, w) -> (n, f, h, w)>
#ch = affine_map<(n, f, h, w) -> (f)>
func.func @bias_hardswish(%x: memref<1x4x6x6xf32>, %w: memref<8x4x1x1xf32>, %b: memref<8xf32>, %y: memref<1x8x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %sixth = arith.constant 0.166666672 : f32
  %half = arith.constant 0.5 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y : memref<1x8x6x6xf32>)
  linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %b : memref<1x8x6x6xf32>, memref<8xf32>) outs(%y : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %bv: f32, %o: f32):
    %s = arith.addf %v, %bv : f32
    %m = arith.mulf %s, %sixth : f32
    %a = arith.addf %m, %half : f32
    %lo = arith.minimumf %a, %one : f32
    %h = arith.maximumf %lo, %zero : f32
    %r = arith.mulf %s, %h : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// x * sigmoid(x) (SiLU, activation 7) and torch's decomposed GELU
// x * (erf(x / sqrt 2) + 1) * 0.5 (activation 9) fuse; x * sigmoid(x) * 2
// and erf without the 1/sqrt(2) are not activations of the kernel's.
// CHECK-DAG: memref.global "private" constant @__cmb_conv_params_1_4_6_6_8_1_1_6_6_1_1_1_1_0_0_1_0_7_0_0
// CHECK-DAG: memref.global "private" constant @__cmb_conv_params_1_4_6_6_8_1_1_6_6_1_1_1_1_0_0_1_0_9_0_0
// CHECK-LABEL: func.func @silu_gelu
// CHECK: call @cmb_x86_conv2d
// CHECK-NOT: linalg.generic
// CHECK: call @cmb_x86_conv2d
// CHECK-NOT: linalg.generic
// CHECK: call @cmb_x86_conv2d
// CHECK-NEXT: linalg.generic
// CHECK: math.exp
// CHECK: call @cmb_x86_conv2d
// CHECK-NEXT: linalg.generic
// CHECK: math.erf
// CHECK: return
#id = affine_map<(n, f, h, w) -> (n, f, h, w)>
func.func @silu_gelu(%x: memref<1x4x6x6xf32>, %w: memref<8x4x1x1xf32>, %y1: memref<1x8x6x6xf32>, %y2: memref<1x8x6x6xf32>, %y3: memref<1x8x6x6xf32>, %y4: memref<1x8x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %two = arith.constant 2.0 : f32
  %half = arith.constant 0.5 : f32
  %sqrt2 = arith.constant 1.41421354 : f32
  linalg.fill ins(%zero : f32) outs(%y1 : memref<1x8x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y1 : memref<1x8x6x6xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y1 : memref<1x8x6x6xf32>) outs(%y1 : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %one, %d : f32
    %r = arith.mulf %v, %s : f32
    linalg.yield %r : f32
  }
  linalg.fill ins(%zero : f32) outs(%y2 : memref<1x8x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y2 : memref<1x8x6x6xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y2 : memref<1x8x6x6xf32>) outs(%y2 : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %o: f32):
    %q = arith.divf %v, %sqrt2 : f32
    %e = math.erf %q : f32
    %a = arith.addf %e, %one : f32
    %m = arith.mulf %v, %a : f32
    %r = arith.mulf %m, %half : f32
    linalg.yield %r : f32
  }
  linalg.fill ins(%zero : f32) outs(%y3 : memref<1x8x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y3 : memref<1x8x6x6xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y3 : memref<1x8x6x6xf32>) outs(%y3 : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    %e = math.exp %n : f32
    %d = arith.addf %e, %one : f32
    %s = arith.divf %one, %d : f32
    %p = arith.mulf %v, %s : f32
    %r = arith.mulf %p, %two : f32
    linalg.yield %r : f32
  }
  linalg.fill ins(%zero : f32) outs(%y4 : memref<1x8x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y4 : memref<1x8x6x6xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y4 : memref<1x8x6x6xf32>) outs(%y4 : memref<1x8x6x6xf32>) {
  ^bb0(%v: f32, %o: f32):
    %e = math.erf %v : f32
    %a = arith.addf %e, %one : f32
    %m = arith.mulf %v, %a : f32
    %r = arith.mulf %m, %half : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A residual block's epilogue, relu(y + bias + r) into a fresh buffer, with
// r dead afterwards: the call accumulates into r's buffer (accumulate = 1,
// relu), which replaces the fresh buffer from then on.
// CHECK: memref.global "private" constant @__cmb_conv_params_1_4_6_6_4_1_1_6_6_1_1_1_1_0_0_1_1_1
// CHECK-LABEL: func.func @residual
// CHECK: %[[R:.+]] = memref.alloc() : memref<1x4x6x6xf32>
// CHECK: linalg.copy ins(%{{.+}} : memref<1x4x6x6xf32>) outs(%[[R]] :
// CHECK-NOT: memref.alloc
// CHECK: memref.extract_strided_metadata %[[R]]
// CHECK: call @cmb_x86_conv2d
// CHECK-NOT: linalg.generic
// CHECK: linalg.copy ins(%[[R]] : memref<1x4x6x6xf32>) outs(%{{.+}} :
#id = affine_map<(n, f, h, w) -> (n, f, h, w)>
#ch = affine_map<(n, f, h, w) -> (f)>
func.func @residual(%in: memref<1x4x6x6xf32>, %x: memref<1x4x6x6xf32>, %w: memref<4x4x1x1xf32>, %b: memref<4xf32>, %out: memref<1x4x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %r = memref.alloc() : memref<1x4x6x6xf32>
  linalg.copy ins(%in : memref<1x4x6x6xf32>) outs(%r : memref<1x4x6x6xf32>)
  %y = memref.alloc() : memref<1x4x6x6xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<1x4x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<4x4x1x1xf32>) outs(%y : memref<1x4x6x6xf32>)
  %z = memref.alloc() : memref<1x4x6x6xf32>
  linalg.generic {indexing_maps = [#id, #ch, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %b, %r : memref<1x4x6x6xf32>, memref<4xf32>, memref<1x4x6x6xf32>) outs(%z : memref<1x4x6x6xf32>) {
  ^bb0(%v: f32, %bv: f32, %rv: f32, %o: f32):
    %s = arith.addf %v, %bv : f32
    %t = arith.addf %s, %rv : f32
    %u = arith.maximumf %t, %zero : f32
    linalg.yield %u : f32
  }
  linalg.copy ins(%z : memref<1x4x6x6xf32>) outs(%out : memref<1x4x6x6xf32>)
  return
}

// -----

// The residual is read again later: its buffer cannot take the result.
// CHECK-LABEL: func.func @residual_live
// CHECK: call @cmb_x86_conv2d
// CHECK: linalg.generic
#id = affine_map<(n, f, h, w) -> (n, f, h, w)>
func.func @residual_live(%in: memref<1x4x6x6xf32>, %x: memref<1x4x6x6xf32>, %w: memref<4x4x1x1xf32>, %out: memref<1x4x6x6xf32>, %out2: memref<1x4x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %r = memref.alloc() : memref<1x4x6x6xf32>
  linalg.copy ins(%in : memref<1x4x6x6xf32>) outs(%r : memref<1x4x6x6xf32>)
  %y = memref.alloc() : memref<1x4x6x6xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<1x4x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<4x4x1x1xf32>) outs(%y : memref<1x4x6x6xf32>)
  %z = memref.alloc() : memref<1x4x6x6xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %r : memref<1x4x6x6xf32>, memref<1x4x6x6xf32>) outs(%z : memref<1x4x6x6xf32>) {
  ^bb0(%v: f32, %rv: f32, %o: f32):
    %t = arith.addf %rv, %v : f32
    linalg.yield %t : f32
  }
  linalg.copy ins(%z : memref<1x4x6x6xf32>) outs(%out : memref<1x4x6x6xf32>)
  linalg.copy ins(%r : memref<1x4x6x6xf32>) outs(%out2 : memref<1x4x6x6xf32>)
  return
}

// -----

// A Concat input: the Relu writes into a slice of the concatenated buffer,
// and bufferization then copies that slice onto itself. The self-copy goes,
// and the convolution writes the slice directly with the Relu fused
// (activation 1 in the parameter block).
// CHECK: memref.global "private" constant @__cmb_conv_params_1_4_6_6_8_1_1_6_6_1_1_1_1_0_0_1_0_1_0_0
// CHECK-LABEL: func.func @into_concat_slice
// CHECK: %[[S:.+]] = memref.subview %{{.+}}[0, 8, 0, 0] [1, 8, 6, 6] [1, 1, 1, 1]
// CHECK: memref.extract_strided_metadata %[[S]]
// CHECK: call @cmb_x86_conv2d
// CHECK-NOT: linalg.generic
// CHECK-NOT: memref.copy
func.func @into_concat_slice(%x: memref<1x4x6x6xf32>, %w: memref<8x4x1x1xf32>, %out: memref<1x16x6x6xf32>) {
  %zero = arith.constant 0.0 : f32
  %y = memref.alloc() : memref<1x8x6x6xf32>
  linalg.fill ins(%zero : f32) outs(%y : memref<1x8x6x6xf32>)
  linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
    ins(%x, %w : memref<1x4x6x6xf32>, memref<8x4x1x1xf32>) outs(%y : memref<1x8x6x6xf32>)
  %s = memref.subview %out[0, 8, 0, 0] [1, 8, 6, 6] [1, 1, 1, 1] : memref<1x16x6x6xf32> to memref<1x8x6x6xf32, strided<[576, 36, 6, 1], offset: 288>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y : memref<1x8x6x6xf32>) outs(%s : memref<1x8x6x6xf32, strided<[576, 36, 6, 1], offset: 288>>) {
  ^bb0(%in: f32, %o: f32):
    %r = arith.maximumf %in, %zero : f32
    linalg.yield %r : f32
  }
  %s2 = memref.subview %out[0, 8, 0, 0] [1, 8, 6, 6] [1, 1, 1, 1] : memref<1x16x6x6xf32> to memref<1x8x6x6xf32, strided<[576, 36, 6, 1], offset: 288>>
  memref.copy %s, %s2 : memref<1x8x6x6xf32, strided<[576, 36, 6, 1], offset: 288>> to memref<1x8x6x6xf32, strided<[576, 36, 6, 1], offset: 288>>
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
