"""bench/tables.py: the Tables section runs end to end on a real table with tiny budgets (CTGAN
and TVAE for one epoch), and says what it measured."""

from __future__ import annotations

import math

import pytest

from gankit.bench import tables as B


@pytest.mark.slow
def test_the_tables_section_runs_with_tiny_budgets(tmp_path):
    pytest.importorskip("ctgan")
    pytest.importorskip("palmerpenguins")
    res = B.measure([B.TABLES[0]], epochs=1, log=lambda s: None)
    (r,) = res
    assert set(r["results"]) == {"held-out rows", "CTGAN", "TVAE", "gankit", B.FULL}
    assert r["rows"] + r["holdout"] == 342 and r["columns"] == 8  # the two penguins without numbers left out
    for who, s in r["results"].items():
        for key in ("column_shapes", "pair_trends", "detection_auc", "ml"):
            assert 0 <= s[key] <= 1 and not math.isnan(s[key]), (who, key)
    assert r["results"]["held-out rows"]["ml"] > 0.9  # trees on real rows predict species
    g = r["results"]["gankit"]
    assert g["steps"] >= 1 and g["fit_s"] <= r["budget_s"] + 10 and g["wall_s"] >= g["fit_s"] - 1
    lines = B.section(res, "python -m gankit.bench --sections tables --quick")
    text = "\n".join(lines)
    assert "### penguins (palmerpenguins: 240 training rows, 102 held out, 8 columns; target species)" in text
    assert "| fit (s) | wall (s) | training rows/s |" in text and text.count("| gankit |") == 1 and "Goal (gankit at least the better of CTGAN and TVAE" in text
    full = r["results"][B.FULL]
    assert full["fit_s"] >= g["fit_s"] - 0.5 and full["steps"] >= 1  # all of CTGAN's time, not half
    for who, s in r["results"].items():  # penguins have both kinds of pairs with a trend
        assert 0 <= s["pair_trends_numbers"] <= 1 and 0 <= s["pair_trends_categories"] <= 1, who
    r["results"]["gankit"]["ml"] = -1.0  # a missed goal says by how much, and what CTGAN's whole time gave
    r["results"]["gankit"]["pair_trends"] = -1.0
    why = "\n".join(B.section(res, "cmd"))
    assert "ML efficacy NOT met" in why and "By how much: " in why and "ML efficacy -1.000 against" in why
    assert f"with CTGAN's whole time ({full['steps']:,} steps, against {g['steps']:,})" in why
    assert f"pairs of numbers {g['pair_trends_numbers']:.3f} against" in why and "pairs with a category" in why
    r["results"]["held-out rows"]["ml"] = 0.0  # real rows scoring below the models: the gap is noise, and it says so
    assert "(held-out real rows score 0.000, no better than the best model" in "\n".join(B.section(res, "cmd"))
    path = B.figure(res, tmp_path / "t.png")
    assert path.stat().st_size > 1000


@pytest.mark.slow
def test_the_options_section_trains_each_option_and_says_what_it_changed():
    pytest.importorskip("palmerpenguins")
    options = [B.OPTIONS[0], B.OPTIONS[-1]]  # the shipped config and CTGAN's settings (batch: the table's rows)
    res = B.measure_options(B.TABLES[0], 1.0, options, log=lambda s: None)
    assert list(res["results"]) == ["held-out rows", options[0][0], options[1][0]]
    ctgan = res["results"][options[1][0]]
    assert "train.batch_size=240" in ctgan["overrides"] and "train.loss=wgan-gp" in ctgan["overrides"]
    for who, s in res["results"].items():
        assert all(0 <= s[k] <= 1 for k in ("column_shapes", "pair_trends", "detection_auc", "ml")), who
    text = "\n".join(B.options_section(res, "python -m gankit.bench --sections tables-options --quick"))
    assert "## Tables: the options, measured against each other" in text and "trained for the same 1 s" in text
    assert "| shipped (configs/table.toml) | – |" in text and "`train.batch_size=240`" in text
