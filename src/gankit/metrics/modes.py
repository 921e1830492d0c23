"""Mode coverage on ring8/grid25, the PacGAN protocol (Lin et al., 2018).

A sample is high quality when it lies within 3 standard deviations of its nearest mixture mean;
a mode is covered when at least one high-quality sample is nearest to it.
"""

from __future__ import annotations

import torch

from ..errors import GankitError
from . import EvalContext, register_metric


def mode_stats(samples: torch.Tensor, means: torch.Tensor, std: float, n_std: float = 3.0) -> dict:
    """Modes covered and % high-quality samples (nearest mean within n_std·std)."""
    dist = torch.cdist(samples.double(), means.double())
    nearest, which = dist.min(1)
    hq = nearest <= n_std * std
    covered = torch.unique(which[hq])
    return {"modes": int(len(covered)), "hq_percent": float(100.0 * hq.double().mean()),
            "modes_total": int(len(means))}


@register_metric("modes", "mode coverage of a known mixture (ring8, grid25, gauss1d)", {
    "modes": "mixture modes with at least one high-quality sample nearest to them (higher is better)",
    "modes_total": "modes the mixture has",
    "hq_percent": "% of samples within 3 standard deviations of their nearest mode (higher is better)",
})
def compute(ctx: EvalContext) -> dict:
    ds = ctx.dataset
    if ds.modes is None:
        raise GankitError(f"metric modes needs a mixture with known means (ring8, grid25, gauss1d), not {ds.name}")
    return mode_stats(ctx.samples, ds.modes, ds.mode_std)
