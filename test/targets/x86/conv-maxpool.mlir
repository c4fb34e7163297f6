// RUN: cambrian-opt %s --cambrian-x86-lower-to-kernels --split-input-file | FileCheck %s
// RUN: cambrian-opt %s --cambrian-x86-lower-to-kernels="conv-pool=false" --split-input-file | FileCheck %s --check-prefix=APART

// A convolution whose output only a max pooling reads, as bufferization
// leaves ResNet's stem: the convolution (padding 3, bias and ReLU) into a
// new buffer, the pooling (padding 1). One fused call in the pooling's
// place takes both parameter blocks; the convolution's buffer is gone.
// CHECK-DAG: memref.global "private" constant @__cmb_conv_params_1_3_32_32_8_7_7_16_16_2_2_1_1_3_3_1_0_1_0_0
// CHECK-DAG: memref.global "private" constant @__cmb_pool_params_8_16_16_8_8_3_3_2_2_1_1_0_1_1
// CHECK-LABEL: func.func @stem
// CHECK-NOT: memref<1x3x38x38xf32>
// CHECK-NOT: memref<1x8x16x16xf32>
// CHECK-NOT: memref<1x8x18x18xf32>
// CHECK-NOT: linalg.
// CHECK-NOT: memref.copy
// CHECK-NOT: x86kernel
// CHECK: call @cmb_x86_conv2d_maxpool(%{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-NOT: call
// CHECK: return
// APART-LABEL: func.func @stem
// APART: call @cmb_x86_conv2d(
// APART: call @cmb_x86_maxpool2d(
// APART-NOT: cmb_x86_conv2d_maxpool
func.func @stem(%x: memref<1x3x32x32xf32>, %w: memref<8x3x7x7xf32>, %b: memref<8xf32>, %y: memref<1x8x8x8xf32>) {
  %r = memref.alloc() : memref<1x8x16x16xf32>
  x86kernel.conv2d %x, %w bias %b into %r {dilations = array<i64: 1, 1>, padding = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                                           activation = #cambrian.activation<relu>}
    : (memref<1x3x32x32xf32>, memref<8x3x7x7xf32>, memref<8xf32>, memref<1x8x16x16xf32>) -> ()
  x86kernel.max_pool2d %r into %y {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                                   dilations = array<i64: 1, 1>, padding = array<i64: 1, 1>}
    : (memref<1x8x16x16xf32>, memref<1x8x8x8xf32>) -> ()
  return
}

// -----

// Without padding. Still fused.
// CHECK-DAG: memref.global "private" constant @__cmb_pool_params_4_9_9_4_4_3_3_2_2_1_1_0_0_0
// CHECK-LABEL: func.func @unpadded
// CHECK-NOT: linalg.
// CHECK: call @cmb_x86_conv2d_maxpool
// CHECK-NOT: call
// APART-LABEL: func.func @unpadded
// APART: call @cmb_x86_conv2d(
// APART: call @cmb_x86_maxpool2d(
func.func @unpadded(%x: memref<1x2x11x11xf32>, %w: memref<4x2x3x3xf32>, %y: memref<1x4x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<1x4x9x9xf32>
  x86kernel.conv2d %x, %w into %c {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x2x11x11xf32>, memref<4x2x3x3xf32>, memref<1x4x9x9xf32>) -> ()
  x86kernel.max_pool2d %c into %y {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                                   dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>}
    : (memref<1x4x9x9xf32>, memref<1x4x4x4xf32>) -> ()
  return
}

// -----

// Not fused: the convolution's output has another reader (%z), or the
// convolution is 1x1 stride 1 (its input is read in place, not in bands),
// or it accumulates into a buffer that already holds values.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: cmb_x86_conv2d_maxpool
// CHECK: call @cmb_x86_conv2d(
// CHECK: call @cmb_x86_maxpool2d(
// CHECK: call @cmb_x86_conv2d(
// CHECK: call @cmb_x86_maxpool2d(
// CHECK: call @cmb_x86_conv2d(
// CHECK: call @cmb_x86_maxpool2d(
// CHECK-NOT: cmb_x86_conv2d_maxpool
func.func @not_fused(%x: memref<1x2x11x11xf32>, %w: memref<4x2x3x3xf32>, %w1: memref<4x2x1x1xf32>,
                     %y: memref<1x4x4x4xf32>, %z: memref<1x4x9x9xf32>, %y1: memref<1x4x5x5xf32>,
                     %acc: memref<1x4x9x9xf32>, %y2: memref<1x4x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<1x4x9x9xf32>
  x86kernel.conv2d %x, %w into %c {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x2x11x11xf32>, memref<4x2x3x3xf32>, memref<1x4x9x9xf32>) -> ()
  x86kernel.max_pool2d %c into %y {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                                   dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>}
    : (memref<1x4x9x9xf32>, memref<1x4x4x4xf32>) -> ()
  memref.copy %c, %z : memref<1x4x9x9xf32> to memref<1x4x9x9xf32>

  %c1 = memref.alloc() : memref<1x4x11x11xf32>
  x86kernel.conv2d %x, %w1 into %c1 {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>}
    : (memref<1x2x11x11xf32>, memref<4x2x1x1xf32>, memref<1x4x11x11xf32>) -> ()
  x86kernel.max_pool2d %c1 into %y1 {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                                   dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>}
    : (memref<1x4x11x11xf32>, memref<1x4x5x5xf32>) -> ()

  x86kernel.conv2d %x, %w into %acc {dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>, accumulate}

    : (memref<1x2x11x11xf32>, memref<4x2x3x3xf32>, memref<1x4x9x9xf32>) -> ()
  x86kernel.max_pool2d %acc into %y2 {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>,
                                   dilations = array<i64: 1, 1>, padding = array<i64: 0, 0>}
    : (memref<1x4x9x9xf32>, memref<1x4x4x4xf32>) -> ()
  return
}
