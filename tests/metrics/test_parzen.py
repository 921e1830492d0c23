"""Parzen-window log-likelihood against slow, obviously correct references."""

import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal

from gankit.config import DataConfig
from gankit.errors import GankitError
from gankit.metrics import evaluate
from gankit.metrics.parzen import SIGMAS, parzen, parzen_log_likelihood, select_sigma


def reference_ll(samples, x, sigma):
    """One point at a time, direct differences, scipy's logsumexp: no expansion, no chunks."""
    mu = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    xs = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    n, d = mu.shape
    out = np.empty(len(xs))
    for k, point in enumerate(xs):
        d2 = ((mu - point) ** 2).sum(1)
        out[k] = logsumexp(-d2 / (2 * sigma**2)) - math.log(n) - d * math.log(sigma * math.sqrt(2 * math.pi))
    return out


def mvn_ll(samples, x, sigma):
    """The mixture density itself, from scipy.stats: mean_i N(x; mu_i, sigma^2 I)."""
    d = samples.shape[1]
    comps = np.stack([multivariate_normal(mean=m, cov=sigma**2 * np.eye(d)).logpdf(x) for m in samples])
    return logsumexp(comps, axis=0) - math.log(len(samples))


@pytest.fixture
def tiny():
    rng = np.random.default_rng(0)
    return rng.random((7, 5)), rng.random((11, 5))


@pytest.mark.parametrize("sigma", [0.1, 0.3, 1.0])
def test_matches_scipy_mixture_density(tiny, sigma):
    samples, x = tiny
    np.testing.assert_allclose(parzen_log_likelihood(samples, x, sigma), mvn_ll(samples, x, sigma), rtol=0, atol=1e-6)


def test_matches_loop_reference_on_images():
    rng = np.random.default_rng(1)
    samples, x = rng.random((300, 1, 28, 28)), rng.random((40, 1, 28, 28))
    for sigma in (0.1, 0.2, 1.0):
        np.testing.assert_allclose(parzen_log_likelihood(samples, x, sigma), reference_ll(samples, x, sigma),
                                   rtol=0, atol=1e-6)


def test_no_cancellation_far_from_origin():
    # Points far from 0 with close neighbours: ‖x‖² ≈ 1e6·d while ‖x−μ‖² ≈ 1e-2, which the
    # expansion in float32 loses entirely.
    rng = np.random.default_rng(2)
    base = 1000.0 + rng.random((1, 16))
    samples = base + 0.03 * rng.standard_normal((50, 16))
    x = base + 0.03 * rng.standard_normal((20, 16))
    got = parzen_log_likelihood(samples.astype(np.float64), x, 0.1)
    np.testing.assert_allclose(got, reference_ll(samples, x, 0.1), rtol=0, atol=1e-6)


def test_sigma_grid_matches_one_at_a_time(tiny):
    samples, x = tiny
    grid = parzen_log_likelihood(samples, x, SIGMAS)
    assert grid.shape == (len(SIGMAS), len(x))
    for row, sigma in zip(grid, SIGMAS):
        np.testing.assert_allclose(row, reference_ll(samples, x, sigma), rtol=0, atol=1e-6)


def test_chunking_does_not_change_the_result():
    rng = np.random.default_rng(3)
    samples, x = rng.random((200, 30)), rng.random((53, 30))
    whole = parzen_log_likelihood(samples, x, SIGMAS)
    for chunk in (1, 7, 53, 1000):
        np.testing.assert_allclose(parzen_log_likelihood(samples, x, SIGMAS, chunk=chunk), whole, rtol=0, atol=1e-12)


def test_select_sigma_is_the_validation_argmax():
    rng = np.random.default_rng(4)
    # Clustered samples so the best width is inside the grid, not at an end.
    centres = rng.random((5, 10))
    samples = centres[rng.integers(5, size=400)] + 0.25 * rng.standard_normal((400, 10))
    val = centres[rng.integers(5, size=100)] + 0.25 * rng.standard_normal((100, 10))
    means = np.array([reference_ll(samples, val, s).mean() for s in SIGMAS])
    sigma, got_means = select_sigma(samples, val)
    np.testing.assert_allclose(got_means, means, rtol=0, atol=1e-6)
    assert sigma == SIGMAS[int(np.argmax(means))]
    assert 0 < int(np.argmax(means)) < len(SIGMAS) - 1


def test_parzen_reports_test_mean_and_standard_error():
    rng = np.random.default_rng(5)
    samples, val, test = rng.random((150, 12)), rng.random((60, 12)), rng.random((80, 12))
    out = parzen(samples, val, test)
    best = SIGMAS[int(np.argmax([reference_ll(samples, val, s).mean() for s in SIGMAS]))]
    ll = reference_ll(samples, test, best)
    assert out["parzen_sigma"] == best
    assert out["parzen_ll"] == pytest.approx(ll.mean(), abs=1e-6)
    assert out["parzen_sem"] == pytest.approx(ll.std() / math.sqrt(len(ll)), abs=1e-8)


def test_torch_and_numpy_inputs_agree(tiny):
    samples, x = tiny
    a = parzen_log_likelihood(torch.tensor(samples, dtype=torch.float32), torch.tensor(x, dtype=torch.float32), 0.2)
    b = parzen_log_likelihood(samples.astype(np.float32), x.astype(np.float32), 0.2)
    np.testing.assert_array_equal(a, b)


