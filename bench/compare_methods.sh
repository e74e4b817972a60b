#!/usr/bin/env bash
# One-shot pruning of a trained model by every method at several sparsities, each followed by the
# same fine-tuning, written as CSV. A stand-in for the `mipp bench` harness (not built yet): one
# seed, sequential, no caching.
#
#   bench/compare_methods.sh MODEL.pt OUT.csv [SPARSITIES] [METHODS] [FINETUNE_EPOCHS] [THREADS] [SEED]
#   bench/compare_methods.sh lenet5.pt results.csv "0.5 0.7 0.85 0.95" "mipp magnitude random" 3 2 0
#
# Environment: MIPP (the binary), PRUNE_ARGS and FINETUNE_ARGS (extra options of every prune and
# fine-tune, e.g. "--limit 512" for both: the limited-data setting), and a method may carry its own
# options after a colon: "submodular:{\"budget\":\"equal-accuracy\"}" (no spaces).
#
# Every method gets the same budget (--sparsity in units, global ranking, min width 1), the same
# calibration images (mipp: 2048 without labels; the others their default 512), and the same
# fine-tuning (SGD lr 0.01, cosine, FINETUNE_EPOCHS epochs on the full training set).
set -euo pipefail
MODEL=$1
OUT=$2
SPARSITIES=${3:-"0.5 0.7 0.85 0.95"}
METHODS=${4:-"mipp magnitude random taylor snip grasp synflow prospr"}
EPOCHS=${5:-3}
THREADS=${6:-2}
SEED=${7:-0}
MIPP=${MIPP:-$(dirname "$0")/../build/mipp}
PYTHON="$(dirname "$0")/../scripts/python"  # mipp's Python environment
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

field() { "$PYTHON" -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }

echo "method,sparsity,achieved,params,macs,top1_before,top1_pruned,top1_finetuned,collapsed_layers,prune_seconds,widths" > "$OUT.tmp"
for s in $SPARSITIES; do
  for entry in $METHODS; do
    m=${entry%%:*}
    options='{}'
    [ "$entry" != "$m" ] && options=${entry#*:}
    rounds=1
    [ "$m" = synflow ] && rounds=100
    # shellcheck disable=SC2086  # PRUNE_ARGS and FINETUNE_ARGS are lists of options
    if ! "$MIPP" prune "$MODEL" --method "$m" --method-options "$options" --sparsity "$s" --rounds "$rounds" \
        --threads "$THREADS" --seed "$SEED" ${PRUNE_ARGS:-} --out "$WORK/p.pt" --report "$WORK/r.json" --quiet \
        > /dev/null 2> "$WORK/err"; then
      echo "$entry,$s,failed: $(tail -1 "$WORK/err" | tr ',' ';')" >> "$OUT.tmp"
      continue
    fi
    # shellcheck disable=SC2086
    "$MIPP" finetune "$WORK/p.pt" --epochs "$EPOCHS" --lr 0.01 --threads "$THREADS" --seed "$SEED" ${FINETUNE_ARGS:-} \
      --out "$WORK/f.pt" --json --quiet > "$WORK/f.json" 2> /dev/null
    echo "$entry,$s,$(field "$WORK/r.json" 'round(d["achieved_sparsity"],4)'),$(field "$WORK/r.json" 'd["after"]["params"]'),$(field "$WORK/r.json" 'd["after"]["macs"]'),$(field "$WORK/r.json" 'd["accuracy_before"]["top1"]'),$(field "$WORK/r.json" 'd["accuracy_after"]["top1"]'),$(field "$WORK/f.json" 'd["test"]["top1"]'),$(field "$WORK/r.json" 'len(d["collapsed_layers"])'),$(field "$WORK/r.json" 'round(d["score_seconds"],2)'),$(field "$WORK/r.json" '"/".join(str(g["width_after"]) for g in d["groups"])')" >> "$OUT.tmp"
    tail -1 "$OUT.tmp"
  done
done
mv "$OUT.tmp" "$OUT"
