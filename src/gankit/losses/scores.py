"""What a discriminator says about a batch: its raw scores, in one pass over real and fake where
that gives the same numbers as two."""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch

from ..distributed.group import unwrap
from ..nets.layers import segmented
from ..nets.remedies import stackable


class Examples(NamedTuple):
    """A batch as a discriminator sees it: the examples, and their class labels when conditional."""

    x: torch.Tensor
    c: torch.Tensor | None = None


class Objective(NamedTuple):
    """What an objective returns: the scalar to descend, and statistics to log (name -> scalar)."""

    loss: torch.Tensor
    stats: dict[str, torch.Tensor]


def scores(D: Callable, batch: Examples) -> torch.Tensor:
    """D's raw outputs (logits, critic values) on a batch, labels passed when there are any."""
    return D(batch.x) if batch.c is None else D(batch.x, batch.c)


STACK_REAL_AND_FAKE = True  # `make bench` turns it off to measure what the one-pass path buys


def scores_pair(D: Callable, real: Examples, fake: Examples) -> tuple[torch.Tensor, torch.Tensor]:
    """D's outputs on the real and on the fake batch. When D has no batch norm (whose statistics
    would mix the two), both go through D in one pass: its matrix products run on twice the rows
    and each weight gradient is one product instead of two added, which is measurably faster on a
    CPU. Dropout layers draw each half's masks as they would in a pass of its own."""
    raw = unwrap(D) if isinstance(D, torch.nn.Module) else None
    if (not STACK_REAL_AND_FAKE or raw is None or len(real.x) != len(fake.x)
            or not stackable(raw, len(real.x))):
        return scores(D, real), scores(D, fake)
    x = torch.cat([real.x, fake.x.to(real.x.dtype)])
    c = None if real.c is None else torch.cat([real.c, fake.c])
    with segmented(raw, 2):
        both = scores(D, Examples(x, c))
    half = len(both) // 2  # a packed D returns one output per pack, not per example
    return both[:half], both[half:]


def wide(t: torch.Tensor) -> torch.Tensor:
    """Half-precision scores (bf16 autocast) widened to float32 for the loss; float64 kept."""
    return t.float() if t.dtype in (torch.bfloat16, torch.float16) else t


def differentiable(x: torch.Tensor) -> torch.Tensor:
    """x itself when autograd already tracks it (G's samples inside an unrolled objective), else a
    leaf that asks for its gradient."""
    return x if x.requires_grad else x.detach().requires_grad_(True)
