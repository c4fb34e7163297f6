// RUN: cambrian-opt %s --cambrian-x86-parallelize-loops --split-input-file | FileCheck %s
// RUN: cambrian-opt %s --cambrian-x86-parallelize-loops=min-work=1000000 --split-input-file | FileCheck %s --check-prefix=LARGE

// With a threshold above every nest here, nothing is split.
// LARGE-NOT: cmb_parallel_for
// LARGE: func.func @tiled_layout

// An elementwise op over 1x96x1024: split along the 96 channels (the batch
// loop has one iteration) into min(threads, 96) tasks. The context holds the
// task count, both buffers' descriptors and the captured scalar; the
// constant is recreated in the task, which slices both buffers to its
// channels [96 * t / n, 96 * (t + 1) / n).
// CHECK-LABEL: func.func @scale(
// CHECK-SAME: %[[X:[^:]+]]: memref<1x96x1024xf32>, %[[Y:[^:]+]]: memref<1x96x1024xf32>, %[[S:[^:]+]]: f32)
// CHECK: %[[CTX:.+]] = llvm.alloca %{{.+}} x !llvm.array<20 x i64>
// CHECK: %[[P:.+]] = call @cmb_pool_size() : () -> i32
// CHECK: %[[P64:.+]] = arith.extsi %[[P]]
// CHECK: %[[N:.+]] = arith.minsi %[[P64]], %{{.+}} : i64
// CHECK: %[[F0:.+]] = llvm.getelementptr %[[CTX]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(i64, struct<(ptr, ptr, i64, array<3 x i64>, array<3 x i64>)>, struct<(ptr, ptr, i64, array<3 x i64>, array<3 x i64>)>, f32)>
// CHECK: llvm.store %[[N]], %[[F0]]
// CHECK: %[[XD:.+]] = builtin.unrealized_conversion_cast %[[X]] : memref<1x96x1024xf32> to !llvm.struct
// CHECK: llvm.store %[[XD]]
// CHECK: %[[YD:.+]] = builtin.unrealized_conversion_cast %[[Y]] : memref<1x96x1024xf32> to !llvm.struct
// CHECK: llvm.store %[[YD]]
// CHECK: llvm.store %[[S]]
// CHECK: %[[F:.+]] = constant @scale_task : (!llvm.ptr, i64, !llvm.ptr) -> ()
// CHECK: %[[FP:.+]] = builtin.unrealized_conversion_cast %[[F]] {{.*}} to !llvm.ptr
// CHECK: call @cmb_parallel_for(%[[N]], %[[FP]], %[[CTX]]) : (i64, !llvm.ptr, !llvm.ptr) -> ()
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func private @scale_task(
// CHECK-SAME: %[[C:[^:]+]]: !llvm.ptr, %[[T:[^:]+]]: i64, %{{[^:]+}}: !llvm.ptr)
// CHECK: %[[XL:.+]] = llvm.load
// CHECK: %[[XM:.+]] = builtin.unrealized_conversion_cast %[[XL]] {{.*}} to memref<1x96x1024xf32>
// CHECK: %[[YL:.+]] = llvm.load
// CHECK: %[[YM:.+]] = builtin.unrealized_conversion_cast %[[YL]] {{.*}} to memref<1x96x1024xf32>
// CHECK: %[[SL:.+]] = llvm.load {{.*}} -> f32
// CHECK: %[[TWO:.+]] = arith.constant 2.0
// CHECK: %[[NL:.+]] = llvm.load {{.*}} -> i64
// CHECK: %[[NI:.+]] = arith.index_cast %[[NL]]
// CHECK: %[[TI:.+]] = arith.index_cast %[[T]]
// CHECK: %[[C96:.+]] = arith.constant 96 : index
// CHECK: %[[M0:.+]] = arith.muli %[[C96]], %[[TI]]
// CHECK: %[[LO:.+]] = arith.divui %[[M0]], %[[NI]]
// CHECK: %[[T1:.+]] = arith.addi %[[TI]]
// CHECK: %[[M1:.+]] = arith.muli %[[C96]], %[[T1]]
// CHECK: %[[HI:.+]] = arith.divui %[[M1]], %[[NI]]
// CHECK: %[[SIZE:.+]] = arith.subi %[[HI]], %[[LO]]
// CHECK: %[[XS:.+]] = memref.subview %[[XM]][0, %[[LO]], 0] [1, %[[SIZE]], 1024] [1, 1, 1]
// CHECK: %[[YS:.+]] = memref.subview %[[YM]][0, %[[LO]], 0] [1, %[[SIZE]], 1024] [1, 1, 1]
// CHECK: linalg.generic {{.*}} ins(%[[XS]] : memref<1x?x1024xf32, strided<[98304, 1024, 1], offset: ?>>) outs(%[[YS]]
// CHECK: arith.mulf %{{.+}}, %[[TWO]]
// CHECK: arith.addf %{{.+}}, %[[SL]]
// CHECK: return
func.func @scale(%x: memref<1x96x1024xf32>, %y: memref<1x96x1024xf32>, %s: f32) {
  %c = arith.constant 2.0 : f32
  linalg.generic {indexing_maps = [affine_map<(n, c, i) -> (n, c, i)>, affine_map<(n, c, i) -> (n, c, i)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x : memref<1x96x1024xf32>) outs(%y : memref<1x96x1024xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %c : f32
    %t = arith.addf %m, %s : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// A table lookup: the table is a global, recreated in the task, not passed.
// At the threshold (16384 points) a nest is split.
// CHECK-LABEL: func.func @lookup(
// CHECK: call @cmb_parallel_for
// CHECK-LABEL: func.func private @lookup_task(
// CHECK: %[[TAB:.+]] = memref.get_global @table
// CHECK: linalg.generic
// CHECK: memref.load %[[TAB]]
memref.global "private" constant @table : memref<256xi8> = dense<1>
func.func @lookup(%x: memref<16384xi8>, %y: memref<16384xi8>) {
  %t = memref.get_global @table : memref<256xi8>
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%x : memref<16384xi8>) outs(%y : memref<16384xi8>) {
  ^bb0(%a: i8, %o: i8):
    %u = arith.extui %a : i8 to i64
    %i = arith.index_cast %u : i64 to index
    %v = memref.load %t[%i] : memref<256xi8>
    linalg.yield %v : i8
  }
  return
}

// -----

// Two nests in one function share one context buffer, sized for the larger
// context (8 + 2 * 40 bytes for two 1-d descriptors; 8 + 40 for one).
// CHECK-LABEL: func.func @two(
// CHECK: llvm.alloca %{{.+}} x !llvm.array<11 x i64>
// CHECK-NOT: llvm.alloca
// CHECK: call @cmb_parallel_for(%{{.+}}, %{{.+}}, %[[CTX:.+]])
// CHECK: call @cmb_parallel_for(%{{.+}}, %{{.+}}, %[[CTX]])
// CHECK-LABEL: func.func private @two_task(
// CHECK-LABEL: func.func private @two_task_0(
func.func @two(%x: memref<100000xf32>, %y: memref<100000xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>],
                  iterator_types = ["parallel"]}
      ins(%x : memref<100000xf32>) outs(%y : memref<100000xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%x : memref<100000xf32>)
  return
}

// -----

// A reduction over rows: split along the rows only; each task's generic
// keeps the whole reduction loop of its rows.
// CHECK-LABEL: func.func @row_max(
// CHECK: call @cmb_parallel_for
// CHECK-LABEL: func.func private @row_max_task(
// CHECK: %[[XS:.+]] = memref.subview %{{.+}}[%[[LO:.+]], 0] [%[[SIZE:.+]], 256] [1, 1]
// CHECK: %[[YS:.+]] = memref.subview %{{.+}}[%[[LO]]] [%[[SIZE]]] [1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[XS]] {{.*}} outs(%[[YS]]
func.func @row_max(%x: memref<512x256xf32>, %y: memref<512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<512x256xf32>) outs(%y : memref<512xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %o : f32
    linalg.yield %m : f32
  }
  return
}

