"""Writing a pruned network back into the user's own modules.

The engine's nodes carry the names of the modules that own their tensors ("layer1.0.conv1"). Each
module keeps its object, name and class; tensors whose shape changed are replaced by new
Parameters (buffers by new buffers) and the size attributes follow (Conv2d in/out_channels and
groups, Linear in/out_features, BatchNorm num_features); tensors of unchanged shape are copied into
place (reweighting methods change values), so their Parameter objects stay the same.
Every module is looked up before anything changes: a model is either pruned whole or not touched.
"""
import torch
import torch.nn as nn


def _lookup(model, name, keys):
    try:
        module = model.get_submodule(name)
    except AttributeError:
        raise ValueError(
            f"node {name}: has weights but the model has no module of that name (a module called twice, "
            "weight sharing, cannot be pruned in place)"
        ) from None
    for key in keys:
        if not isinstance(getattr(module, key, None), torch.Tensor):
            raise ValueError(f"module {name} ({type(module).__name__}): has no tensor '{key}' for the pruned one")
    return module


def _set_sizes(module, op, tensors, groups):
    if op == "conv2d" and hasattr(module, "out_channels"):
        weight = tensors["weight"]
        module.out_channels = weight.shape[0]
        module.in_channels = weight.shape[1] * groups
        module.groups = groups
    elif op == "linear" and hasattr(module, "out_features"):
        module.out_features, module.in_features = tensors["weight"].shape
    elif op.startswith("batch_norm") and hasattr(module, "num_features"):
        module.num_features = tensors["running_mean"].shape[0]


def write_back(model, node_tensors):
    """Puts the tensors of the pruned network (_core.Model.node_tensors()) into `model`'s modules.
    Returns the names of the modules whose shapes changed."""
    plan = [(_lookup(model, name, tensors.keys()), name, op, tensors, groups) for name, op, tensors, groups in node_tensors]
    changed = []
    with torch.no_grad():
        for module, name, op, tensors, groups in plan:
            resized = False
            for key, value in tensors.items():
                current = getattr(module, key)
                value = value.to(device=current.device, dtype=current.dtype)
                if current.shape == value.shape:
                    current.copy_(value)
                    continue
                resized = True
                if isinstance(current, nn.Parameter):
                    setattr(module, key, nn.Parameter(value.clone(), requires_grad=current.requires_grad))
                else:
                    module.register_buffer(key, value.clone(), persistent=key not in module._non_persistent_buffers_set)
            if resized:
                _set_sizes(module, op, tensors, groups)
                changed.append(name)
    return changed
