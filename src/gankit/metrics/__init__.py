"""Sample-quality metrics, one module each, called by name.

Each metric module registers `compute(ctx) -> dict` under a name, with a summary and what each of
its keys means; `evaluate` (the Python API and the CLI's one path) runs the named ones on samples
and merges their flat results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from ..config import Config, DataConfig
from ..errors import GankitError


# Below this many real examples a comparison is noise: FD's covariance of 160 features is barely
# determined, and k-NN balls (k = 3..5) each cover a large share of the set, so recall can read 0
# beside coverage 1 (a 300-image folder leaves 15 test images).
TINY_REFERENCE = 500


@dataclass
class EvalContext:
    """What a metric may use: the samples in the data's own units, the data set, the config.

    A metric that compares with real examples says how many through `used_reference(n)`, and
    anything the reader must know about its numbers through `warn(text)`.
    """

    samples: torch.Tensor  # N×C×H×W in [0,1] for images, N×D in data units otherwise
    dataset: Any  # gankit.data.Dataset
    config: Config = field(default_factory=Config)
    seed: int = 0
    cache: dict = field(default_factory=dict)  # shared between metrics of one evaluate call
    metric: str = ""  # the metric running now
    references: dict[str, int] = field(default_factory=dict)  # metric -> real examples it compared with
    warnings: dict[str, list[str]] = field(default_factory=dict)  # metric -> what to tell the reader
    classes: torch.Tensor | None = None  # the class each sample was asked for (conditional runs)

    @property
    def device(self) -> torch.device:
        from ..device import resolve_device

        return resolve_device(self.config.device)

    def used_reference(self, n: int) -> None:
        self.references[self.metric] = int(n)

    def warn(self, text: str) -> None:
        self.warnings.setdefault(self.metric, []).append(text)


Metric = Callable[[EvalContext], dict[str, Any]]


@dataclass(frozen=True)
class MetricInfo:
    """A registered metric: how to compute it, a one-line summary, and what each key it returns means."""

    name: str
    compute: Metric
    summary: str
    keys: dict[str, str]


_METRICS: dict[str, MetricInfo] = {}

# Keys every evaluation carries beside the metrics' own (see gankit.evaluate for provenance keys).
COMMON_KEYS = {
    "n_samples": "generated samples measured",
    "n_reference": "real examples they were compared with (the smallest over the metrics that use any)",
    "feature_net": "the features fd, kid and prdc compare; numbers compare only under the same feature_net",
    "warnings": "what to know before trusting these numbers",
}


def register_metric(name: str, summary: str = "", keys: dict[str, str] | None = None) -> Callable[[Metric], Metric]:
    """Register `compute(ctx) -> dict` under a name; a name registered twice is an error."""
    def wrap(fn: Metric) -> Metric:
        if not name or name in _METRICS:
            raise ValueError(f"metric name {name!r} is empty or already registered")
        _METRICS[name] = MetricInfo(name, fn, summary, dict(keys or {}))
        return fn

    return wrap


def names() -> list[str]:
    return sorted(_METRICS)


def info(name: str) -> MetricInfo:
    return _METRICS[parse_names([name])[0]]


def meaning(key: str) -> str:
    """What a result key means, from the metric that returns it ("" when unknown)."""
    if key in COMMON_KEYS:
        return COMMON_KEYS[key]
    for m in _METRICS.values():
        if key in m.keys:
            return m.keys[key]
        prefix = next((k for k in m.keys if k.endswith("*") and key.startswith(k[:-1])), None)
        if prefix:
            return m.keys[prefix].replace("*", key[len(prefix) - 1:])
    return ""


def parse_names(metrics: list[str] | tuple[str, ...] | str) -> list[str]:
    """`"fd,kid"` or a list -> the list of names; an unknown or missing name is an error that
    lists the known ones. The one place metric names are checked."""
    wanted = [m.strip() for m in metrics.split(",") if m.strip()] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in wanted if m not in _METRICS]
    if not wanted or unknown:
        raise GankitError(f"unknown metric(s) {', '.join(map(str, unknown)) or '(none given)'} "
                          f"(known: {', '.join(names())})")
    return list(dict.fromkeys(wanted))


@dataclass
class MetricResult:
    """One metric's values, how many real examples it compared with (None: none, e.g. modes
    compares with the mixture's known means), and its warnings."""

    values: dict[str, Any]
    n_reference: int | None = None
    warnings: list[str] = field(default_factory=list)


def evaluate(samples, data: str | Any = None, metrics: list[str] | str = ("modes",),
             config: Config | None = None, seed: int = 0, classes=None) -> dict[str, Any]:
    """Compute the named metrics of `samples` against a data set; returns one flat dict.

    `samples` is an array or tensor in the layout of `gankit sample` output; `data` is a data set
    name, a loaded Dataset, or None to use `config.data`. Besides each metric's keys the dict
    holds `n_samples`, `n_reference` (when a metric compared with real examples) and `warnings`
    (one string, when there is something to know before trusting the numbers). `classes` (one
    label per sample) says which class a conditional G was asked for.
    """
    each = evaluate_each(samples, data, metrics, config, seed, classes)
    return flatten(each, n_samples=len(samples))


def flatten(each: dict[str, MetricResult], n_samples: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for r in each.values():
        out.update(r.values)
    out["n_samples"] = int(n_samples)
    refs = [r.n_reference for r in each.values() if r.n_reference is not None]
    if refs:
        out["n_reference"] = min(refs)
    notes = [w for r in each.values() for w in r.warnings]
    if notes:
        out["warnings"] = " | ".join(dict.fromkeys(notes))
    return out


def evaluate_each(samples, data: str | Any = None, metrics: list[str] | str = ("modes",),
                  config: Config | None = None, seed: int = 0, classes=None) -> dict[str, MetricResult]:
    """Like `evaluate`, but one MetricResult per metric (what RUN/metrics.json keeps)."""
    from .. import data as data_mod

    config = config or Config()
    metrics = parse_names(metrics)
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
    out: dict[str, MetricResult] = {}
    for name in metrics:
        ctx.metric = name
        values = _METRICS[name].compute(ctx)
        n_ref = ctx.references.get(name)
        if n_ref is not None and n_ref < TINY_REFERENCE:
            limited = " (no more than the samples: raise --n)" if n_ref >= len(x) else ""
            ctx.warn(f"{name} compared the samples with only {n_ref} real examples{limited}, fewer than "
                     f"{TINY_REFERENCE}: at that size its numbers are noisy (e.g. recall near 0 beside coverage "
                     f"near 1); use a data set with a larger test split")
        out[name] = MetricResult(values, n_ref, ctx.warnings.get(name, []))
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