// -----

// Left alone: a nest below the threshold (16x1023 points), a reduction as
// the outermost loop, an op that reads its output transposed (a task could
// read what another one wrote), and a buffer whose layout is not strided (no
// LLVM descriptor to pass it in).
// CHECK-LABEL: func.func @small(
// CHECK-NOT: cmb_parallel_for
// CHECK: linalg.generic
// CHECK-LABEL: func.func @column_sum(
// CHECK-NOT: cmb_parallel_for
// CHECK: linalg.generic
// CHECK-LABEL: func.func @transpose_in_place(
// CHECK-NOT: cmb_parallel_for
// CHECK: linalg.generic
// CHECK-LABEL: func.func @tiled_layout(
// CHECK-NOT: cmb_parallel_for
// CHECK: linalg.generic
// CHECK-NOT: func.func private
func.func @small(%x: memref<16x1023xf32>, %y: memref<16x1023xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<16x1023xf32>) outs(%y : memref<16x1023xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  return
}
func.func @column_sum(%x: memref<512x256xf32>, %y: memref<256xf32>) {
  linalg.generic {indexing_maps = [affine_map<(k, j) -> (k, j)>, affine_map<(k, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<512x256xf32>) outs(%y : memref<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}
func.func @transpose_in_place(%x: memref<512x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (j, i)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<512x512xf32>) outs(%x : memref<512x512xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}
func.func @tiled_layout(%x: memref<512x512xf32, affine_map<(i, j) -> (i floordiv 8, j, i mod 8)>>, %y: memref<512x512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<512x512xf32, affine_map<(i, j) -> (i floordiv 8, j, i mod 8)>>) outs(%y : memref<512x512xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}
