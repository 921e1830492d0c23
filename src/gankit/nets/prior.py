"""The noise prior p_z (`model.prior`): z is drawn on the CPU from a generator of its own, so
every device and every process sees the same z."""

from __future__ import annotations

import math
from typing import Callable

import torch

from ..errors import GankitError
from ..registry import Registry

SQRT3 = math.sqrt(3.0)


def _uniform(n: int, dim: int, gen: torch.Generator) -> torch.Tensor:
    # U(-√3, √3) has unit variance, so both priors feed G inputs of the same scale.
    return (torch.rand(n, dim, generator=gen) * 2 - 1) * SQRT3


def _gaussian(n: int, dim: int, gen: torch.Generator) -> torch.Tensor:
    return torch.randn(n, dim, generator=gen)


PRIORS: Registry[Callable[[int, int, torch.Generator], torch.Tensor]] = Registry("prior")
PRIORS.register("uniform", _uniform)
PRIORS.register("gaussian", _gaussian)


def sample_noise(prior: str, n: int, dim: int, gen: torch.Generator) -> torch.Tensor:
    """n draws of z from the prior, on the CPU from `gen` (so every device sees the same z)."""
    return PRIORS.get(prior, "model.prior")(n, dim, gen)


# The priors the truncation trick applies to: those with a mode at their mean, which ψ·z pulls
# samples towards (a uniform prior has no such centre: every z is as likely as 0).
TRUNCATABLE = ("gaussian",)


def check_truncation(prior: str, psi: float | None) -> None:
    """Refuse a truncation ψ the prior cannot take, or one outside (0, 1]; None means none."""
    if psi is None:
        return
    if prior not in TRUNCATABLE:
        raise GankitError(f"--truncation needs a Gaussian prior, and this run's model.prior is {prior!r} "
                          "(the truncation trick pulls z towards the mode of N(0, I); sample without --truncation)")
    if not (isinstance(psi, (int, float)) and 0 < psi <= 1):
        raise GankitError(f"--truncation must be in (0, 1], got {psi} (1 = no truncation; 0.7 is a common choice)")


def truncate(z: torch.Tensor, prior: str, psi: float | None) -> torch.Tensor:
    """The truncation trick: z ← ψ·z, i.e. each draw pulled towards the prior's mean 0 by the
    factor ψ in (0, 1] (StyleGAN's ψ, applied to a Gaussian z; Brock et al. 2019 resample
    instead). Samples become more typical and less varied: fidelity for diversity. A separate
    step on z as drawn, so sample i still depends only on (seed, i) and ψ."""
    check_truncation(prior, psi)
    return z if psi is None or psi == 1 else z * psi
