"""heights (the mixture), and csv:PATH read the 0.2 way for runs trained before tables
(tests/data/table/ tests csv:PATH as tables)."""

from __future__ import annotations

import numpy as np
import torch
from scipy import stats

from gankit.config import DataConfig
from gankit.data import load, tabular


def test_heights_match_stated_parameters():
    ds = load(DataConfig(name="heights"))
    assert ds.columns == ["height_cm"] and ds.kind == "points"
    assert (len(ds.train), len(ds.val), len(ds.test)) == (20_000, 5_000, 5_000)
    cm = ds.to_data_units(ds.train)[:, 0].double().numpy()
    labels = ds.train_labels.numpy()
    for g, (_, mean, std) in enumerate(tabular.HEIGHTS_GROUPS):
        group = cm[labels == g]
        assert abs(len(group) / len(cm) - tabular.HEIGHTS_WEIGHTS[g]) < 0.015  # 4.3 binomial SDs
        assert abs(group.mean() - mean) < 0.25  # ~3.5 standard errors
        assert abs(group.std() - std) < 0.2
    (w1, m1, s1), (w2, m2, s2) = [(w, m, s) for w, (_, m, s) in zip(tabular.HEIGHTS_WEIGHTS, tabular.HEIGHTS_GROUPS)]

    def mixture_cdf(t):
        return w1 * stats.norm.cdf(t, m1, s1) + w2 * stats.norm.cdf(t, m2, s2)

    # The whole set, groups unseen, against the stated mixture's CDF.
    assert stats.kstest(cm, mixture_cdf).pvalue > 1e-3
    assert stats.kstest(ds.to_data_units(ds.test)[:, 0].double().numpy(), mixture_cdf).pvalue > 1e-3
    assert len(load(DataConfig(name="heights", n=500)).train) == 500


def test_old_numeric_csv_reader_still_standardizes(tmp_path):
    """Runs trained before tables resume through tabular.load_csv: numbers, standardized."""
    rng = np.random.default_rng(0)
    x = np.column_stack([rng.normal(170, 9, 30).round(1), rng.integers(20, 80, 30)])
    p = tmp_path / "people.csv"
    p.write_text("height,age\n" + "\n".join(f"{a:g},{b:g}" for a, b in x) + "\n")
    ds = tabular.load_csv(DataConfig(name=f"csv:{p}"))
    assert ds.kind == "points" and ds.columns == ["height", "age"]
    assert torch.allclose(ds.train.mean(0), torch.zeros(2), atol=1e-5)
    back = torch.cat([ds.to_data_units(s) for s in (ds.train, ds.val, ds.test)]).double().numpy()
    assert np.allclose(back[np.lexsort(back.T[::-1])], x[np.lexsort(x.T[::-1])], atol=1e-3)
