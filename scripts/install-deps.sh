#!/usr/bin/env bash
# Installs everything mipp needs to build, test and run its demo, in two parts:
#   1. Debian 12 packages: compilers (clang builds mipp ~3x faster than g++) and build tools, header-only libraries, libpng and
#      libjpeg (image folders), GoogleTest, Google
#      Benchmark, the Fashion-MNIST dataset, gnuplot, Python's venv module (apt-get; root or sudo), Python's headers for the extension module.
#   2. A Python virtual environment outside the checkout (scripts/venv.sh says where; MIPP_VENV
#      overrides) with PyTorch's torch wheel, pinned in scripts/requirements.txt. mipp's LibTorch is
#      the one inside that wheel; tests and benchmarks run its interpreter (scripts/python).
# Idempotent: apt is not touched when every package is present, pip not when the environment was
# made from the same scripts/requirements.txt.
# Usage: scripts/install-deps.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/venv.sh"
fail() { echo "install-deps: $*" >&2; exit 2; }

packages=(
  build-essential clang cmake ninja-build ccache lld pkg-config
  libcli11-dev nlohmann-json3-dev libfmt-dev zlib1g-dev libpng-dev libjpeg-dev
  libgtest-dev libgmock-dev libbenchmark-dev libgloo-dev
  python3 python3-venv python3-dev
  dataset-fashion-mnist gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} Debian packages present"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 3; }
    sudo="sudo"
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---- the Python environment with torch ---------------------------------------------------------
stamp="$MIPP_VENV/.mipp-requirements"
if [ -x "$MIPP_VENV/bin/python" ] && cmp -s "$here/requirements.txt" "$stamp"; then
  "$MIPP_VENV/bin/python" -c 'import sys' 2>/dev/null ||
    fail "the Python environment at $MIPP_VENV does not start; remove it (rm -rf '$MIPP_VENV') and run scripts/install-deps.sh again"
  echo "install-deps: Python environment $MIPP_VENV up to date"
  exit 0
fi

# Debian's interpreter by default (python3-venv above gives it ensurepip); MIPP_BASE_PYTHON overrides.
base="${MIPP_BASE_PYTHON:-/usr/bin/python3}"
[ -x "$base" ] || base="$(command -v python3 || true)"
[ -n "$base" ] || fail "no python3 found; install Debian's python3 and python3-venv, or set MIPP_BASE_PYTHON"
"$base" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null ||
  fail "$base is not a usable Python 3.10 or newer (torch 2.11 needs one); set MIPP_BASE_PYTHON to one"

if [ ! -x "$MIPP_VENV/bin/python" ]; then
  echo "install-deps: creating the Python environment $MIPP_VENV (from $base)"
  mkdir -p "$(dirname "$MIPP_VENV")"
  "$base" -m venv "$MIPP_VENV" ||
    fail "could not create a virtual environment with $base; install python3-venv, or set MIPP_BASE_PYTHON"
fi
"$MIPP_VENV/bin/python" -c 'import sys' 2>/dev/null ||
  fail "the Python environment at $MIPP_VENV does not start; remove it (rm -rf '$MIPP_VENV') and run scripts/install-deps.sh again"

# torch's Linux wheel on PyPI is its CUDA build: about 3.5 GB with the nvidia-* libraries it needs.
echo "install-deps: installing $(grep -v '^#' "$here/requirements.txt" | xargs) into $MIPP_VENV (about 3.5 GB the first time)"
"$MIPP_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" ||
  fail "pip could not install scripts/requirements.txt into $MIPP_VENV (see above)"
"$MIPP_VENV/bin/python" -c 'import torch, torchvision, sklearn' ||
  fail "torch does not import in $MIPP_VENV after installing it; remove the environment and run again"
cp "$here/requirements.txt" "$stamp"
echo "install-deps: torch $("$MIPP_VENV/bin/python" -c 'import torch; print(torch.__version__)') ready in $MIPP_VENV"
