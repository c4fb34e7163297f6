//===- CambrianInterfaces.td - cambrian op interfaces -------*- tablegen -*-===//

#ifndef CAMBRIAN_INTERFACES_TD
#define CAMBRIAN_INTERFACES_TD

include "mlir/IR/OpBase.td"

def Cambrian_EpilogueOpInterface : OpInterface<"EpilogueOpInterface"> {
  let cppNamespace = "::cambrian::cmb";
  let description = [{
    An op whose result can absorb an epilogue as it is stored:
    `activation(op(...) + bias + residual)`, each term optional. The bias is
    a 1-D tensor along one result dimension (`getBiasDim`); the residual has
    the result's type. Fusion asks this interface, never op names.
  }];
  let methods = [
    InterfaceMethod<"The bias operand, or null.", "::mlir::Value", "getBias">,
    InterfaceMethod<"The residual operand, or null.", "::mlir::Value",
                    "getResidual">,
    InterfaceMethod<"The activation, or null for none.",
                    "::cambrian::cmb::ActivationAttr", "getActivationAttr">,
    InterfaceMethod<"The result dimension a bias runs along.", "unsigned",
                    "getBiasDim">,
    InterfaceMethod<[{
        Creates the same op at `builder`'s insertion point with the given
        epilogue (null values and a null activation for none), returning its
        result. The caller replaces and erases this op.
      }], "::mlir::Value", "cloneWithEpilogue",
      (ins "::mlir::OpBuilder &":$builder, "::mlir::Value":$bias,
           "::mlir::Value":$residual,
           "::cambrian::cmb::ActivationAttr":$activation)>,
    InterfaceMethod<[{
        Whether a pooling window follows the epilogue, which closes it:
        nothing after the pooling can be folded in.
      }], "bool", "hasTrailingPool", (ins), "", "return false;">
  ];
  let extraSharedClassDeclaration = [{
    /// Whether the op already applies an activation (which must come last,
    /// so nothing can be folded after it).
    bool hasActivation() {
      auto act = $_op.getActivationAttr();
      return act && !act.isNone();
    }
    /// Whether an activation can still be folded in.
    bool acceptsActivation() {
      return !hasActivation() && !$_op.hasTrailingPool();
    }
    /// Whether a residual can still be folded in (it comes before the
    /// activation).
    bool acceptsResidual() {
      return !$_op.getResidual() && acceptsActivation();
    }
  }];
}

#endif // CAMBRIAN_INTERFACES_TD
