#!/usr/bin/env bash
# Data-parallel training throughput: one process with T threads against R ranks (mipp train
# --nproc R) with T/R threads each, the same model, data, global batch and seed, run alternately.
# Reports images/s (epochs after the first) and the ratio; the GPU column of gpu-check.sh is the
# other half of this comparison.
#
#   bench/data_parallel_throughput.sh [MODEL=lenet5] [THREADS=2] [RANKS=2] [ROUNDS=2] [EPOCHS=3] [LIMIT=20000]
# Needs a built mipp (make build). On a machine of T cores this compares LibTorch's intra-op
# threads against processes that split the batch: neither adds cores, so it measures the overhead
# of the all-reduce and of smaller per-rank batches, not a speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-lenet5}
threads=${2:-2}
ranks=${3:-2}
rounds=${4:-2}
epochs=${5:-3}
limit=${6:-20000}
mipp=build/mipp
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shape=()
[ "$model" = vgg11 ] && shape=(--width 0.5 --input-shape 1,32,32)

rate() { python3 -c '
import json, sys
r = [json.loads(l)["samples_per_second"] for l in sys.stdin if "\"epoch\"" in l and "samples_per_second" in l]
r = r[1:] if len(r) > 1 else r
print(f"{sum(r) / len(r):.1f}")'; }

echo "model=$model threads=$threads ranks=$ranks rounds=$rounds epochs=$epochs limit=$limit batch=128" \
  "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
printf '%-6s %16s %16s %8s\n' round one_process_img_s ranks_img_s ratio
for round in $(seq 1 "$rounds"); do
  "$mipp" train --model "$model" "${shape[@]}" --limit "$limit" --test-limit 1000 --epochs "$epochs" --seed 1 \
    --threads "$threads" --device cpu --log-format json --out "$tmp/one.pt" 2>"$tmp/one.log" >/dev/null
  "$mipp" train --model "$model" "${shape[@]}" --limit "$limit" --test-limit 1000 --epochs "$epochs" --seed 1 \
    --threads $((threads / ranks > 0 ? threads / ranks : 1)) --nproc "$ranks" --device cpu --log-format json \
    --out "$tmp/ranks.pt" 2>"$tmp/ranks.log" >/dev/null
  one=$(rate <"$tmp/one.log")
  many=$(rate <"$tmp/ranks.log")
  printf '%-6s %16s %16s %8s\n' "$round" "$one" "$many" "$(python3 -c "print(f'{$many / $one:.3f}')")"
done
echo "ratio = $ranks ranks' images/s / one process's images/s (above 1: the ranks are faster)"
