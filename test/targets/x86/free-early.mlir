// RUN: cambrian-opt %s --cambrian-x86-free-early --split-input-file | FileCheck %s

// Each buffer is freed right after its last use, also when that use only
// sees a pointer extracted from it (a kernel call) or a view of it.
// CHECK-LABEL: func.func @early
// CHECK: %[[A:.+]] = memref.alloc()
// CHECK: %[[B:.+]] = memref.alloc()
// CHECK: linalg.copy ins(%[[A]] : {{.*}}) outs(%[[B]] :
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK: %[[V:.+]] = memref.subview %[[B]]
// CHECK: %[[P:.+]] = memref.extract_aligned_pointer_as_index %[[V]]
// CHECK: call @kernel(%[[P]])
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK: linalg.fill
// CHECK-NEXT: return
func.func @early(%out: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%a : memref<8xf32>)
  %b = memref.alloc() : memref<8xf32>
  linalg.copy ins(%a : memref<8xf32>) outs(%b : memref<8xf32>)
  %v = memref.subview %b[0] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1]>>
  %p = memref.extract_aligned_pointer_as_index %v : memref<4xf32, strided<[1]>> -> index
  func.call @kernel(%p) : (index) -> ()
  linalg.fill ins(%zero : f32) outs(%out : memref<8xf32>)
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}
func.func private @kernel(index)

// -----

// A buffer used inside a loop is freed after the loop, not inside it.
// CHECK-LABEL: func.func @loop
// CHECK: scf.for
// CHECK: memref.store
// CHECK: }
// CHECK-NEXT: memref.dealloc
func.func @loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<8xf32>
  scf.for %i = %c0 to %n step %c1 {
    memref.store %zero, %a[%c0] : memref<8xf32>
  }
  %b = memref.alloc() : memref<8xf32>
  memref.store %zero, %b[%c0] : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  memref.dealloc %a : memref<8xf32>
  return
}
