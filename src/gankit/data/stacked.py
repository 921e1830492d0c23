"""`stacked-fashion-mnist` and `stacked-mnist`: three independent images as the channels of one.

Stacked MNIST (Metz et al., 2017; Srivastava et al., 2017; Lin et al., 2018): an example's three
channels are three images drawn independently and uniformly from a 10-class set, so the class
triples (c_1, c_2, c_3) are 10³ = 1000 equally likely modes, and a generator that drops modes
shows it in how many triples its samples cover (metric `stacked_modes`).

The stacks are drawn once, with replacement, from a fixed seed, so every run sees the same set:
`data.n` training stacks (default 60,000) from the base set's training split, 10,000 validation
and 10,000 test stacks from its validation and test splits. PacGAN drew 128,000 stacks from
MNIST's 70,000 images (`--set data.n=128000`; 1.2 GB of float32 pixels). The stacks carry no
labels of their own; `stacked_from` keeps the base set, whose classifier reads each channel.
"""

from __future__ import annotations

import dataclasses

import torch

from ..config import DataConfig
from ..errors import GankitError
from .dataset import Dataset, Probe
from .registry import load, probe, register

SEED = 106
DEFAULT_N = 60_000
HELDOUT_N = 10_000
CHANNELS = 3
BASES = {"stacked-fashion-mnist": "fashion-mnist", "stacked-mnist": "mnist"}


def stack(images: torch.Tensor, labels: torch.Tensor, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n stacks of CHANNELS images drawn independently and uniformly (with replacement) from
    N×1×H×W `images` -> (n×3×H×W stacks, n×3 class labels of their channels)."""
    idx = torch.randint(len(images), (n, CHANNELS), generator=gen)
    return images[idx, 0], labels[idx]


def mode_index(triples: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """Class triple (c_1, c_2, c_3) -> one mode number c_1·K² + c_2·K + c_3 in 0..K³-1."""
    k = num_classes
    return (triples[:, 0] * k + triples[:, 1]) * k + triples[:, 2]


def stacked(base: Dataset, name: str, n: int = DEFAULT_N, seed: int = SEED) -> Dataset:
    """The stacked data set built from a labelled single-channel image set."""
    if base.kind != "image" or base.shape[0] != 1 or base.train_labels is None:
        raise GankitError(f"{name} needs a labelled single-channel image set to stack, not {base.name}")
    def part(x: torch.Tensor | None, y: torch.Tensor | None, size: int, split: int) -> torch.Tensor | None:
        # A generator per split, so the held-out stacks do not depend on data.n.
        gen = torch.Generator().manual_seed(seed if split == 0 else seed * 1_000_003 + split)
        return None if x is None or y is None or len(x) == 0 else stack(x, y, size, gen)[0]

    return Dataset(
        name=name, kind="image",
        train=part(base.train, base.train_labels, n, 0),
        val=part(base.val, base.val_labels, HELDOUT_N, 1),
        test=part(base.test, base.test_labels, HELDOUT_N, 2),
        source=f"{CHANNELS} stacked {base.name} images ({base.source})", stacked_from=base,
    )


def _load(name: str):
    def loader(cfg: DataConfig) -> Dataset:
        base = load(dataclasses.replace(cfg, name=BASES[name]))
        return stacked(base, name, cfg.n or DEFAULT_N)

    return loader


def _probe(name: str):
    def prober(cfg: DataConfig) -> Probe:
        p = probe(dataclasses.replace(cfg, name=BASES[name]))
        if not p.available:
            return Probe(False, p.where, f"needs {BASES[name]}: {p.detail}")
        return Probe(True, p.where, f"{cfg.n or DEFAULT_N} training stacks 3x28x28 of {BASES[name]} images, "
                                    f"1000 modes (class triples), generated")

    return prober


for _name in BASES:
    register(_name, _load(_name), _probe(_name))
