"""The metrics' registry: each metric module registers `compute(ctx) -> dict` under a name, with a
one-line summary and what each of its keys means.

A third-party package adds a metric through the entry-point group `gankit.metrics`: an entry
point whose object is a `MetricInfo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from ..config import Config
from ..errors import GankitError
from ..registry import Registry


@dataclass
class EvalContext:
    """What a metric may use: the samples in the data's own units, the data set, the config.

    A metric that compares with real examples says how many through `used_reference(n)`, and
    anything the reader must know about its numbers through `warn(text)`.
    """

    # N×C×H×W in [0,1] for images, N×D in data units otherwise; for a metric registered with
    # streams=True possibly `DrawnSamples`, to be read in slices x[a:b]
    samples: torch.Tensor
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
    # What few real examples do to this metric's numbers, for the warning `evaluate` gives below
    # TINY_REFERENCE of them: a clause that may use {n} (samples), {n_ref} (real examples) and
    # {ks95} (the KS distance two samples of those sizes from one distribution stay under 95% of the time).
    few_real: str = ""
    # True when compute reads ctx.samples only in contiguous slices, x[a:b] (through feature nets or
    # classifiers): then samples too large to hold may come as `DrawnSamples`, drawn slice by slice.
    streams: bool = False


def _is_metric(entry: object) -> str | None:
    return None if isinstance(entry, MetricInfo) else f"a metric is registered as a gankit.metrics.MetricInfo, not {type(entry).__name__}"


METRICS: Registry[MetricInfo] = Registry("metric", group="gankit.metrics", check=_is_metric)

# Keys every evaluation carries beside the metrics' own (see gankit.metrics.runs for provenance keys).
COMMON_KEYS = {
    "n_samples": "generated samples measured",
    "n_reference": "real examples they were compared with (the smallest over the metrics that use any)",
    "feature_net": "the features fd, kid and prdc compare; numbers compare only under the same feature_net",
    "warnings": "what to know before trusting these numbers",
}


def register_metric(name: str, summary: str = "", keys: dict[str, str] | None = None,
                    few_real: str = "", streams: bool = False) -> Callable[[Metric], Metric]:
    """Register `compute(ctx) -> dict` under a name; a name registered twice is an error.
    `few_real` says what comparing with few real examples does to its numbers, `streams` that it
    reads the samples only in slices (see MetricInfo)."""
    def wrap(fn: Metric) -> Metric:
        METRICS.register(name, MetricInfo(name, fn, summary, dict(keys or {}), few_real, streams))
        return fn

    return wrap


def names() -> list[str]:
    return METRICS.names()


def info(name: str) -> MetricInfo:
    return METRICS.get(parse_names([name])[0])


def streams(metrics: list[str] | tuple[str, ...] | str) -> bool:
    """Whether every one of these metrics reads the samples only in slices (MetricInfo.streams),
    so that samples too large to hold may be drawn as they are read."""
    return all(METRICS.get(m).streams for m in parse_names(metrics))


def meaning(key: str) -> str:
    """What a result key means, from the metric that returns it ("" when unknown)."""
    if key in COMMON_KEYS:
        return COMMON_KEYS[key]
    for _, m in METRICS.items():
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
    unknown = [m for m in wanted if m not in METRICS]
    if not wanted or unknown:
        raise GankitError(f"unknown metric(s) {', '.join(map(str, unknown)) or '(none given)'} "
                          f"(known: {', '.join(names())})")
    return list(dict.fromkeys(wanted))


