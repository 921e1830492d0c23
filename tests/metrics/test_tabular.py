"""ks and wasserstein against direct scipy calls and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from gankit.config import DataConfig
from gankit.data import load
from gankit.errors import GankitError
from gankit.metrics import evaluate


@pytest.fixture(scope="module")
def heights():
    return load(DataConfig(name="heights", n=1000))


def test_against_scipy_on_heights(heights):
    samples = np.random.default_rng(0).normal(169, 10, (700, 1)).astype(np.float32)
    got = evaluate(samples, data=heights, metrics="ks,wasserstein")
    test_cm = heights.to_data_units(heights.test)[:, 0].double().numpy()
    ks = stats.ks_2samp(samples[:, 0].astype(np.float64), test_cm).statistic
    w1 = stats.wasserstein_distance(samples[:, 0].astype(np.float64), test_cm)
    assert got == pytest.approx({"ks_height_cm": ks, "ks_max": ks, "w1_height_cm": w1, "w1_mean": w1,
                                 "n_samples": 700, "n_reference": len(test_cm)})


def test_closed_forms_per_column(tmp_path):
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.normal(0, 1, 400), rng.uniform(0, 50, 400)])
    p = tmp_path / "d.csv"
    p.write_text("a,b\n" + "\n".join(f"{u:.17g},{v:.17g}" for u, v in x) + "\n")
    ds = load(DataConfig(name=f"csv:{p}"))
    test = ds.to_data_units(ds.test).double()
    # The test split itself: distance 0. Shifted by c in one column: W1 = |c| exactly, and KS = 1
    # once c exceeds the column's range.
    same = evaluate(test, data=ds, metrics=["ks", "wasserstein"])
    assert same["ks_max"] == 0 and same["w1_mean"] == pytest.approx(0, abs=1e-5)
    shifted = test + torch.tensor([0.0, 100.0], dtype=torch.float64)
    got = evaluate(shifted, data=ds, metrics=["ks", "wasserstein"])
    assert got["w1_a"] == pytest.approx(0, abs=1e-5) and got["w1_b"] == pytest.approx(100, rel=1e-5)
    assert got["w1_mean"] == pytest.approx(50, rel=1e-5)
    assert got["ks_a"] == 0 and got["ks_b"] == 1 and got["ks_max"] == 1


def test_refuses_images():
    ds = load(DataConfig(name="digits"))
    with pytest.raises(GankitError, match="metric ks compares columns of tabular or toy data"):
        evaluate(ds.test[:10], data=ds, metrics="ks")
