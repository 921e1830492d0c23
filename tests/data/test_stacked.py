"""stacked-fashion-mnist / stacked-mnist: three independent images as the channels of one."""

from __future__ import annotations

import pytest
import torch
from idx_files import needs_fashion, write_small
from scipy.stats import chi2_contingency

from gankit.config import DataConfig
from gankit.data import load, probe
from gankit.data.dataset import Dataset
from gankit.data.stacked import mode_index, stack, stacked
from gankit.errors import GankitError


def numbered(n: int = 60, k: int = 10):
    """n 1×4×4 images whose pixels all hold their own index, labels cycling 0..k-1."""
    images = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 1, 4, 4).clone()
    return images, torch.arange(n) % k


def test_each_channel_is_a_base_image_with_its_label():
    images, labels = numbered()
    x, triples = stack(images, labels, 500, torch.Generator().manual_seed(0))
    assert x.shape == (500, 3, 4, 4) and triples.shape == (500, 3)
    which = x[:, :, 0, 0].long()  # the index of the base image in each channel
    assert torch.equal(x, images[which, 0])
    assert torch.equal(triples, labels[which])


def test_channel_classes_are_independent_and_every_mode_appears():
    images, labels = numbered()
    _, t = stack(images, labels, 30_000, torch.Generator().manual_seed(1))
    for a, b in ((0, 1), (0, 2), (1, 2)):
        table = torch.zeros(10, 10)
        table.index_put_((t[:, a], t[:, b]), torch.ones(len(t)), accumulate=True)
        assert chi2_contingency(table.numpy()).pvalue > 1e-3  # no dependence between channels
    modes = torch.bincount(mode_index(t), minlength=1000)
    assert len(modes) == 1000 and modes.min() > 0  # 30 per mode expected: all 1000 class triples present


def test_mode_index_numbers_the_triples():
    assert mode_index(torch.tensor([[0, 0, 0], [1, 2, 3], [9, 9, 9]])).tolist() == [0, 123, 999]


def test_deterministic_from_the_seed_and_refuses_colour_bases():
    images, labels = numbered()
    base = Dataset(
        name="numbers", kind="image", train=images, test=images[:20], train_labels=labels, test_labels=labels[:20],
        num_classes=10)
    a, b, c = stacked(base, "s", 100), stacked(base, "s", 100), stacked(base, "s", 100, seed=7)
    assert torch.equal(a.train, b.train) and torch.equal(a.test, b.test)
    assert not torch.equal(a.train, c.train) and not torch.equal(a.test, c.test)
    assert torch.equal(stacked(base, "s", 300).test, a.test)  # held-out stacks do not depend on data.n
    assert a.stacked_from is base and a.train_labels is None and a.val is None and a.test.shape == (10_000, 3, 4, 4)
    with pytest.raises(GankitError, match="single-channel"):
        stacked(a, "s2", 10)


@needs_fashion
def test_stacked_mnist_from_idx_files_in_data_dir(tmp_path):
    write_small(tmp_path / "m", gz=True)  # 120 training and 30 test images, MNIST's file names
    cfg = DataConfig(name="stacked-mnist", dir=str(tmp_path / "m"), n=300)
    ds = load(cfg)
    assert ds.train.shape == (300, 3, 28, 28) and ds.test.shape == (10_000, 3, 28, 28)
    assert ds.stacked_from.name == "mnist" and torch.equal(load(cfg).train, ds.train)
    assert probe(cfg).available and "1000 modes" in probe(cfg).detail
    assert not probe(DataConfig(name="stacked-mnist", dir=str(tmp_path / "nothing"))).available
