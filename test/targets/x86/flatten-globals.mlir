// RUN: cambrian-opt %s --split-input-file --cambrian-x86-flatten-globals | FileCheck %s

// A nested dense global becomes one flat array; the zero GEP is the address.
// CHECK-LABEL: llvm.mlir.global private constant @dense
// CHECK-SAME: (dense<{{\[}}1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00]> : tensor<6xf32>)
// CHECK-SAME: : !llvm.array<6 x f32>
// CHECK-LABEL: llvm.func @read_dense
// CHECK: %[[A:.+]] = llvm.mlir.addressof @dense : !llvm.ptr
// CHECK-NOT: llvm.getelementptr
// CHECK: llvm.load %[[A]]
llvm.mlir.global private constant @dense(dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>) : !llvm.array<2 x array<3 x f32>>
llvm.func @read_dense() -> f32 {
  %0 = llvm.mlir.addressof @dense : !llvm.ptr
  %1 = llvm.getelementptr %0[0, 0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<2 x array<3 x f32>>
  %2 = llvm.load %1 : !llvm.ptr -> f32
  llvm.return %2 : f32
}

// -----

// Resource weights keep their blob under the flat type.
// CHECK-LABEL: llvm.mlir.global private constant @weights
// CHECK-SAME: (dense_resource<w> : tensor<4xi32>)
// CHECK-SAME: : !llvm.array<4 x i32>
llvm.mlir.global private constant @weights(dense_resource<w> : tensor<2x1x2xi32>) : !llvm.array<2 x array<1 x array<2 x i32>>>
llvm.func @read_weights() -> !llvm.ptr {
  %0 = llvm.mlir.addressof @weights : !llvm.ptr
  llvm.return %0 : !llvm.ptr
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x0400000001000000020000000300000004000000"
    }
  }
#-}

// -----

// A GEP that indexes into a row needs the nested type: left alone.
// CHECK-LABEL: llvm.mlir.global private constant @indexed
// CHECK-SAME: : !llvm.array<2 x array<2 x f32>>
// CHECK-LABEL: llvm.func @read_row
// CHECK: llvm.getelementptr %{{.+}}[0, 1, 0]
llvm.mlir.global private constant @indexed(dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>) : !llvm.array<2 x array<2 x f32>>
llvm.func @read_row() -> f32 {
  %0 = llvm.mlir.addressof @indexed : !llvm.ptr
  %1 = llvm.getelementptr %0[0, 1, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.array<2 x array<2 x f32>>
  %2 = llvm.load %1 : !llvm.ptr -> f32
  llvm.return %2 : f32
}

// -----

// Flat arrays and scalar globals are already what the pass makes.
// CHECK-LABEL: llvm.mlir.global private constant @flat
// CHECK-SAME: tensor<3xi64>) {{.*}}: !llvm.array<3 x i64>
// CHECK-LABEL: llvm.mlir.global private constant @scalar
// CHECK-SAME: : f32
llvm.mlir.global private constant @flat(dense<[1, 2, 3]> : tensor<3xi64>) : !llvm.array<3 x i64>
llvm.mlir.global private constant @scalar(1.0 : f32) : f32
