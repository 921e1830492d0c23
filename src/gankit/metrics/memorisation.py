"""Does G copy its training images? Each sample's nearest training image in feature space,
against how near genuinely new images come.

A G that has learnt the distribution makes samples that sit as far from the training set as
held-out real images do (the test split, else validation: images from the same source that
training never saw). A G that memorised makes samples much nearer: near-copies. So, in the
features FD uses (`feature_net`), with Euclidean distance:

- d_gen: each sample's distance to its nearest training image;
- d_real: each held-out real image's distance to its nearest training image, the baseline;
- `near_copies_percent`: the share of samples nearer to the training set than 95% of held-out
  images are (below d_real's 5th percentile). About 5 when G does not copy; 100 when every
  sample is a copy. `memorisation_ratio` = median d_gen / median d_real: about 1, or above 1
  for samples off the data; well below 1 for copies.

The threshold is relative, as in Carlini et al. (2023), who call a sample a copy when it is much
nearer to one training image than to the rest: a distance means something only against what
real images of the same source show. `gankit figures` and `gankit report` draw the samples
beside their nearest training images, with these distances (report/memorisation.py).
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from ..errors import GankitError
from .features import FeatureExtractor, feature_sets, split_features
from .registry import EvalContext, register_metric

COPY_QUANTILE = 0.05  # a near-copy is nearer than this share of held-out real images come


def nearest(queries: torch.Tensor, keys: torch.Tensor, chunk: int = 4096,
            transform: Callable[[torch.Tensor], torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(distance, index) of each query row's nearest key row (Euclidean, float64), reading the
    keys `chunk` rows at a time (each through `transform`, e.g. uint8 pixels to flat floats), so
    a memory-mapped training set is never held whole."""
    q = queries.reshape(len(queries), -1).double()
    best_d = torch.full((len(q),), float("inf"), dtype=torch.float64)
    best_i = torch.zeros(len(q), dtype=torch.long)
    for start in range(0, len(keys), chunk):
        k = keys[start:start + chunk]
        k = (transform(k) if transform else k).reshape(len(k), -1).double()
        d, i = torch.cdist(q, k).min(1)
        better = d < best_d
        best_d[better], best_i[better] = d[better], i[better] + start
    return best_d, best_i


def held_out(dataset: Any) -> torch.Tensor:
    """The real images training never saw: the test split, else the validation split."""
    for split in (dataset.test, dataset.val):
        if split is not None and len(split) >= 2:
            return split
    raise GankitError(f"the memorisation check needs held-out images (a test or validation split), and "
                      f"{dataset.name} has none (a folder needs at least 10 images)")


def distances(fx: FeatureExtractor, fake: torch.Tensor, dataset: Any, config: Any = None) -> dict[str, torch.Tensor]:
    """d_gen (each sample's features to the nearest training image's), its index, and d_real (each
    held-out image's), in the features of `fx`; training and held-out features are cached."""
    train = split_features(fx, dataset.train, config)
    d_gen, idx = nearest(fake, train)
    d_real, _ = nearest(split_features(fx, held_out(dataset), config), train)
    return {"d_gen": d_gen, "index": idx, "d_real": d_real}


def summary(d_gen: torch.Tensor, d_real: torch.Tensor) -> dict[str, float]:
    threshold = float(torch.quantile(d_real, COPY_QUANTILE))
    med_gen, med_real = float(torch.quantile(d_gen, 0.5)), float(torch.quantile(d_real, 0.5))  # the usual median
    return {
        "near_copies_percent": 100.0 * float((d_gen < threshold).double().mean()),
        "memorisation_ratio": med_gen / max(med_real, 1e-12),
        "nn_distance_median": med_gen,
        "real_nn_distance_median": med_real,
        "copy_threshold": threshold,
    }


@register_metric("memorisation", "does G copy? samples' nearest training images in feature space, against held-out real images'", {
    "near_copies_percent": "samples nearer to a training image than 95% of held-out real images are; about 5 when G does not copy, 100 when it copies",
    "memorisation_ratio": "median distance of a sample to its nearest training image over that of a held-out real image (about 1; well below 1: copies)",
    "nn_distance_median": "median distance of a sample to its nearest training image, in feature_net's features",
    "real_nn_distance_median": "median distance of a held-out real image to its nearest training image (the baseline)",
    "copy_threshold": "the 5th percentile of held-out real images' nearest-training distances: nearer than this is a near-copy",
}, streams=True)
def compute(ctx: EvalContext) -> dict:
    fx, _, fake = feature_sets(ctx)
    got = distances(fx, fake, ctx.dataset, ctx.config)
    ctx.used_reference(len(ctx.dataset.train))
    if len(got["d_real"]) < 100:
        ctx.warn(f"memorisation: only {len(got['d_real'])} held-out real images set the copy threshold, so "
                 "near_copies_percent is coarse")
    return {**summary(got["d_gen"], got["d_real"]), "feature_net": fx.name}
