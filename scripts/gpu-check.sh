#!/usr/bin/env bash
# Builds mipp on a GPU machine against the PyTorch installed there, runs the GPU-labelled tests and
# prints one timing table, CPU against GPU:
#   a LeNet-5 epoch and a VGG-11 (x0.5, 32x32) epoch on Fashion-MNIST, MIPP's selection on VGG-11
#   and on ResNet-18 (torchvision's when torchvision imports, else the zoo's identical one), and
#   latency at batch 1 and 256.
# Made to finish in under 10 minutes on one H100 (16 cores): the CPU column uses all cores, the
# VGG-11 epoch reads 10,000 images, MIPP calibrates on its default 2048 samples.
#
# Usage: scripts/gpu-check.sh [BUILD_DIR]        (default build-gpu)
# Environment: MIPP_PYTHON (default: python3 on PATH) is the interpreter whose torch mipp links;
#   the build needs CLI11, nlohmann-json, fmt, zlib, Gloo's and GoogleTest's headers
#   (scripts/install-deps.sh installs them on Debian). The table is also written to
#   BUILD_DIR/gpu-check.md, the runs' own messages to BUILD_DIR/gpu-check.log.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-build-gpu}"
python="${MIPP_PYTHON:-$(command -v python3)}"
fail() { echo "gpu-check: $*" >&2; exit 2; }
# MIPP_GPU_CHECK_DEVICE=cpu runs the GPU column on the CPU: a check of this script on a machine
# without a GPU, not a measurement.
gpu="${MIPP_GPU_CHECK_DEVICE:-cuda}"

if [ "$gpu" != cpu ]; then
  "$python" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)" ||
    fail "$python's torch sees no GPU (torch.cuda.is_available() is False)"
fi
start=$SECONDS
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMIPP_CUDA=ON -DMIPP_PYTHON="$python" \
  -DMIPP_BUILD_BENCH=OFF >/dev/null
ninja -C "$build" mipp mipp_gpu_tests >/dev/null
echo "gpu-check: built in $((SECONDS - start)) s"
(cd "$build" && ctest -L gpu --output-on-failure --timeout 300)

mipp="$build/mipp"
log="$build/gpu-check.log"  # the runs' warnings and errors, out of the table's way
: >"$log"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
json() { "$python" -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }

# One training epoch; prints its seconds (the epoch record, evaluation excluded).
epoch() {  # device, out, mipp train arguments...
  local device=$1 out=$2; shift 2
  "$mipp" train "$@" --epochs 1 --test-limit 1000 --device "$device" --quiet --json --out "$work/$out.pt" >"$work/$out.json" 2>>"$log"
  json "$work/$out.json" "j['epochs'][0]['seconds']"
}
# MIPP's selection (scoring) seconds, from the prune report.
select_mipp() {  # device, model file, input-shape
  "$mipp" prune "$2" "${@:3}" --method mipp --sparsity 0.7 --dataset fashion-mnist --no-eval --device "$1" --quiet \
    --json --out "$work/selected.pt" >"$work/prune.json" 2>>"$log"
  json "$work/prune.json" "j['score_seconds']"
}
latency() {  # device, model file, batch
  "$mipp" latency "$2" --batch "$3" --repeats 20 --device "$1" --json >"$work/latency.json" 2>>"$log"
  json "$work/latency.json" "j['results'][0]['models'][0]['median_ms']"
}
# Realised speed-up of a 70%-pruned model: measured latency ratio and MAC ratio, on one device.
speedup() {  # device, batch
  "$mipp" latency "$work/vgg11.pt" "$work/vgg11-p70.pt" --batch "$2" --repeats 20 --device "$1" --json >"$work/pair.json" 2>>"$log"
  json "$work/pair.json" "'{:.2f}x measured, {:.2f}x MACs'.format(j['results'][0]['measured_speedup'], j['results'][0]['theoretical_speedup'])"
}

"$mipp" train --model vgg11 --width 0.5 --input-shape 1,32,32 --limit 2000 --epochs 1 --quiet --out "$work/vgg11.pt" >/dev/null
"$mipp" prune "$work/vgg11.pt" --method magnitude --sparsity 0.7 --no-eval --quiet --out "$work/vgg11-p70.pt" >/dev/null
if "$python" -c "import torchvision" 2>/dev/null; then
  "$python" - "$work/resnet18.pt" <<'PY'
import sys, torch, torchvision
model = torchvision.models.resnet18(num_classes=10).eval()
torch.jit.script(model).save(sys.argv[1])
PY
  resnet18="$work/resnet18.pt --input-shape 3,64,64"
  resnet18_name="torchvision resnet18, 3x64x64"
else
  "$mipp" export --model resnet18 --input-shape 3,64,64 --out "$work/resnet18.pt" >/dev/null
  resnet18="$work/resnet18.pt"
  resnet18_name="zoo resnet18 (torchvision not installed), 3x64x64"
fi

row() {  # label, cpu seconds, gpu seconds
  "$python" -c "import sys; c, g = float(sys.argv[2]), float(sys.argv[3]); print(f'| {sys.argv[1]} | {c:.3f} | {g:.3f} | {c / g:.1f}x |')" "$@"
}
{
  echo "| work | CPU | GPU | GPU speed-up |"
  echo "|---|---:|---:|---:|"
  row "LeNet-5 epoch, 60,000 images (s)" "$(epoch cpu l5c --model lenet5)" "$(epoch "$gpu" l5g --model lenet5)"
  row "VGG-11 x0.5 epoch, 10,000 images 32x32 (s)" \
    "$(epoch cpu v11c --model vgg11 --width 0.5 --input-shape 1,32,32 --limit 10000)" \
    "$(epoch "$gpu" v11g --model vgg11 --width 0.5 --input-shape 1,32,32 --limit 10000)"
  row "MIPP selection, VGG-11 x0.5, 2048 samples (s)" "$(select_mipp cpu "$work/vgg11.pt")" \
    "$(select_mipp "$gpu" "$work/vgg11.pt")"
  # shellcheck disable=SC2086  # $resnet18 carries its --input-shape
  row "MIPP selection, $resnet18_name, 2048 samples (s)" "$(select_mipp cpu $resnet18)" "$(select_mipp "$gpu" $resnet18)"
  for b in 1 256; do
    row "VGG-11 x0.5 latency, batch $b (ms)" "$(latency cpu "$work/vgg11.pt" $b)" "$(latency "$gpu" "$work/vgg11.pt" $b)"
  done
  echo
  echo "| VGG-11 x0.5, 70% of units removed (magnitude) | CPU | GPU |"
  echo "|---|---|---|"
  for b in 1 256; do echo "| batch $b | $(speedup cpu $b) | $(speedup "$gpu" $b) |"; done
} | tee "$build/gpu-check.md"
echo
echo "gpu-check: $("$mipp" --version); $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1); \
$(nproc) CPU threads; $((SECONDS - start)) s in all"
