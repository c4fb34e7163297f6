// RUN: cambrian-opt %s --cambrian-x86-lower-to-kernels --split-input-file | FileCheck %s

// Global average pooling's sum: 2x3 planes of 4x5, added to the output.
// CHECK-LABEL: func.func @plane_sums
// CHECK-DAG: %[[PLANES:.+]] = arith.constant 6 : i64
// CHECK-DAG: %[[SIZE:.+]] = arith.constant 20 : i64
// CHECK: call @cmb_x86_plane_sums(%{{.+}}, %{{.+}}, %[[PLANES]], %[[SIZE]]) : (!llvm.ptr, !llvm.ptr, i64, i64) -> ()
// CHECK-NOT: linalg.generic
func.func @plane_sums(%x: memref<2x3x4x5xf32>, %y: memref<2x3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : memref<2x3x4x5xf32>) outs(%y : memref<2x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A reduction over a middle loop is not a plane's sum: it stays.
// CHECK-LABEL: func.func @middle_reduction
// CHECK: linalg.generic
// CHECK-NOT: call @cmb_x86_plane_sums
func.func @middle_reduction(%x: memref<2x3x4xf32>, %y: memref<2x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d2)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : memref<2x3x4xf32>) outs(%y : memref<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %out, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A maximum is not a sum: it stays.
// CHECK-LABEL: func.func @plane_max
// CHECK: linalg.generic
// CHECK-NOT: call @cmb_x86_plane_sums
func.func @plane_max(%x: memref<3x8xf32>, %y: memref<3xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<3x8xf32>) outs(%y : memref<3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Squeeze-and-excitation's scaling: a factor per channel (read through
// constant-zero indices), the map first or second.
// CHECK-LABEL: func.func @plane_scale
// CHECK-DAG: %[[PLANES:.+]] = arith.constant 3 : i64
// CHECK-DAG: %[[SIZE:.+]] = arith.constant 49 : i64
// The map-wide input is the kernel's x, the factor its s, then y.
// CHECK: memref.extract_strided_metadata %arg1
// CHECK: memref.extract_strided_metadata %arg0
// CHECK: memref.extract_strided_metadata %arg2
// CHECK: call @cmb_x86_plane_scale(%{{.+}}, %{{.+}}, %{{.+}}, %[[PLANES]], %[[SIZE]]) : (!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64) -> ()
// CHECK: memref.extract_strided_metadata %arg2
// CHECK: memref.extract_strided_metadata %arg0
// CHECK: memref.extract_strided_metadata %arg3
// CHECK: call @cmb_x86_plane_scale(%{{.+}}, %{{.+}}, %{{.+}}, %[[PLANES]], %[[SIZE]])
// CHECK-NOT: linalg.generic
func.func @plane_scale(%s: memref<1x3x1x1xf32>, %x: memref<1x3x7x7xf32>, %y: memref<1x3x7x7xf32>, %z: memref<1x3x7x7xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s, %x : memref<1x3x1x1xf32>, memref<1x3x7x7xf32>) outs(%y : memref<1x3x7x7xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  }
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%y, %s : memref<1x3x7x7xf32>, memref<1x3x1x1xf32>) outs(%z : memref<1x3x7x7xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %b, %a : f32
    linalg.yield %p : f32
  }
  return
}

// -----

// A factor that varies along a trailing loop (here per column) is not a
// plane's: it stays.
// CHECK-LABEL: func.func @column_scale
// CHECK: linalg.generic
// CHECK-NOT: call @cmb_x86_plane_scale
func.func @column_scale(%s: memref<1x7xf32>, %x: memref<3x7xf32>, %y: memref<3x7xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%s, %x : memref<1x7xf32>, memref<3x7xf32>) outs(%y : memref<3x7xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  }
  return
}

// -----

// The output a shifted view of the input's buffer: the kernel would read
// what it already wrote, so the generic stays.
// CHECK-LABEL: func.func @overlap
// CHECK: linalg.generic
// CHECK-NOT: call @cmb_x86_plane_scale
func.func @overlap(%s: memref<2x1xf32>, %buf: memref<3x8xf32>) {
  %x = memref.subview %buf[0, 0] [2, 8] [1, 1] : memref<3x8xf32> to memref<2x8xf32, strided<[8, 1]>>
  %y = memref.subview %buf[1, 0] [2, 8] [1, 1] : memref<3x8xf32> to memref<2x8xf32, strided<[8, 1], offset: 8>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%s, %x : memref<2x1xf32>, memref<2x8xf32, strided<[8, 1]>>) outs(%y : memref<2x8xf32, strided<[8, 1], offset: 8>>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  }
  return
}

// -----

// A factor tensor larger than one value per plane, read at index 0 of its
// trailing dimensions: the factors are not contiguous, so the generic stays.
// CHECK-LABEL: func.func @strided_factors
// CHECK: linalg.generic
// CHECK-NOT: call @cmb_x86_plane_scale
func.func @strided_factors(%s: memref<3x4xf32>, %x: memref<3x4xf32>, %y: memref<3x4xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, 0)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%s, %x : memref<3x4xf32>, memref<3x4xf32>) outs(%y : memref<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %out: f32):
    %p = arith.mulf %a, %b : f32
    linalg.yield %p : f32
  }
  return
}
