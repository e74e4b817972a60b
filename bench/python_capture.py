"""How long a model takes to cross from PyTorch to mipp's engine, per way of capturing it.

For torchvision models (random weights, eval mode), times torch.jit.script and torch.jit.trace
(what mipp.prune uses), torch.export.export (the alternative docs/PYTHON.md discusses), mipp's
import of the scripted module (its graph walk plus the check that the imported graph computes what
the module computes), and a whole mipp.prune(method="magnitude"), each the median of --repeats
runs on fresh models.
Usage: PYTHONPATH=build/python scripts/python bench/python_capture.py [--threads 1] [--size 224]
"""
import argparse
import json
import statistics
import time
import warnings

import torch
import torchvision

import mipp
from mipp import _core


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--size", type=int, default=224, help="input height and width (default 224)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="resnet18,mobilenet_v2,vgg11_bn,densenet121")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore", DeprecationWarning)
    x = torch.randn(1, 3, args.size, args.size)
    rows = []
    for name in args.models.split(","):
        times = {k: [] for k in ["script", "trace", "export", "import", "prune"]}
        for _ in range(args.repeats):
            model = getattr(torchvision.models, name)(weights=None).eval()
            with torch.no_grad():
                times["script"].append(timed(lambda: torch.jit.script(model)))
                times["trace"].append(timed(lambda: torch.jit.trace(model, x, check_trace=False)))
                times["export"].append(timed(lambda: torch.export.export(model, (x,))))
            script = torch.jit.script(model)
            times["import"].append(timed(lambda: _core.import_module(script, list(x.shape[1:]), name)))
            times["prune"].append(timed(lambda: mipp.prune(model, x, method="magnitude", sparsity=0.5)))
        rows.append({"model": name, **{k: statistics.median(v) for k, v in times.items()}})
    if args.json:
        print(json.dumps({"threads": args.threads, "size": args.size, "torch": torch.__version__, "rows": rows}, indent=2))
        return
    print(f"torch {torch.__version__}, {args.threads} thread(s), input 1x3x{args.size}x{args.size}, median of {args.repeats}")
    print("| model | torch.jit.script | torch.jit.trace | torch.export.export | mipp import (of the script) | mipp.prune magnitude, all |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['model']} | {r['script']:.2f} s | {r['trace']:.2f} s | {r['export']:.2f} s | {r['import']:.2f} s | {r['prune']:.2f} s |")


if __name__ == "__main__":
    main()
