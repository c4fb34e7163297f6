// RUN: cambrian-opt %s --cambrian-x86-lower-reductions --split-input-file | FileCheck %s

// A sum over the last axis: the output is loaded once per row, carried
// through the reduction loop and stored once; the add may be reassociated.
// CHECK-LABEL: func.func @row_sum
// CHECK-SAME: %[[X:[^:]+]]: memref<8x64xf32>, %[[Y:[^:]+]]: memref<8xf32>
// CHECK: scf.for %[[I:.+]] = %{{.*}} to %{{.*}} step
// CHECK-NEXT: %[[INIT:.+]] = memref.load %[[Y]][%[[I]]]
// CHECK-NEXT: %[[S:.+]] = scf.for %[[K:.+]] = {{.*}} iter_args(%[[ACC:.+]] = %[[INIT]]) -> (f32)
// CHECK-NEXT: %[[V:.+]] = memref.load %[[X]][%[[I]], %[[K]]]
// CHECK-NEXT: %[[T:.+]] = arith.addf %[[V]], %[[ACC]] fastmath<reassoc>
// CHECK-NEXT: scf.yield %[[T]]
// CHECK: memref.store %[[S]], %[[Y]][%[[I]]]
// CHECK-NOT: linalg.generic
func.func @row_sum(%x: memref<8x64xf32>, %y: memref<8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x64xf32>) outs(%y : memref<8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Two reduction loops and two outputs (a max with its index, read through
// linalg.index of a parallel loop): nested loops carry both; maximumf keeps
// its semantics (no fast-math flag).
// CHECK-LABEL: func.func @max_two_outputs
// CHECK: scf.for
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, i64)
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, i64)
// CHECK: arith.maximumf
// CHECK-NOT: fastmath
// CHECK: memref.store
// CHECK: memref.store
func.func @max_two_outputs(%x: memref<4x5x6xf32>, %m: memref<4xf32>, %n: memref<4xi64>) {
  linalg.generic {indexing_maps = [affine_map<(i, j, k) -> (i, j, k)>, affine_map<(i, j, k) -> (i)>, affine_map<(i, j, k) -> (i)>],
                  iterator_types = ["parallel", "reduction", "reduction"]}
      ins(%x : memref<4x5x6xf32>) outs(%m, %n : memref<4xf32>, memref<4xi64>) {
  ^bb0(%a: f32, %o: f32, %p: i64):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i64
    %s = arith.maximumf %a, %o : f32
    %t = arith.addi %p, %c : i64
    linalg.yield %s, %t : f32, i64
  }
  return
}

// -----

// Left alone: a reduction loop that is not innermost (a window reduction
// after interchange). A body that reads the reduction index (ArgMax) gets
// the loop's induction variable.
// CHECK-LABEL: func.func @left_alone
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "parallel"]
// CHECK: scf.for
// CHECK: scf.for %[[K:[^ ]+]] = {{.*}} iter_args
// CHECK: arith.index_cast %[[K]] : index to i64
func.func @left_alone(%x: memref<4x6xf32>, %y: memref<6xf32>, %z: memref<4xi64>) {
  linalg.generic {indexing_maps = [affine_map<(k, j) -> (k, j)>, affine_map<(k, j) -> (j)>],
                  iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<4x6xf32>) outs(%y : memref<6xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<4x6xf32>) outs(%z : memref<4xi64>) {
  ^bb0(%a: f32, %o: i64):
    %k = linalg.index 1 : index
    %c = arith.index_cast %k : index to i64
    %s = arith.addi %o, %c : i64
    linalg.yield %s : i64
  }
  return
}

// -----

// A dynamic extent (a task's chunk of rows after
// cambrian-x86-parallelize-loops): the loop runs to the buffer's size.
// CHECK-LABEL: func.func @row_sum_chunk
// CHECK-SAME: %[[X:[^:]+]]: memref<?x64xf32, strided<[64, 1], offset: ?>>
// CHECK: %[[N:.+]] = memref.dim %[[X]], %{{.+}}
// CHECK: scf.for %{{.+}} = %{{.+}} to %[[N]] step
// CHECK: scf.for {{.*}} iter_args
// CHECK-NOT: linalg.generic
func.func @row_sum_chunk(%x: memref<?x64xf32, strided<[64, 1], offset: ?>>, %y: memref<?xf32, strided<[1], offset: ?>>) {
  linalg.generic {indexing_maps = [affine_map<(i, k) -> (i, k)>, affine_map<(i, k) -> (i)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x64xf32, strided<[64, 1], offset: ?>>) outs(%y : memref<?xf32, strided<[1], offset: ?>>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  return
}
