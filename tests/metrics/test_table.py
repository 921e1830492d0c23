"""metrics/table.py: column shapes and pair trends equal SDMetrics' QualityReport on real data (the
Palmer penguins, with categories and blanks); detection, ML efficacy and privacy against cases
whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gankit.config import DataConfig
from gankit.data import load
from gankit.metrics import evaluate
from gankit.metrics import table as T

SDTYPES = {"continuous": "numerical", "integer": "numerical", "categorical": "categorical", "boolean": "boolean"}


@pytest.fixture(scope="module")
def penguins(tmp_path_factory):
    palmerpenguins = pytest.importorskip("palmerpenguins")
    path = tmp_path_factory.mktemp("penguins") / "penguins.csv"
    palmerpenguins.load_penguins().to_csv(path, index=False)
    return load(DataConfig(name=f"csv:{path}", holdout=0.3))


def fake_rows(ds, seed=0):
    """Synthetic-looking rows: held-out rows with every column shuffled on its own (shapes kept,
    pairs broken), plus noise on the numbers."""
    rng = np.random.default_rng(seed)
    h = np.concatenate([ds.table.codes["val"], ds.table.codes["test"]])
    out = np.column_stack([rng.permutation(h[:, j]) for j in range(h.shape[1])])
    for j, c in enumerate(ds.table.codec.columns):
        if c.type == "continuous":
            out[:, j] += rng.normal(0, 1.0, len(out))
    return out


def test_quality_scores_equal_sdmetrics(penguins):
    sdm = pytest.importorskip("sdmetrics.reports.single_table")
    codec = penguins.table.codec
    real, fake = penguins.table.codes["train"], fake_rows(penguins)
    meta = {"columns": {c.name: {"sdtype": SDTYPES[c.type]} for c in codec.columns}}

    def frame(codes):
        f = codec.to_frame(codes)
        return f.astype({c: object for c in f.columns if str(f[c].dtype) in ("string", "boolean")})

    report = sdm.QualityReport()
    report.generate(frame(real), frame(fake), meta, verbose=False)
    props = report.get_properties().set_index("Property")["Score"]
    assert T._mean(T.column_scores(real, fake, codec).values()) == pytest.approx(props["Column Shapes"], abs=1e-9)
    assert T._mean(T.pair_scores(real, fake, codec).values()) == pytest.approx(props["Column Pair Trends"], abs=1e-9)
    details = report.get_details("Column Shapes").set_index("Column")["Score"]
    for name, score in T.column_scores(real, fake, codec).items():
        assert score == pytest.approx(details[name], abs=1e-12)
    pairs = report.get_details("Column Pair Trends")
    mine, every = T.pair_scores(real, fake, codec), T.pair_scores(real, fake, codec, thresholds=False)
    assert pairs["Meets Threshold?"].sum() == sum(not math.isnan(v) for v in mine.values()) >= 5
    for _, row in pairs.iterrows():
        key = (row["Column 1"], row["Column 2"])
        if row["Meets Threshold?"]:
            assert mine[key] == pytest.approx(row["Score"], abs=1e-12)
        # the pairs below the thresholds are still scored, by the same formulas, in pair_trends_all
        plain = sdm_pair(row["Metric"], frame(real)[list(key)], frame(fake)[list(key)], codec, key)
        assert every[key] == pytest.approx(plain, abs=1e-12)
    # split by kind, as the report's own Metric column splits them: correlation for two numbers
    kept = pairs[pairs["Meets Threshold?"]]
    kinds = T.pair_kinds(mine, codec)
    assert kinds["pair_trends_numbers"] == pytest.approx(
        kept[kept["Metric"] == "CorrelationSimilarity"]["Score"].mean(), abs=1e-12)
    assert kinds["pair_trends_categories"] == pytest.approx(
        kept[kept["Metric"] == "ContingencySimilarity"]["Score"].mean(), abs=1e-12)


def sdm_pair(metric, real, fake, codec, key):
    from sdmetrics.column_pairs import ContingencySimilarity, CorrelationSimilarity

    if metric == "CorrelationSimilarity":
        return CorrelationSimilarity.compute(real, fake)
    import numpy as np

    numbers = [c.name for c in codec.columns if c.name in key and c.type in ("continuous", "integer")]
    real, fake = real.copy(), fake.copy()
    for c in numbers:  # the report's own discretization: 10 bins of each set's own range
        for f in (real, fake):
            v = f[c].to_numpy(dtype=float)
            f[c] = np.digitize(v, np.histogram_bin_edges(v[~np.isnan(v)]))
    return ContingencySimilarity.compute(real, fake)


def test_detection_reads_half_for_one_distribution_and_one_for_two(penguins):
    codec = penguins.table.codec
    real = penguins.table.codes["train"]
    rng = np.random.default_rng(1)
    # two large samples of one distribution (each column drawn from its own marginal): nothing to tell
    a, b = (np.column_stack([rng.choice(real[:, j], 3000) for j in range(real.shape[1])]) for _ in range(2))
    assert abs(T.detection_auc(a, b, codec) - 0.5) < 0.03
    far = real.copy()
    j = codec.names.index("body_mass_g")
    far[:, j] += 10_000  # every synthetic penguin 10 kg heavier
    assert T.detection_auc(real, far, codec) > 0.99 and T.detection_auc(real, far, codec, model="gbt") > 0.99


def test_ml_efficacy_and_privacy_of_known_cases(penguins):
    codec = penguins.table.codec
    train = penguins.table.codes["train"]
    hold = np.concatenate([penguins.table.codes["val"], penguins.table.codes["test"]])
    # species is nearly determined by bills and island: trees trained on real rows predict it well
    assert T.ml_efficacy(train, hold, codec, "species") > 0.9
    # rows whose species was shuffled teach nothing: macro F1 near chance (1/3)
    shuffled = train.copy()
    shuffled[:, 0] = np.random.default_rng(0).permutation(shuffled[:, 0])
    assert T.ml_efficacy(shuffled, hold, codec, "species") < 0.6
    # copies of training rows: all copies, distance 0; held-out rows: no copies, as near to train as to holdout
    p = T.privacy(train, hold, train, codec)
    assert p["copies"] == 1.0 and p["dcr_median"] == 0.0
    q = T.privacy(train, hold, hold, codec)
    assert q["copies"] == 0.0 and q["dcr_median"] == pytest.approx(q["dcr_holdout_median"])
    assert q["dcr_closer_to_train"] < 0.1  # a held-out row is nearest to itself


def test_the_metric_by_name_with_a_target(penguins):
    fake = fake_rows(penguins).astype(np.float32)
    cfg_out = evaluate(fake, data=penguins, metrics="table")
    assert "ml_f1" not in cfg_out and any("metrics.target" in w for w in cfg_out["warnings"])
    from gankit.config import load as load_config

    out = evaluate(fake, data=penguins, metrics="table", config=load_config(None, ["metrics.target=species"]))
    assert out["ml_target"] == "species" and 0 <= out["ml_f1"] <= 1 and out["ml_f1_real"] > 0.9
    assert out["column_shapes_holdout"] > out["column_shapes"] - 0.2
    assert all(not (isinstance(v, float) and math.isnan(v)) for v in out.values())
    with pytest.raises(Exception, match="metric table scores tables"):
        evaluate(np.zeros((10, 2), np.float32), data="ring8", metrics="table")
