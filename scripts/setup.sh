#!/usr/bin/env bash
# Installs what building and testing Cambrian needs on Debian 12, then the
# Python test environment. Idempotent: does nothing when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(llvm-22-dev libmlir-22-dev mlir-22-tools lld-22 libonnx-dev
          libprotobuf-dev protobuf-compiler libfmt-dev catch2 ninja-build
          cmake ccache g++ python3-venv python3-torch python3-torchvision)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
bash scripts/setup-python.sh
