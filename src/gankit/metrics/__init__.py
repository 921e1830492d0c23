"""Sample-quality metrics, one module each, called by name.

Each metric module registers `compute(ctx) -> dict` under a name; `evaluate` (the Python API and
the CLI's one path) runs the named ones on samples and merges their flat results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from ..config import Config, DataConfig
from ..errors import GankitError


@dataclass
class EvalContext:
    """What a metric may use: the samples in the data's own units, the data set, the config."""

    samples: torch.Tensor  # N×C×H×W in [0,1] for images, N×D in data units otherwise
    dataset: Any  # gankit.data.Dataset
    config: Config = field(default_factory=Config)
    seed: int = 0
    cache: dict = field(default_factory=dict)  # shared between metrics of one evaluate call
    classes: torch.Tensor | None = None  # the class each sample was asked for (conditional runs)

    @property
    def device(self) -> torch.device:
        from ..device import resolve_device

        return resolve_device(self.config.device)


Metric = Callable[[EvalContext], dict[str, Any]]
_METRICS: dict[str, Metric] = {}


def register_metric(name: str) -> Callable[[Metric], Metric]:
    def wrap(fn: Metric) -> Metric:
        _METRICS[name] = fn
        return fn

    return wrap


def names() -> list[str]:
    return sorted(_METRICS)


def evaluate(samples, data: str | Any = None, metrics: list[str] | str = ("modes",),
             config: Config | None = None, seed: int = 0, classes=None) -> dict[str, Any]:
    """Compute the named metrics of `samples` against a data set; returns one flat dict.

    `samples` is an array or tensor in the layout of `gankit sample` output; `data` is a data set
    name, a loaded Dataset, or None to use `config.data`; `classes` (one label per sample) says
    which class a conditional G was asked for.
    """
    from .. import data as data_mod

    config = config or Config()
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    unknown = [m for m in metrics if m not in _METRICS]
    if not metrics or unknown:
        raise GankitError(f"unknown metric(s) {', '.join(unknown) or '(none given)'} (known: {', '.join(names())})")
    if isinstance(data, str):
        data = data_mod.load(DataConfig(**{**config.data.__dict__, "name": data}))
    elif data is None:
        data = data_mod.load(config.data)
    x = torch.as_tensor(np.asarray(samples, dtype=np.float32) if not torch.is_tensor(samples) else samples).float()
    check_samples(x, data)
    if classes is not None:
        classes = torch.as_tensor(np.asarray(classes)).long().reshape(-1)
        if len(classes) != len(x):
            raise GankitError(f"{len(classes)} class labels for {len(x)} samples; give one per sample")
    ctx = EvalContext(samples=x, dataset=data, config=config, seed=seed, classes=classes)
    out: dict[str, Any] = {}
    for name in metrics:
        out.update(_METRICS[name](ctx))
    out["n_samples"] = int(len(x))
    return out


def check_samples(x: torch.Tensor, dataset: Any) -> None:
    """Refuse samples whose layout does not match the data set, or that hold NaN/inf."""
    want = tuple(dataset.shape)
    if x.ndim != len(want) + 1 or tuple(x.shape[1:]) != want:
        raise GankitError(f"samples have shape {tuple(x.shape)}, but {dataset.name} needs N×{'×'.join(map(str, want))}")
    if len(x) < 2:
        raise GankitError(f"need at least 2 samples to evaluate, got {len(x)}")
    if not torch.isfinite(x).all():
        raise GankitError("samples hold NaN or inf values (regenerate them with `gankit sample`)")


from . import class_accuracy, classes, fd, kid, modes, parzen, prdc as _prdc_module, stacked, tabular, tracking  # noqa: E402,F401  (registers)
from .fd import frechet_distance  # noqa: E402
from .features import features  # noqa: E402
from .kid import kernel_distance  # noqa: E402
from .prdc import density_coverage, precision_recall, prdc  # noqa: E402
from .tracking import training_eval  # noqa: E402
