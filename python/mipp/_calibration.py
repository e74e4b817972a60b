"""Calibration data from what Python users have: a Tensor of inputs, an (inputs, labels) pair, or
any iterable of batches such as a DataLoader (each batch a Tensor, or a tuple/list whose first two
entries are inputs and labels). From an iterable, batches are read until `samples` are collected;
the engine then draws its calibration subset from them by the seed, as `mipp prune` does from a
dataset.
"""
import torch


def _check(tensor, what):
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"calibration: {what} must be a Tensor, got {type(tensor).__name__}")
    return tensor.detach()


def calibration_tensors(calibration, samples):
    """(inputs, labels or None), or (None, None) without calibration data."""
    if calibration is None:
        return None, None
    if isinstance(calibration, torch.Tensor):
        return calibration.detach(), None
    if isinstance(calibration, (tuple, list)) and len(calibration) == 2 and all(
        isinstance(t, torch.Tensor) for t in calibration
    ):
        return _check(calibration[0], "inputs"), _check(calibration[1], "labels")
    if not hasattr(calibration, "__iter__"):
        raise TypeError(
            f"calibration: expected a DataLoader, a Tensor or an (inputs, labels) pair, got {type(calibration).__name__}"
        )
    inputs, labels, count = [], [], 0
    for batch in calibration:
        if isinstance(batch, torch.Tensor):
            inputs.append(batch.detach())
        elif isinstance(batch, (tuple, list)) and len(batch) >= 1:
            inputs.append(_check(batch[0], "each batch's inputs"))
            if len(batch) >= 2:
                labels.append(_check(batch[1], "each batch's labels"))
        else:
            raise TypeError(f"calibration: each batch must be a Tensor or (inputs, labels), got {type(batch).__name__}")
        count += inputs[-1].shape[0]
        if count >= samples:
            break
    if not inputs:
        raise ValueError("calibration: the DataLoader yielded no batches")
    x = torch.cat([t.cpu() for t in inputs])[:samples]
    y = torch.cat([t.cpu() for t in labels])[:samples] if len(labels) == len(inputs) else None
    return x, y
