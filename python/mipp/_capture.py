"""How a user's nn.Module reaches the engine: as TorchScript, in memory.

torch.jit.script is tried first: it keeps the model's control flow and shape arithmetic
(x.view(x.size(0), -1)), so the engine sees what the code does. When the model cannot be scripted
(Python features TorchScript lacks) or the engine cannot read the scripted module, torch.jit.trace
records one run on the example inputs instead.
Both share the module's parameters with the ScriptModule (nothing is copied or written to a file);
the engine's import then checks that its graph computes what the module computes.
Tracing runs forward once, so it runs in eval mode under no_grad: batch-norm statistics stay as
they were.
"""
import warnings

import torch
import torch.nn as nn

from . import _core


def input_shape_of(example_inputs):
    """The per-sample input shape from a batch (a Tensor, or a tuple holding one Tensor)."""
    if isinstance(example_inputs, (tuple, list)):
        if len(example_inputs) != 1:
            raise TypeError(f"example_inputs: mipp imports models with one input tensor, got {len(example_inputs)} inputs")
        example_inputs = example_inputs[0]
    if not isinstance(example_inputs, torch.Tensor):
        raise TypeError(f"example_inputs: expected a Tensor of shape [N, C, H, W] or [N, F], got {type(example_inputs).__name__}")
    if example_inputs.dim() not in (2, 4):
        raise ValueError(f"example_inputs: expected a batch of shape [N, C, H, W] or [N, F], got {list(example_inputs.shape)}")
    return example_inputs, list(example_inputs.shape[1:])


def _trace(model, example):
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.trace(model, example, check_trace=False)
    finally:
        model.train(was_training)


def import_model(model, example_inputs):
    """The engine's copy of `model` (a _core.Model sharing its tensors) and how it was captured:
    "script", or "trace" when scripting or the import of the scripted module failed."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    example, shape = input_shape_of(example_inputs)
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    example = example.to(device)
    name = type(model).__name__
    try:
        with warnings.catch_warnings():
            # torch 2.11 marks TorchScript deprecated; it is what mipp reads (docs/PYTHON.md, "How a
            # model crosses over").
            warnings.simplefilter("ignore", DeprecationWarning)
            script = torch.jit.script(model)
    except Exception as e:  # TorchScript's frontend raises many kinds
        script_error = f"torch.jit.script failed: {_first_line(e)}"
    else:
        try:
            return _core.import_module(script, shape, f"{name} (torch.jit.script)"), "script"
        except ValueError as e:
            script_error = str(e)
    try:
        traced = _trace(model, example)
    except Exception as e:
        raise ValueError(f"{name}: {script_error}; torch.jit.trace failed too: {_first_line(e)}") from e
    try:
        return _core.import_module(traced, shape, f"{name} (torch.jit.trace)"), "trace"
    except ValueError as e:
        raise ValueError(f"{script_error}; traced: {e}") from None


def _first_line(error):
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
