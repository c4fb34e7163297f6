#!/usr/bin/env bash
# setup-python.sh: create <repo>/.venv for Cambrian's Python tooling.
#
# The venv is made from Debian's /usr/bin/python3 with --system-site-packages
# so that Debian's python3-torch / python3-torchvision are visible, and gets the
# pinned packages of <repo>/requirements.txt (onnx, onnxruntime, numpy 1.x).
#
# Idempotent: when the venv exists and its stamp file matches the hash of
# requirements.txt (and of this script), it does nothing (no network).
# Missing apt packages are installed (apt-get update only when needed).
#
# Usage:  scripts/setup-python.sh          # then use .venv/bin/python
#         scripts/setup-python.sh --force  # rebuild the venv from scratch
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
REQ="$REPO/requirements.txt"
STAMP="$VENV/.cambrian-requirements.sha256"
SYS_PY=/usr/bin/python3
APT_PKGS=(python3-venv python3-torch python3-torchvision)

force=0
[[ "${1:-}" == "--force" ]] && force=1

log() { echo "setup-python: $*" >&2; }

# 1. Debian packages (dpkg -s is fast and offline).
missing=()
for p in "${APT_PKGS[@]}"; do
  if ! dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  log "installing apt packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q "${missing[@]}"
fi

# 2. Is the existing venv up to date?
want_hash="$(cat "$REQ" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
if [[ $force -eq 0 && -x "$VENV/bin/python" && -f "$STAMP" &&
      "$(cat "$STAMP")" == "$want_hash" ]]; then
  exit 0
fi

# 3. (Re)create the venv. A venv that is not ours (wrong base interpreter or
#    without system site packages) is replaced.
recreate=$force
if [[ ! -x "$VENV/bin/python" ]]; then
  recreate=1
elif ! grep -q '^include-system-site-packages = true' "$VENV/pyvenv.cfg" 2>/dev/null ||
     ! grep -q '^home = /usr/bin$' "$VENV/pyvenv.cfg" 2>/dev/null; then
  log "existing $VENV is not based on $SYS_PY with system site packages; recreating"
  recreate=1
fi
if [[ $recreate -eq 1 ]]; then
  rm -rf "$VENV"
  log "creating $VENV"
  "$SYS_PY" -m venv --system-site-packages "$VENV"
fi

log "installing pinned packages from $REQ"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  --no-input -r "$REQ"

# 4. Check that everything imports together and torch -> ONNX -> ORT works.
"$VENV/bin/python" - <<'PY'
import io
import numpy as np
import torch, torchvision, onnx, onnxruntime as ort
import os
from sklearn.datasets import load_digits
assert load_digits().data.shape == (1797, 64)
assert np.__version__.startswith("1."), np.__version__
node_dir = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")
assert os.path.isdir(node_dir), f"onnx wheel lacks backend node test data: {node_dir}"
m = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU()).eval()
x = torch.randn(2, 4)
buf = io.BytesIO()
torch.onnx.export(m, x, buf, opset_version=17)
onnx.checker.check_model(onnx.load_from_string(buf.getvalue()))
s = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
y = s.run(None, {s.get_inputs()[0].name: x.numpy()})[0]
assert np.allclose(y, m(x).detach().numpy(), atol=1e-5)
print(f"setup-python: ok: torch {torch.__version__}, torchvision "
      f"{torchvision.__version__}, numpy {np.__version__}, onnx {onnx.__version__}, "
      f"onnxruntime {ort.__version__}")
PY

echo "$want_hash" > "$STAMP"
