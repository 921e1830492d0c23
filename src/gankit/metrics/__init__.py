"""Sample-quality metrics, one module each, called by name.

Each metric module registers `compute(ctx) -> dict` under a name (`registry.py`), with a summary
and what each of its keys means; `evaluate` (`evaluation.py`; the Python API and the CLI's one
path) runs the named ones on samples and merges their flat results. `runs.py` evaluates a run:
samples from one of its checkpoints (or a samples file), results kept in RUN/metrics.json with
their provenance.

- `features.py`: the feature nets FD, KID and PRDC compare (a classifier per data set, cached);
- `fd.py`, `kid.py`, `prdc.py`: Fréchet distance, kernel distance, precision/recall/density/coverage;
- `modes.py`, `classes.py`, `class_accuracy.py`, `stacked.py`: which modes or classes samples reach;
- `parzen.py`: the paper's Parzen-window log-likelihood; `tabular.py`: per-column scores;
- `memorisation.py`: whether G copies: samples' nearest training images against held-out images';
- `contrastive.py`: the feature net an unlabelled folder learns from its own images;
- `table.py`: tables' scores (SDMetrics' column shapes and pair trends, detection, ML efficacy, privacy).
"""

from __future__ import annotations

from . import class_accuracy, classes, fd, kid, memorisation, modes, parzen, prdc, stacked, table, tabular  # noqa: F401  (each registers)
from .evaluation import TINY_REFERENCE, MetricResult, check_samples, evaluate, evaluate_each, flatten
from .fd import frechet_distance
from .features import features
from .kid import kernel_distance
from .prdc import density_coverage, prdc, precision_recall
from .registry import (
    COMMON_KEYS,
    METRICS,
    EvalContext,
    Metric,
    MetricInfo,
    info,
    meaning,
    names,
    parse_names,
    register_metric,
    streams,
)

__all__ = [
    "evaluate", "evaluate_each", "flatten", "check_samples", "MetricResult", "TINY_REFERENCE", "register_metric",
    "names", "info", "meaning", "parse_names", "streams", "EvalContext", "Metric", "MetricInfo", "METRICS", "COMMON_KEYS",
    "frechet_distance", "kernel_distance", "features", "density_coverage", "precision_recall", "prdc",
]
