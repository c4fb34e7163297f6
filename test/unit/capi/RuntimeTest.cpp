//===- RuntimeTest.cpp - The run half of the C API, on its own ------------===//
//
// Linked with libcambrian_runtime.so alone (no MLIR, no LLVM): loads and
// runs a module of the echo test target, written here by hand.
//
//===----------------------------------------------------------------------===//

#include "cambrian-c/Runtime.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

std::string writeTemp(const std::string &name, const std::string &text) {
  std::string path =
      "/tmp/cambrian-capi-rt-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

} // namespace

TEST_CASE("the run half loads and runs a module alone", "[capi-runtime]") {
  std::string module = writeTemp("m.echo", "cambrian-echo-module 1\n"
                                           "banner echo\n"
                                           "input a 1 2x2\n"
                                           "input n 7 -\n");
  char *error = nullptr;
  cambrian_loaded_module *m = cambrian_load(module.c_str(), &error);
  REQUIRE(m != nullptr);
  REQUIRE(cambrian_num_inputs(m) == 2);
  REQUIRE(cambrian_num_outputs(m) == 2);
  cambrian_tensor_info info;
  REQUIRE(cambrian_output_info(m, 1, &info) == 0);
  CHECK(std::string(info.name) == "n_echo");
  CHECK(info.elem_type == CAMBRIAN_INT64);
  CHECK(info.rank == 0);

  float a[4] = {1, 2, 3, 4}, b[4] = {};
  int64_t n = 42, k = 0;
  const void *ins[] = {a, &n};
  void *outs[] = {b, &k};
  REQUIRE(cambrian_run(m, ins, outs, &error) == 0);
  CHECK(b[3] == 4);
  CHECK(k == 42);
  cambrian_unload(m);
  std::remove(module.c_str());
}

TEST_CASE("the run half refuses what it cannot run", "[capi-runtime]") {
  std::string module = writeTemp("v9.echo", "cambrian-echo-module 9\n");
  char *error = nullptr;
  CHECK(cambrian_load(module.c_str(), &error) == nullptr);
  REQUIRE(error != nullptr);
  CHECK(std::string(error).find("module format version 9") !=
        std::string::npos);
  cambrian_free_string(error);

  std::string text = writeTemp("text.txt", "hello\n");
  error = nullptr;
  CHECK(cambrian_load(text.c_str(), &error) == nullptr);
  REQUIRE(error != nullptr);
  CHECK(std::string(error).find("not a Cambrian module") != std::string::npos);
  cambrian_free_string(error);
  std::remove(module.c_str());
  std::remove(text.c_str());
}
