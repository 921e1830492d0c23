"""Per-column distances for 1-D and tabular data: `ks` and `wasserstein`.

Both compare the samples (in the data's own units) with the data set's test split mapped to the
same units, one column at a time, so a result reads in the data's terms: `w1_height_cm = 0.8`
means the generated heights are 0.8 cm away in earth mover's distance.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..errors import GankitError
from .registry import EvalContext, register_metric


def reference(ctx: EvalContext, metric: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(samples, test split, column names) as N×D float64 arrays in data units."""
    ds = ctx.dataset
    if ds.kind not in ("points", "table"):
        raise GankitError(f"metric {metric} compares columns of tabular or toy data, not {ds.kind} data "
                          f"like {ds.name} (use an image metric)")
    if ds.test is None or len(ds.test) < 2:
        raise GankitError(f"metric {metric} needs {ds.name}'s test split, which is too small; "
                          "use a data set with at least 10 rows")
    test = ds.to_data_units(ds.test).float().double().cpu().numpy()  # at the samples' float32 precision
    x = ctx.samples.double().cpu().numpy()
    columns = list(ds.columns) if len(ds.columns) == x.shape[1] else [f"x{j}" for j in range(x.shape[1])]
    ctx.used_reference(len(test))
    return x, test, columns


@register_metric("ks", "Kolmogorov-Smirnov distance per column (points data)", {
    "ks_*": "largest gap between the CDFs of column * in samples and test split, 0..1 (lower is better)",
    "ks_max": "the largest ks over the columns",
}, few_real="two samples of these sizes drawn from one distribution already differ by KS up to {ks95:.3f} in 95% "
            "of draws, so a KS below that says nothing")
def compute_ks(ctx: EvalContext) -> dict:
    """Two-sample Kolmogorov-Smirnov statistic sup_t |F_samples(t) - F_test(t)| per column, and the max."""
    x, test, columns = reference(ctx, "ks")
    out = {f"ks_{c}": float(stats.ks_2samp(*_present(x[:, j], test[:, j])).statistic) for j, c in enumerate(columns)}
    out["ks_max"] = max(out.values())
    return out


@register_metric("wasserstein", "Wasserstein-1 distance per column, in the data's units (points data)", {
    "w1_*": "earth mover's distance between samples and test split in column *, in its units (lower is better)",
    "w1_mean": "the mean w1 over the columns",
}, few_real="W1 to so few points carries their own sampling noise: even samples of the data itself sit well above 0")
def compute_wasserstein(ctx: EvalContext) -> dict:
    """Wasserstein-1 distance integral |F_samples(t) - F_test(t)| dt per column (data units), and the mean."""
    x, test, columns = reference(ctx, "wasserstein")
    out = {f"w1_{c}": float(stats.wasserstein_distance(*_present(x[:, j], test[:, j]))) for j, c in enumerate(columns)}
    out["w1_mean"] = float(np.mean(list(out.values())))
    return out


def _present(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A column's values that are not blank (NaN), in samples and test split; a column all blank
    on one side is an error, not a NaN score."""
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if len(a) == 0 or len(b) == 0:
        raise GankitError("a column is blank in every sample or every test row; compare tables with --metrics table")
    return a, b
