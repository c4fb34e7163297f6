//===- ModelLoader.cpp - Reading ONNX files -------------------------------===//
//
// Binary models are protobuf; text models use ONNX's own parser
// (onnx/defs/parser.h). Both land in the same ModelProto.
//
//===----------------------------------------------------------------------===//

#include "lib/Import/ModelLoader.h"

#include "llvm/ADT/StringExtras.h"

#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"

#include <google/protobuf/io/coded_stream.h>

using namespace cambrian::onnx_import;

/// Text models start with '<' (the model header) or an identifier, after
/// optional whitespace and comments; binary protobuf almost never does.
static bool looksLikeText(llvm::StringRef contents) {
  llvm::StringRef s = contents.ltrim();
  while (s.starts_with("#")) {
    s = s.drop_until([](char c) { return c == '\n'; }).ltrim();
  }
  if (s.empty())
    return false;
  if (s.front() != '<' && !llvm::isAlpha(s.front()))
    return false;
  for (char c : contents.take_front(4096))
    if (c == 0 || (static_cast<unsigned char>(c) < 0x20 && c != '\n' &&
                   c != '\r' && c != '\t'))
      return false;
  return true;
}

static std::string parseText(llvm::StringRef contents,
                             onnx::ModelProto &model) {
  std::string text = contents.str();
  onnx::OnnxParser parser(text.c_str());
  auto status = parser.Parse(model);
  if (!status.IsOK()) {
    // One line: the parser's message spans several.
    std::string msg = status.ErrorMessage();
    for (char &c : msg)
      if (c == '\n')
        c = ' ';
    return "cannot parse ONNX text: " + llvm::StringRef(msg).trim().str();
  }
  return "";
}

static std::string parseBinary(llvm::StringRef contents,
                               onnx::ModelProto &model) {
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(contents.data()), contents.size());
  // Models with weights inside exceed protobuf's default 64 MiB limit.
  stream.SetTotalBytesLimit(INT32_MAX);
  if (!model.ParseFromCodedStream(&stream) ||
      !stream.ConsumedEntireMessage())
    return "not a valid ONNX protobuf (truncated or not an ONNX file)";
  if (!model.has_graph())
    return "not a valid ONNX model: it has no graph";
  return "";
}

std::string cambrian::onnx_import::parseModel(llvm::StringRef contents,
                                              bool preferText,
                                              onnx::ModelProto &model) {
  if (contents.empty())
    return "the file is empty";
  if (preferText)
    return parseText(contents, model);
  std::string binaryError = parseBinary(contents, model);
  if (binaryError.empty())
    return "";
  if (looksLikeText(contents)) {
    model.Clear();
    std::string textError = parseText(contents, model);
    if (textError.empty())
      return "";
    return textError;
  }
  return binaryError;
}
