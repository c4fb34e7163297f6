//===- Passes.td - cambrian dialect passes -------------------*- tablegen -*-===//

#ifndef CAMBRIAN_DIALECT_PASSES_TD
#define CAMBRIAN_DIALECT_PASSES_TD

include "mlir/Pass/PassBase.td"

def DecomposePass : Pass<"cambrian-decompose"> {
  let summary = "Lower cambrian ops to linalg/tensor for targets that want loops";
  let description = [{
    Rewrites every cambrian op with `populateCambrianDecomposePatterns`: a
    convolution to a padded-input linalg convolution (plain, depthwise or
    grouped) followed by its epilogue as one elementwise linalg.generic, a
    matmul to linalg.matmul / batch_matmul, pooling to a window reduction,
    softmax and the normalizations to reductions and elementwise generics,
    attention to matmuls around a softmax, quantize/dequantize to integer
    arithmetic on the storage type. A target that maps some ops to kernels
    runs its own patterns first and this pass on what is left.

    The ops named in `keep`, and those a target's pipeline says it maps
    (`createDecomposePass(KeepOpFn)`, from `Target::mapsOp`), are left as
    they are: the graph pipeline then still fuses and folds around them,
    and the target's own pass takes them.

    ```mlir
    // --cambrian-decompose="keep=cambrian.softmax"
    %y = cambrian.softmax %x {axis = 1 : i64} : tensor<2x10xf32>  // stays
    ```
  }];
  let options = [
    ListOption<"keep", "keep", "std::string",
               "Names of cambrian ops to leave undecomposed">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect",
    "::mlir::quant::QuantDialect"
  ];
}

#endif // CAMBRIAN_DIALECT_PASSES_TD
