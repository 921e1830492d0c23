"""The adversarial losses of Goodfellow et al. (2014), one function each, all from logits.

D's net returns a logit l with D(x) = sigmoid(l). Every log D and log(1 - D) is computed as a
binary cross-entropy with logits (log sigmoid(l) = -softplus(-l), log(1 - sigmoid(l)) =
-softplus(l)), never as the log of a sigmoid, which underflows to -inf once D saturates.
Each function returns the quantity to *descend*.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


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
