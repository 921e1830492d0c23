"""Mode coverage on ring8/grid25, the PacGAN protocol (Lin et al., 2018).

A sample is high quality when it lies within 3 standard deviations of its nearest mixture mean;
a mode is covered when at least one high-quality sample is nearest to it. The reverse KL
divergence KL(q ‖ p) compares q, the share of high-quality samples at each mode, with the data's
uniform p = 1/K (PacGAN's Table 1; their code counts only high-quality samples too): 0 when every
mode gets its share, log K when one mode gets them all.
"""

from __future__ import annotations

import math

import torch

from ..errors import GankitError
from .registry import EvalContext, register_metric


def reverse_kl(counts: torch.Tensor) -> float | None:
    """KL(q ‖ uniform) = Σ q_k log(K q_k) of the frequencies q = counts / Σ counts (0 log 0 = 0);
    None when there is nothing to count."""
    total = counts.sum()
    if total <= 0:
        return None
    q = counts.double() / total
    q = q[q > 0]
    return float((q * torch.log(q * len(counts))).sum())


def mode_stats(samples: torch.Tensor, means: torch.Tensor, std: float, n_std: float = 3.0) -> dict:
    """Modes covered, % high-quality samples (nearest mean within n_std·std) and the reverse KL
    of the high-quality samples' mode frequencies."""
    dist = torch.cdist(samples.double(), means.double())
    nearest, which = dist.min(1)
    hq = nearest <= n_std * std
    counts = torch.bincount(which[hq], minlength=len(means))
    return {"modes": int((counts > 0).sum()), "hq_percent": float(100.0 * hq.double().mean()),
            "reverse_kl": reverse_kl(counts), "modes_total": int(len(means))}


def miss_probability(n: int, k: int) -> float:
    """P(n draws from k equally likely modes leave at least one out): 1 - sum_j (-1)^j C(k, j) (1 - j/k)^n,
    the chance that even a generator equal to the data covers fewer than k modes."""
    covered = sum((-1) ** j * math.comb(k, j) * (1 - j / k) ** n for j in range(k + 1))
    return min(max(1.0 - covered, 0.0), 1.0)


def samples_needed(k: int, p: float = 0.01) -> int:
    """The fewest samples with which a generator equal to the data misses a mode with probability <= p."""
    n = k
    while miss_probability(n, k) > p:
        n += max(1, n // 20)
    return n


MISS_WARN = 0.05  # warn when a perfect generator would show fewer than all modes more often than this


@register_metric("modes", "mode coverage of a known mixture (ring8, grid25, gauss1d)", {
    "modes": "mixture modes with at least one high-quality sample nearest to them (higher is better)",
    "modes_total": "modes the mixture has",
    "hq_percent": "% of samples within 3 standard deviations of their nearest mode (higher is better)",
    "reverse_kl": "KL(q || uniform) of the high-quality samples' shares q of the modes, nats: 0 when every mode "
                  "gets its share, log(modes_total) when one mode gets them all (lower is better; PacGAN's Table 1)",
})
def compute(ctx: EvalContext) -> dict:
    ds = ctx.dataset
    if ds.modes is None:
        raise GankitError(f"metric modes needs a mixture with known means (ring8, grid25, gauss1d), not {ds.name}")
    n, k = len(ctx.samples), len(ds.modes)
    miss = miss_probability(n, k)
    if miss > MISS_WARN:
        expected = k * (1 - (1 - 1 / k) ** n)
        ctx.warn(f"modes counted {k} modes in only {n} samples: even a generator equal to the data would show fewer "
                 f"than {k} with probability {miss:.2f} (about {expected:.1f} on average); use --n {samples_needed(k)} "
                 f"or more")
    return mode_stats(ctx.samples, ds.modes, ds.mode_std)
