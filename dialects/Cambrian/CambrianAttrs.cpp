//===- CambrianAttrs.cpp - cambrian attributes ----------------------------===//

#include "dialects/Cambrian/CambrianDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/TypeUtilities.h"

#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace cambrian::cmb;

#include "dialects/Cambrian/CambrianEnums.cpp.inc"


#define GET_ATTRDEF_CLASSES
#include "dialects/Cambrian/CambrianAttrs.cpp.inc"

void CambrianDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Cambrian/CambrianAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// ActivationAttr
//===----------------------------------------------------------------------===//

LogicalResult
ActivationAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       ActivationKind kind, APFloat alpha, APFloat beta) {
  if (!alpha.isFinite() || !beta.isFinite())
    return emitError() << "activation parameters must be finite";
  float a = alpha.convertToFloat(), b = beta.convertToFloat();
  switch (kind) {
  case ActivationKind::Clip:
    if (a > b)
      return emitError() << "clip bounds must satisfy alpha <= beta, got "
                         << a << " > " << b;
    return success();
  case ActivationKind::LeakyRelu:
  case ActivationKind::Elu:
  case ActivationKind::HardSigmoid:
    return success();
  default:
    if (a != 0.0f || b != 0.0f)
      return emitError() << "activation '" << stringifyActivationKind(kind)
                         << "' takes no parameters";
    return success();
  }
}

// `<kind>`, `<kind, alpha = 0.1>`, `<kind, alpha = 0.0, beta = 6.0>`:
// either parameter may be left out when it is 0.
Attribute ActivationAttr::parse(AsmParser &parser, Type) {
  StringRef kindName;
  llvm::SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&kindName))
    return {};
  std::optional<ActivationKind> kind = symbolizeActivationKind(kindName);
  if (!kind) {
    parser.emitError(kindLoc) << "unknown activation '" << kindName << "'";
    return {};
  }
  APFloat alpha(0.0f), beta(0.0f);
  bool seenAlpha = false, seenBeta = false;
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    llvm::SMLoc keyLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&key))
      return {};
    bool isAlpha = key == "alpha";
    if ((!isAlpha && key != "beta") || (isAlpha ? seenAlpha : seenBeta)) {
      parser.emitError(keyLoc) << "expected 'alpha' or 'beta' once each";
      return {};
    }
    (isAlpha ? seenAlpha : seenBeta) = true;
    if (parser.parseEqual() ||
        parser.parseFloat(APFloat::IEEEsingle(), isAlpha ? alpha : beta))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<ActivationAttr>(parser.getContext(), *kind, alpha,
                                           beta);
}

void ActivationAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyActivationKind(getKind());
  if (!getAlpha().isZero() || !getBeta().isZero())
    printer << ", alpha = " << getAlpha();
  if (!getBeta().isZero())
    printer << ", beta = " << getBeta();
  printer << ">";
}

//===----------------------------------------------------------------------===//
// WindowAttr
//===----------------------------------------------------------------------===//

int64_t cambrian::cmb::windowOutputSize(int64_t in, int64_t kernel,
                                        int64_t stride, int64_t dilation,
                                        int64_t padBegin, int64_t padEnd,
                                        bool ceil) {
  if (ShapedType::isDynamic(in))
    return ShapedType::kDynamic;
  int64_t span = dilation * (kernel - 1) + 1;
  int64_t avail = in + padBegin + padEnd - span;
  if (avail < 0)
    return 0;
  if (!ceil)
    return avail / stride + 1;
  int64_t out = (avail + stride - 1) / stride + 1;
  if ((out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

int64_t WindowAttr::outputSize(unsigned i, int64_t size) const {
  unsigned nd = getKernel().size();
  return windowOutputSize(size, getKernel()[i], getStrides()[i],
                          getDilations()[i], getPadding()[i],
                          getPadding()[nd + i], getCeilMode());
}

LogicalResult WindowAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 PoolKind, ArrayRef<int64_t> kernel,
                                 ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> dilations,
                                 ArrayRef<int64_t> padding, bool) {
  size_t nd = kernel.size();
  if (nd < 1 || nd > 3)
    return emitError() << "a window has 1 to 3 spatial dims, got " << nd;
  if (strides.size() != nd || dilations.size() != nd ||
      padding.size() != 2 * nd)
    return emitError() << "a " << nd << "-D window needs " << nd
                       << " strides and dilations and " << 2 * nd
                       << " paddings";
  for (ArrayRef<int64_t> v : {kernel, strides, dilations})
    for (int64_t x : v)
      if (x < 1)
        return emitError() << "window sizes, strides and dilations must be "
                              "positive, got "
                           << x;
  for (int64_t x : padding)
    if (x < 0)
      return emitError() << "window padding must not be negative, got " << x;
  return success();
}

// `<max, kernel = [3, 3], strides = [2, 2], dilations = [1, 1],
//   padding = [1, 1, 1, 1]>`, then `, ceil_mode` when set.
Attribute WindowAttr::parse(AsmParser &parser, Type) {
  StringRef kindName;
  llvm::SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&kindName))
    return {};
  std::optional<PoolKind> kind = symbolizePoolKind(kindName);
  if (!kind) {
    parser.emitError(kindLoc) << "unknown pooling kind '" << kindName << "'";
    return {};
  }
  SmallVector<int64_t> lists[4];
  const char *names[4] = {"kernel", "strides", "dilations", "padding"};
  for (int k = 0; k < 4; ++k) {
    if (parser.parseComma() || parser.parseKeyword(names[k]) ||
        parser.parseEqual() ||
        parser.parseCommaSeparatedList(
            AsmParser::Delimiter::Square, [&]() -> ParseResult {
              return parser.parseInteger(lists[k].emplace_back());
            }))
      return {};
  }
  bool ceil = false;
  if (succeeded(parser.parseOptionalComma())) {
    if (parser.parseKeyword("ceil_mode"))
      return {};
    ceil = true;
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<WindowAttr>(parser.getContext(), *kind,
                                       ArrayRef<int64_t>(lists[0]),
                                       ArrayRef<int64_t>(lists[1]),
                                       ArrayRef<int64_t>(lists[2]),
                                       ArrayRef<int64_t>(lists[3]), ceil);
}

void WindowAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyPoolKind(getKind());
  auto list = [&](StringRef name, ArrayRef<int64_t> v) {
    printer << ", " << name << " = [";
    llvm::interleaveComma(v, printer);
    printer << "]";
  };
  list("kernel", getKernel());
  list("strides", getStrides());
  list("dilations", getDilations());
  list("padding", getPadding());
  if (getCeilMode())
    printer << ", ceil_mode";
  printer << ">";
}

