// RUN: cambrian-opt %s --split-input-file --cambrian-x86-lower-to-kernels | FileCheck %s

// A matmul reading constant weights (2 x 3) gets them packed at compile
// time into panels of 32 columns (PackedPanels.h): one panel of 2 x 32
// floats, rows k = 0, 1 of B each followed by zero columns. The call passes
// CMB_SGEMM_PACKED_B (flags 4) and the panel width as ldb. The blob starts
// (after its 4-byte alignment) with B's first row: 1.0, 2.0, 3.0, 0.0
// (little-endian 0x3F800000, 0x40000000, 0x40400000, 0), not its first
// column (1.0, 4.0).
// CHECK-LABEL: memref.global "private" constant @w_panels : memref<64xf32> = dense_resource<w_panels>
// CHECK-LABEL: func.func @constant_weights
// CHECK-DAG: %[[FLAGS:.+]] = arith.constant 4 : i64
// CHECK-DAG: %[[PANEL:.+]] = arith.constant 32 : i64
// CHECK-DAG: %[[W:.+]] = memref.get_global @w_panels : memref<64xf32>
// CHECK: memref.extract_strided_metadata %[[W]]
// CHECK: call @cmb_x86_sgemm({{.*}}, %{{.+}}, %{{.+}}, %[[PANEL]], %{{.+}}, %{{.+}}, %{{.+}}, %[[FLAGS]]) :
// CHECK-NOT: linalg.matmul
// CHECK: w_panels: "0x040000000000803F000000400000404000000000
memref.global "private" constant @w : memref<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]>
func.func @constant_weights(%a: memref<8x2xf32>, %c: memref<8x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %b = memref.get_global @w : memref<2x3xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<8x3xf32>)
  linalg.matmul ins(%a, %b : memref<8x2xf32>, memref<2x3xf32>) outs(%c : memref<8x3xf32>)
  return
}

// -----

// Two matmuls reading the same weights share
// one packed global (64 x 32 floats); accumulation keeps its bit next to
// the packed one (flags 5).
// CHECK-LABEL: memref.global "private" constant @shared_panels : memref<2048xf32>
// CHECK-NOT: memref.global {{.*}}@shared_panels
// CHECK-LABEL: func.func @shared_weights
// CHECK-DAG: %[[FILLED:.+]] = arith.constant 4 : i64
// CHECK-DAG: %[[ACC:.+]] = arith.constant 5 : i64
// CHECK: call @cmb_x86_sgemm({{.*}}, %[[FILLED]]) :
// CHECK: call @cmb_x86_sgemm({{.*}}, %[[ACC]]) :
memref.global "private" constant @shared : memref<64x20xf32> = dense<0.5>
func.func @shared_weights(%a: memref<8x64xf32>, %c: memref<8x20xf32>) {
  %zero = arith.constant 0.0 : f32
  %b = memref.get_global @shared : memref<64x20xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<8x20xf32>)
  linalg.matmul ins(%a, %b : memref<8x64xf32>, memref<64x20xf32>) outs(%c : memref<8x20xf32>)
  %b2 = memref.get_global @shared : memref<64x20xf32>
  linalg.matmul ins(%a, %b2 : memref<8x64xf32>, memref<64x20xf32>) outs(%c : memref<8x20xf32>)
  return
}

// -----

// A batch of one reading [1, K, N] weights is packed like a matmul.
// CHECK-LABEL: memref.global "private" constant @w3_panels : memref<2048xf32>
// CHECK-LABEL: func.func @batch_of_one
// CHECK: memref.get_global @w3_panels
// CHECK: call @cmb_x86_sgemm(
// CHECK-NOT: linalg.batch_matmul
memref.global "private" constant @w3 : memref<1x64x20xf32> = dense<0.25>
func.func @batch_of_one(%a: memref<1x9x64xf32>, %c: memref<1x9x20xf32>) {
  %zero = arith.constant 0.0 : f32
  %b = memref.get_global @w3 : memref<1x64x20xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<1x9x20xf32>)
  linalg.batch_matmul ins(%a, %b : memref<1x9x64xf32>, memref<1x64x20xf32>) outs(%c : memref<1x9x20xf32>)
  return
}

// -----

// Left row-major: at most 4 rows (the kernel streams B row by row), one
// column (a matrix-vector product), B known only at run time, and a batch
// with a B per item.
// CHECK-LABEL: func.func @not_packed
// CHECK-NOT: _panels
// CHECK-COUNT-4: call @cmb_x86_sgemm({{.*}}, %{{.+}}) :
// CHECK-NOT: _panels
memref.global "private" constant @wide : memref<64x20xf32> = dense<1.0>
memref.global "private" constant @column : memref<64x1xf32> = dense<1.0>
memref.global "private" constant @batched : memref<2x64x20xf32> = dense<1.0>
func.func @not_packed(%a4: memref<4x64xf32>, %c4: memref<4x20xf32>,
                      %a: memref<8x64xf32>, %v: memref<8x1xf32>,
                      %b: memref<64x20xf32>, %c: memref<8x20xf32>,
                      %ab: memref<2x8x64xf32>, %cb: memref<2x8x20xf32>) {
  %zero = arith.constant 0.0 : f32
  %wide = memref.get_global @wide : memref<64x20xf32>
  linalg.matmul ins(%a4, %wide : memref<4x64xf32>, memref<64x20xf32>) outs(%c4 : memref<4x20xf32>)
  %column = memref.get_global @column : memref<64x1xf32>
  linalg.matmul ins(%a, %column : memref<8x64xf32>, memref<64x1xf32>) outs(%v : memref<8x1xf32>)
  linalg.matmul ins(%a, %b : memref<8x64xf32>, memref<64x20xf32>) outs(%c : memref<8x20xf32>)
  %batched = memref.get_global @batched : memref<2x64x20xf32>
  linalg.batch_matmul ins(%ab, %batched : memref<2x8x64xf32>, memref<2x64x20xf32>) outs(%cb : memref<2x8x20xf32>)
  return
}
