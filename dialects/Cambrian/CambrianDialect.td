//===- CambrianDialect.td - The cambrian dialect -----------*- tablegen -*-===//
//
// The middle of the compiler: neural-network ops at the level accelerators
// think in (a convolution with its epilogue, a pooling window, a softmax
// row), on tensors. The importer emits them; every target lowers from them.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_DIALECT_TD
#define CAMBRIAN_DIALECT_TD

include "mlir/IR/OpBase.td"

def Cambrian_Dialect : Dialect {
  let name = "cambrian";
  let cppNamespace = "::cambrian::cmb";
  let summary = "Neural-network ops that every Cambrian target lowers from";
  let description = [{
    Ops at the level chips think in: convolution and matmul with a fused
    epilogue (bias, activation, residual add), pooling, softmax, the
    normalizations, attention, and quantize/dequantize on `quant` types.
    Everything else of a model is `linalg`, `tensor` and `arith`.

    Every op is on ranked tensors whose dimensions may be dynamic: verifiers
    check what the static dimensions allow and leave the rest to run time.

    A module produced by the importer carries `cambrian.signature`
    (`#cambrian.signature`) and `cambrian.format_version`, both verified.
  }];
  let dependentDialects = ["::mlir::quant::QuantDialect"];
  let useDefaultAttributePrinterParser = 1;
  let hasOperationAttrVerify = 1;
  let extraClassDeclaration = [{
    /// Registers the attributes (in CambrianAttrs.cpp, where their storage
    /// classes are complete).
    void registerAttributes();
    /// The module attribute holding the typed I/O signature.
    static constexpr ::llvm::StringLiteral kSignatureAttrName =
        "cambrian.signature";
    /// The module attribute naming the file the model came from.
    static constexpr ::llvm::StringLiteral kModelAttrName = "cambrian.model";
    /// The module attribute holding the IR format version.
    static constexpr ::llvm::StringLiteral kFormatVersionAttrName =
        "cambrian.format_version";
    /// The format version this build writes and reads.
    static constexpr int64_t kFormatVersion = 1;
  }];
}

class Cambrian_Op<string mnemonic, list<Trait> traits = []>
    : Op<Cambrian_Dialect, mnemonic, traits>;

#endif // CAMBRIAN_DIALECT_TD
