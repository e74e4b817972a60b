"""The functions of the mipp package. Each takes the user's own objects (nn.Module, Tensors,
DataLoaders), hands them to the engine (mipp._core) and gives back Python objects."""
import json
import os
import warnings
from dataclasses import dataclass

import torch
from torch.utils.data import TensorDataset

from . import _core
from ._calibration import calibration_tensors
from ._capture import import_model
from ._inplace import write_back
from ._progress import make_callback
from .report import Group, GroupReport, Report

_TARGETS = ("units", "params", "macs")


def methods():
    """Every pruning method: a list of dicts with name, description, needs_data, needs_labels and
    calibration_samples (how many it reads by default)."""
    return _core.methods()


def _method_info(name):
    if not isinstance(name, str):
        raise TypeError(f"method: expected a method name (str), got {type(name).__name__}")
    for m in _core.methods():
        if m["name"] == name:
            return m
    raise ValueError(f"method {name}: unknown; one of {', '.join(m['name'] for m in _core.methods())}")


def _device_of(model, device):
    if device is not None:
        return str(torch.device(device))
    return str(next((p.device for p in model.parameters()), torch.device("cpu")))


def _calibration(calibration, info, needs_data, calib_samples):
    samples = calib_samples or info["calibration_samples"]
    samples = max(samples, info.get("verification_samples", 0))
    return calibration_tensors(calibration if needs_data else None, samples)


def prune(model, example_inputs, method="mipp", sparsity=0.5, target="units", scope="global", calibration=None,
          seed=0, device=None, *, calib_samples=None, rounds=1, round_schedule="exponential", reweight=False,
          reweight_variant="asym", recalibrate_bn=False, min_width=1, min_width_fraction=0.0,
          max_layer_sparsity=1.0, round_to=1, progress=None, **method_options):
    """Prunes `model` in place and returns a Report.

    Removes whole units (conv channels, linear features) chosen by `method` until `sparsity` of
    the `target` measure ("units", "params" or "macs") is gone, with `scope` "global" (one ranking
    across layers), "layer" (the same fraction everywhere) or a dict {group name: sparsity}. The
    modules keep their names and classes; their weights, biases and batch-norm statistics shrink
    (see mipp.groups() for what is removed together). Data-driven methods read `calibration`: a
    DataLoader, a Tensor of inputs, or an (inputs, labels) pair; the seed picks `calib_samples` of
    them (the method's default when None). Remaining keyword arguments are the method's options
    (as `--method-options` of the CLI, e.g. estimator="mlp", confidence=0.95 for mipp).

    Raises TypeError / ValueError with the CLI's message for bad input, KeyboardInterrupt when
    interrupted (the model is then untouched).
    """
    info = _method_info(method)
    if target not in _TARGETS:
        raise ValueError(f"target {target!r}: one of {', '.join(_TARGETS)}")
    if not isinstance(sparsity, (int, float)) or isinstance(sparsity, bool):
        raise TypeError(f"sparsity: expected a number in [0, 1), got {type(sparsity).__name__}")
    if not isinstance(scope, (str, dict)):
        raise TypeError(f"scope: expected \"global\", \"layer\" or a dict of group name -> sparsity, got {type(scope).__name__}")
    core, how = import_model(model, example_inputs)
    needs_data = info["needs_data"] or reweight or recalibrate_bn
    inputs, labels = _calibration(calibration, info, needs_data, calib_samples)
    config = {
        "method": method,
        "method_options": method_options,
        "budget": {
            "sparsity": float(sparsity),
            "target": target,
            "scope": scope,
            "min_width": min_width,
            "min_width_fraction": min_width_fraction,
            "max_layer_sparsity": max_layer_sparsity,
            "round_to": round_to,
        },
        "seed": seed,
        "rounds": rounds,
        "round_schedule": round_schedule,
        "reweight": reweight,
        "reweight_variant": reweight_variant,
        "recalibrate_bn": recalibrate_bn,
        "calib_samples": calib_samples or 0,
    }
    pruned, report_json = _core.prune(core, _json(config), inputs, labels, _device_of(model, device),
                                      make_callback(progress))
    report = Report(json.loads(report_json))
    report["capture"] = how
    report["resized_modules"] = write_back(model, pruned.node_tensors())
    return report


