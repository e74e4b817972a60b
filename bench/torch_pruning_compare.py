#!/usr/bin/env python3
"""mipp against Torch-Pruning on one job: remove half the channels of torchvision's ResNet-18 by L1
magnitude, the same fraction in every group of coupled channels (issue 25, item 6).

The model: torchvision.models.resnet18(weights=None) after torch.manual_seed(0), 1000 classes,
input 1x3x224x224, eval mode. Three prunes of it:
  * mipp: mipp.prune(method="magnitude", norm=1, scope="layer"). A unit's score is the L1 norm of
    its filter, summed over the group's producers (every conv whose output feeds the same
    residual sum).
  * tp: Torch-Pruning as its README does it, with p=1 for L1: MagnitudeImportance(p=1), whose defaults
    average over every member of the group (group_reduction="mean": the producers' filters, the
    consumers' input slices and the batch-norms' |gamma|) and divide by the mean
    (normalizer="mean", which cannot change a ranking inside one group). No built-in option scores
    all the producers and only them: target_types selects layer types, not roles (a conv counts as
    producer and as consumer), and group_reduction="first" reads the group's root layer alone.
  * tp-matched: Torch-Pruning with a small Importance of our own (ProducerL1 below, written against
    its public Group API) that scores exactly as mipp does, so that any difference left is one of
    coupling, budget rounding or slicing, not of the criterion.
Both tools keep int(C * 0.5) = C/2 units per group here (all widths are even).

Measured: lines of user code of the pruning call (the body of each prune_* function below, plus
the whole ProducerL1 class for tp-matched; blank and comment lines not counted, the imports not
counted), wall time of the call on a fresh model (median of --repeats, interleaved; each includes
the tool's own graph tracing), params and MACs after with Torch-Pruning's counter
(tp.utils.count_ops_and_params; its total also counts batch-norm, ReLU and pooling elements, so
its conv+linear part is shown too) and with mipp's (the report's count: conv and linear MACs;
for the other models, the "before" of a mipp.prune(sparsity=0) of a copy), the coupled groups each
tool finds (producers, consumers, batch-norms by module name), the channels each keeps per group
(mipp's report; Torch-Pruning's interactive step on another fresh model, checked to give the same
model as the timed call), whether the pruned state_dicts are identical, and the largest absolute
difference of the logits against mipp's pruned model on one random input.

Torch-Pruning is not a dependency of mipp; install it only for this benchmark:
  scripts/python -m pip install --no-deps --target /tmp/tp torch-pruning
  PYTHONPATH=build/python:/tmp/tp scripts/python bench/torch_pruning_compare.py --threads 2
"""
import argparse
import copy
import importlib.metadata
import inspect
import json
import os
import statistics
import sys
import time

import torch
import torchvision

import mipp

try:
    import torch_pruning as tp
except ImportError:
    print("torch_pruning is not installed: scripts/python -m pip install --no-deps --target /tmp/tp torch-pruning, "
          "then put /tmp/tp on PYTHONPATH", file=sys.stderr)
    sys.exit(2)

SPARSITY = 0.5


def new_model():
    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None).eval()


# ---- The pruning calls: what a user writes. Their lines are counted (see user_lines). ----


def prune_mipp(model, x):
    return mipp.prune(model, x, method="magnitude", sparsity=SPARSITY, scope="layer", norm=1)


def prune_tp(model, x):
    importance = tp.importance.MagnitudeImportance(p=1)  # L1; group_reduction="mean", normalizer="mean"
    pruner = tp.pruner.BasePruner(model, x, importance, pruning_ratio=SPARSITY, ignored_layers=[model.fc])
    pruner.step()


class ProducerL1(tp.importance.Importance):
    @torch.no_grad()
    def __call__(self, group):
        score = torch.zeros(len(group[0].idxs), dtype=torch.float64)
        for item in group:
            if item.dep.handler in (tp.prune_conv_out_channels, tp.prune_linear_out_channels):
                w = item.dep.target.module.weight[item.idxs].flatten(1).double()
                score.index_add_(0, torch.tensor(item.root_idxs), w.abs().sum(1))
        return score


