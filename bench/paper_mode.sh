#!/usr/bin/env bash
# MIPP's paper mode against its default, side by side on the same trained models: for each model,
#   1. the paper's procedure: `--estimator mlp` (5 repeats, warm-started refits), `--confidence 0.95`,
#      the sparsity emerging from the test;
#   2. the default (linear estimator, sparsity search) asked for the sparsity step 1 reached;
# each followed by the same fine-tuning (SGD lr 0.01, cosine, EPOCHS epochs). Writes one CSV row
# per model and mode, and prints the ratio of the summed scoring times.
#
#   bench/paper_mode.sh OUT.csv EPOCHS THREADS MODEL.pt [MODEL.pt ...]
#   bench/paper_mode.sh paper.csv 3 2 cache/lenet5-seed0-dense.pt cache/lenet5-seed1-dense.pt
#
# The models' seeds: each file's position in the list (0, 1, ...) is the --seed of its pruning and
# fine-tuning. Timings are only meaningful on an idle machine.
set -euo pipefail
OUT=$1
EPOCHS=$2
THREADS=$3
shift 3
MIPP=${MIPP:-$(dirname "$0")/../build/mipp}
PYTHON="$(dirname "$0")/../scripts/python"  # mipp's Python environment
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

field() { "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }

run() {  # seed model mode extra-options...
  local seed=$1 model=$2 mode=$3
  shift 3
  "$MIPP" prune "$model" --method mipp "$@" --threads "$THREADS" --seed "$seed" --out "$WORK/p.pt" \
    --report "$WORK/r.json" --quiet > /dev/null
  "$MIPP" finetune "$WORK/p.pt" --epochs "$EPOCHS" --lr 0.01 --threads "$THREADS" --seed "$seed" \
    --out "$WORK/f.pt" --json --quiet > "$WORK/f.json" 2> /dev/null
  echo "$model,$seed,$mode,$(field "$WORK/r.json" 'd["method_options"]["estimator"]'),$(field "$WORK/r.json" 'round(d["achieved_sparsity"],4)'),$(field "$WORK/r.json" 'round(d["score_seconds"],3)'),$(field "$WORK/r.json" 'd["method_details"]["estimator_fits"]'),$(field "$WORK/r.json" 'd["accuracy_before"]["top1"]'),$(field "$WORK/r.json" 'd["accuracy_after"]["top1"]'),$(field "$WORK/f.json" 'd["test"]["top1"]')" >> "$OUT.tmp"
  tail -1 "$OUT.tmp"
}

echo "model,seed,mode,estimator,achieved,score_seconds,estimator_fits,top1_before,top1_pruned,top1_finetuned" > "$OUT.tmp"
seed=0
for model in "$@"; do
  run "$seed" "$model" paper --estimator mlp --confidence 0.95
  reached=$(tail -1 "$OUT.tmp" | cut -d, -f5)
  run "$seed" "$model" default --sparsity "$reached"
  seed=$((seed + 1))
done
mv "$OUT.tmp" "$OUT"
"$PYTHON" - "$OUT" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def of(mode, key): return [float(r[key]) for r in rows if r["mode"] == mode]
paper, default = sum(of("paper", "score_seconds")), sum(of("default", "score_seconds"))
print(f"scoring: paper mode {paper:.2f} s, default {default:.2f} s, ratio {paper / default:.1f}x")
for key in ("achieved", "top1_pruned", "top1_finetuned"):
    p, d = of("paper", key), of("default", key)
    print(f"{key}: paper {statistics.mean(p):.4f}, default {statistics.mean(d):.4f} (mean of {len(p)})")
EOF