def groups(model, example_inputs):
    """The channel groups of `model`: which modules' units are removed together, by module name,
    and why the channels that are never pruned are frozen. Returns a GroupReport."""
    core, _ = import_model(model, example_inputs)
    j = json.loads(core.groups())
    return GroupReport(
        groups=[Group(g["name"], g["size"], g["producers"], g["per_channel"], g["consumers"]) for g in j["groups"]],
        frozen=j["frozen"],
    )


def scores(model, example_inputs, method="magnitude", calibration=None, seed=0, device=None, *, calib_samples=None,
           progress=None, **method_options):
    """Per-unit scores of a scoring method (higher = more important): {group name: Tensor [units]}.
    mipp itself decides by a test, not by scores, and raises ValueError here."""
    info = _method_info(method)
    core, _ = import_model(model, example_inputs)
    inputs, labels = _calibration(calibration, info, info["needs_data"], calib_samples)
    config = {"method": method, "method_options": method_options, "seed": seed, "calib_samples": calib_samples or 0}
    values = _core.scores(core, _json(config), inputs, labels, _device_of(model, device), make_callback(progress))
    return dict(values)


def mi(x, y, z=None, estimator="ksg", confidence=None, **options):
    """Mutual information I(x; y), or I(x; y | z), in nats, with mipp's estimators (ksg, gaussian,
    linear; see docs/USAGE.md). Rows are samples. With `confidence` in (0.5, 1), also the one-sided
    test of "> 0": p_value, statistic, significant. Returns a dict with value and std_error."""
    for name, t in (("x", x), ("y", y), ("z", z)):
        if t is not None and not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    two_d = [t if t is None or t.dim() == 2 else t.reshape(t.shape[0], -1) for t in (x, y, z)]
    return _core.mutual_information(*two_d, estimator, _json(options), float(confidence or 0))


@dataclass
class LoadedModel:
    """mipp.load(): the TorchScript module (what torch.jit.load gives) and mipp's metadata."""

    module: torch.jit.ScriptModule
    metadata: dict


def load(path):
    """Opens a mipp model file (.pt): a TorchScript module, with mipp's metadata (architecture,
    dataset, normalisation, history). Raises ValueError for a file that is not one."""
    core = _core.load(os.fspath(path))
    with warnings.catch_warnings():  # deprecated in torch 2.11: docs/PYTHON.md, "How a model crosses over"
        warnings.simplefilter("ignore", DeprecationWarning)
        module = torch.jit.load(os.fspath(path), map_location="cpu")
    return LoadedModel(module=module, metadata=json.loads(core.metadata()))


def save(model, path, example_inputs, *, architecture=None, dataset=None, normalization=None):
    """Writes `model` as a mipp model file (TorchScript with mipp's metadata) that the mipp command
    reads: `mipp prune FILE ...`, `mipp eval FILE ...`. The file is written atomically."""
    core, _ = import_model(model, example_inputs)
    metadata = {"architecture": architecture or type(model).__name__}
    if dataset is not None:
        metadata["dataset"] = dataset
    if normalization is not None:
        metadata["normalization"] = normalization
    _core.save(core, os.fspath(path), _json(metadata))


@dataclass
class Dataset:
    """mipp.dataset(): a dataset as mipp's CLI sees it, fitted to a model's input and normalised."""

    train: TensorDataset
    test: TensorDataset
    num_classes: int
    normalization: dict


def dataset(name="fashion-mnist", input_shape=(1, 28, 28), dir="", normalization=None):
    """A dataset mipp reads (fashion-mnist, mnist, cifar10, ...; `mipp train --help` lists them),
    fitted to `input_shape` (channels repeated, images padded or resized) and normalised with
    `normalization` ({"mean": [...], "std": [...]}) or the dataset's standard statistics."""
    d = _core.load_dataset(name, dir, list(input_shape), _json(normalization or {}))
    return Dataset(
        train=TensorDataset(d["train_inputs"], d["train_labels"]),
        test=TensorDataset(d["test_inputs"], d["test_labels"]),
        num_classes=d["num_classes"],
        normalization=json.loads(d["normalization"]),
    )


def _json(value):
    try:
        return json.dumps(value)
    except TypeError as e:
        raise TypeError(f"options: {e}") from None
