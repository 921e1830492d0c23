"""FD through torchmetrics: the closed form for Gaussians, scipy's sqrtm, and the ranking of
real < blurred < noise images on Fashion-MNIST."""

import numpy as np
import pytest
import scipy.linalg
import torch
from helpers import fashion_mnist_available

from gankit.errors import GankitError
from gankit.metrics import frechet_distance


def exact_moments(rng, n, mean, cov):
    """n points whose sample mean and (n-1)-normalised covariance are exactly mean and cov."""
    z = rng.normal(size=(n, len(mean)))
    z -= z.mean(0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T  # sample cov now I
    return z @ np.linalg.cholesky(cov).T + mean


def scipy_fd(a, b):
    m1, m2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((m1 - m2) ** 2).sum() + np.trace(s1 + s2 - 2 * root))


def test_gaussians_with_diagonal_covariances_match_the_closed_form():
    # For diagonal covariances FD = ||m1 - m2||^2 + sum_i (s1_i - s2_i)^2 with s the std devs.
    rng = np.random.default_rng(0)
    d = 6
    m1, m2 = rng.normal(size=d), rng.normal(size=d)
    s1, s2 = rng.uniform(0.5, 2, d), rng.uniform(0.5, 2, d)
    a = exact_moments(rng, 400, m1, np.diag(s1 ** 2))
    b = exact_moments(rng, 300, m2, np.diag(s2 ** 2))
    want = ((m1 - m2) ** 2).sum() + ((s1 - s2) ** 2).sum()
    assert frechet_distance(a, b) == pytest.approx(want, abs=1e-9)


def test_full_covariances_match_scipy_sqrtm_to_1e_9():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2000, 32))
    b = rng.normal(size=(1500, 32)) @ rng.normal(size=(32, 32)) * 0.3 + 0.5
    got = frechet_distance(a, b)
    assert got > 1
    assert got == pytest.approx(scipy_fd(a, b), abs=1e-9)
    assert frechet_distance(torch.tensor(a, dtype=torch.float32), b) == pytest.approx(
        scipy_fd(a.astype(np.float32).astype(np.float64), b), abs=1e-9)


def test_a_set_against_itself_is_zero_and_widths_must_match():
    a = np.random.default_rng(2).normal(size=(500, 8))
    assert frechet_distance(a, a) == pytest.approx(0, abs=1e-9)
    with pytest.raises(GankitError, match="width"):
        frechet_distance(a, a[:, :4])
    with pytest.raises(GankitError, match="at least 2"):
        frechet_distance(a, a[:1])


@pytest.mark.slow
@pytest.mark.skipif(not fashion_mnist_available(), reason="Fashion-MNIST not installed")
@pytest.mark.xdist_group("fashion-scores")  # one worker computes fashion_scores() once for fd, kid and prdc
def test_fashion_mnist_ranks_real_then_blurred_then_noise():
    from fashion_scores import N, fashion_scores

    s = fashion_scores()
    assert s["real"]["fd"] < s["blurred"]["fd"] < s["noise"]["fd"]
    assert "not Inception" in s["real"]["feature_net"] and "fashion-mnist" in s["real"]["feature_net"]
    assert s["real"]["n_samples"] == N