//===----------------------------------------------------------------------===//
// TensorSpecAttr: #cambrian.tensor<"name", f32, [1, ?, 3]>
//===----------------------------------------------------------------------===//

Attribute TensorSpecAttr::parse(AsmParser &parser, Type) {
  std::string name, typeName;
  SmallVector<int64_t> shape;
  if (parser.parseLess() || parser.parseString(&name) || parser.parseComma())
    return {};
  SMLoc typeLoc = parser.getCurrentLocation();
  if (parser.parseKeywordOrString(&typeName))
    return {};
  std::optional<ElementType> elementType = symbolizeElementType(typeName);
  if (!elementType) {
    parser.emitError(typeLoc) << "unknown element type '" << typeName << "'";
    return {};
  }
  auto parseDim = [&]() -> ParseResult {
    if (succeeded(parser.parseOptionalQuestion())) {
      shape.push_back(ShapedType::kDynamic);
      return success();
    }
    return parser.parseInteger(shape.emplace_back());
  };
  if (parser.parseComma() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, parseDim) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<TensorSpecAttr>(parser.getContext(), name,
                                           *elementType, shape);
}

void TensorSpecAttr::print(AsmPrinter &printer) const {
  printer << "<\"";
  llvm::printEscapedString(getName(), printer.getStream());
  printer << "\", " << stringifyElementType(getElementType()) << ", [";
  llvm::interleaveComma(getShape(), printer, [&](int64_t d) {
    if (ShapedType::isDynamic(d))
      printer << "?";
    else
      printer << d;
  });
  printer << "]>";
}

LogicalResult
TensorSpecAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                       StringRef name, ElementType, ArrayRef<int64_t> shape) {
  if (name.empty())
    return emitError() << "a module input or output needs a name";
  for (int64_t d : shape)
    if (d < 0 && !ShapedType::isDynamic(d))
      return emitError() << "'" << name << "' has negative dimension " << d;
  return success();
}

//===----------------------------------------------------------------------===//
// SignatureAttr
//===----------------------------------------------------------------------===//

LogicalResult
SignatureAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                      ArrayRef<TensorSpecAttr> inputs,
                      ArrayRef<TensorSpecAttr> outputs) {
  for (auto [specs, side] : {std::make_pair(inputs, "input"),
                             std::make_pair(outputs, "output")}) {
    llvm::DenseSet<StringRef> seen;
    for (TensorSpecAttr spec : specs) {
      if (!spec)
        return emitError() << "signature " << side << " is not a "
                           << "#cambrian.tensor";
      if (!seen.insert(spec.getName()).second)
        return emitError() << "signature lists " << side << " '"
                           << spec.getName() << "' twice";
    }
  }
  if (outputs.empty())
    return emitError() << "a module needs at least one output";
  return success();
}

// `<inputs = [#cambrian.tensor<...>, ...], outputs = [...]>`
Attribute SignatureAttr::parse(AsmParser &parser, Type) {
  SmallVector<TensorSpecAttr> inputs, outputs;
  auto parseList = [&](StringRef keyword,
                       SmallVectorImpl<TensorSpecAttr> &specs) -> ParseResult {
    return failure(
        parser.parseKeyword(keyword) || parser.parseEqual() ||
        parser.parseCommaSeparatedList(
            AsmParser::Delimiter::Square, [&]() -> ParseResult {
              return parser.parseAttribute(specs.emplace_back());
            }));
  };
  if (parser.parseLess() || parseList("inputs", inputs) ||
      parser.parseComma() || parseList("outputs", outputs) ||
      parser.parseGreater())
    return {};
  return parser.getChecked<SignatureAttr>(parser.getContext(), inputs,
                                          outputs);
}

void SignatureAttr::print(AsmPrinter &printer) const {
  printer << "<inputs = [";
  llvm::interleaveComma(getInputs(), printer,
                        [&](TensorSpecAttr spec) { printer << spec; });
  printer << "], outputs = [";
  llvm::interleaveComma(getOutputs(), printer,
                        [&](TensorSpecAttr spec) { printer << spec; });
  printer << "]>";
}
