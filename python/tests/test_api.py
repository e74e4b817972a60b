"""mipp.groups, scores, mi, load/save, dataset, methods; bad input; progress and Ctrl-C."""
import math
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch
import torch.nn as nn

import mipp
from conftest import random_data, torchvision_model


def test_groups_name_the_coupled_modules_and_the_frozen_channels():
    report = mipp.groups(torchvision_model("resnet18"), torch.randn(1, 3, 32, 32))
    by_name = {g.name: g for g in report.groups}
    assert len(report.groups) == 12
    # A residual stage couples its block outputs and the projection shortcut.
    assert by_name["layer2.0.conv2"].producers == ["layer2.0.conv2", "layer2.0.downsample.0", "layer2.1.conv2"]
    assert "layer2.0.downsample.1" in by_name["layer2.0.conv2"].per_channel
    assert by_name["layer4.0.conv2"].consumers[-1] == "fc"
    assert by_name["layer1.0.conv1"].size == 64
    assert any(line.startswith("fc:") for line in report.frozen)
    assert "layer1.0.conv1" in str(report)


def test_magnitude_scores_are_the_l1_norms_of_each_units_weights():
    model = torchvision_model("mobilenet_v2")
    scores = mipp.scores(model, torch.randn(1, 3, 32, 32), method="magnitude")
    conv = model.features[1].conv[1]  # the 1x1 projection after the first depthwise conv
    expected = conv.weight.detach().abs().sum(dim=(1, 2, 3))
    assert torch.allclose(scores["features.1.conv.1"].float(), expected, rtol=1e-5)
    assert len(scores) == len(mipp.groups(model, torch.randn(1, 3, 32, 32)).groups)
    with pytest.raises(ValueError, match="selects units by a test"):
        mipp.scores(model, torch.randn(1, 3, 32, 32), method="mipp", calibration=torch.randn(8, 3, 32, 32))


def test_mi_of_correlated_gaussians_matches_the_closed_form():
    g = torch.Generator().manual_seed(0)
    n, rho = 4000, 0.8
    x = torch.randn(n, 1, generator=g, dtype=torch.float64)
    y = rho * x + math.sqrt(1 - rho**2) * torch.randn(n, 1, generator=g, dtype=torch.float64)
    truth = -0.5 * math.log(1 - rho**2)
    for estimator in ["gaussian", "ksg"]:
        r = mipp.mi(x, y, estimator=estimator)
        assert abs(r["value"] - truth) < 0.05, (estimator, r)
    # Given y, an independent z adds nothing; the test says so.
    z = torch.randn(n, 1, generator=g, dtype=torch.float64)
    r = mipp.mi(z, x, z=y, estimator="gaussian", confidence=0.95)
    assert abs(r["value"]) < 0.01 and not r["significant"]


def test_save_writes_a_file_the_cli_reads_and_load_opens_it(cli, tmp_path):
    model = torchvision_model("resnet18")
    x, _ = random_data(4)
    mipp.save(model, tmp_path / "r18.pt", x[:1], dataset="fashion-mnist")
    inspected = cli("inspect", tmp_path / "r18.pt")
    assert "layer4.1.conv2" in inspected.stdout
    loaded = mipp.load(tmp_path / "r18.pt")
    assert loaded.metadata["architecture"] == "ResNet" and loaded.metadata["dataset"] == "fashion-mnist"
    with torch.no_grad():
        assert torch.allclose(loaded.module(x), model(x), atol=1e-5)


def test_dataset_is_fitted_and_normalised():
    data = mipp.dataset("fashion-mnist", input_shape=(3, 32, 32))
    inputs, labels = data.train.tensors
    assert inputs.shape == (60000, 3, 32, 32) and labels.shape == (60000,) and data.num_classes == 10
    assert torch.equal(inputs[:, 0], inputs[:, 2])  # grey channel repeated
    data = mipp.dataset("fashion-mnist", input_shape=(1, 28, 28))
    inputs = data.train.tensors[0]
    assert abs(inputs.mean().item()) < 0.05 and abs(inputs.std().item() - 1) < 0.05
    assert len(data.normalization["mean"]) == 1


