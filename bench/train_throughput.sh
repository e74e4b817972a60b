#!/usr/bin/env bash
# Training throughput of LeNet-5 on Fashion-MNIST: mipp versus PyTorch (the torch of scripts/python),
# same model, data, optimiser, batch size and thread count, run alternately in one session.
# Reports images/s of each run (epochs after the first, which warms caches) and the ratio.
#
#   bench/train_throughput.sh [THREADS=2] [ROUNDS=2] [EPOCHS=3]
# Needs a built mipp (make build) and the Python environment of scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
rounds=${2:-2}
epochs=${3:-3}
mipp=build/mipp
python=scripts/python  # mipp's Python environment, with torch
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Mean images/s over epochs 2..E from JSON lines with "samples_per_second".
rate() { "$python" -c '
import json, sys
r = [json.loads(l)["samples_per_second"] for l in sys.stdin if "samples_per_second" in l]
r = r[1:] if len(r) > 1 else r
print(f"{sum(r) / len(r):.1f}")'; }

echo "threads=$threads rounds=$rounds epochs=$epochs  $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-6s %14s %14s %8s\n' round mipp_img_s pytorch_img_s ratio
for round in $(seq 1 "$rounds"); do
  "$mipp" train --model lenet5 --dataset fashion-mnist --epochs "$epochs" --seed 1 --threads "$threads" \
    --log-format json --out "$tmp/lenet5.pt" 2>"$tmp/mipp.log" >/dev/null
  m=$(grep '"event":"epoch"' "$tmp/mipp.log" | rate)
  p=$("$python" bench/pytorch_lenet5_train.py --threads "$threads" --epochs "$epochs" | rate)
  printf '%-6s %14s %14s %8s\n' "$round" "$m" "$p" "$("$python" -c "print(f'{$p / $m:.3f}')")"
done
echo "ratio = PyTorch images/s / mipp images/s (above 1: PyTorch faster)"
