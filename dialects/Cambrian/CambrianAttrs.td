//===- CambrianAttrs.td - cambrian attributes and enums -----*- tablegen -*-===//

#ifndef CAMBRIAN_ATTRS_TD
#define CAMBRIAN_ATTRS_TD

include "dialects/Cambrian/CambrianDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

//===----------------------------------------------------------------------===//
// Activation
//===----------------------------------------------------------------------===//

def Cambrian_ActivationKind : I32EnumAttr<"ActivationKind",
    "an activation function an epilogue applies", [
  I32EnumAttrCase<"None", 0, "none">,
  I32EnumAttrCase<"Relu", 1, "relu">,
  // min(max(x, alpha), beta)
  I32EnumAttrCase<"Clip", 2, "clip">,
  // x < 0 ? alpha * x : x
  I32EnumAttrCase<"LeakyRelu", 3, "leaky_relu">,
  // clamp(alpha * x + beta, 0, 1)
  I32EnumAttrCase<"HardSigmoid", 4, "hard_sigmoid">,
  // x * clamp(x / 6 + 1/2, 0, 1)
  I32EnumAttrCase<"HardSwish", 5, "hard_swish">,
  I32EnumAttrCase<"Sigmoid", 6, "sigmoid">,
  // x * sigmoid(x)
  I32EnumAttrCase<"Silu", 7, "silu">,
  I32EnumAttrCase<"Tanh", 8, "tanh">,
  // x / 2 * (1 + erf(x / sqrt(2)))
  I32EnumAttrCase<"GeluErf", 9, "gelu_erf">,
  // x / 2 * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 x^3)))
  I32EnumAttrCase<"GeluTanh", 10, "gelu_tanh">,
  // x < 0 ? alpha * (exp(x) - 1) : x
  I32EnumAttrCase<"Elu", 11, "elu">
]> {
  let cppNamespace = "::cambrian::cmb";
  let genSpecializedAttr = 0;
}

def Cambrian_ActivationAttr : AttrDef<Cambrian_Dialect, "Activation"> {
  let mnemonic = "activation";
  let summary = "An activation function with its parameters";
  let description = [{
    The last step of an epilogue. `alpha` and `beta` are the parameters the
    kind names (Clip's bounds, LeakyRelu's and Elu's slope, HardSigmoid's
    slope and offset); kinds without parameters leave them 0.

    ```mlir
    #cambrian.activation<relu>
    #cambrian.activation<clip, alpha = 0.0, beta = 6.0>
    ```
  }];
  let parameters = (ins
    EnumParameter<Cambrian_ActivationKind>:$kind,
    DefaultValuedParameter<"::llvm::APFloat", "::llvm::APFloat(0.0f)",
                           "first parameter">:$alpha,
    DefaultValuedParameter<"::llvm::APFloat", "::llvm::APFloat(0.0f)",
                           "second parameter">:$beta);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let builders = [
    AttrBuilder<(ins "ActivationKind":$kind, CArg<"float", "0.0f">:$alpha,
                     CArg<"float", "0.0f">:$beta), [{
      return $_get($_ctxt, kind, ::llvm::APFloat(alpha), ::llvm::APFloat(beta));
    }]>
  ];
  let extraClassDeclaration = [{
    float getAlphaF32() const { return getAlpha().convertToFloat(); }
    float getBetaF32() const { return getBeta().convertToFloat(); }
    bool isNone() const { return getKind() == ActivationKind::None; }
  }];
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

def Cambrian_PoolKind : I32EnumAttr<"PoolKind", "how a window is reduced", [
  I32EnumAttrCase<"Max", 0, "max">,
  I32EnumAttrCase<"Average", 1, "average">
]> {
  let cppNamespace = "::cambrian::cmb";
}

def Cambrian_WindowAttr : AttrDef<Cambrian_Dialect, "Window"> {
  let mnemonic = "window";
  let summary = "A pooling window an op applies to its result";
  let description = [{
    What a `cambrian.pool` does, as an attribute: the kind, the window,
    strides and dilations per spatial dimension, the explicit padding
    (begins, then ends) and ceil mode. A convolution carries one when
    fusion has moved the pooling that follows it into it.

    ```mlir
    #cambrian.window<max, kernel = [3, 3], strides = [2, 2],
                     dilations = [1, 1], padding = [1, 1, 1, 1]>
    ```
  }];
  let parameters = (ins
    EnumParameter<Cambrian_PoolKind>:$kind,
    ArrayRefParameter<"int64_t", "window extent per spatial dim">:$kernel,
    ArrayRefParameter<"int64_t", "stride per spatial dim">:$strides,
    ArrayRefParameter<"int64_t", "dilation per spatial dim">:$dilations,
    ArrayRefParameter<"int64_t", "padding: begins, then ends">:$padding,
    "bool":$ceilMode);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The extent of the result along spatial dim `i` for an input of
    /// `size` (dynamic stays dynamic).
    int64_t outputSize(unsigned i, int64_t size) const;
  }];
}

