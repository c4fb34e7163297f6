// RUN: cambrian-opt %s --cambrian-x86-approximate-math | FileCheck %s

// CHECK-LABEL: func.func @exp
// CHECK-NOT: math.exp
// CHECK: arith.mulf
func.func @exp(%x: f32) -> f32 {
  %y = math.exp %x : f32
  return %y : f32
}

// CHECK-LABEL: func.func @sqrt_stays
// CHECK: math.sqrt
func.func @sqrt_stays(%x: f32) -> f32 {
  %y = math.sqrt %x : f32
  return %y : f32
}
