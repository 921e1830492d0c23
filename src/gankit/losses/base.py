"""A loss as a pair of objectives, D's and G's, that see the discriminator and both batches.

Algorithm 1 (`gankit.train.loop.fit`) calls `loss.discriminator(D, real, fake)` in its k inner
steps and `loss.generator(D, fake, real)` in its outer step. A loss sees the discriminator
itself and both batches, not only D's outputs, so penalties on D's gradients fit the same seam.
Each objective returns the quantity to *descend* and its own natural statistics (detached
scalars), which the run log averages over every step they were computed in. Every loss reports
`d_real` and `d_fake` (D's mean probability for the paper's losses, the mean raw score for
critics) plus its own: `wasserstein`, `gp`, `r1`, `r2`.

Any loss takes the zero-centred penalties R1 on real data and R2 on generated data
(`train.r1_gamma`, `train.r2_gamma`; Mescheder et al. 2018). Lazily (`train.reg_every` = N > 1,
StyleGAN2's lazy regularization): only in the D steps of every N-th G step, with γ×N, so that the
penalty's weight per step is the same on average while its double backward pass (on folder-64,
R1 in every step cut the G steps of 600 s from 5,922 to 2,495) is paid once in N. Which steps is a
function of the G step alone (the session sets `loss.step` before each), so a resumed run
penalises exactly the steps an uninterrupted one would.

With augmentation (`train.augment`, `gankit.augment`), a training session sets `loss.augment`:
every batch D scores, real or generated, in either objective, is augmented first, so D is D∘T
for every loss. R1 and R2 are still gradients with respect to the images themselves, through T
(StyleGAN2-ADA's), and ADA sees D's outputs on the augmented real images (`augment.observe`).
"""

from __future__ import annotations

from typing import Callable

import torch

from .penalties import zero_centred_penalty
from .scores import Examples, Objective, differentiable, scores, scores_pair, wide

Uniform = Callable[[int, torch.Tensor], torch.Tensor]
"""Where a loss draws its randomness: (rows, like) -> `rows` draws of U[0, 1) on `like`'s device.
A training session passes `gankit.train.streams.Uniform`, which a checkpoint restores."""


def default_uniform() -> Uniform:
    gen = torch.Generator().manual_seed(0)
    return lambda rows, like: torch.rand(rows, generator=gen).to(like.device)


class GANLoss:
    """A named pair of objectives, written as formulas of D's scores on the real and the fake
    batch (`d_loss`, `g_loss`); this class adds the optional R1/R2 penalties and the statistics.
    `hint` says what to try when training diverges; `stats` names what each log row carries."""

    name: str = ""
    hint: str = "lower optim.lr_g / optim.lr_d"
    # What the logged d_real and d_fake are, and the value both take at the game's equilibrium
    # (None: no fixed value); the report's caption and the curves' reference line follow them.
    scores_note: str = ("D's mean raw score on data, d_real, and on samples, d_fake; for this loss they have no "
                        "fixed value at equilibrium: read their gap, not their level")
    equilibrium: float | None = None
    extra_stats: tuple[str, ...] = ()
    g_sees_real = False  # the generator objective also needs D's scores on real data
    augment: Callable | None = None  # T(x) for every batch D sees (gankit.augment.Augment); None = off
    reg_every: int = 1  # R1/R2 in the D steps of every reg_every-th G step, ×reg_every (train.reg_every)
    step: int = 0  # the G step the loop is in (0, 1, ...), set by the training session

    def __init__(self, r1_gamma: float = 0.0, r2_gamma: float = 0.0):
        self.r1_gamma, self.r2_gamma = float(r1_gamma), float(r2_gamma)
        self.stats = ("d_real", "d_fake", *self.extra_stats,
                      *(("r1",) if self.r1_gamma else ()), *(("r2",) if self.r2_gamma else ()))
        if self.r1_gamma or self.r2_gamma:
            self.hint += "; or raise train.r1_gamma / train.r2_gamma"

    @property
    def double_backward(self) -> str:
        """What in this loss differentiates D twice (a penalty on D's gradients: R1, R2, WGAN-GP's),
        "" if nothing: torch.compile's autograd cannot, so a compiled run keeps such a D eager."""
        return " and ".join(k for k, on in (("train.r1_gamma", self.r1_gamma), ("train.r2_gamma", self.r2_gamma)) if on)

    # -- the formulas, per loss --
    def d_loss(self, real_s: torch.Tensor, fake_s: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def g_loss(self, fake_s: torch.Tensor, real_s: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def d_stats(self, real_s: torch.Tensor, fake_s: torch.Tensor) -> dict[str, torch.Tensor]:
        """For critics: the mean raw scores."""
        return {"d_real": real_s.mean(), "d_fake": fake_s.mean()}

    def penalty_weights(self) -> tuple[float, float]:
        """(γ of R1, γ of R2) in this step's D objective: γ itself, or lazily γ×N on every N-th G step and 0 between."""
        n = max(int(self.reg_every), 1)
        scale = n if self.step % n == 0 else 0
        return self.r1_gamma * scale, self.r2_gamma * scale

    # -- the pair the loop calls --
    def discriminator(self, D: Callable, real: Examples, fake: Examples) -> Objective:
        r1_gamma, r2_gamma = self.penalty_weights()
        if r1_gamma:
            real = Examples(differentiable(real.x), real.c)
        if r2_gamma:
            fake = Examples(differentiable(fake.x), fake.c)
        seen_real, seen_fake = self.seen(real, fake)
        real_s, fake_s = map(wide, scores_pair(D, seen_real, seen_fake))
        if self.augment is not None:
            self.augment.observe(real_s)
        loss = self.d_loss(real_s, fake_s)
        with torch.no_grad():
            stats = self.d_stats(real_s.detach(), fake_s.detach())
        if r1_gamma:
            r1 = zero_centred_penalty(real_s, real.x)
            loss, stats["r1"] = loss + r1_gamma / 2 * r1, r1.detach()
        if r2_gamma:
            r2 = zero_centred_penalty(fake_s, fake.x)
            loss, stats["r2"] = loss + r2_gamma / 2 * r2, r2.detach()
        extra = self.penalty(D, seen_real, seen_fake)
        if extra is not None:
            loss, stats = loss + extra.loss, {**stats, **extra.stats}
        return Objective(loss, stats)

    def penalty(self, D: Callable, real: Examples, fake: Examples) -> Objective | None:
        """A loss's own term in D's objective, given the batches as D saw them (WGAN-GP's)."""
        return None

    def generator(self, D: Callable, fake: Examples, real: Examples) -> Objective:
        if self.g_sees_real:
            real_s, fake_s = map(wide, scores_pair(D, *self.seen(real, fake)))
        else:
            real_s, fake_s = None, wide(scores(D, self.seen(fake)[0]))
        return Objective(self.g_loss(fake_s, real_s), {})

    def seen(self, *batches: Examples) -> tuple[Examples, ...]:
        """The batches as D sees them: augmented when the run augments, else themselves."""
        if self.augment is None:
            return batches
        return tuple(Examples(self.augment(b.x), b.c) for b in batches)
