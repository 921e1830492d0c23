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