def prune_tp_matched(model, x):
    pruner = tp.pruner.BasePruner(model, x, ProducerL1(), pruning_ratio=SPARSITY, ignored_layers=[model.fc])
    pruner.step()


# ---- Measurement ----

PRUNES = {"mipp": prune_mipp, "tp": prune_tp, "tp-matched": prune_tp_matched}
HELPERS = {"tp-matched": [ProducerL1]}


def code_lines(obj, body_only):
    lines = inspect.getsource(obj).splitlines()[1 if body_only else 0:]
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def user_lines(name):
    return code_lines(PRUNES[name], body_only=True) + sum(code_lines(c, body_only=False) for c in HELPERS.get(name, []))


def tp_version():
    """The installed distribution's version (torch_pruning.__version__ of 1.6.1 still says 1.6.0)."""
    try:
        return importlib.metadata.version("torch-pruning")
    except importlib.metadata.PackageNotFoundError:
        return getattr(tp, "__version__", "?")


def mipp_count(model, x):
    """params and conv+linear MACs by mipp's counter: a prune that removes nothing, on a copy."""
    before = mipp.prune(copy.deepcopy(model), x, method="magnitude", sparsity=0.0, scope="layer")["before"]
    return before["params"], before["macs"]


def tp_count(model, x):
    """Torch-Pruning's counter: (total MACs, conv+linear MACs, params)."""
    macs, params, layer_macs, _ = tp.utils.count_ops_and_params(model, x, layer_wise=True)
    conv_linear = sum(v for m, v in layer_macs.items() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and v)
    return int(macs), int(conv_linear), int(params)


def mipp_groups(x):
    """mipp's coupled groups: {frozenset(producers): (consumers, batch-norms, group name)}."""
    out = {}
    for g in mipp.groups(new_model(), x).groups:
        out[frozenset(g.producers)] = (frozenset(g.consumers), frozenset(g.per_channel), g.name)
    return out


def tp_groups(model, x):
    """Torch-Pruning's coupled groups, in the same form (group name: the root module)."""
    names = {m: n for n, m in model.named_modules()}
    dg = tp.DependencyGraph().build_dependency(model, example_inputs=x)
    out = {}
    for group in dg.get_all_groups(ignored_layers=[model.fc], root_module_types=[torch.nn.Conv2d, torch.nn.Linear]):
        def members(*handlers):
            return frozenset(names[item.dep.target.module] for item in group if item.dep.handler in handlers)
        producers = members(tp.prune_conv_out_channels, tp.prune_linear_out_channels)
        consumers = members(tp.prune_conv_in_channels, tp.prune_linear_in_channels)
        out[producers] = (consumers, members(tp.prune_batchnorm_out_channels), names[group[0].dep.target.module])
    return out


def tp_kept(importance, x, reference):
    """Channels Torch-Pruning keeps per group {frozenset(producers): sorted kept indices}, from its
    interactive step on a fresh model; checks that this model equals `reference` (the timed call's)."""
    model = new_model()
    names = {m: n for n, m in model.named_modules()}
    widths = {n: m.out_channels for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)}
    pruner = tp.pruner.BasePruner(model, x, importance, pruning_ratio=SPARSITY, ignored_layers=[model.fc])
    kept = {}
    for group in pruner.step(interactive=True):
        producers = frozenset(names[item.dep.target.module] for item in group
                              if item.dep.handler == tp.prune_conv_out_channels)
        removed = set(int(i) for i in group[0].idxs)
        kept[producers] = sorted(set(range(widths[next(iter(producers))])) - removed)
        group.prune()
    same, _ = compare_state(model, reference)
    assert same, "Torch-Pruning's interactive step pruned differently from its plain step"
    return kept


