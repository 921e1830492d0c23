"""The noise prior p_z (`model.prior`): z is drawn on the CPU from a generator of its own, so
every device and every process sees the same z."""

from __future__ import annotations

import math
from typing import Callable

import torch

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
