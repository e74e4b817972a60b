"""Writes PyTorch models as TorchScript files for mipp's import tests (the torch and
torchvision of mipp's Python environment; no network: weights=None, random init).

For each NAME:C,H,W argument, the torchvision model NAME (or one of the small models below) is
built with torch.manual_seed(0), given random batch-norm statistics (so that batch-norm is not an
identity), put in eval mode, and written as NAME_script.pt (torch.jit.script) and NAME_trace.pt
(torch.jit.trace). Beside them: NAME.input.bin (a batch of 2 inputs) and NAME.expected.bin (the
eager model's output), raw little-endian float32, with shapes in NAME.json.
Usage: scripts/python tests/python/make_pytorch_models.py FOLDER NAME:C,H,W [NAME:C,H,W ...]
"""
import json
import pathlib
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Swish(nn.Module):
    """A custom activation mipp does not know: x * sigmoid(x) written out."""

    def forward(self, x):
        return x * torch.sigmoid(x)


class CustomLayerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.act = Swish()
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.act(self.conv(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class HardCodedViewNet(nn.Module):
    """LeNet-5 as often written: the flatten hard-codes 16 * 5 * 5 = 400 features."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, 400)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class BatchViewNet(HardCodedViewNet):
    """The same with x.view(x.size(0), -1) and ReLU6 / SiLU / hardtanh: fully prunable."""

    def forward(self, x):
        x = F.max_pool2d(F.relu6(self.conv1(x)), 2, ceil_mode=True)
        x = F.max_pool2d(F.silu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.hardtanh(self.fc1(x), -2.0, 2.0)
        x = F.leaky_relu(self.fc2(x), 0.1)
        return self.fc3(x)


SMALL_MODELS = {"custom_layer": CustomLayerNet, "hardcoded_view": HardCodedViewNet, "batch_view": BatchViewNet}


def build(name: str) -> nn.Module:
    if name in SMALL_MODELS:
        return SMALL_MODELS[name]()
    import torchvision

    return getattr(torchvision.models, name)(weights=None)


def randomize_batch_norms(model: nn.Module) -> None:
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)


def write(folder: pathlib.Path, name: str, shape: list) -> None:
    torch.manual_seed(0)
    model = build(name)
    randomize_batch_norms(model)
    model.eval()
    x = torch.randn([2] + shape)
    with torch.no_grad():
        y = model(x)
        torch.jit.script(model).save(str(folder / f"{name}_script.pt"))
        torch.jit.trace(model, x).save(str(folder / f"{name}_trace.pt"))
    x.numpy().astype("<f4").tofile(folder / f"{name}.input.bin")
    y.numpy().astype("<f4").tofile(folder / f"{name}.expected.bin")
    (folder / f"{name}.json").write_text(json.dumps({"input_shape": list(x.shape), "output_shape": list(y.shape)}))


def main() -> int:
    folder = pathlib.Path(sys.argv[1])
    torch.set_num_threads(1)
    for arg in sys.argv[2:]:
        name, shape = arg.split(":")
        write(folder, name, [int(s) for s in shape.split(",")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
