# Cambrian: `make demo` and `make check` work on a fresh Debian 12 machine.
BUILD   ?= build
MODELS  ?= $(BUILD)/models
PYTHON  := .venv/bin/python
JOBS    ?= $(shell nproc)

.PHONY: all setup build demo check conformance bench clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja:
	cmake -G Ninja -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release \
	  -DLLVM_USE_LINKER=lld -DCMAKE_C_COMPILER_LAUNCHER=ccache \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
	  -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit

build: setup $(BUILD)/build.ninja
	ninja -C $(BUILD) -j$(JOBS)

# Compile the bundled example CNN for this machine and run it.
demo: build
	$(BUILD)/bin/cambrian-compile examples/tiny_cnn.onnx --target x86 -o $(BUILD)/tiny_cnn.so
	$(BUILD)/bin/cambrian-run $(BUILD)/tiny_cnn.so examples/tiny_cnn_input.npy --bench 50

# Every suite; the last line is the total "N passed, N failed".
check: build
	@bash scripts/check.sh $(BUILD) $(MODELS)

# The ONNX backend node tests; refreshes docs/conformance.md.
conformance: build
	$(PYTHON) test/conformance/run_conformance.py --build $(BUILD) \
	  --report docs/conformance.md

# Cambrian against onnxruntime and IREE on the benchmark models, 1 and 2
# threads; writes docs/benchmarks.md and docs/benchmarks.png (bench/).
# Installs bench/requirements.txt (IREE, matplotlib) into .venv if missing.
# Options for bench/run_bench.py go in BENCH_ARGS, e.g.
#   make bench BENCH_ARGS="--models resnet18 bert_encoder --runs 5"
bench: build
	@bash bench/setup.sh
	$(PYTHON) bench/run_bench.py --build $(BUILD) --models-dir $(MODELS) $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
