# lit configuration for Cambrian's FileCheck tests.
import os
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "Cambrian"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt", ".test"]
# lib/ holds test-only code (the echo target), not tests.
config.excludes = ["Inputs", "lib", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.cambrian_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.add_tool_substitutions(
    ["cambrian-opt", "cambrian-compile", "cambrian-run"],
    [config.cambrian_tools_dir, config.llvm_tools_dir])
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# The Python environment of the project (numpy for making .npy inputs).
venv_python = os.path.join(config.cambrian_src_root, ".venv", "bin", "python")
# Inserted first: lit's defaults define %python as its own interpreter.
config.substitutions.insert(0, ("%python", venv_python if os.path.exists(venv_python) else "python3"))
# Tests that compare with onnxruntime need it in that environment.
if os.path.exists(venv_python) and subprocess.run(
        [venv_python, "-c", "import onnxruntime"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0:
    config.available_features.add("onnxruntime")
config.substitutions.append(("%cambrian_libs", os.path.join(config.cambrian_obj_root, "lib")))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
