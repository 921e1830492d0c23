"""csv:PATH and heights: parsing, errors that name line and column, standardization, the mixture."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from gankit.config import DataConfig
from gankit.data import load, probe, tabular
from gankit.errors import GankitError


def rows(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.normal(170, 9, n).round(1), rng.normal(70, 12, n).round(1), rng.integers(20, 80, n)])


def write_csv(path, header, data, extra=""):
    lines = [",".join(header)] + [",".join(f"{v:g}" for v in r) for r in data]
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def test_csv_round_trips_to_data_units_with_names(tmp_path):
    x = rows()
    p = write_csv(tmp_path / "people.csv", ["height", "weight", "age"], x)
    ds = load(DataConfig(name=f"csv:{p}"))
    assert ds.kind == "points" and ds.columns == ["height", "weight", "age"]
    assert (len(ds.train), len(ds.val), len(ds.test)) == (24, 3, 3)
    # Standardized: the training split has mean 0 and (population) std 1 per column.
    assert torch.allclose(ds.train.mean(0), torch.zeros(3), atol=1e-5)
    assert torch.allclose(ds.train.std(0, unbiased=False), torch.ones(3), atol=1e-5)
    back = torch.cat([ds.to_data_units(s) for s in (ds.train, ds.val, ds.test)]).double().numpy()
    # Every row comes back, in its own units, exactly once.
    assert np.allclose(back[np.lexsort(back.T[::-1])], x[np.lexsort(x.T[::-1])], atol=1e-3)
    assert load(DataConfig(name=f"csv:{p}")).test.equal(ds.test)  # the split is fixed


def test_csv_column_selection_ignores_other_columns(tmp_path):
    p = tmp_path / "mixed.csv"
    p.write_text("name,height,note,weight\nann,160.5,tall?,55\nbob,181,,80\ncy,172,x,70.5\n")
    ds = load(DataConfig(name=f"csv:{p}#weight,height"))
    assert ds.columns == ["weight", "height"]
    assert sorted(ds.to_data_units(ds.train)[:, 1].tolist()) == pytest.approx([160.5, 172, 181])
    assert ds.shift.tolist() == pytest.approx([np.mean([55, 80, 70.5]), np.mean([160.5, 181, 172])])
    with pytest.raises(GankitError, match=r"no column 'wieght' \(its columns: name, height, note, weight\)"):
        load(DataConfig(name=f"csv:{p}#wieght"))


@pytest.mark.parametrize("cell, what", [
    ("abc", "'abc' is not a number"),
    ("nan", "'nan' is not a finite number"),
    ("NaN", "'NaN' is not a finite number"),
    ("inf", "'inf' is not a finite number"),
    ("-Infinity", "'-Infinity' is not a finite number"),
    ("", "empty cell"),
    ("  ", "empty cell"),
])
def test_bad_cells_name_line_and_column(tmp_path, cell, what):
    x = rows(8)
    p = write_csv(tmp_path / "bad.csv", ["height", "weight", "age"], x)
    lines = p.read_text().splitlines()
    cells = lines[5].split(",")
    cells[1] = cell
    lines[5] = ",".join(cells)  # file line 6: the header is line 1
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(GankitError) as e:
        load(DataConfig(name=f"csv:{p}"))
    assert f"bad.csv line 6 column 'weight': {what}" in str(e.value)


def test_line_numbers_count_blank_and_quoted_multiline_rows(tmp_path):
    p = tmp_path / "q.csv"
    p.write_text('a,b\n1,2\n\n3,"4"\n5,"x\ny"\n')
    with pytest.raises(GankitError, match=r"line 5 column 'b': 'x\\ny' is not a number"):
        load(DataConfig(name=f"csv:{p}"))


@pytest.mark.parametrize("text, match", [
    ("", "is empty"),
    ("1,2\n3,4\n5,6\n", "header row of column names is required"),
    ("a,b\n1,2\n", "1 data row; need at least 2"),
    ("a,b\n1,2\n3\n", "line 3 has 1 cells but the header has 2"),
    ("a,b\n1,2\n1,3\n1,4\n", "column 'a' has the same value in every training row"),
    ("a,a\n1,2\n3,4\n", "column name 'a' appears twice"),
])
def test_malformed_files(tmp_path, text, match):
    p = tmp_path / "f.csv"
    p.write_text(text)
    with pytest.raises(GankitError, match=match):
        load(DataConfig(name=f"csv:{p}"))


def test_missing_file_and_probe(tmp_path):
    with pytest.raises(GankitError, match="cannot read CSV file"):
        load(DataConfig(name=f"csv:{tmp_path / 'none.csv'}"))
    assert not probe(DataConfig(name=f"csv:{tmp_path / 'none.csv'}")).available
    p = write_csv(tmp_path / "ok.csv", ["h", "w", "a"], rows(12))
    got = probe(DataConfig(name=f"csv:{p}"))
    assert got.available and got.detail == "12 rows x 3 columns (h, w, a)"


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
