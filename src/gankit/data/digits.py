"""scikit-learn's 8×8 handwritten digits (1797 images, ships with scikit-learn): a real image set
that is always available, used when Fashion-MNIST is not installed."""

from __future__ import annotations

import torch

from ..config import DataConfig
from .dataset import Dataset, Probe
from .registry import register


def load_digits(cfg: DataConfig) -> Dataset:
    from sklearn.datasets import load_digits as sk_load

    bunch = sk_load()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0  # pixels are 0..16
    labels = torch.tensor(bunch.target, dtype=torch.int64)
    # A fixed permutation, then 1497 train / 150 validation / 150 test.
    perm = torch.randperm(len(images), generator=torch.Generator().manual_seed(0))
    images, labels = images[perm], labels[perm]
    a, b = 1497, 1647
    return Dataset(
        name="digits", kind="image",
        train=images[:a], val=images[a:b], test=images[b:],
        train_labels=labels[:a], val_labels=labels[a:b], test_labels=labels[b:],
        num_classes=10, class_names=[str(k) for k in range(10)], source="scikit-learn (built in)",
    )


register("digits", load_digits, lambda cfg: Probe(True, "scikit-learn (built in)", "1797 images 1x8x8, 10 classes"))
