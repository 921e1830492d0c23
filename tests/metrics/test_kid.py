"""KID through torchmetrics: the unbiased MMD² written out as a loop, its unbiasedness, seeding."""

import numpy as np
import pytest
import torch
from helpers import fashion_mnist_available

from gankit.metrics import kernel_distance


def loop_mmd2(x, y):
    """Unbiased MMD² with k(a, b) = (a·b / d + 1)^3, term by term."""
    d = x.shape[1]
    k = lambda a, b: (a @ b / d + 1.0) ** 3  # noqa: E731
    m, n = len(x), len(y)
    kxx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kyy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kxy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return kxx + kyy - 2 * kxy


def test_one_full_subset_equals_the_unbiased_mmd2_loop():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 5)), rng.normal(size=(40, 5)) + 0.5
    mean, std = kernel_distance(x, y, subsets=1, subset_size=40)
    assert mean == pytest.approx(loop_mmd2(x, y), abs=1e-9)
    assert std == 0


def test_two_draws_of_one_distribution_average_to_zero():
    # Unbiasedness: over many independent pairs of draws the mean is 0 within its standard
    # error, while the biased (V-statistic) estimate of the same pairs sits clearly above 0.
    rng = np.random.default_rng(1)
    unbiased, biased = [], []
    for _ in range(200):
        x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
        unbiased.append(kernel_distance(x, y, subsets=1, subset_size=20)[0])
        k = lambda a, b: (a @ b.T / 3 + 1.0) ** 3  # noqa: E731
        biased.append(k(x, x).mean() + k(y, y).mean() - 2 * k(x, y).mean())
    se = np.std(unbiased) / np.sqrt(len(unbiased))
    assert abs(np.mean(unbiased)) < 3 * se
    assert np.mean(biased) > 10 * se


def test_subsets_report_a_spread_and_are_seeded():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(600, 8)), rng.normal(size=(600, 8))
    before = torch.get_rng_state()
    a = kernel_distance(x, y, subsets=20, subset_size=200, seed=3)
    assert torch.equal(torch.get_rng_state(), before)  # the caller's random state is untouched
    assert a == kernel_distance(x, y, subsets=20, subset_size=200, seed=3)
    assert a != kernel_distance(x, y, subsets=20, subset_size=200, seed=4)
    mean, std = a
    assert std > 0 and abs(mean) < 3 * std  # same distribution: no gap beyond the spread
    far = kernel_distance(x, y + 1.0, subsets=20, subset_size=200)[0]
    assert far > 10 * std


@pytest.mark.slow
@pytest.mark.skipif(not fashion_mnist_available(), reason="Fashion-MNIST not installed")
@pytest.mark.xdist_group("fashion-scores")  # one worker computes fashion_scores() once for fd, kid and prdc
def test_fashion_mnist_ranks_real_then_blurred_then_noise():
    from fashion_scores import fashion_scores

    s = fashion_scores()
    assert s["real"]["kid"] < s["blurred"]["kid"] < s["noise"]["kid"]
    assert abs(s["real"]["kid"]) < 3 * s["real"]["kid_std"] + 1e-4  # real vs real: no detectable gap
