"""Adversarial losses: each a named pair of objectives (D's, G's), registered by name.

Algorithm 1 in `train.py` calls `loss.discriminator(D, real, fake)` in its k inner steps and
`loss.generator(D, fake, real)` in its outer step. A loss sees the discriminator itself and both
batches, not only D's outputs, so penalties on D's gradients fit the same seam. Each objective
returns the quantity to *descend* and its own natural statistics (detached scalars), which the run
log averages over every step they were computed in.

The paper's losses: D's net returns a logit l with D(x) = sigmoid(l). Every log D and log(1 - D)
is computed as a binary cross-entropy with logits (log sigmoid(l) = -softplus(-l),
log(1 - sigmoid(l)) = -softplus(l)), never as the log of a sigmoid, which underflows to -inf once
D saturates.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch
import torch.nn.functional as F

from .errors import GankitError


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
    from . import nets
    from .distributed import unwrap

    raw = unwrap(D) if isinstance(D, torch.nn.Module) else None
    if not STACK_REAL_AND_FAKE or raw is None or len(real.x) != len(fake.x) or nets.has_batch_norm(raw):
        return scores(D, real), scores(D, fake)
    x = torch.cat([real.x, fake.x.to(real.x.dtype)])
    c = None if real.c is None else torch.cat([real.c, fake.c])
    with nets.segmented(raw, 2):
        both = scores(D, Examples(x, c))
    return both[:len(real.x)], both[len(real.x):]


# --- the paper's objectives, as functions of logits -----------------------------------------------

def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-(1/m) Σ [log D(x_i) + log(1 - D(G(z_i)))].

    Descending this ascends the paper's discriminator objective (Algorithm 1, first update).
    """
    real = F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    return real + fake


def generator_loss_minimax(fake_logits: torch.Tensor) -> torch.Tensor:
    """(1/m) Σ log(1 - D(G(z_i))): the paper's equation (1), Algorithm 1's generator update.

    Its gradient vanishes as D(G(z)) -> 0, which is where G starts: d/dl = -sigmoid(l).
    """
    return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """-(1/m) Σ log D(G(z_i)): the paper's fix for early saturation (section 3).

    Same fixed point as the minimax loss, but d/dl = -sigmoid(-l) -> -1 as D(G(z)) -> 0,
    so G gets strong gradients exactly when it is worst.
    """
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


GENERATOR_LOSSES = {
    "minimax": generator_loss_minimax,
    "nonsaturating": generator_loss_nonsaturating,
}


# --- losses as pairs of objectives ----------------------------------------------------------------

class GANLoss:
    """A named pair of objectives. Subclasses set `name`, `stats` (the statistic names each row of
    the run log carries) and `hint` (what to try when training diverges), and implement both."""

    name: str = ""
    stats: tuple[str, ...] = ()
    hint: str = "lower optim.lr_g / optim.lr_d"

    def discriminator(self, D: Callable, real: Examples, fake: Examples) -> Objective:
        raise NotImplementedError

    def generator(self, D: Callable, fake: Examples, real: Examples) -> Objective:
        raise NotImplementedError


class PaperLoss(GANLoss):
    """The value function V(D, G) of equation (1): D ascends E log D(x) + E log(1 - D(G(z)));
    G descends `generator_fn` of D's logits on its samples. Statistics: the mean probabilities
    D(x) and D(G(z)) of the D steps."""

    stats = ("d_real", "d_fake")

    def __init__(self, name: str, generator_fn: Callable[[torch.Tensor], torch.Tensor], hint: str):
        self.name, self.generator_fn, self.hint = name, generator_fn, hint

    def discriminator(self, D, real, fake):
        real_logits, fake_logits = scores_pair(D, real, fake)
        loss = discriminator_loss(real_logits, fake_logits)
        with torch.no_grad():
            stats = {"d_real": torch.sigmoid(real_logits.float()).mean(),
                     "d_fake": torch.sigmoid(fake_logits.float()).mean()}
        return Objective(loss, stats)

    def generator(self, D, fake, real):
        return Objective(self.generator_fn(scores(D, fake)), {})


_LOSSES: dict[str, GANLoss] = {}


def register_loss(loss: GANLoss) -> GANLoss:
    """Add a loss under its name; a name registered twice is an error, never an overwrite."""
    if not loss.name or loss.name in _LOSSES:
        raise ValueError(f"loss name {loss.name!r} is empty or already registered")
    _LOSSES[loss.name] = loss
    return loss


def get(name: str) -> GANLoss:
    if name not in _LOSSES:
        raise GankitError(f"unknown loss {name!r} (known: {', '.join(names())})")
    return _LOSSES[name]


def names() -> list[str]:
    return sorted(_LOSSES)


register_loss(PaperLoss("minimax", generator_loss_minimax,
                        "lower optim.lr_g / optim.lr_d, or try train.loss=nonsaturating"))
register_loss(PaperLoss("nonsaturating", generator_loss_nonsaturating, "lower optim.lr_g / optim.lr_d"))