class Sorting(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(torch.sort(x, dim=1).values)


def test_bad_input_raises_with_the_clis_message_and_leaves_the_model_untouched():
    model = torchvision_model("resnet18")
    state = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(2, 3, 32, 32)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        mipp.prune("resnet18", x)
    with pytest.raises(TypeError, match="example_inputs"):
        mipp.prune(model, [1, 2, 3])
    with pytest.raises(ValueError, match="method lottery: unknown"):
        mipp.prune(model, x, method="lottery")
    with pytest.raises(ValueError, match="sparsity"):
        mipp.prune(model, x, method="magnitude", sparsity=1.5)
    with pytest.raises(ValueError, match="target 'flops'"):
        mipp.prune(model, x, method="magnitude", target="flops")
    with pytest.raises(ValueError, match="needs calibration data"):
        mipp.prune(model, x, method="snip")
    with pytest.raises(ValueError, match="needs labelled calibration data"):
        mipp.prune(model, x, method="snip", calibration=torch.randn(16, 3, 32, 32))
    with pytest.raises(ValueError, match="does not run on inputs of shape"):
        mipp.prune(model, torch.randn(2, 5, 32, 32), method="magnitude")
    with pytest.raises(TypeError, match="scope"):
        mipp.prune(model, x, method="magnitude", scope=["layer1.0.conv1"])
    with pytest.raises(ValueError, match="wrong type"):
        mipp.prune(model, x, method="magnitude", min_width="two")
    with pytest.raises(ValueError, match="unknown option"):
        mipp.prune(model, x, method="magnitude", colour="blue")
    with pytest.raises(ValueError, match="sort"):
        mipp.prune(Sorting(), torch.randn(2, 8), method="magnitude")
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_progress_goes_to_the_callback_and_an_exception_there_stops_the_run():
    model = torchvision_model("resnet18")
    x, y = random_data(64)
    events = []
    mipp.prune(model, x[:2], method="snip", sparsity=0.2, calibration=(x, y), progress=events.append)
    assert any(e["event"] == "stage" for e in events)

    model = torchvision_model("resnet18")
    state = {k: v.clone() for k, v in model.state_dict().items()}

    def interrupt(event):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        mipp.prune(model, x[:2], method="snip", sparsity=0.2, calibration=(x, y), progress=interrupt)
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_ctrl_c_interrupts_a_long_prune_within_seconds(tmp_path):
    script = tmp_path / "long.py"
    script.write_text(textwrap.dedent("""
        import sys, time, torch, torchvision, mipp
        torch.set_num_threads(1)
        model = torchvision.models.resnet18(num_classes=10)
        x = torch.randn(4096, 3, 32, 32)
        print("start", flush=True)
        try:
            mipp.prune(model, x[:2], method="mipp", sparsity=0.5, calibration=x, calib_samples=4096)
        except KeyboardInterrupt:
            print("interrupted", time.monotonic(), flush=True)  # the system-wide clock the test reads
            sys.exit(130)
        print("finished", flush=True)
    """))
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=os.environ)
    assert process.stdout.readline().strip() == "start"
    # Six seconds in, the calibration set's activations are being collected (12 s of the run on an
    # idle machine, before the elimination's search). The latency is measured to the
    # KeyboardInterrupt, not to the process's exit, whose teardown is slow on a loaded machine.
    time.sleep(6)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 130, out
    words = out.split()
    assert words[0] == "interrupted", out
    assert float(words[1]) - sent < 10


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
def test_a_model_on_the_gpu_is_pruned_there():
    model = torchvision_model("resnet18").cuda()
    x, y = random_data(128)
    mipp.prune(model, x[:2].cuda(), method="snip", sparsity=0.5, calibration=(x, y))
    assert all(p.is_cuda for p in model.parameters())
    with torch.no_grad():
        assert model(x[:4].cuda()).shape == (4, 10)
