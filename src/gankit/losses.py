"""Adversarial losses: each a named pair of objectives (D's, G's), registered by name.

Algorithm 1 in `train.py` calls `loss.discriminator(D, real, fake)` in its k inner steps and
`loss.generator(D, fake, real)` in its outer step. A loss sees the discriminator itself and both
batches, not only D's outputs, so penalties on D's gradients fit the same seam. Each objective
returns the quantity to *descend* and its own natural statistics (detached scalars), which the run
log averages over every step they were computed in. Every loss reports `d_real` and `d_fake`
(D's mean probability for the paper's losses, the mean raw score for critics) plus its own:
`wasserstein`, `gp`, `r1`, `r2`.

The losses (`train.loss`): the paper's `minimax` and `nonsaturating`; `wgan-gp` (Gulrajani et al.
2017), `hinge` (Miyato et al. 2018), `lsgan` (Mao et al. 2017), `rpgan` (relativistic pairing,
Huang et al. 2025). Any of them takes the zero-centred penalties R1 on real data and R2 on
generated data (`train.r1_gamma`, `train.r2_gamma`; Mescheder et al. 2018); `rpgan` with both is
R3GAN's loss. The registry maps a name to a factory of the run's `TrainConfig`, since a loss's
weights are config keys.

The paper's losses: D's net returns a logit l with D(x) = sigmoid(l). Every log D and log(1 - D)
is computed as a binary cross-entropy with logits (log sigmoid(l) = -softplus(-l),
log(1 - sigmoid(l)) = -softplus(l)), never as the log of a sigmoid, which underflows to -inf once
D saturates.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

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
    if (not STACK_REAL_AND_FAKE or raw is None or len(real.x) != len(fake.x)
            or not nets.stackable(raw, len(real.x))):
        return scores(D, real), scores(D, fake)
    x = torch.cat([real.x, fake.x.to(real.x.dtype)])
    c = None if real.c is None else torch.cat([real.c, fake.c])
    with nets.segmented(raw, 2):
        both = scores(D, Examples(x, c))
    half = len(both) // 2  # a packed D returns one output per pack, not per example
    return both[:half], both[half:]


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



# --- penalties on D's gradients with respect to its inputs -----------------------------------------
# Gradients are taken w.r.t. D's *inputs* with create_graph=True, so the penalty itself trains D,
# and a distributed D (whose weight gradients are reduced in backward) needs nothing special.

def _wide(t: torch.Tensor) -> torch.Tensor:
    """Half-precision scores (bf16 autocast) widened to float32 for the loss; float64 kept."""
    return t.float() if t.dtype in (torch.bfloat16, torch.float16) else t


def _differentiable(x: torch.Tensor) -> torch.Tensor:
    """x itself when autograd already tracks it (G's samples inside an unrolled objective), else a
    leaf that asks for its gradient."""
    return x if x.requires_grad else x.detach().requires_grad_(True)


def input_gradients(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """∇ₓ Σ out, one row per output of D (a packed D sees several examples per output, so its
    input, and its gradient, is the whole pack)."""
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return _wide(grad).reshape(len(out), -1)


def zero_centred_penalty(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """E ‖∇ₓ D(x)‖²: R1 when x is real data, R2 when x is generated (Mescheder et al. 2018, eq. 9;
    the loss adds γ/2 of it, like stylegan2-ada's `r1_gamma / 2`)."""
    return input_gradients(out, x).square().sum(1).mean()


def gradient_penalty(D: Callable, real: Examples, fake: Examples, eps: torch.Tensor) -> torch.Tensor:
    """E (‖∇D(x̂)‖₂ - 1)², x̂ = ε x + (1 - ε) G(z), one ε ~ U[0, 1] per example (Gulrajani et al.
    2017, Algorithm 1). Labels, when conditional, are the real examples'."""
    e = eps.reshape(-1, *([1] * (real.x.dim() - 1))).to(real.x.dtype)
    x_hat = _differentiable(e * real.x.detach() + (1 - e) * fake.x)
    grad = input_gradients(_wide(scores(D, Examples(x_hat, real.c))), x_hat)
    return (torch.linalg.vector_norm(grad, dim=1) - 1).square().mean()  # its gradient at 0 is 0, not NaN


# --- losses as pairs of objectives ----------------------------------------------------------------

Uniform = Callable[[int, torch.Tensor], torch.Tensor]
"""Where a loss draws its randomness: (rows, like) -> `rows` draws of U[0, 1) on `like`'s device.
A training session passes `streams.Uniform`, which a checkpoint restores."""


def _default_uniform() -> Uniform:
    gen = torch.Generator().manual_seed(0)
    return lambda rows, like: torch.rand(rows, generator=gen).to(like.device)


class GANLoss:
    """A named pair of objectives, written as formulas of D's scores on the real and the fake
    batch (`d_loss`, `g_loss`); this class adds the optional R1/R2 penalties and the statistics.
    `hint` says what to try when training diverges; `stats` names what each log row carries."""

    name: str = ""
    hint: str = "lower optim.lr_g / optim.lr_d"
    extra_stats: tuple[str, ...] = ()
    g_sees_real = False  # the generator objective also needs D's scores on real data

    def __init__(self, r1_gamma: float = 0.0, r2_gamma: float = 0.0):
        self.r1_gamma, self.r2_gamma = float(r1_gamma), float(r2_gamma)
        self.stats = ("d_real", "d_fake", *self.extra_stats,
                      *(("r1",) if self.r1_gamma else ()), *(("r2",) if self.r2_gamma else ()))
        if self.r1_gamma or self.r2_gamma:
            self.hint += "; or raise train.r1_gamma / train.r2_gamma"

    # -- the formulas, per loss --
    def d_loss(self, real_s: torch.Tensor, fake_s: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def g_loss(self, fake_s: torch.Tensor, real_s: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError

    def d_stats(self, real_s: torch.Tensor, fake_s: torch.Tensor) -> dict[str, torch.Tensor]:
        """For critics: the mean raw scores."""
        return {"d_real": real_s.mean(), "d_fake": fake_s.mean()}

    # -- the pair the loop calls --
    def discriminator(self, D: Callable, real: Examples, fake: Examples) -> Objective:
        if self.r1_gamma:
            real = Examples(_differentiable(real.x), real.c)
        if self.r2_gamma:
            fake = Examples(_differentiable(fake.x), fake.c)
        real_s, fake_s = map(_wide, scores_pair(D, real, fake))
        loss = self.d_loss(real_s, fake_s)
        with torch.no_grad():
            stats = self.d_stats(real_s.detach(), fake_s.detach())
        if self.r1_gamma:
            r1 = zero_centred_penalty(real_s, real.x)
            loss, stats["r1"] = loss + self.r1_gamma / 2 * r1, r1.detach()
        if self.r2_gamma:
            r2 = zero_centred_penalty(fake_s, fake.x)
            loss, stats["r2"] = loss + self.r2_gamma / 2 * r2, r2.detach()
        return Objective(loss, stats)

    def generator(self, D: Callable, fake: Examples, real: Examples) -> Objective:
        if self.g_sees_real:
            real_s, fake_s = map(_wide, scores_pair(D, real, fake))
        else:
            real_s, fake_s = None, _wide(scores(D, fake))
        return Objective(self.g_loss(fake_s, real_s), {})


class PaperLoss(GANLoss):
    """The value function V(D, G) of equation (1): D ascends E log D(x) + E log(1 - D(G(z)));
    G descends `generator_fn` of D's logits on its samples. Statistics: the mean probabilities
    D(x) and D(G(z)) of the D steps."""

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


class WassersteinGP(GANLoss):
    """WGAN-GP (Gulrajani et al. 2017): the critic descends E D(G(z)) - E D(x) + λ GP, G descends
    -E D(G(z)). The paper: λ = 10, k = 5 critic steps, Adam(1e-4, β1 = 0, β2 = 0.9), no batch norm
    in the critic. `wasserstein` = E D(x) - E D(G(z)), the critic's estimate of W1; `gp` the
    penalty before λ. ε comes from `uniform`, a stream the checkpoint stores."""

    name = "wgan-gp"
    hint = ("WGAN-GP is tuned for train.k=5, optim.beta1=0, optim.beta2=0.9, lr 1e-4 (configs/ring8-wgan-gp.toml); "
            "lower optim.lr_d / optim.lr_g or raise train.gp_weight")
    extra_stats = ("wasserstein", "gp")

    def __init__(self, gp_weight: float = 10.0, uniform: Uniform | None = None,
                 r1_gamma: float = 0.0, r2_gamma: float = 0.0):
        super().__init__(r1_gamma, r2_gamma)
        self.gp_weight, self.uniform = float(gp_weight), uniform or _default_uniform()

    def d_loss(self, real_s, fake_s):
        return fake_s.mean() - real_s.mean()

    def g_loss(self, fake_s, real_s):
        return -fake_s.mean()

    def d_stats(self, real_s, fake_s):
        return {**super().d_stats(real_s, fake_s), "wasserstein": real_s.mean() - fake_s.mean()}

    def discriminator(self, D, real, fake):
        loss, stats = super().discriminator(D, real, fake)
        gp = gradient_penalty(D, real, fake, self.uniform(len(real.x), real.x))
        stats["gp"] = gp.detach()
        return Objective(loss + self.gp_weight * gp, stats)


class Hinge(GANLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018, with spectral normalization): D descends
    E max(0, 1 - D(x)) + E max(0, 1 + D(G(z))), G descends -E D(G(z))."""

    name = "hinge"
    hint = "lower optim.lr_d / optim.lr_g, or add model.spectral_norm=true (Miyato et al. pair the hinge loss with it)"

    def d_loss(self, real_s, fake_s):
        return F.relu(1 - real_s).mean() + F.relu(1 + fake_s).mean()

    def g_loss(self, fake_s, real_s):
        return -fake_s.mean()


class LeastSquares(GANLoss):
    """Least squares GAN (Mao et al. 2017, eq. 2 with a = 0, b = 1, c = 1): D descends
    ½ E (D(x) - 1)² + ½ E D(G(z))², G descends ½ E (D(G(z)) - 1)²."""

    name = "lsgan"
    hint = "lower optim.lr_d / optim.lr_g, or bound D with model.spectral_norm=true or train.r1_gamma"
    a, b, c = 0.0, 1.0, 1.0

    def d_loss(self, real_s, fake_s):
        return 0.5 * (real_s - self.b).square().mean() + 0.5 * (fake_s - self.a).square().mean()

    def g_loss(self, fake_s, real_s):
        return 0.5 * (fake_s - self.c).square().mean()


class RelativisticPairing(GANLoss):
    """RpGAN (Jolicoeur-Martineau 2019; R3GAN, Huang et al. 2025, eq. 2 with f = -softplus(-t)):
    each real example is paired with one fake, and D descends E softplus(D(G(z)) - D(x)), G
    descends E softplus(D(x) - D(G(z))). R3GAN adds R1 and R2 (train.r1_gamma = train.r2_gamma =
    γ): the penalties make the pairing loss converge locally, and the pairing keeps G from
    collapsing onto whatever D currently scores highest."""

    name = "rpgan"
    hint = "RpGAN needs its zero-centred penalties: set or raise train.r1_gamma and train.r2_gamma"
    g_sees_real = True

    def d_loss(self, real_s, fake_s):
        return F.softplus(fake_s - real_s).mean()

    def g_loss(self, fake_s, real_s):
        return F.softplus(real_s - fake_s).mean()


# --- the registry: name -> factory of the run's train config -------------------------------------

LossFactory = Callable[[Any, Any], GANLoss]  # (TrainConfig, Uniform | None) -> loss
_LOSSES: dict[str, LossFactory] = {}


def register_loss(name: str, factory: LossFactory) -> LossFactory:
    """Add a loss under `name`: `factory(train_config, uniform)` builds it for a run. A name
    registered twice is an error, never an overwrite."""
    if not name or name in _LOSSES:
        raise ValueError(f"loss name {name!r} is empty or already registered")
    _LOSSES[name] = factory
    return factory


def get(name: str, train: Any = None, uniform: Uniform | None = None) -> GANLoss:
    """The loss `name`, built from a `TrainConfig` (its defaults when None)."""
    if name not in _LOSSES:
        raise GankitError(f"unknown loss {name!r} (known: {', '.join(names())})")
    if train is None:
        from .config import TrainConfig

        train = TrainConfig(loss=name)
    return _LOSSES[name](train, uniform)


def build(train: Any, uniform: Uniform | None = None) -> GANLoss:
    """The loss a run's `train` section names, with its weights."""
    return get(train.loss, train, uniform)


def names() -> list[str]:
    return sorted(_LOSSES)


register_loss("minimax", lambda t, u: PaperLoss(
    "minimax", generator_loss_minimax, "lower optim.lr_g / optim.lr_d, or try train.loss=nonsaturating",
    t.r1_gamma, t.r2_gamma))
register_loss("nonsaturating", lambda t, u: PaperLoss(
    "nonsaturating", generator_loss_nonsaturating, "lower optim.lr_g / optim.lr_d", t.r1_gamma, t.r2_gamma))
register_loss("wgan-gp", lambda t, u: WassersteinGP(t.gp_weight, u, t.r1_gamma, t.r2_gamma))
register_loss("hinge", lambda t, u: Hinge(t.r1_gamma, t.r2_gamma))
register_loss("lsgan", lambda t, u: LeastSquares(t.r1_gamma, t.r2_gamma))
register_loss("rpgan", lambda t, u: RelativisticPairing(t.r1_gamma, t.r2_gamma))
