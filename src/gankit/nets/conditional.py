"""Conditional nets (`model.conditional`): G(z, c) from any family's G, D(x, c) by projection."""

from __future__ import annotations

import math

import torch
from torch import nn

from ..errors import GankitError


def require_classes(c: torch.Tensor | None, who: str) -> torch.Tensor:
    if c is None:
        raise GankitError(f"a conditional {who} needs a class label for each example (pass c)")
    return c


class ConditionalGenerator(nn.Module):
    """G(z, c) = G_base([z; onehot(c)]): the class joins the noise at G's input (Mirza & Osindero,
    2014). `base` is any generator built for z_dim + num_classes inputs; its first linear layer
    then holds one learned vector per class, added to what z gives it."""

    def __init__(self, base: nn.Module, num_classes: int):
        super().__init__()
        self.base, self.num_classes = base, num_classes

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        onehot = nn.functional.one_hot(require_classes(c, "generator"), self.num_classes).to(z.dtype)
        return self.base(torch.cat([z, onehot], 1))


class ProjectionDiscriminator(nn.Module):
    """A projection discriminator (Miyato & Koyama, 2018): logit = ψ(φ(x)) + ⟨embed(c), φ(x)⟩.

    φ is the wrapped discriminator's `net` up to its last hidden layer and ψ its final linear unit,
    so D(x, c) is the unconditional logit plus how well x's features match class c's direction.
    The class embedding starts at ψ's scale (PyTorch's Linear init: U(±1/√width)), so the projection
    term neither dominates nor vanishes at the start.
    """

    def __init__(self, base: nn.Module, num_classes: int):
        super().__init__()
        self.phi, self.psi = base.net[:-1], base.net[-1]
        if not isinstance(self.psi, nn.Linear) or self.psi.out_features != 1:
            raise TypeError(f"{type(base).__name__}.net must end in its logit layer, Linear(width, 1)")
        self.max_norm = getattr(base, "max_norm", 0.0)  # the paper D's weight constraint still applies
        self.embed = nn.Embedding(num_classes, self.psi.in_features)
        bound = 1.0 / math.sqrt(self.psi.in_features)
        nn.init.uniform_(self.embed.weight, -bound, bound)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = self.phi(x)
        return self.psi(h).squeeze(-1) + (self.embed(require_classes(c, "discriminator")) * h).sum(-1)


def check_num_classes(num_classes: int) -> None:
    if num_classes < 2:
        raise GankitError(f"config key model.conditional = true needs a data set with at least two classes "
                          f"(got {num_classes}); set model.conditional = false or use a labelled data set")
