"""mipp: structured pruning of PyTorch models with MIPP and ten baselines, on mipp's C++ engine.

    import mipp
    report = mipp.prune(model, torch.randn(1, 3, 32, 32), method="mipp", sparsity=0.7,
                        calibration=loader)   # model is pruned in place
    print(report)

See docs/PYTHON.md for the whole API.
"""
import torch  # first: loads the LibTorch that mipp._core links against

from . import _core
from .api import dataset, groups, load, methods, mi, prune, save, scores
from .report import GroupReport, Report

__version__ = _core.version()

__all__ = ["prune", "groups", "scores", "methods", "mi", "load", "save", "dataset", "Report", "GroupReport"]
