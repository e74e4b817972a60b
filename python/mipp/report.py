"""What mipp's Python functions return besides tensors: reports that are data first (dicts with the
CLI's JSON fields) and print as the CLI's text."""
import json
from dataclasses import dataclass, field

from . import _core


class Report(dict):
    """A pruning report: the fields of `mipp prune --json` (method, budget, achieved_sparsity,
    groups with width_before/width_after, before/after params and MACs, collapsed_layers, ...),
    plus "capture" (how the model was read: "script" or "trace") and "resized_modules".
    str() gives the CLI's summary table."""

    def __str__(self):
        return _core.summary(json.dumps(self)).rstrip("\n")

    def to_json(self, indent=2):
        return json.dumps(self, indent=indent)


@dataclass
class Group:
    """Units that are removed together: the producers' output channels (a residual stage couples
    several producers), the batch-norms and depthwise convs that follow, and the consumers' inputs."""

    name: str
    size: int
    producers: list
    per_channel: list
    consumers: list


@dataclass
class GroupReport:
    """mipp.groups(): the prunable groups by module name, and why the other channels are frozen."""

    groups: list = field(default_factory=list)
    frozen: list = field(default_factory=list)

    def __str__(self):
        lines = [f"{'group':<32} {'units':>6}  producers / consumers"]
        for g in self.groups:
            lines.append(f"{g.name:<32} {g.size:>6}  {', '.join(g.producers)} -> {', '.join(g.consumers) or '(none)'}")
        lines += [f"frozen: {reason}" for reason in self.frozen]
        return "\n".join(lines)