def compare_state(a, b):
    """(identical state_dicts?, names of the tensors that differ in shape or value)."""
    sa, sb = a.state_dict(), b.state_dict()
    diff = [k for k in sa if k not in sb or sa[k].shape != sb[k].shape or not torch.equal(sa[k], sb[k])]
    return not diff and sa.keys() == sb.keys(), diff


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads for everything")
    ap.add_argument("--repeats", type=int, default=3, help="fresh models per tool (median time reported)")
    ap.add_argument("--json", action="store_true", help="print the results as JSON instead of Markdown")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = torch.randn(1, 3, 224, 224)

    # Timed calls, interleaved so that a slow minute of a shared machine hits every tool alike.
    seconds = {name: [] for name in PRUNES}
    models, results, engine_seconds = {}, {}, []
    load_before = os.getloadavg()[0]
    for _ in range(a.repeats):
        for name, prune in PRUNES.items():
            model = new_model()
            start = time.perf_counter()
            result = prune(model, x)
            seconds[name].append(time.perf_counter() - start)
            models[name], results[name] = model, result
            if name == "mipp":  # the engine's own share: scoring and slicing, not capture or write-back
                engine_seconds.append(result["score_seconds"] + result["slice_seconds"])
    report = results["mipp"]

    dense = new_model()
    with torch.no_grad():
        logits = {name: m(x) for name, m in models.items()}
    rows = {}
    for name, model in models.items():
        tp_macs, tp_conv_linear, tp_params = tp_count(model, x)
        params, macs = (report["after"]["params"], report["after"]["macs"]) if name == "mipp" else mipp_count(model, x)
        same_state, differing = compare_state(model, models["mipp"])
        rows[name] = {
            "user_lines": user_lines(name),
            "seconds": seconds[name],
            "median_seconds": statistics.median(seconds[name]),
            "params_after": params,
            "macs_after_mipp_counter": macs,
            "params_after_tp_counter": tp_params,
            "macs_after_tp_counter": tp_macs,
            "conv_linear_macs_after_tp_counter": tp_conv_linear,
            "state_dict_identical_to_mipp": same_state,
            "tensors_differing_from_mipp": len(differing),
            "max_abs_logit_difference_to_mipp": float((logits[name] - logits["mipp"]).abs().max()),
        }

    # Coupling and kept channels, group by group (a group is named by its set of producers).
    mg, tg = mipp_groups(x), tp_groups(new_model(), x)
    coupling = []
    for producers in sorted(set(mg) | set(tg), key=lambda p: sorted(p)):
        m, t = mg.get(producers), tg.get(producers)
        coupling.append({
            "producers": sorted(producers),
            "in_mipp": m is not None, "in_tp": t is not None,
            "same_consumers": bool(m and t and m[0] == t[0]),
            "same_batch_norms": bool(m and t and m[1] == t[1]),
            **({"mipp_consumers": sorted(m[0]), "tp_consumers": sorted(t[0])} if m and t and m[0] != t[0] else {}),
        })
    mipp_kept = {}
    for g in report["groups"]:
        producers = next(p for p, v in mg.items() if v[2] == g["group"])
        mipp_kept[producers] = g["keep"]
    kept = {"tp": tp_kept(tp.importance.MagnitudeImportance(p=1), x, models["tp"]),
            "tp-matched": tp_kept(ProducerL1(), x, models["tp-matched"])}
    agreement = {}
    for name, tk in kept.items():
        per_group = []
        for g in report["groups"]:
            producers, keep = next(p for p, v in mg.items() if v[2] == g["group"]), g["keep"]
            other = tk.get(producers, [])
            per_group.append({"group": g["group"], "width": g["width_before"], "kept": len(keep),
                              "kept_by_both": len(set(keep) & set(other)), "tp_kept": len(other)})
        agreement[name] = per_group
        same = [g["kept_by_both"] == g["kept"] == g["tp_kept"] for g in per_group]
        rows[name]["groups_with_same_kept_channels"] = sum(same)
        rows[name]["channels_kept_by_both"] = sum(g["kept_by_both"] for g in per_group)
    rows["mipp"]["engine_seconds"] = engine_seconds
    rows["mipp"]["groups_with_same_kept_channels"] = len(mipp_kept)
    rows["mipp"]["channels_kept_by_both"] = sum(len(k) for k in mipp_kept.values())

    d_tp_macs, d_tp_conv_linear, d_tp_params = tp_count(dense, x)
    out = {
        "model": "torchvision resnet18(weights=None), torch.manual_seed(0), input 1x3x224x224, eval",
        "job": f"{SPARSITY:.0%} of the channels of every group, L1 magnitude",
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "load_average_1min_before_after": [load_before, os.getloadavg()[0]],
        "repeats": a.repeats,
        "versions": {"torch": torch.__version__, "torchvision": torchvision.__version__, "mipp": mipp.__version__,
                     "torch_pruning": tp_version()},
        "dense": {"params": report["before"]["params"], "macs_mipp_counter": report["before"]["macs"],
                  "params_tp_counter": d_tp_params, "macs_tp_counter": d_tp_macs,
                  "conv_linear_macs_tp_counter": d_tp_conv_linear},
        "results": rows,
        "coupling": coupling,
        "same_coupling": all(c["in_mipp"] and c["in_tp"] and c["same_consumers"] and c["same_batch_norms"]
                             for c in coupling),
        "kept_channels": agreement,
    }
    if a.json:
        print(json.dumps(out, indent=2))
        return
    threads = f"{out['threads']} thread{'s' if out['threads'] != 1 else ''}"
    print(f"ResNet-18, {out['job']}; {threads}; torch {torch.__version__}, "
          f"torch-pruning {out['versions']['torch_pruning']}, mipp {mipp.__version__}")
    print(f"{out['cpus']} CPUs, load average {out['load_average_1min_before_after'][0]:.2f} before, "
          f"{out['load_average_1min_before_after'][1]:.2f} after")
    print(f"dense: {out['dense']['params']:,} params, {out['dense']['macs_mipp_counter']:,} conv+linear MACs "
          f"(Torch-Pruning's counter: {d_tp_macs:,} MACs in all)\n")
    total = sum(len(k) for k in mipp_kept.values())
    print(f"| | user lines | prune time (median of {a.repeats}) | params after | MACs after (mipp's counter) "
          "| MACs after (TP counter, all) | groups with mipp's kept channels | channels kept by both "
          "| logits vs mipp (max abs) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        print(f"| {name} | {r['user_lines']} | {r['median_seconds'] * 1000:.0f} ms | {r['params_after']:,} "
              f"| {r['macs_after_mipp_counter']:,} | {r['macs_after_tp_counter']:,} "
              f"| {r['groups_with_same_kept_channels']} / {len(mipp_kept)} | {r['channels_kept_by_both']} / {total} "
              f"| {r['max_abs_logit_difference_to_mipp']:.3g} |")
    print(f"\ncoupled groups: {'the same in both tools' if out['same_coupling'] else 'DIFFERENT'} "
          f"({len(coupling)} groups; producers, consumers and batch-norms by module name)")
    for c in coupling:
        if not (c["in_mipp"] and c["in_tp"] and c["same_consumers"] and c["same_batch_norms"]):
            print("  differs:", json.dumps(c))
    for name, per_group in agreement.items():
        differ = [f"{g['group']} {g['kept_by_both']}/{g['kept']}" for g in per_group if g["kept_by_both"] != g["kept"]]
        print(f"{name}: kept channels differ from mipp's in: {', '.join(differ) or 'no group'}")
    print("mipp: engine (score + slice) seconds " + ", ".join(f"{s:.3f}" for s in engine_seconds)
          + "; the rest of its call is capture (torch.jit.script, import and its check) and write-back")
    for name, r in rows.items():
        print(f"{name}: seconds {', '.join(f'{s:.3f}' for s in r['seconds'])}; state_dict identical to mipp's: "
              f"{r['state_dict_identical_to_mipp']}; "
              f"conv+linear MACs by TP's counter {r['conv_linear_macs_after_tp_counter']:,}")


if __name__ == "__main__":
    main()