//===----------------------------------------------------------------------===//
// Module signature
//===----------------------------------------------------------------------===//

def Cambrian_ElementType : I32EnumAttr<"ElementType",
    "an element type of a module's input or output, numbered as in ONNX", [
  I32EnumAttrCase<"Float", 1, "f32">,
  I32EnumAttrCase<"UInt8", 2, "u8">,
  I32EnumAttrCase<"Int8", 3, "i8">,
  I32EnumAttrCase<"UInt16", 4, "u16">,
  I32EnumAttrCase<"Int16", 5, "i16">,
  I32EnumAttrCase<"Int32", 6, "i32">,
  I32EnumAttrCase<"Int64", 7, "i64">,
  I32EnumAttrCase<"Bool", 9, "bool">,
  I32EnumAttrCase<"Float16", 10, "f16">,
  I32EnumAttrCase<"Double", 11, "f64">,
  I32EnumAttrCase<"UInt32", 12, "u32">,
  I32EnumAttrCase<"UInt64", 13, "u64">,
  I32EnumAttrCase<"BFloat16", 16, "bf16">,
  I32EnumAttrCase<"Float8E4M3FN", 17, "f8e4m3fn">,
  I32EnumAttrCase<"Float8E4M3FNUZ", 18, "f8e4m3fnuz">,
  I32EnumAttrCase<"Float8E5M2", 19, "f8e5m2">,
  I32EnumAttrCase<"Float8E5M2FNUZ", 20, "f8e5m2fnuz">,
  I32EnumAttrCase<"UInt4", 21, "u4">,
  I32EnumAttrCase<"Int4", 22, "i4">,
  I32EnumAttrCase<"Float4E2M1", 23, "f4e2m1">,
  I32EnumAttrCase<"Float8E8M0", 24, "f8e8m0">,
  I32EnumAttrCase<"UInt2", 25, "u2">,
  I32EnumAttrCase<"Int2", 26, "i2">
]> {
  let cppNamespace = "::cambrian::cmb";
  let genSpecializedAttr = 0;
}

def Cambrian_TensorSpecAttr : AttrDef<Cambrian_Dialect, "TensorSpec"> {
  let mnemonic = "tensor";
  let summary = "One input or output of a module: name, element type, shape";
  let description = [{
    The element type is the ONNX one the caller sees (small types such as
    `f8e4m3fn` are stored one element per byte). A dimension of `?` is not
    known at compile time.

    ```mlir
    #cambrian.tensor<"input", f32, [1, 3, 224, 224]>
    ```
  }];
  let parameters = (ins
    StringRefParameter<"the name in the ONNX graph">:$name,
    EnumParameter<Cambrian_ElementType>:$elementType,
    ArrayRefParameter<"int64_t", "the shape; ShapedType::kDynamic for ?">:$shape);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Cambrian_SignatureAttr : AttrDef<Cambrian_Dialect, "Signature"> {
  let mnemonic = "signature";
  let summary = "The inputs and outputs of a module, in the order of its ABI";
  let description = [{
    Set on the module by the importer as `cambrian.signature` and read by
    every target's emitter. Names are unique among the inputs and among the
    outputs.

    ```mlir
    module attributes {
      cambrian.format_version = 1 : i64,
      cambrian.signature = #cambrian.signature<
        inputs = [#cambrian.tensor<"x", f32, [1, 4]>],
        outputs = [#cambrian.tensor<"y", f32, [1, 3]>]>} {}
    ```
  }];
  let parameters = (ins
    OptionalArrayRefParameter<"TensorSpecAttr", "inputs">:$inputs,
    OptionalArrayRefParameter<"TensorSpecAttr", "outputs">:$outputs);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

#endif // CAMBRIAN_ATTRS_TD
