//===- OpHelpers.h - Pieces shared by the ONNX op handlers ------*- C++ -*-===//

#ifndef CAMBRIAN_LIB_IMPORT_OPS_OPHELPERS_H
#define CAMBRIAN_LIB_IMPORT_OPS_OPHELPERS_H

#include "dialects/Cambrian/CambrianOps.h"
#include "lib/Import/OpRegistry.h"

namespace cambrian::onnx_import {

/// The dialect the handlers emit neural-network ops in.
namespace cmb = ::cambrian::cmb;

/// Tensors up to this many elements are folded on the host when all inputs
/// of an op are known; shape arithmetic never comes near it.
inline constexpr int64_t kHostFoldLimit = 4096;

enum class BinaryKind {
  Add, Sub, Mul, Div, Pow, Max, Min, Mod, FMod,
  Equal, Less, LessOrEqual, Greater, GreaterOrEqual,
  And, Or, Xor, BitShiftLeft, BitShiftRight,
  BitAnd, BitOr, BitXor,
};

/// Whether `kind` yields bool.
bool isComparison(BinaryKind kind);

/// Emits `a kind b` on scalars of ONNX type `type`.
mlir::Value emitBinary(mlir::OpBuilder &b, mlir::Location loc, BinaryKind kind,
                       mlir::Value lhs, mlir::Value rhs, int32_t type);

/// Host evaluation of `a kind b` (numpy broadcasting).
HostTensor foldBinary(BinaryKind kind, const HostTensor &a, const HostTensor &b,
                      llvm::ArrayRef<int64_t> shape);

/// Imports Cast of input 0 to ONNX type `to` (Cast, CastLike).
mlir::LogicalResult importCastTo(NodeContext &nc, int32_t to);
/// Imports a (possibly variadic) broadcasting binary op.
mlir::LogicalResult importBinary(NodeContext &nc, BinaryKind kind);
/// The handler of the broadcasting binary op `Kind` (Add, Less, ...).
template <BinaryKind Kind> mlir::LogicalResult importBinaryOf(NodeContext &nc) {
  return importBinary(nc, Kind);
}

/// Converts a scalar to float/int of ONNX type `type` from a double.
mlir::Value scalarConstant(mlir::OpBuilder &b, mlir::Location loc,
                           int32_t type, double v);

/// Geometry of a sliding-window op (Conv, pools) over N spatial dims.
struct WindowGeometry {
  llvm::SmallVector<int64_t, 3> kernel, strides, dilations;
  /// Padding around the input; padEnd includes the ceil-mode overhang.
  llvm::SmallVector<int64_t, 3> padBegin, padEnd;
  /// The end padding the model asked for, without the overhang.
  llvm::SmallVector<int64_t, 3> explicitPadEnd;
  llvm::SmallVector<int64_t, 3> outSpatial;
};

/// Reads kernel_shape/strides/dilations/pads/auto_pad/ceil_mode and computes
/// the output extents. `kernel` is the kernel's spatial extents when the op
/// takes it from a weight tensor (Conv), else empty.
mlir::FailureOr<WindowGeometry>
computeWindow(NodeContext &nc, llvm::ArrayRef<int64_t> inputSpatial,
              llvm::ArrayRef<int64_t> kernelFromWeights, bool allowCeilMode);

/// An NCHW convolution of `x` [N, C, spatial...] (padded first with zeros,
/// as `geo` says) with `w` [F, C/group, kernel...] plus an optional
/// per-filter `bias`, as one cambrian.conv.
mlir::Value emitConv(NodeContext &nc, mlir::Value x, mlir::Value w,
                     mlir::Value bias, const WindowGeometry &geo,
                     int64_t group);

/// Reduction axes from the `axes` attribute (older opsets) or input 1
/// (newer), normalised and sorted. Empty axes reduce all unless
/// `noop_with_empty_axes`; then `noop` is set.
mlir::FailureOr<llvm::SmallVector<int64_t>>
readReduceAxes(NodeContext &nc, int64_t rank, bool axesFromInput, bool &noop);

/// Input 0 is floating point with rank >= 3 (N, C, spatial...), as pooling
/// and per-channel normalisations need.
mlir::LogicalResult checkFloatNCSpatial(NodeContext &nc);
/// The `axes` attribute normalised against `rank`, in the given order; all
/// dims in order when it is absent.
mlir::FailureOr<llvm::SmallVector<int64_t>> readAxesAttr(NodeContext &nc,
                                                         int64_t rank);
/// Scalar body of a unary op: (x, ONNX type) -> y.
using UnaryFn =
    std::function<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::Value,
                              int32_t)>;

/// Imports a unary elementwise op; `floatOnly` rejects integer inputs.
mlir::LogicalResult importUnary(NodeContext &nc, const UnaryFn &fn,
                                bool floatOnly = true);

/// Imports an ONNX activation node on a float input as a
/// cambrian.activation (folded on the host when the input is known).
mlir::LogicalResult importActivation(NodeContext &nc, cmb::ActivationKind kind,
                                     float alpha = 0.0f, float beta = 0.0f);

/// Imports a float unary op that is one op of the math dialect.
template <typename MathOp> mlir::LogicalResult importMathUnary(NodeContext &nc) {
  return importUnary(nc, [](mlir::OpBuilder &b, mlir::Location loc,
                            mlir::Value x, int32_t) {
    return MathOp::create(b, loc, x).getResult();
  });
}

/// A float constant of the type of `like`.
mlir::Value floatLike(mlir::OpBuilder &b, mlir::Location loc, mlir::Value like,
                      double v);

/// Softmax (or log-softmax) of `x` over the trailing dims from `axis` on,
/// as a cambrian.softmax.
mlir::Value emitSoftmax(TensorBuilder &tb, mlir::Value x, int64_t axis,
                        bool log);

/// A run-time index `v` into a dim of `extent` as an `index`: negative
/// values count from the end, and out-of-range ones are clamped so that a
/// bad index can never read or write outside the tensor.
mlir::Value normalizeIndex(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value v, int64_t extent);

/// Copies element `src` of `from` to element `dst` of `to` (same type).
void copyElement(const HostTensor &from, int64_t src, HostTensor &to,
                 int64_t dst);

/// A tensor of `shape` with the given values, as an IR constant.
mlir::Value hostConstant(NodeContext &nc, const HostTensor &t);

} // namespace cambrian::onnx_import

#endif // CAMBRIAN_LIB_IMPORT_OPS_OPHELPERS_H
