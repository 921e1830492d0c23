"""k-NN manifold metrics on feature arrays: precision and recall (Kynkäänniemi et al., 2019) and
density and coverage (Naeem et al., 2020).

Each real point r_i gets a ball of radius rho_k(r_i), the distance to its k-th nearest other real
point; likewise each generated point g_j. Then
    precision = share of g_j inside some real ball              (are samples realistic?)
    recall    = share of r_i inside some generated ball         (is the data's variety covered?)
    density   = mean over g_j of (number of real balls holding g_j) / k
    coverage  = share of r_i whose own ball holds some g_j
The registered metric uses k = 3 for precision/recall (Kynkäänniemi's choice) and k = 5 for
density/coverage (Naeem's). Distances are computed in blocks of rows, so memory stays bounded
(about 64 MB of float64 per block) whatever N, and are float64 so results match the authors'
reference package `prdc` exactly.
"""

from __future__ import annotations

from typing import Any

import torch

from ..errors import GankitError
from .features import feature_sets
from .registry import EvalContext, register_metric

K_PR = 3
K_DC = 5
BLOCK_ELEMENTS = 1 << 23  # distances held at once (float64: 64 MB)


def prdc(real_features: Any, fake_features: Any, k: int = K_DC) -> dict[str, float]:
    """Precision, recall, density and coverage of two N×F feature arrays with one k (as `prdc` does)."""
    real, fake = _pair(real_features, fake_features)
    return _stats(real, fake, k, k)


def precision_recall(real_features: Any, fake_features: Any, k: int = K_PR) -> dict[str, float]:
    real, fake = _pair(real_features, fake_features)
    out = _stats(real, fake, k, k)
    return {"precision": out["precision"], "recall": out["recall"]}


def density_coverage(real_features: Any, fake_features: Any, k: int = K_DC) -> dict[str, float]:
    real, fake = _pair(real_features, fake_features)
    out = _stats(real, fake, k, k)
    return {"density": out["density"], "coverage": out["coverage"]}


def _pair(a: Any, b: Any) -> tuple[torch.Tensor, torch.Tensor]:
    real = (a if torch.is_tensor(a) else torch.as_tensor(a)).double()
    fake = (b if torch.is_tensor(b) else torch.as_tensor(b)).double()
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise GankitError(f"need two N×F feature arrays of one width, got {tuple(real.shape)} and {tuple(fake.shape)}")
    return real, fake


def _rows(n_cols: int) -> int:
    return max(1, BLOCK_ELEMENTS // max(n_cols, 1))


def knn_radii(x: torch.Tensor, ks: tuple[int, ...]) -> dict[int, torch.Tensor]:
    """Distance from each row of x to its k-th nearest other row, for each k in ks."""
    kmax = max(ks)
    if kmax >= len(x):
        raise GankitError(f"k = {kmax} nearest neighbours need more than {kmax} points, got {len(x)}")
    out = {k: torch.empty(len(x), dtype=x.dtype) for k in ks}
    step = _rows(len(x))
    for i in range(0, len(x), step):
        # The k+1 smallest include the point itself (distance 0), as in the reference package.
        near = torch.cdist(x[i:i + step], x).topk(kmax + 1, dim=1, largest=False).values
        for k in ks:
            out[k][i:i + step] = near[:, k]
    return out


def _stats(real: torch.Tensor, fake: torch.Tensor, k_pr: int, k_dc: int) -> dict[str, float]:
    ks = tuple(sorted({k_pr, k_dc}))
    if min(ks) < 1:
        raise GankitError(f"k must be >= 1, got {min(ks)}")
    r_real = knn_radii(real, ks)
    r_fake = knn_radii(fake, (k_pr,))[k_pr]
    in_real_pr = torch.zeros(len(fake), dtype=torch.bool)  # precision: g_j in some real ball (k_pr)
    balls_dc = torch.zeros(len(fake), dtype=torch.float64)  # density: real balls (k_dc) holding g_j
    recalled = torch.empty(len(real), dtype=torch.bool)
    covered = torch.empty(len(real), dtype=torch.bool)
    step = _rows(len(fake))
    for i in range(0, len(real), step):
        d = torch.cdist(real[i:i + step], fake)  # rows: real points, columns: generated points
        in_real_pr |= (d < r_real[k_pr][i:i + step, None]).any(0)
        balls_dc += (d < r_real[k_dc][i:i + step, None]).sum(0)
        recalled[i:i + step] = (d < r_fake[None, :]).any(1)
        covered[i:i + step] = d.min(1).values < r_real[k_dc][i:i + step]
    return {"precision": float(in_real_pr.double().mean()), "recall": float(recalled.double().mean()),
            "density": float(balls_dc.mean() / k_dc), "coverage": float(covered.double().mean())}


@register_metric("prdc", "precision, recall, density, coverage of features (k-NN manifolds)", {
    "precision": "share of samples inside the real data's k-NN balls: do samples look real? 0..1 (higher is better)",
    "recall": "share of real examples inside the samples' k-NN balls: is the variety covered? 0..1 (higher is better)",
    "density": "mean number of real balls holding a sample, over k; ≈ 1 when equal (higher is better)",
    "coverage": "share of real balls holding a sample, 0..1 (higher is better)",
}, few_real="each k-nearest-neighbour ball of so few points covers a large share of feature space, so precision "
            "and density read high for almost anything, and recall can read near 0 beside coverage near 1", streams=True)
def compute(ctx: EvalContext) -> dict:
    fx, real, fake = feature_sets(ctx)
    out = _stats(real.double(), fake.double(), K_PR, K_DC)
    return {**out, "feature_net": fx.name}
