//===- EpilogueTest.cpp - EpilogueOpInterface on conv and matmul ----------===//

#include "dialects/Cambrian/CambrianOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include <catch2/catch.hpp>

using namespace mlir;
using namespace cambrian::cmb;

namespace {

constexpr const char *kIR = R"mlir(
func.func @f(%x: tensor<1x3x6x6xf32>, %w: tensor<8x3x3x3xf32>,
             %b: tensor<8xf32>, %r: tensor<1x8x2x2xf32>,
             %a: tensor<4x8xf32>, %m: tensor<8x16xf32>)
    -> (tensor<1x8x2x2xf32>, tensor<4x16xf32>) {
  %c = cambrian.conv %x, %w bias %b {strides = array<i64: 2, 2>,
         dilations = array<i64: 1, 1>, groups = 1 : i64}
         : (tensor<1x3x6x6xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>)
         -> tensor<1x8x2x2xf32>
  %y = cambrian.matmul %a, %m : (tensor<4x8xf32>, tensor<8x16xf32>)
         -> tensor<4x16xf32>
  return %c, %y : tensor<1x8x2x2xf32>, tensor<4x16xf32>
}
)mlir";

} // namespace

TEST_CASE("cloneWithEpilogue keeps the op and sets the epilogue",
          "[epilogue]") {
  MLIRContext ctx;
  ctx.loadDialect<CambrianDialect, func::FuncDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kIR, &ctx);
  REQUIRE(module);
  auto func = cast<func::FuncOp>(module->getBody()->front());
  Value residual = func.getArgument(3);
  auto relu = ActivationAttr::get(&ctx, ActivationKind::Relu);

  ConvOp conv = *func.getOps<ConvOp>().begin();
  auto epilogue = cast<EpilogueOpInterface>(conv.getOperation());
  CHECK(epilogue.getBias() == func.getArgument(2));
  CHECK(!epilogue.getResidual());
  CHECK(!epilogue.hasActivation());
  CHECK(epilogue.getBiasDim() == 1);

  OpBuilder b(conv);
  Value fused =
      epilogue.cloneWithEpilogue(b, epilogue.getBias(), residual, relu);
  auto fusedConv = fused.getDefiningOp<ConvOp>();
  REQUIRE(fusedConv);
  CHECK(fusedConv.getResidual() == residual);
  CHECK(fusedConv.getActivationAttr() == relu);
  CHECK(fusedConv.getStrides() == conv.getStrides());
  CHECK(fusedConv.getGroups() == conv.getGroups());
  CHECK(cast<EpilogueOpInterface>(fusedConv.getOperation()).hasActivation());

  MatmulOp matmul = *func.getOps<MatmulOp>().begin();
  auto mm = cast<EpilogueOpInterface>(matmul.getOperation());
  CHECK(mm.getBiasDim() == 1);
  b.setInsertionPoint(matmul);
  Value plain = mm.cloneWithEpilogue(b, nullptr, nullptr, nullptr);
  CHECK(!cast<EpilogueOpInterface>(plain.getDefiningOp()).hasActivation());

  // The originals are still used; the clones are dead but valid IR.
  CHECK(succeeded(verify(*module)));
}
