"""`gankit bench heights`: docs/data.md's heights table, written from runs (the seed-0 row is checked
against a fresh run in tests/data/test_end_to_end.py); its scale line from independent computations."""

import math

import numpy as np
import pytest
from scipy import stats

from gankit.bench import heights
from gankit.bench.modes import replace_section


def test_the_ks_bound_is_the_two_sample_tests_critical_value():
    # scipy's own: the smallest D whose asymptotic two-sided p-value is 5% for n = 10000, m = 5000
    n, m = heights.N_SAMPLES, heights.N_TEST
    en = math.sqrt(n * m / (n + m))
    d = stats.kstwobign.isf(0.05) / en
    assert heights.ks95() == pytest.approx(d, rel=2e-3)
    # and by simulation: two samples of one distribution stay under it 95% of the time
    rng = np.random.default_rng(0)
    under = np.mean([stats.ks_2samp(rng.normal(size=n), rng.normal(size=m)).statistic < heights.ks95()
                     for _ in range(300)])
    assert 0.92 < under < 0.98


def test_the_table_is_written_between_its_markers_and_read_back(tmp_path):
    doc = tmp_path / "data.md"
    doc.write_text(f"# Data\n\nbefore\n\n{heights.BEGIN}\nold\n{heights.END}\n\nafter\n")
    lines = heights.section([(0, 0.019, 0.2359), (1, 0.0266, 0.4391)], (0.43, 7.61), "a CPU", "gankit bench heights")
    replace_section(doc, lines, begin=heights.BEGIN, end=heights.END)
    text = doc.read_text()
    assert text.startswith("# Data\n\nbefore\n\n") and text.endswith("\n\nafter\n") and "old" not in text
    assert heights.table_rows(doc) == {0: "| 0 | 0.0190 | 0.236 cm |", 1: "| 1 | 0.0266 | 0.439 cm |"}
    assert "KS < 0.0235 in 95% of" in text and "KS 0.43, W1 7.6 cm" in text and "on a CPU" in text


def test_docs_data_md_holds_the_table():
    rows = heights.table_rows()
    assert sorted(rows) == [0, 1, 2]


@pytest.mark.slow
def test_the_one_step_line_is_what_one_step_gives(tmp_path):
    """The scale line's "after one training step" numbers, from a fresh one-step run."""
    from helpers import ROOT

    ks, w1 = heights.measure(heights.run_seed(0, tmp_path, ("train.steps=1",)))
    text = (ROOT / "docs" / "data.md").read_text()
    assert f"the generator is at KS {ks:.2f}, W1 {w1:.1f} cm" in text
