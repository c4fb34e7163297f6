// RUN: cambrian-opt %s --one-shot-bufferize="bufferize-function-boundaries" --split-input-file | FileCheck %s
// The kernel ops bufferize as destination-style ops: inputs read, the
// destination written (and not read, so a new one needs no copy).

// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.+]]: memref<2x10xf32{{.*}}>)
// CHECK: %[[Y:.+]] = memref.alloc() {{.*}}: memref<2x10xf32>
// CHECK-NOT: memref.copy
// CHECK: x86kernel.softmax %[[X]] into %[[Y]] : (memref<2x10xf32{{.*}}>, memref<2x10xf32>) -> ()
// CHECK: return %[[Y]]
func.func @softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  %e = tensor.empty() : tensor<2x10xf32>
  %y = x86kernel.softmax %x into %e : (tensor<2x10xf32>, tensor<2x10xf32>) -> tensor<2x10xf32>
  return %y : tensor<2x10xf32>
}

// -----

// The input is still read after the op: it is not overwritten in place.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.+]]: memref<4x8xf32{{.*}}>, %[[G:.+]]: memref<8xf32{{.*}}>)
// CHECK: %[[Y:.+]] = memref.alloc() {{.*}}: memref<4x8xf32>
// CHECK: x86kernel.layer_norm %[[X]], %[[G]] into %[[Y]]
// CHECK: return %[[Y]], %[[X]]
func.func @layer_norm(%x: tensor<4x8xf32>, %g: tensor<8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = tensor.empty() : tensor<4x8xf32>
  %y = x86kernel.layer_norm %x, %g into %e {axis = 1 : i64, epsilon = 1.0e-5 : f32}
         : (tensor<4x8xf32>, tensor<8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y, %x : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// An accumulating matmul reads its destination: a residual still live
// after it is copied first, not overwritten.
// CHECK-LABEL: func.func @matmul_accumulate
// CHECK-SAME: (%[[A:.+]]: memref<4x8xf32{{.*}}>, %[[B:.+]]: memref<8x16xf32{{.*}}>, %[[R:.+]]: memref<4x16xf32{{.*}}>)
// CHECK: %[[Y:.+]] = memref.alloc() {{.*}}: memref<4x16xf32>
// CHECK: memref.copy %[[R]], %[[Y]]
// CHECK: x86kernel.matmul %[[A]], %[[B]] into %[[Y]] {accumulate}
// CHECK: return %[[Y]], %[[R]]
func.func @matmul_accumulate(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %r: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %y = x86kernel.matmul %a, %b into %r {accumulate} : (tensor<4x8xf32>, tensor<8x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  return %y, %r : tensor<4x16xf32>, tensor<4x16xf32>
}
