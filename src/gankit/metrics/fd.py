"""Fréchet distance (FD; Heusel et al., 2017) between real and generated feature statistics.

FD = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)), the Fréchet (2-Wasserstein) distance
between Gaussians fitted to the two feature sets. torchmetrics' FrechetInceptionDistance computes
it, with gankit's feature module passed as its `feature` argument; with `metrics.inception_weights`
set the features are Inception-v3's and the number is the FID of papers, otherwise it compares
only with other FDs under the same `feature_net`.
"""

from __future__ import annotations

from typing import Any

import torch
from torchmetrics.image.fid import FrechetInceptionDistance

from ..errors import GankitError
from .features import FeatureExtractor, feature_sets
from .registry import EvalContext, register_metric


def fd_metric(fx: FeatureExtractor) -> FrechetInceptionDistance:
    """torchmetrics' FID around a gankit feature module.

    Its sums and covariances are float64 already, and the module hands it float64 features, so
    the result stays float64 (`set_dtype` is avoided: it would also cast the feature net).
    """
    # sync_on_compute=False: the samples are already all here; under torchrun torchmetrics would
    # otherwise all-gather its states with processes that are not computing this metric.
    return FrechetInceptionDistance(feature=fx, normalize=True, reset_real_features=False, sync_on_compute=False)


def frechet_distance(real_features: Any, fake_features: Any) -> float:
    """FD between two N×F feature arrays (numpy or torch), through torchmetrics in float64."""
    real, fake = _as_features(real_features), _as_features(fake_features)
    if real.shape[1] != fake.shape[1]:
        raise GankitError(f"feature arrays differ in width: {real.shape[1]} vs {fake.shape[1]}")
    fx = FeatureExtractor(torch.nn.Identity(), "given features", real.shape[1])
    return _fd(fd_metric(fx), real, fake)


def _fd(metric: FrechetInceptionDistance, real: torch.Tensor, fake: torch.Tensor) -> float:
    if len(real) < 2 or len(fake) < 2:
        raise GankitError(f"FD needs at least 2 real and 2 generated samples, got {len(real)} and {len(fake)}")
    metric.update(real, real=True)
    metric.update(fake, real=False)
    # Rounding can leave a tiny negative value where the two sets are one and the same.
    return max(float(metric.compute()), 0.0)


def _as_features(a: Any) -> torch.Tensor:
    t = a if torch.is_tensor(a) else torch.as_tensor(a)
    if t.ndim != 2:
        raise GankitError(f"features must be an N×F array, got shape {tuple(t.shape)}")
    return t.double()


@register_metric("fd", "Fréchet distance of features (FID's formula; Inception only with metrics.inception_weights)", {
    "fd": "Fréchet distance between Gaussians fitted to real and generated features (lower is better)",
}, few_real="FD fits a covariance of every feature pair to so few points, which biases it upward by an amount "
            "that depends on their number, so it compares only with FDs of as many examples", streams=True)
def compute(ctx: EvalContext) -> dict:
    fx, real, fake = feature_sets(ctx)
    return {"fd": _fd(fd_metric(fx), real, fake), "feature_net": fx.name}
