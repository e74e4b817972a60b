#!/usr/bin/env bash
# Installs everything mipp needs to build, test and run its demo, from Debian 12's archive.
# Idempotent: packages already present are skipped, and apt is not touched when nothing is missing.
# Usage: scripts/install-deps.sh        (as root, or with sudo available)
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache lld pkg-config
  libtorch-dev libcli11-dev nlohmann-json3-dev libfmt-dev zlib1g-dev
  # LibTorch's matrix products go through libblas.so.3; Debian's default is the unoptimised
  # reference BLAS. OpenBLAS (OpenMP build, like LibTorch's own threads) makes linear layers ~50x
  # faster here (docs/PERFORMANCE.md) and takes over libblas.so.3 through update-alternatives.
  libopenblas0-openmp
  libgtest-dev libgmock-dev libbenchmark-dev
  python3-torch python3-torchvision
  # the peer of the ksg estimator (bench/ksg_vs_sklearn.py, tests/info/ksg_sklearn_slow_test.cpp)
  python3-sklearn
  dataset-fashion-mnist gnuplot-nox
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 3; }
  sudo="sudo"
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
