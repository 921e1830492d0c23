"""Kernel distance (KID; Bińkowski et al., 2018): the unbiased MMD² between real and generated
features under the cubic polynomial kernel k(x, y) = (x·y / F + 1)^3, averaged over random subsets.

torchmetrics' KernelInceptionDistance computes it with gankit's feature module as its `feature`
argument. Unlike FD it is unbiased: two draws of one distribution score 0 on average, whatever
the sample size, so KIDs from different n compare. `kid_std` is the spread over subsets.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torchmetrics.image.kid import KernelInceptionDistance

from ..errors import GankitError
from .features import FeatureExtractor, feature_sets
from .registry import EvalContext, register_metric

SUBSETS = 100
SUBSET_SIZE = 1000


def kid_metric(fx: FeatureExtractor, subset_size: int, subsets: int = SUBSETS) -> KernelInceptionDistance:
    with warnings.catch_warnings():
        # Its warning that it keeps every feature in memory: known, and bounded by n here.
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        return KernelInceptionDistance(feature=fx, subsets=subsets, subset_size=subset_size,
                                       reset_real_features=False, normalize=True,
                                       sync_on_compute=False)  # one process measures (see fd.fd_metric)


def kernel_distance(real_features: Any, fake_features: Any, subsets: int = SUBSETS,
                    subset_size: int = SUBSET_SIZE, seed: int = 0) -> tuple[float, float]:
    """(mean, std) of the unbiased polynomial-kernel MMD² over random subsets of two N×F arrays.

    Subsets hold min(subset_size, N_real, N_fake) rows each and are drawn from a generator seeded
    with `seed`, leaving the caller's random state untouched.
    """
    real, fake = (torch.as_tensor(a).double() for a in (real_features, fake_features))
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise GankitError(f"KID needs two N×F feature arrays of one width, got {tuple(real.shape)} and {tuple(fake.shape)}")
    fx = FeatureExtractor(torch.nn.Identity(), "given features", real.shape[1])
    return _kid(fx, real, fake, subsets, subset_size, seed)


def _kid(fx: FeatureExtractor, real: torch.Tensor, fake: torch.Tensor, subsets: int, subset_size: int,
         seed: int) -> tuple[float, float]:
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        raise GankitError(f"KID needs at least 2 real and 2 generated samples, got {len(real)} and {len(fake)}")
    metric = kid_metric(fx, m, subsets)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    with torch.random.fork_rng(devices=[]):  # torchmetrics draws subsets from the global RNG
        torch.manual_seed(seed)
        mean, std = metric.compute()
    return float(mean), float(std)


@register_metric("kid", "kernel distance of features (KID's formula), unbiased", {
    "kid": "unbiased MMD² of features under the cubic kernel, ≈ 0 for equal distributions (lower is better)",
    "kid_std": "spread of kid over its random subsets",
}, few_real="KID's random subsets are drawn from so few real examples that kid_std is large beside kid", streams=True)
def compute(ctx: EvalContext) -> dict:
    fx, real, fake = feature_sets(ctx)
    mean, std = _kid(fx, real.double(), fake.double(), SUBSETS, SUBSET_SIZE, ctx.seed)
    return {"kid": mean, "kid_std": std, "feature_net": fx.name}
