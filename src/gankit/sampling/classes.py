"""Conditional GANs (`model.conditional = true`): which classes a run has, and which to ask for.

The nets (nets.ConditionalGenerator, nets.ProjectionDiscriminator) take the class; the loop draws
it with the noise (streams.Noise, uniformly) and with the real examples (streams.Batches). What is
left is here: refusing data without labels, and the balanced classes that grids, in-training FD
and `gankit evaluate` ask for (`sampling.Generator` draws samples of given classes).
"""

from __future__ import annotations

import json
from typing import Any

import torch

from .. import nets
from ..errors import GankitError

GRID_COLUMNS = 8  # samples per class in the training sample grids and `gankit figures`
GRID_ROWS = 20  # classes shown in a grid at most (the first ones, by label)


def num_classes(config: Any, dataset: Any) -> int:
    """The number of classes G and D take: 0 for an unconditional run; for a conditional one, the
    data set's, refused when it has no labels (a one-line error naming the key)."""
    if not config.model.conditional:
        return 0
    if dataset.train_labels is None or dataset.num_classes < 2:
        how = (" (a folder is labelled when its images sit in one sub-folder per class)"
               if config.data.name.startswith("folder:") else "")
        raise GankitError(f"config key model.conditional = true needs class labels, but data set {config.data.name} "
                          f"has none{how}; use a labelled set (digits, mnist, fashion-mnist, cifar10, heights, "
                          f"folder:PATH with class sub-folders) or set model.conditional = false")
    return int(dataset.num_classes)


def balanced(n: int, k: int) -> torch.Tensor:
    """n classes cycling 0, 1, ..., k-1, 0, 1, ...: every class within one of n/k times."""
    return torch.arange(n, dtype=torch.int64) % k


def class_names(info: dict) -> list[str]:
    """Class names from a checkpoint's data info (label numbers when the data set named none)."""
    k = int(info.get("num_classes", 0))
    try:
        names = json.loads(info.get("class_names", "[]"))
    except (TypeError, ValueError):
        names = []
    return [str(n) for n in names] if isinstance(names, list) and len(names) == k else [str(i) for i in range(k)]


def grid_noise(prior: str, z_dim: int, k: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(z, c) for a class-by-row grid: GRID_COLUMNS samples of each of the first GRID_ROWS classes."""
    rows = min(k, GRID_ROWS)
    c = torch.arange(rows, dtype=torch.int64).repeat_interleave(GRID_COLUMNS)
    return nets.sample_noise(prior, len(c), z_dim, gen), c
