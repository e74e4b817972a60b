"""The peer of `mipp train --model lenet5`: the same LeNet-5, data, optimiser and batch size,
trained with PyTorch itself (the torch of scripts/python), reporting training throughput.

Usage: scripts/python bench/pytorch_lenet5_train.py --threads 2 --epochs 2 [--data DIR]
Prints one JSON object per epoch: {"epoch": e, "seconds": s, "samples_per_second": r, "train_loss": l}.
Data stay in memory as tensors, as in mipp, so both sides time the training steps, not data loading.
"""
import argparse
import gzip
import json
import pathlib
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path: pathlib.Path) -> np.ndarray:
    raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


class LeNet5(nn.Module):
    """mipp's lenet5: conv 6 (5x5, pad 2), pool, conv 16 (5x5), pool, fc 120, 84, classes."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    folder = pathlib.Path(args.data)
    images = torch.from_numpy(read_idx(folder / "train-images-idx3-ubyte.gz").copy()).float().div_(255)
    labels = torch.from_numpy(read_idx(folder / "train-labels-idx1-ubyte.gz").copy()).long()
    inputs = ((images - 0.2860) / 0.3530).unsqueeze(1)  # the normalisation mipp applies

    model = LeNet5()
    # mipp's defaults: SGD, momentum 0.9, weight decay 5e-4, lr 0.05, cosine per epoch.
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    n = inputs.shape[0]
    for epoch in range(args.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n)
        loss_sum = 0.0
        for b in range(0, n, args.batch_size):
            idx = order[b: b + args.batch_size]
            x, y = inputs.index_select(0, idx), labels.index_select(0, idx)
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * idx.numel()
            (logits.argmax(1) == y).sum().item()  # mipp counts correct predictions too
        scheduler.step()
        seconds = time.perf_counter() - start
        print(json.dumps({"epoch": epoch + 1, "seconds": seconds, "samples_per_second": n / seconds,
                          "train_loss": loss_sum / n}), flush=True)


if __name__ == "__main__":
    main()
