"""Time each op of LeNet-5's inference forward alone, dense and pruned to 70% of its units.

Usage: scripts/python bench/lenet5_op_times.py THREADS

Widths 6/16/120/84 (dense) and 2/5/36/26 (what magnitude keeps at 70% with --scope layer); batch
256; the median of 40 runs after 5 warm-ups. The torch of scripts/python is the LibTorch
mipp is built against, so this shows where mipp's pruned LeNet-5 spends its time (docs/PERFORMANCE.md). Pooling is
the maximum of the four strided 2x2 views, as graph::forward does without autograd.
"""
import sys
import time

import torch
import torch.nn.functional as F


def median_ms(fn, runs=40):
    for _ in range(5):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e3


def pool2x2(y):
    return torch.maximum(torch.maximum(y[..., 0::2, 0::2], y[..., 0::2, 1::2]),
                         torch.maximum(y[..., 1::2, 0::2], y[..., 1::2, 1::2]))


def main():
    torch.set_num_threads(int(sys.argv[1]))
    torch.manual_seed(0)
    batch = 256
    x = torch.randn(batch, 1, 28, 28)
    with torch.no_grad():
        for name, (c1, c2, f1, f2) in (("dense", (6, 16, 120, 84)), ("pruned", (2, 5, 36, 26))):
            w1, b1 = torch.randn(c1, 1, 5, 5), torch.randn(c1)
            w2, b2 = torch.randn(c2, c1, 5, 5), torch.randn(c2)
            l1, l2, l3 = torch.randn(f1, c2 * 25), torch.randn(f2, f1), torch.randn(10, f2)
            y1 = F.conv2d(x, w1, b1, padding=2)
            r1 = F.relu(y1)
            p1 = pool2x2(r1)
            y2 = F.conv2d(p1, w2, b2)
            r2 = F.relu(y2)
            flat = pool2x2(r2).flatten(1)
            ops = {
                "conv1": lambda: F.conv2d(x, w1, b1, padding=2),
                "relu1": lambda: F.relu(y1),
                "pool1": lambda: pool2x2(r1),
                "conv2": lambda: F.conv2d(p1, w2, b2),
                "relu2": lambda: F.relu(y2),
                "pool2": lambda: pool2x2(r2),
                "fc": lambda: F.linear(F.relu(F.linear(F.relu(F.linear(flat, l1)), l2)), l3),
            }
            times = {op: median_ms(fn) for op, fn in ops.items()}
            print(f"{name}: sum {sum(times.values()):.3f} ms |",
                  " ".join(f"{op} {ms:.3f}" for op, ms in times.items()))
        conv1_ms = {}
        for channels in (1, 2, 4, 6, 8):
            w = torch.randn(channels, 1, 5, 5)
            conv1_ms[channels] = median_ms(lambda: F.conv2d(x, w, None, padding=2))
        print("conv1 alone (no bias) by output channels, ms:",
              " ".join(f"{c}: {ms:.3f}" for c, ms in conv1_ms.items()))


if __name__ == "__main__":
    main()
