//===- CAPITest.cpp - The C API compiles, loads and runs a model ----------===//

#include "cambrian-c/Cambrian.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

std::string writeTemp(const std::string &name, const std::string &text) {
  std::string path = "/tmp/cambrian-capi-" + std::to_string(getpid()) + "-" + name;
  std::ofstream(path) << text;
  return path;
}

const char *kModel = R"(<ir_version: 8, opset_import: ["" : 17]>
agraph (float[2,3] x, float[3] b) => (float[2,3] y) {
  s = Add(x, b)
  y = Relu(s)
}
)";

} // namespace

TEST_CASE("compile, load and run through the C API", "[capi]") {
  std::string model = writeTemp("model.onnxtxt", kModel);
  std::string module = model + ".so";
  char *error = nullptr;
  cambrian_compile_options options = {};
  REQUIRE(cambrian_compile(model.c_str(), module.c_str(), &options, &error) == 0);
  REQUIRE(error == nullptr);

  cambrian_loaded_module *m = cambrian_load(module.c_str(), &error);
  REQUIRE(m != nullptr);
  REQUIRE(cambrian_num_inputs(m) == 2);
  REQUIRE(cambrian_num_outputs(m) == 1);
  cambrian_tensor_info info;
  REQUIRE(cambrian_input_info(m, 1, &info) == 0);
  CHECK(std::string(info.name) == "b");
  CHECK(info.elem_type == CAMBRIAN_FLOAT);
  CHECK(info.rank == 1);
  CHECK(info.shape[0] == 3);
  CHECK(cambrian_output_info(m, 1, &info) != 0);

  float x[6] = {1, -2, 3, -4, 5, -6}, b[3] = {0.5f, 0.5f, -10};
  float y[6] = {};
  const void *ins[] = {x, b};
  void *outs[] = {y};
  cambrian_set_threads(m, 2);
  REQUIRE(cambrian_run(m, ins, outs, &error) == 0);
  const float expected[6] = {1.5f, 0, 0, 0, 5.5f, 0};
  for (int i = 0; i < 6; ++i)
    CHECK(y[i] == Approx(expected[i]));
  cambrian_unload(m);
  std::remove(module.c_str());
  std::remove(model.c_str());
}

TEST_CASE("errors come back as messages", "[capi]") {
  std::string model = writeTemp(
      "bad.onnxtxt", "<ir_version: 8, opset_import: [\"\" : 17]>\n"
                     "agraph (float[2] x) => (float[2] y) { y = Frobnicate(x) }\n");
  std::string module = model + ".so";
  char *error = nullptr;
  REQUIRE(cambrian_compile(model.c_str(), module.c_str(), nullptr, &error) != 0);
  REQUIRE(error != nullptr);
  CHECK(std::string(error).find("unsupported op 'Frobnicate'") != std::string::npos);
  cambrian_free_string(error);
  CHECK(access(module.c_str(), F_OK) != 0); // nothing half-written

  error = nullptr;
  CHECK(cambrian_load(model.c_str(), &error) == nullptr);
  REQUIRE(error != nullptr);
  CHECK(std::string(error).find("not a Cambrian module") != std::string::npos);
  cambrian_free_string(error);
  std::remove(model.c_str());
}

TEST_CASE("target options are the target's to parse", "[capi]") {
  std::string model = writeTemp("echo.onnxtxt", kModel);
  std::string module = model + ".echo";
  const char *targetOptions[] = {"banner=from the C API"};
  cambrian_compile_options options = {};
  options.target = "echo";
  options.target_options = targetOptions;
  options.num_target_options = 1;
  char *error = nullptr;
  REQUIRE(cambrian_compile(model.c_str(), module.c_str(), &options, &error) == 0);
  std::ifstream in(module);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  CHECK(text.find("banner from the C API\n") != std::string::npos);

  const char *bad[] = {"cpu=znver4"};
  options.target_options = bad;
  REQUIRE(cambrian_compile(model.c_str(), module.c_str(), &options, &error) != 0);
  REQUIRE(error != nullptr);
  CHECK(std::string(error).find("target 'echo' has no option 'cpu'") !=
        std::string::npos);
  cambrian_free_string(error);
  std::remove(module.c_str());
  std::remove(model.c_str());
}
