// RUN: cambrian-opt %s --cambrian-x86-unshare-inits --split-input-file | FileCheck %s

// Two convolutions accumulate into one (CSE-merged) zero fill: the second
// gets its own, so bufferization does not copy the first one's buffer.
// CHECK-LABEL: func.func @shared
// CHECK: %[[E1:.+]] = tensor.empty()
// CHECK: %[[F1:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E1]] :
// CHECK: linalg.matmul ins(%{{.+}}) outs(%[[F1]] :
// CHECK: %[[E2:.+]] = tensor.empty()
// CHECK: %[[F2:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[E2]] :
// CHECK: linalg.matmul ins(%{{.+}}) outs(%[[F2]] :
func.func @shared(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %x = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  %y = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %x, %y : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// Two elementwise ops share a (CSE-merged) tensor.empty destination: the
// second gets its own.
// CHECK-LABEL: func.func @shared_empty
// CHECK: %[[E1:.+]] = tensor.empty()
// CHECK: linalg.generic {{.*}} outs(%[[E1]] :
// CHECK: %[[E2:.+]] = tensor.empty()
// CHECK: linalg.generic {{.*}} outs(%[[E2]] :
#id = affine_map<(d0) -> (d0)>
func.func @shared_empty(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %e = tensor.empty() : tensor<8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%a : tensor<8xf32>) outs(%e : tensor<8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = math.exp %v : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}

// -----

// A fill with one use stays as it is.
// CHECK-LABEL: func.func @single
// CHECK-COUNT-1: linalg.fill
// CHECK-NOT: linalg.fill
func.func @single(%a: tensor<4x8xf32>, %b: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x4xf32>) -> tensor<4x4xf32>
  %x = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x4xf32>) outs(%f : tensor<4x4xf32>) -> tensor<4x4xf32>
  return %x : tensor<4x4xf32>
}

// -----

// One op using a shared tensor.empty twice (two iter_args of a loop, as
// TopK's values and indices are when both are i64) gets a second one.
// CHECK-LABEL: func.func @twice_in_one_op
// CHECK: %[[E1:.+]] = tensor.empty()
// CHECK: %[[E2:.+]] = tensor.empty()
// CHECK: scf.for {{.*}} iter_args(%{{.+}} = %[[E1]], %{{.+}} = %[[E2]])
func.func @twice_in_one_op(%v: i64) -> (tensor<4xi64>, tensor<4xi64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %e = tensor.empty() : tensor<4xi64>
  %r:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%a = %e, %b = %e) -> (tensor<4xi64>, tensor<4xi64>) {
    %a2 = tensor.insert %v into %a[%i] : tensor<4xi64>
    %b2 = tensor.insert %v into %b[%i] : tensor<4xi64>
    scf.yield %a2, %b2 : tensor<4xi64>, tensor<4xi64>
  }
  return %r#0, %r#1 : tensor<4xi64>, tensor<4xi64>
}
