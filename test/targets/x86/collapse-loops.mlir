// RUN: cambrian-opt %s --cambrian-x86-collapse-loops --split-input-file | FileCheck %s

// A per-channel broadcast over NCHW: the unit dims of the scale go first,
// then (n, c) and (h, w) merge into one loop each.
// CHECK-LABEL: func.func @broadcast_mul
// CHECK-DAG: memref.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : memref<8x1x1xf32> into memref<8xf32>
// CHECK-DAG: %[[X:.+]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1, 2]] : memref<8x7x7xf32> into memref<8x49xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[X]], %{{.*}} : memref<8x49xf32>, memref<8xf32>)
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#bc = affine_map<(n, c, h, w) -> (c, 0, 0)>
func.func @broadcast_mul(%x: memref<1x8x7x7xf32>, %s: memref<8x1x1xf32>, %y: memref<1x8x7x7xf32>) {
  linalg.generic {indexing_maps = [#id, #bc, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s : memref<1x8x7x7xf32>, memref<8x1x1xf32>) outs(%y : memref<1x8x7x7xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Global average pooling's sum: one reduction loop of 49 per channel.
// CHECK-LABEL: func.func @global_sum
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}} : memref<8x49xf32>) outs(%{{.*}} : memref<8xf32>)
#id = affine_map<(n, c, h, w) -> (n, c, h, w)>
#red = affine_map<(n, c, h, w) -> (n, c, 0, 0)>
func.func @global_sum(%x: memref<1x8x7x7xf32>, %y: memref<1x8x1x1xf32>) {
  linalg.generic {indexing_maps = [#id, #red], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x : memref<1x8x7x7xf32>) outs(%y : memref<1x8x1x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.addf %a, %o : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// A strided view cannot be merged, and a transposed read keeps its loops
// apart: neither generic changes.
// CHECK-LABEL: func.func @not_contiguous
// CHECK-NOT: memref.collapse_shape
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel"]
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
#id3 = affine_map<(a, b, c) -> (a, b, c)>
#id2 = affine_map<(a, b) -> (a, b)>
#tr = affine_map<(a, b) -> (b, a)>
func.func @not_contiguous(%x: memref<4x6x8xf32, strided<[96, 16, 1]>>, %y: memref<4x6x8xf32>, %p: memref<6x4xf32>, %q: memref<4x6xf32>) {
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<4x6x8xf32, strided<[96, 16, 1]>>) outs(%y : memref<4x6x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#tr, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%p : memref<6x4xf32>) outs(%q : memref<4x6xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// A pooling window whose output is 1x1: its maps read d2 * 3 + d4, so no
// unit loop is dropped (that would leave d4 reading the whole 4-wide input)
// and the windows' loops are not merged.
// CHECK-LABEL: func.func @window_one_output
// CHECK-NOT: memref.collapse_shape
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]
#in = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh * 3 + kh, ow * 3 + kw)>
#taps = affine_map<(n, c, oh, ow, kh, kw) -> (kh, kw)>
#out = affine_map<(n, c, oh, ow, kh, kw) -> (n, c, oh, ow)>
func.func @window_one_output(%x: memref<1x3x4x4xf32>, %t: memref<3x3xf32>, %y: memref<1x3x1x1xf32>) {
  linalg.generic {indexing_maps = [#in, #taps, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %t : memref<1x3x4x4xf32>, memref<3x3xf32>) outs(%y : memref<1x3x1x1xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %o, %a : f32
    linalg.yield %s : f32
  }
  return
}
