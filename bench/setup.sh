#!/usr/bin/env bash
# bench/setup.sh: install the benchmark harness's packages (bench/requirements.txt:
# IREE, matplotlib) into <repo>/.venv, which scripts/setup-python.sh makes.
#
# Idempotent: does nothing (and needs no network) when the venv's stamp file
# matches the hash of bench/requirements.txt and of this script. The main
# pins of requirements.txt are passed as constraints, so they never change.
# Recreating the venv (setup-python.sh --force) drops the stamp with it.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
REQ="$REPO/bench/requirements.txt"
STAMP="$VENV/.cambrian-bench-requirements.sha256"

bash "$REPO/scripts/setup-python.sh"

want_hash="$(cat "$REQ" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want_hash" ]]; then
  exit 0
fi

echo "bench/setup.sh: installing $REQ into $VENV" >&2
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  -r "$REQ" -c "$REPO/requirements.txt"

# The tools must run and import together with the main pins.
"$VENV/bin/python" - <<'PY'
import subprocess, sys, os
import numpy, onnx, onnxruntime, matplotlib
import iree.compiler.version, iree.runtime
assert numpy.__version__ == "1.26.4" and onnx.__version__ == "1.22.0", (numpy.__version__, onnx.__version__)
bin_dir = os.path.dirname(sys.executable)
for tool in ("iree-compile", "iree-import-onnx"):
    subprocess.run([os.path.join(bin_dir, tool), "--help"], check=True, capture_output=True)
print(f"bench/setup.sh: ok: matplotlib {matplotlib.__version__}, iree "
      f"{iree.compiler.version.VERSION}", file=sys.stderr)
PY

echo "$want_hash" > "$STAMP"
