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
The protocol counts a mode however poor the sample that lands in it, and blurred, ambiguous
channels land in many. So two more, from the samples whose three channels the classifier each
puts in one class with probability ≥ CONFIDENT (recognisable garments):
    stacked_confident       = their share of the samples;
    stacked_modes_confident = the modes they reach.
Read all of them against real stacked images (docs/stacked.md measures both): real stacks score
below the ideal because the classifier errs and is unsure of some real images too.
"""

from __future__ import annotations

import torch

from ..data.stacked import mode_index
from ..errors import GankitError
from .features import fit, threads
from .registry import EvalContext, register_metric

CONFIDENT = 0.9


def mode_stats(modes: torch.Tensor, total: int) -> dict:
    """stacked_modes and stacked_kl of per-sample mode numbers (0..total-1)."""
    counts = torch.bincount(modes.long(), minlength=total).double()
    p = counts[counts > 0] / counts.sum()
    return {"stacked_modes": int((counts > 0).sum()), "stacked_modes_total": total,
            "stacked_kl": float((p * (p * total).log()).sum())}


@torch.no_grad()
def channel_classes(net: torch.nn.Module, samples: torch.Tensor, batch: int = 3000) -> tuple[torch.Tensor, torch.Tensor]:
    """N×C images -> (N×C predicted classes, N×C their probabilities), each channel classified as a
    single-channel image."""
    n, c = samples.shape[:2]
    flat = samples.reshape(n * c, 1, *samples.shape[2:])
    dev = next(net.parameters()).device
    probs = torch.cat([net(flat[i:i + batch].to(dev)).softmax(1).cpu() for i in range(0, len(flat), batch)])
    confidence, classes = probs.max(1)
    return classes.reshape(n, c), confidence.reshape(n, c)


@register_metric("stacked_modes", "stacked data: how many of the 1,000 class triples the samples reach", {
    "stacked_modes": "class triples (modes) with at least one sample (higher is better)",
    "stacked_modes_total": "modes the stacked data has (1,000)",
    "stacked_kl": "KL(samples' mode frequencies || uniform), nats (0: every mode equally often; lower is better)",
    "stacked_confident": "share of samples whose three channels the classifier each recognises with probability >= 0.9",
    "stacked_modes_confident": "modes reached by those recognisable samples",
    "classifier_accuracy": "test accuracy of the classifier that reads each channel",
})
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
        triples, confidence = channel_classes(net, ctx.samples)
    k = base.num_classes
    modes = mode_index(triples, k)
    sure = (confidence >= CONFIDENT).all(1)
    return {**mode_stats(modes, k ** 3), "stacked_confident": float(sure.double().mean()),
            "stacked_modes_confident": int(modes[sure].unique().numel()), "classifier_accuracy": info["test_accuracy"]}
