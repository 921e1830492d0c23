"""Computing the named metrics of samples against a data set: `evaluate`, the Python API and the
CLI's one path; it runs the registered metrics and merges their flat results."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from .. import data as data_mod
from ..config import Config, DataConfig
from ..data.dataset import pixels
from ..errors import GankitError
from ..sampling.generator import DrawnSamples
from .registry import METRICS, EvalContext, parse_names, streams

# Below this many real examples a comparison is noise: FD's covariance of 160 features is barely
# determined, and k-NN balls (k = 3..5) each cover a large share of the set, so recall can read 0
# beside coverage 1 (a 300-image folder leaves 15 test images).
TINY_REFERENCE = 500


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
    (a list of sentences, when there is something to know before trusting the numbers). `classes` (one
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
        out["warnings"] = list(dict.fromkeys(notes))
    return out


def evaluate_each(samples, data: str | Any = None, metrics: list[str] | str = ("modes",),
                  config: Config | None = None, seed: int = 0, classes=None) -> dict[str, MetricResult]:
    """Like `evaluate`, but one MetricResult per metric (what RUN/metrics.json keeps)."""
    config = config or Config()
    metrics = parse_names(metrics)
    if isinstance(data, str):
        data = data_mod.load(DataConfig(**{**config.data.__dict__, "name": data}))
    elif data is None:
        data = data_mod.load(config.data)
    x = as_samples(samples)
    if isinstance(x, DrawnSamples) and not streams(metrics):
        x = torch.from_numpy(x.numpy())  # a metric that reads all samples at once gets them at once
    check_samples(x, data)
    if classes is not None:
        classes = torch.as_tensor(np.asarray(classes)).long().reshape(-1)
        if len(classes) != len(x):
            raise GankitError(f"{len(classes)} class labels for {len(x)} samples; give one per sample")
    ctx = EvalContext(samples=x, dataset=data, config=config, seed=seed, classes=classes)
    out: dict[str, MetricResult] = {}
    for name in metrics:
        ctx.metric = name
        values = METRICS.get(name).compute(ctx)
        n_ref = ctx.references.get(name)
        if n_ref is not None and n_ref < TINY_REFERENCE:
            ctx.warn(few_real_warning(name, len(x), n_ref, data.kind))
        out[name] = MetricResult(values, n_ref, ctx.warnings.get(name, []))
    return out


GENERIC_FEW_REAL = "at that size its numbers are noisy"


def few_real_warning(name: str, n: int, n_ref: int, kind: str = "") -> str:
    """The warning for a metric that compared n samples with n_ref < TINY_REFERENCE real examples,
    in the metric's own terms (MetricInfo.few_real), and what would help for data of `kind`."""
    ks95 = 1.358 * ((n + n_ref) / max(n * n_ref, 1)) ** 0.5  # the two-sample KS test's 5% critical value
    why = (METRICS.get(name).few_real or GENERIC_FEW_REAL).format(n=n, n_ref=n_ref, ks95=ks95)
    if n_ref >= n:
        fix = "raise --n: the samples limit how many real examples are compared"
    elif kind == "table":  # a table is compared with its training rows: a larger hold-out would leave fewer
        fix = "only a table with more rows helps (its training rows are what the samples are compared with)"
    else:
        fix = "use a data set with more real examples (a larger test split)"
    return f"{name} compared the {n} samples with only {n_ref} real examples, fewer than {TINY_REFERENCE}: {why}; {fix}"
def as_samples(samples) -> torch.Tensor:
    """An array or tensor of samples as float32; uint8 images (0..255, e.g. a folder's own
    split) are divided by 255 into the [0, 1] of `gankit sample` files."""
    if isinstance(samples, DrawnSamples):  # drawn when read (float32 in [0, 1] already)
        return samples
    if isinstance(samples, np.memmap) and samples.dtype == np.float32:  # mapped, not read: no copy
        with warnings.catch_warnings():  # torch warns that a read-only array stays read-only; nothing writes it
            warnings.simplefilter("ignore", UserWarning)
            return torch.from_numpy(samples)
    x = samples if torch.is_tensor(samples) else torch.as_tensor(np.asarray(samples))
    return pixels(x) if x.dtype == torch.uint8 else x.float()


def check_samples(x: torch.Tensor, dataset: Any) -> None:
    """Refuse samples whose layout does not match the data set, or that hold NaN/inf (a table's
    blanks are NaN, and allowed)."""
    want = tuple(getattr(dataset, "sample_shape", dataset.shape))
    if x.ndim != len(want) + 1 or tuple(x.shape[1:]) != want:
        raise GankitError(f"samples have shape {tuple(x.shape)}, but {dataset.name} needs N×{'×'.join(map(str, want))}")
    if len(x) < 2:
        raise GankitError(f"need at least 2 samples to evaluate, got {len(x)}")
    if isinstance(x, DrawnSamples):  # each slice is checked as it is drawn
        return
    for i in range(0, len(x), 1000):  # in slices: a memory-mapped samples file is never copied whole
        part = x[i:i + 1000]
        if not (torch.isfinite(part) | (torch.isnan(part) & (dataset.kind == "table"))).all():
            raise GankitError("samples hold NaN or inf values (regenerate them with `gankit sample`)")