def test_bad_inputs_raise():
    with pytest.raises(GankitError, match="sigma"):
        parzen_log_likelihood(np.zeros((3, 2)), np.zeros((2, 2)), 0.0)
    with pytest.raises(GankitError, match="values each"):
        parzen_log_likelihood(np.zeros((3, 2)), np.zeros((2, 3)), 0.1)
    with pytest.raises(GankitError, match="empty"):
        parzen_log_likelihood(np.zeros((0, 2)), np.zeros((2, 2)), 0.1)


def test_registered_metric_uses_validation_then_test():
    samples = torch.rand(64, 1, 8, 8)
    out = evaluate(samples, data="digits", metrics=["parzen"])
    from gankit.data import load

    ds = load(DataConfig(name="digits"))
    sigma, _ = select_sigma(samples, ds.val)
    ll = reference_ll(samples.numpy(), ds.test.numpy(), sigma)
    assert out["parzen_sigma"] == sigma
    assert out["parzen_ll"] == pytest.approx(ll.mean(), abs=1e-6)
    assert out["n_samples"] == 64


def _fashion():
    from gankit.data import load

    try:
        return load(DataConfig(name="fashion-mnist"))
    except GankitError as e:
        pytest.skip(str(e))


@pytest.mark.slow
def test_fashion_mnist_real_training_images_full_protocol():
    """The table's reference row: 10k real training images as the samples, the full protocol."""
    ds = _fashion()
    samples = ds.train[:10_000]
    out = parzen(samples, ds.val, ds.test)
    # Independent check on 100 random test points at the chosen width.
    idx = np.random.default_rng(0).choice(len(ds.test), 100, replace=False)
    ref = reference_ll(samples.numpy(), ds.test[idx].numpy(), out["parzen_sigma"])
    got = parzen_log_likelihood(samples, ds.test[idx], out["parzen_sigma"])
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-6)
    assert out["parzen_sigma"] in SIGMAS[:4]  # real images sit close together: a small width wins
    # The subset's mean estimates the whole test set's mean within its own standard error.
    assert abs(out["parzen_ll"] - ref.mean()) < 4 * ref.std() / math.sqrt(len(ref))


def test_evaluate_run_parzen_matches_the_reference_on_generated_samples(tmp_path):
    """`gankit evaluate RUN --metrics parzen` on a real (tiny) run against the slow reference."""
    from helpers import CONFIGS

    from gankit import config as config_mod
    from gankit.cli import main
    from gankit.sampling import sample
    from gankit.train import train

    cfg = config_mod.load(CONFIGS / "digits.toml", ["train.steps=20", "train.log_every=10", "train.sample_every=0"])
    run = tmp_path / "run"
    train(cfg, run, quiet=True)
    assert main(["evaluate", str(run), "--metrics", "parzen", "--n", "300"]) == 0
    import json

    saved = json.loads((run / "metrics.json").read_text())["parzen"]
    got = {**saved["values"], "n_samples": saved["provenance"]["n_samples"]}
    ds = load_digits()
    x = sample(run, 300, seed=0)
    means = [reference_ll(x, ds.val.numpy(), s).mean() for s in SIGMAS]
    sigma = SIGMAS[int(np.argmax(means))]
    ll = reference_ll(x, ds.test.numpy(), sigma)
    assert got["parzen_sigma"] == pytest.approx(sigma) and got["n_samples"] == 300
    assert got["parzen_ll"] == pytest.approx(ll.mean(), abs=1e-6)
    assert got["parzen_sem"] == pytest.approx(ll.std() / math.sqrt(len(ll)), abs=1e-8)


def load_digits():
    from gankit.data import load

    return load(DataConfig(name="digits"))


def test_tabular_columns_in_different_units_get_a_width_that_fits(tmp_path):
    """Issue 16, defect 4: °C beside dollars put σ at the grid's edge (1.0) and the log-likelihood
    made no sense. Now σ is chosen in each column's standard units, inside its grid, and the
    log-likelihood (per data unit) is close to the true one of the Gaussian the data came from."""
    rng = np.random.default_rng(0)
    sd = np.array([5.0, 10_000.0])
    rows = rng.normal([20.0, 50_000.0], sd, size=(6000, 2))
    path = tmp_path / "units.csv"
    np.savetxt(path, rows, delimiter=",", header="celsius,dollars", comments="", fmt="%.4f")
    samples = rng.normal([20.0, 50_000.0], sd, size=(5000, 2)).astype(np.float32)
    out = evaluate(samples, data=f"csv:{path}", metrics=["parzen"])
    truth = -float(np.sum(0.5 * np.log(2 * np.pi * sd**2) + 0.5))  # E[log N(x)] for x ~ N
    assert "warnings" not in out, out.get("warnings")
    assert abs(out["parzen_ll"] - truth) < 0.3, (out, truth)


def test_a_width_at_the_grid_edge_is_warned_about_for_any_data():
    from gankit.metrics.parzen import edge_warning

    ds_far = evaluate(np.full((300, 2), 50.0, dtype=np.float32), data="ring8", metrics=["parzen"])
    assert "largest of its grid" in " ".join(ds_far["warnings"])
    # Samples that are the validation images themselves: the narrowest kernel fits them best.
    images = evaluate(load_digits().val, data="digits", metrics=["parzen"])
    assert images["parzen_sigma"] == SIGMAS[0] and "smallest of its grid" in " ".join(images["warnings"])
    assert edge_warning(SIGMAS[3], SIGMAS) is None and "smallest" in edge_warning(SIGMAS[0], SIGMAS)
