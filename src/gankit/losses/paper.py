"""The paper's losses (`minimax`, `nonsaturating`): the value function V(D, G) of equation (1).

D's net returns a logit l with D(x) = sigmoid(l). Every log D and log(1 - D) is computed as a
binary cross-entropy with logits (log sigmoid(l) = -softplus(-l), log(1 - sigmoid(l)) =
-softplus(l)), never as the log of a sigmoid, which underflows to -inf once D saturates.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from .base import GANLoss
from .registry import register_loss


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


class PaperLoss(GANLoss):
    """The value function V(D, G) of equation (1): D ascends E log D(x) + E log(1 - D(G(z)));
    G descends `generator_fn` of D's logits on its samples. Statistics: the mean probabilities
    D(x) and D(G(z)) of the D steps."""

    scores_note = ("D's mean probability on data, D(x), and on samples, D(G(z)); at the game's equilibrium "
                   "(p_g = p_data, D* = 1/2) both are 1/2")
    equilibrium = 0.5

    def __init__(self, name: str, generator_fn: Callable[[torch.Tensor], torch.Tensor], hint: str,
                 r1_gamma: float = 0.0, r2_gamma: float = 0.0):
        self.name, self.generator_fn, self.hint = name, generator_fn, hint
        super().__init__(r1_gamma, r2_gamma)

    def d_loss(self, real_s, fake_s):
        return discriminator_loss(real_s, fake_s)

    def g_loss(self, fake_s, real_s):
        return self.generator_fn(fake_s)

    def d_stats(self, real_s, fake_s):
        return {"d_real": torch.sigmoid(real_s).mean(), "d_fake": torch.sigmoid(fake_s).mean()}


register_loss("minimax", lambda t, u: PaperLoss(
    "minimax", generator_loss_minimax, "lower optim.lr_g / optim.lr_d, or try train.loss=nonsaturating",
    t.r1_gamma, t.r2_gamma))
register_loss("nonsaturating", lambda t, u: PaperLoss(
    "nonsaturating", generator_loss_nonsaturating, "lower optim.lr_g / optim.lr_d", t.r1_gamma, t.r2_gamma))
