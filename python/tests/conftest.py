"""Shared pieces of the mipp package's tests (run by `make test` through ctest, with the build
folder's package on PYTHONPATH and the mipp command in MIPP_CLI)."""
import os
import shutil
import subprocess

import pytest
import torch
import torchvision

torch.set_num_threads(1)

# torchvision models at a small input size: every layer still has spatial extent at 32x32.
INPUT_SHAPE = (3, 32, 32)
TORCHVISION_MODELS = ["resnet18", "mobilenet_v2", "vgg11_bn", "densenet121"]


def torchvision_model(name, seed=0):
    """A torchvision model with random weights and random batch-norm statistics (so batch-norm is
    no identity), 10 classes, in eval mode."""
    torch.manual_seed(seed)
    model = getattr(torchvision.models, name)(weights=None, num_classes=10)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return model.eval()


def random_data(n, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn((n,) + INPUT_SHAPE, generator=g), torch.randint(0, 10, (n,), generator=g)


@pytest.fixture
def cli():
    """Runs the mipp command; returns the CompletedProcess (text)."""
    path = os.environ.get("MIPP_CLI") or shutil.which("mipp")
    if not path:
        pytest.skip("the mipp command is not built (MIPP_CLI unset)")

    def run(*args, check=True):
        result = subprocess.run([path, "--threads", "1", *map(str, args)], capture_output=True, text=True)
        if check and result.returncode != 0:
            raise AssertionError(f"mipp {' '.join(map(str, args))} exited {result.returncode}: {result.stderr}")
        return result

    return run


def module_signature(model):
    """Names and classes of every module: what pruning in place must keep."""
    return [(name, type(m).__name__) for name, m in model.named_modules()]


def check_sizes_consistent(model):
    """Every Conv2d, Linear and BatchNorm's size attributes agree with its tensors."""
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.Conv2d):
            assert m.weight.shape[0] == m.out_channels, name
            assert m.weight.shape[1] * m.groups == m.in_channels, name
            assert m.bias is None or m.bias.shape[0] == m.out_channels, name
        elif isinstance(m, torch.nn.Linear):
            assert tuple(m.weight.shape) == (m.out_features, m.in_features), name
        elif isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            assert m.running_mean.shape[0] == m.num_features == m.weight.shape[0], name
