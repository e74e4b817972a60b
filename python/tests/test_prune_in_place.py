"""mipp.prune on torchvision models: every method prunes in place, keeps module names and
classes, and leaves a module PyTorch trains, scripts and saves as usual."""
import copy
import json

import pytest
import torch
import torch.nn.functional as F

import mipp
from conftest import TORCHVISION_MODELS, check_sizes_consistent, module_signature, random_data, torchvision_model

METHODS = [m["name"] for m in mipp.methods()]
# Runs short enough for 2 cores: 32 calibration samples (mipp: 256, with the next layer cut to 32
# principal components so that layers this wide can be tested on so few; prospr: 3 steps of 8);
# the reconstruction methods (greedy least squares over every consumer's input patches, minutes per
# wide layer) prune the first group only.
FAST_OPTIONS = {
    "mipp": {"calib_samples": 256, "target_components": 32},
    "prospr": {"calib_samples": 32, "batch_size": 8},
}
RECONSTRUCTION = {"submodular", "thinet"}


@pytest.mark.parametrize("name", TORCHVISION_MODELS)
@pytest.mark.parametrize("method", METHODS)
def test_every_method_prunes_torchvision_models_in_place(name, method):
    model = torchvision_model(name)
    x, y = random_data(256)
    if method == "bn-scale" and name == "vgg11_bn":  # its classifier's linear layers have no batch-norm
        with pytest.raises(ValueError, match="group classifier.0 has no batch-norm"):
            mipp.prune(model, x[:2], method=method)
        return
    before = module_signature(model)
    params_before = sum(p.numel() for p in model.parameters())
    options = dict(FAST_OPTIONS.get(method, {"calib_samples": 32}))
    if method in RECONSTRUCTION:
        options["scope"] = {mipp.groups(model, x[:2]).groups[0].name: 0.3}
    report = mipp.prune(model, x[:2], method=method, sparsity=0.3, calibration=(x, y), **options)

    assert module_signature(model) == before  # names and classes kept
    check_sizes_consistent(model)
    params_after = sum(p.numel() for p in model.parameters())
    assert params_after == report["after"]["params"] < params_before == report["before"]["params"]
    assert report["resized_modules"], "no module changed"
    with torch.no_grad():
        out = model.eval()(x[:4])
    assert out.shape == (4, 10) and torch.isfinite(out).all()
    assert method in str(report)  # prints as the CLI's summary


@pytest.mark.parametrize("name", TORCHVISION_MODELS)
def test_pruned_module_equals_the_model_file_the_cli_writes(name, cli, tmp_path):
    model = torchvision_model(name)
    torch.jit.script(model).save(str(tmp_path / "model.pt"))
    x, _ = random_data(4)
    mipp.prune(model, x[:2], method="magnitude", sparsity=0.5, target="params", seed=3)
    cli("prune", tmp_path / "model.pt", "--input-shape", "3,32,32", "--method", "magnitude", "--sparsity", "0.5",
        "--target", "params", "--seed", 3, "--no-eval", "--out", tmp_path / "pruned.pt")
    sliced = torch.jit.load(str(tmp_path / "pruned.pt"))
    with torch.no_grad():
        assert torch.allclose(model.eval()(x), sliced(x), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("method", ["snip", "thinet", "mipp"])
def test_data_driven_methods_match_the_cli_on_the_same_samples(method, cli, tmp_path):
    # The CLI reads Fashion-MNIST fitted to the model's input; mipp.dataset gives the same
    # tensors, and the same seed draws the same calibration samples from them.
    model = torchvision_model("resnet18")
    torch.jit.script(model).save(str(tmp_path / "model.pt"))
    data = mipp.dataset("fashion-mnist", input_shape=(3, 32, 32))
    inputs, labels = data.train.tensors
    samples = 512 if method == "mipp" else 64
    scope, scope_option = "global", []
    if method == "thinet":  # one layer: see RECONSTRUCTION above
        scope = {"layer1.0.conv1": 0.4}
        (tmp_path / "scope.json").write_text(json.dumps(scope))
        scope_option = ["--scope", tmp_path / "scope.json"]
    report = mipp.prune(model, inputs[:2], method=method, sparsity=0.4, scope=scope, calibration=(inputs, labels),
                        calib_samples=samples, seed=5)
    cli("prune", tmp_path / "model.pt", "--input-shape", "3,32,32", "--dataset", "fashion-mnist", "--method", method,
        "--sparsity", 0.4, *scope_option, "--calib-samples", samples, "--seed", 5, "--no-eval",
        "--out", tmp_path / "pruned.pt", "--report", tmp_path / "report.json")
    sliced = torch.jit.load(str(tmp_path / "pruned.pt"))
    x = data.test.tensors[0][:8]
    with torch.no_grad():
        assert torch.allclose(model.eval()(x), sliced(x), atol=1e-4, rtol=1e-4)
    cli_report = json.loads((tmp_path / "report.json").read_text())
    assert [g["width_after"] for g in report["groups"]] == [g["width_after"] for g in cli_report["groups"]]


def test_pruned_module_fine_tunes_scripts_and_round_trips_its_state_dict():
    model = torchvision_model("resnet18")
    x, y = random_data(64)
    mipp.prune(model, x[:2], method="magnitude", sparsity=0.5)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    losses = []
    for _ in range(10):  # ten steps on one batch: the loss on it goes down
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[:16]), y[:16])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < losses[0]
    with torch.no_grad():
        model.eval()
        expected = model(x[:4])
        assert torch.allclose(torch.jit.script(model)(x[:4]), expected, atol=1e-6)
    copy_ = copy.deepcopy(model)
    for p in copy_.parameters():
        p.data.zero_()
    copy_.load_state_dict(model.state_dict())
    with torch.no_grad():
        assert torch.equal(copy_.eval()(x[:4]), expected)


def test_unchanged_layers_keep_their_parameter_objects():
    model = torchvision_model("resnet18")
    fc_weight = model.fc.weight
    x, _ = random_data(2)
    report = mipp.prune(model, x, method="magnitude", sparsity=0.5, scope={"layer1.0.conv1": 0.5})
    assert report["resized_modules"] == ["layer1.0.conv1", "layer1.0.bn1", "layer1.0.conv2"]
    assert model.fc.weight is fc_weight
    assert model.layer1[0].conv1.out_channels == 32 and model.layer1[0].conv2.in_channels == 32
