"""Prune your own PyTorch model with mipp: train a small ResNet on Fashion-MNIST for one epoch,
prune copies of it with MIPP and with a baseline at the same parameter budget, fine-tune each,
and print what each kept and how accurate it is.

Usage (after `make build`, or `pip install .`):
    PYTHONPATH=build/python scripts/python examples/prune_resnet.py [--sparsity 0.7] [--baseline magnitude]
"""
import argparse
import copy
import logging
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

import mipp


class Block(nn.Module):
    """A basic residual block, as in torchvision's ResNet."""

    def __init__(self, channels_in, channels, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(channels_in, channels, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(channels)
        self.shortcut = nn.Sequential()
        if stride != 1 or channels_in != channels:
            self.shortcut = nn.Sequential(nn.Conv2d(channels_in, channels, 1, stride, bias=False), nn.BatchNorm2d(channels))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class SmallResNet(nn.Module):
    """Three stages of one block each, 16-32-64 channels at 14x14, 7x7 and 4x4: 2.6M MACs, small
    enough to train on a laptop's CPU in a minute."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.stage1 = Block(16, 16, 2)
        self.stage2 = Block(16, 32, 2)
        self.stage3 = Block(32, 64, 2)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.stage3(self.stage2(self.stage1(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def train(model, loader, epochs, lr):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4)
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()


@torch.no_grad()
def accuracy(model, loader):
    model.eval()
    correct = total = 0
    for x, y in loader:
        correct += (model(x).argmax(1) == y).sum().item()
        total += len(y)
    return 100.0 * correct / total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparsity", type=float, default=0.7, help="fraction of parameters removed (default 0.7)")
    parser.add_argument("--baseline", default="magnitude", help="the method MIPP is compared with (default magnitude)")
    parser.add_argument("--baseline-scope", default="layer",
                        help="the baseline's scope: layer (the same fraction of every layer, default) or global")
    parser.add_argument("--train-samples", type=int, default=60000, help="training samples used (default all)")
    parser.add_argument("--test-samples", type=int, default=10000, help="test samples used (default all)")
    parser.add_argument("--threads", type=int, default=2, help="PyTorch threads (default 2)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    logging.basicConfig(level=logging.INFO, format="[%(name)s] %(message)s")  # mipp's progress

    data = mipp.dataset("fashion-mnist", input_shape=(1, 28, 28))  # the CLI's default dataset, normalised
    train_set = torch.utils.data.Subset(data.train, range(min(args.train_samples, len(data.train))))
    train_loader = DataLoader(train_set, batch_size=128, shuffle=True)
    test_set = torch.utils.data.Subset(data.test, range(min(args.test_samples, len(data.test))))
    test_loader = DataLoader(test_set, batch_size=1000)
    example = data.test.tensors[0][:1]

    model = SmallResNet()
    start = time.time()
    train(model, train_loader, epochs=1, lr=0.05)
    rows = [("dense", model, None, accuracy(model, test_loader), None)]
    print(f"dense model: {rows[0][3]:.2f}% after one epoch ({time.time() - start:.0f} s)")

    for method, scope in [("mipp", "global"), (args.baseline, args.baseline_scope)]:
        pruned = copy.deepcopy(model)
        report = mipp.prune(pruned, example, method=method, sparsity=args.sparsity, target="params", scope=scope,
                            calibration=train_loader, seed=args.seed)
        print(report)
        right_after = accuracy(pruned, test_loader)
        train(pruned, train_loader, epochs=1, lr=0.01)  # fine-tune: ordinary PyTorch on the pruned module
        rows.append((method, pruned, right_after, accuracy(pruned, test_loader), report))

    print(f"\n{'model':<12} {'params':>9} {'MACs':>11} {'pruned':>8} {'fine-tuned':>11}  widths")
    for name, m, right_after, final, report in rows:
        params = sum(p.numel() for p in m.parameters())
        macs = report["after"]["macs"] if report else rows[1][4]["before"]["macs"]
        widths = [c.out_channels for c in m.modules() if isinstance(c, nn.Conv2d)]
        after = f"{right_after:7.2f}%" if right_after is not None else f"{'':>8}"
        print(f"{name:<12} {params:>9} {macs:>11} {after} {final:>10.2f}%  {widths}")


if __name__ == "__main__":
    main()
