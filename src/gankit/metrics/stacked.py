"""Mode coverage on stacked data (stacked-fashion-mnist, stacked-mnist): of the K³ = 1000 class
triples, how many the samples reach, and how evenly.

Each channel of each sample is classified by the base set's classifier (the in-project CNN of
features.py that `classes` uses; `classifier_accuracy` is its test accuracy on single real
images), which turns a sample into a class triple, i.e. one of K³ modes. With n samples, n_m of
them in mode m and p_m = n_m / n:
    stacked_modes = #{m : n_m ≥ 1}, the protocol of VEEGAN and PacGAN (a mode counts when any
                    sample lands in it; they drew 26,000 samples: `--n 26000`);
    stacked_kl    = KL(p ‖ uniform) = Σ_m p_m log(p_m K³) in nats, their "reverse KL": 0 when every
                    mode is equally frequent, log K³ ≈ 6.91 when all samples share one mode.
Read both against real stacked images, which score below the ideal (1000, ~0) because the
classifier errs (docs/stacked.md measures both).
"""

from __future__ import annotations

import torch

from ..data.stacked import mode_index
from ..errors import GankitError
from . import EvalContext, register_metric
from .features import fit, predict, threads


def mode_stats(modes: torch.Tensor, total: int) -> dict:
    """stacked_modes and stacked_kl of per-sample mode numbers (0..total-1)."""
    counts = torch.bincount(modes.long(), minlength=total).double()
    p = counts[counts > 0] / counts.sum()
    return {"stacked_modes": int((counts > 0).sum()), "stacked_modes_total": total,
            "stacked_kl": float((p * (p * total).log()).sum())}


def channel_classes(net: torch.nn.Module, samples: torch.Tensor) -> torch.Tensor:
    """N×C images -> N×C predicted classes, each channel classified as a single-channel image."""
    n, c = samples.shape[:2]
    flat = samples.reshape(n * c, 1, *samples.shape[2:])
    return predict(net, flat).reshape(n, c)


@register_metric("stacked_modes")
def compute(ctx: EvalContext) -> dict:
    ds = ctx.dataset
    base = getattr(ds, "stacked_from", None)
    if base is None:
        raise GankitError(f"metric stacked_modes is for stacked data sets (stacked-fashion-mnist, stacked-mnist); "
                          f"{ds.name} is not one (use classes for class coverage)")
    if ds.shape[0] != 3:
        raise GankitError(f"metric stacked_modes needs 3-channel stacks, not {ds.shape[0]} channels")
    net, info = fit(base, ctx.config, ctx.device)
    with threads(ctx.config):
        triples = channel_classes(net, ctx.samples)
    k = base.num_classes
    return {**mode_stats(mode_index(triples, k), k ** 3), "classifier_accuracy": info["test_accuracy"]}
