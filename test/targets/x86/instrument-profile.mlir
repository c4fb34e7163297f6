// RUN: cambrian-opt %s --cambrian-x86-instrument-profile --split-input-file | FileCheck %s

// Each kernel call, linalg op and copy gets a row, labelled with the ONNX
// node of its location and its kind, and is timed into that row.
// CHECK: module attributes {x86.profile = {{\[}}["conv_node", "linalg.fill"], ["conv_node", "conv2d"], ["?", "memref.copy"]]}
// CHECK: memref.global "private" @__cmb_profile : memref<3x4xi64> = dense<0>
// CHECK: func.func private @cmb_x86_profile_clock() -> i64
// CHECK-LABEL: func.func @rows
// CHECK: %[[T0:.+]] = call @cmb_x86_profile_clock()
// CHECK-NEXT: linalg.fill
// CHECK-NEXT: %[[T1:.+]] = call @cmb_x86_profile_clock()
// CHECK-NEXT: %[[DT:.+]] = arith.subi %[[T1]], %[[T0]]
// CHECK: %[[TABLE:.+]] = memref.get_global @__cmb_profile
// CHECK: memref.atomic_rmw addi %{{.+}}, %[[TABLE]][%[[ROW:.+]], %{{.+}}]
// CHECK: memref.atomic_rmw addi %[[DT]], %[[TABLE]][%[[ROW]], %{{.+}}]
// CHECK: call @cmb_x86_profile_clock()
// CHECK-NEXT: call @cmb_x86_conv2d(
// CHECK-NEXT: call @cmb_x86_profile_clock()
// CHECK: call @cmb_x86_profile_clock()
// CHECK-NEXT: memref.copy
// CHECK-NEXT: call @cmb_x86_profile_clock()
// CHECK-NOT: call @cmb_x86_profile_clock()
// CHECK: return
func.func @rows(%x: memref<8xf32>, %y: memref<8xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<8xf32>) loc("conv_node")
  func.call @cmb_x86_conv2d(%x, %y) : (memref<8xf32>, memref<8xf32>) -> () loc(fused["conv_node", "m.onnx":0:0])
  memref.copy %y, %x : memref<8xf32> to memref<8xf32>
  return
}
func.func private @cmb_x86_conv2d(memref<8xf32>, memref<8xf32>)

// -----

// Nothing to time: no table, no attribute.
// CHECK-NOT: x86.profile
// CHECK-NOT: __cmb_profile
// CHECK-LABEL: func.func @nothing
func.func @nothing(%x: memref<8xf32>) -> memref<8xf32> {
  return %x : memref<8xf32>
}
