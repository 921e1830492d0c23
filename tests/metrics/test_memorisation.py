"""The memorisation check: nearest training images in feature space against held-out images'.
Copies read 100% near-copies, held-out real images about 5%, noise none; distances agree with a
brute-force search."""

import numpy as np
import pytest
import torch

from gankit import data
from gankit.config import DataConfig
from gankit.data import Dataset, pixels
from gankit.errors import GankitError
from gankit.metrics import evaluate
from gankit.metrics.features import extractor
from gankit.metrics.memorisation import nearest


def test_nearest_is_the_brute_force_argmin_in_any_chunks_and_through_a_transform():
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(30, 5, generator=g), torch.randn(103, 5, generator=g)
    full = ((q[:, None].double() - k[None].double()) ** 2).sum(-1).sqrt()
    for chunk in (1, 7, 1000):
        d, i = nearest(q, k, chunk=chunk)
        assert torch.equal(i, full.argmin(1)) and torch.allclose(d, full.min(1).values)
    u8 = (torch.rand(50, 3, 4, 4, generator=g) * 255).to(torch.uint8)
    d, i = nearest(pixels(u8[:10].clone()), u8, chunk=16, transform=pixels)
    assert torch.equal(i, torch.arange(10)) and float(d.max()) == 0


@pytest.fixture(scope="module")
def digits():
    return data.load(DataConfig(name="digits"))


def test_copies_read_all_near_copies_held_out_images_about_five_percent_noise_none(digits):
    copies = evaluate(digits.train[:400], data=digits, metrics=["memorisation"])
    assert copies["near_copies_percent"] == 100 and copies["memorisation_ratio"] < 1e-6
    assert copies["feature_net"].startswith("gankit-cnn-digits")
    held = evaluate(digits.val, data=digits, metrics=["memorisation"])  # real images training never saw
    assert 0 <= held["near_copies_percent"] <= 20 and 0.6 < held["memorisation_ratio"] < 1.6
    noise = evaluate(torch.rand(400, 1, 8, 8, generator=torch.Generator().manual_seed(0)), data=digits,
                     metrics=["memorisation"])
    assert noise["near_copies_percent"] == 0 and noise["memorisation_ratio"] > 1.5
    # The numbers by hand: nearest training features by brute force, the test split as baseline.
    fx = extractor(digits)
    train, test, fake = (fx.extract(s).numpy().astype(np.float64) for s in (digits.train, digits.test, digits.val))
    nn = lambda a: np.sqrt(((a[:, None] - train[None]) ** 2).sum(-1)).min(1)  # noqa: E731
    d_gen, d_real = nn(fake), nn(test)
    assert held["nn_distance_median"] == pytest.approx(np.median(d_gen), rel=1e-4)
    assert held["real_nn_distance_median"] == pytest.approx(np.median(d_real), rel=1e-4)
    assert held["copy_threshold"] == pytest.approx(np.quantile(d_real, 0.05), rel=1e-4)
    assert held["near_copies_percent"] == pytest.approx(100 * np.mean(d_gen < np.quantile(d_real, 0.05)))


def test_a_set_without_held_out_images_is_one_error():
    x = torch.rand(80, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    with pytest.raises(GankitError, match="needs held-out images"):
        evaluate(x[:10], data=Dataset(name="folder:/few", kind="image", train=x), metrics=["memorisation"])
