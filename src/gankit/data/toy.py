"""Toy mixtures with known densities: `gauss1d` (Figure 1 of the paper), `ring8`, `grid25`.

Points are drawn once from a fixed seed, so every run of a config sees the same training set,
and the mixture means are kept for the `modes` metric.
"""

from __future__ import annotations

import math

import torch

from ..config import DataConfig
from .dataset import Dataset, Probe
from .registry import register

GAUSS1D_MEAN, GAUSS1D_STD = 2.0, 0.5
RING8_RADIUS, RING8_STD = 1.0, 0.01
GRID25_STD = 0.05
DEFAULT_N = 50_000
HELDOUT_N = 10_000


def ring8_means() -> torch.Tensor:
    angles = torch.arange(8, dtype=torch.float64) * (2 * math.pi / 8)
    return (RING8_RADIUS * torch.stack([angles.cos(), angles.sin()], 1)).float()


def grid25_means() -> torch.Tensor:
    ticks = torch.tensor([-4.0, -2.0, 0.0, 2.0, 4.0])
    return torch.cartesian_prod(ticks, ticks)


def sample_mixture(means: torch.Tensor, std: float, n: int, gen: torch.Generator) -> torch.Tensor:
    """n points from an equal-weight Gaussian mixture with isotropic std."""
    which = torch.randint(len(means), (n,), generator=gen)
    return means[which] + std * torch.randn(n, means.shape[1], generator=gen)


def _mixture_dataset(name: str, means: torch.Tensor, std: float, cfg: DataConfig, seed: int) -> Dataset:
    gen = torch.Generator().manual_seed(seed)
    n = cfg.n or DEFAULT_N
    return Dataset(
        name=name,
        kind="points",
        train=sample_mixture(means, std, n, gen),
        val=sample_mixture(means, std, HELDOUT_N, gen),
        test=sample_mixture(means, std, HELDOUT_N, gen),
        columns=[f"x{i}" for i in range(means.shape[1])],
        modes=means,
        mode_std=std,
    )


def _probe(name: str):
    return lambda cfg: Probe(True, "built in", f"{cfg.n or DEFAULT_N} training points, generated")


register("gauss1d", lambda c: _mixture_dataset("gauss1d", torch.tensor([[GAUSS1D_MEAN]]), GAUSS1D_STD, c, 101), _probe("gauss1d"))
register("ring8", lambda c: _mixture_dataset("ring8", ring8_means(), RING8_STD, c, 102), _probe("ring8"))
register("grid25", lambda c: _mixture_dataset("grid25", grid25_means(), GRID25_STD, c, 103), _probe("grid25"))
