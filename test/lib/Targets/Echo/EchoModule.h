//===- EchoModule.h - The file format of the echo test target ---*- C++ -*-===//
//
// An echo module is a short text file that both sides of the target read
// and write, so it lives here without MLIR or LLVM:
//
//   cambrian-echo-module 1          magic and format version
//   banner <text>                   the target option `banner`
//   input <name> <type> <dims>      one per input: ONNX element type code,
//   ...                             dims as 2x3 (`-` for a scalar)
//
// Running it copies each input to the output of the same index: the outputs
// are the inputs, renamed `<name>_echo`.
//
//===----------------------------------------------------------------------===//

#ifndef CAMBRIAN_TEST_TARGETS_ECHO_ECHOMODULE_H
#define CAMBRIAN_TEST_TARGETS_ECHO_ECHOMODULE_H

#include <string_view>

namespace cambrian::echo {

/// The first word of an echo module; the loader recognises files by it.
inline constexpr std::string_view kMagic = "cambrian-echo-module";
/// The format version written after the magic.
inline constexpr int kFormatVersion = 1;

} // namespace cambrian::echo

#endif // CAMBRIAN_TEST_TARGETS_ECHO_ECHOMODULE_H
