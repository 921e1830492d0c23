"""report/table_figures.py and a table run's figures and report: the pair-trend heat map is 0
where samples keep a pair's relation, and `gankit figures`/`report` show a table run."""

from __future__ import annotations

import numpy as np
from PIL import Image
from table_rows import train_table

from gankit.cli import main
from gankit.config import DataConfig
from gankit.data import load
from gankit.report.table_figures import pair_difference


def test_pair_difference_is_zero_for_the_data_and_grows_when_pairs_are_broken(people):
    ds = load(DataConfig(name=f"csv:{people}"))
    real = ds.table.codes["train"]
    assert np.allclose(pair_difference(real, real, ds.table.codec), 0)
    rng = np.random.default_rng(0)
    broken = np.column_stack([rng.permutation(real[:, j]) for j in range(real.shape[1])])
    d = pair_difference(real, broken, ds.table.codec)
    assert np.allclose(d, d.T) and np.all(np.diag(d) == 0) and np.nanmax(d) > 0.05


def test_figures_and_report_of_a_table_run(tmp_path, capsys):
    run, _ = train_table(tmp_path, overrides=["train.steps=10"])
    assert main(["figures", str(run)]) == 0
    assert {p.name for p in (run / "figures").glob("*.png")} == {"curves.png", "samples.png", "pair-trends.png"}
    assert main(["evaluate", str(run), "--metrics", "table", "--n", "300", "--set", "metrics.target=smoker"]) == 0
    assert main(["report", str(run)]) == 0
    page = (run / "report.html").read_text()
    for text in ("pair-trends.png", "column_shapes", "SDMetrics&#x27; Column Shapes", "ml_f1_real", "detection_auc"):
        assert text in page
    # A pair-trends.png of anyone else's is replaced only with --force; gankit's own is refreshed.
    mine = run / "figures" / "pair-trends.png"
    Image.new("RGB", (4, 4), "blue").save(mine)
    before = mine.read_bytes()
    capsys.readouterr()
    assert main(["figures", str(run)]) == 2
    assert capsys.readouterr().err == (f"gankit: error: {mine} already exists and was not written by gankit; "
                                       "give --force to replace it, or choose another path\n")
    assert mine.read_bytes() == before
    assert main(["figures", str(run), "--force"]) == 0 and mine.read_bytes() != before
    assert main(["figures", str(run)]) == 0  # now gankit's own: refreshed without --force


def test_the_report_of_a_table_run_makes_its_scores_and_figures_and_shows_them_beside_the_ceiling(tmp_path):
    """`gankit report RUN` straight after training, as a new user would: the table scores of the
    latest checkpoint and the figures are made, and the page shows each score beside the held-out
    rows' own, the numbers of RUN/metrics.json."""
    import json
    import re

    run, _ = train_table(tmp_path, overrides=["train.steps=10"])
    assert not (run / "metrics.json").exists() and not (run / "figures").exists()
    assert main(["report", str(run)]) == 0
    entry = json.loads((run / "metrics.json").read_text())["table"]
    assert entry["provenance"]["step"] == 10
    assert {p.name for p in (run / "figures").glob("*.png")} >= {"samples.png", "pair-trends.png"}
    page = (run / "report.html").read_text()
    assert "table, 5 columns (city, age, height_cm, smoker, grade)" in page
    section = page[page.index("<h2>Table scores"):page.index("<h2>Metrics")]
    v = entry["values"]
    row = re.search(r"<td>column shapes[^<]*</td><td class=num>([^<]+)</td><td class=num>([^<]+)</td>", section)
    assert row and row.groups() == (f"{v['column_shapes']:.4g}", f"{v['column_shapes_holdout']:.4g}")
    assert "detection AUC, logistic regression" in section and "metrics.target=COLUMN" in section
    assert page.count("data:image/png") >= 3  # curves, the samples and the pair-trend heat map
    made = (run / "figures" / "pair-trends.png").stat().st_mtime
    assert main(["report", str(run)]) == 0  # fresh already: nothing made again
    assert (run / "figures" / "pair-trends.png").stat().st_mtime == made
