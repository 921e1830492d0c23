"""codec.py: the column transformer round-trips every column type exactly, writes rows as the file
had them, survives a weights_only checkpoint, and keeps decoded samples in range."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest
import torch
from table_rows import people_rows, write

from gankit.config import DataConfig
from gankit.data import load
from gankit.data.table import TableCodec
from gankit.data.table.columns import Numeric
from gankit.errors import GankitError


def same(a, b) -> bool:
    """Equal, NaN equal to NaN."""
    return np.array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), equal_nan=True)


@pytest.mark.parametrize("encoding", ["modes", "quantile"])
def test_every_column_type_round_trips_through_its_encoding(people, encoding):
    ds = load(DataConfig(name=f"csv:{people}", continuous=encoding))
    codec = ds.table.codec
    for split, x in (("train", ds.train), ("val", ds.val), ("test", ds.test)):
        assert x.dtype == torch.float32 and x.shape[1] == codec.width
        got = codec.decode(x).numpy()
        want = ds.table.codes[split].copy()
        for j, c in enumerate(codec.columns):  # held-out rows may lie outside the training range: clipped
            if isinstance(c, Numeric):
                want[:, j] = np.clip(want[:, j], c.low, c.high)
        if encoding == "modes":
            assert same(got, want), split
        else:  # quantiles interpolate: every category and blank exactly, numbers within a rounding step
            disc = codec.discrete
            assert same(got[:, disc], ds.table.codes[split][:, disc])
            assert same(np.isnan(got), np.isnan(ds.table.codes[split]))
    # one-hots are one-hots, offsets within (-1, 1)
    spans = codec.layout()["spans"]
    start = 0
    for w, act in spans:
        block = ds.train[:, start:start + w]
        if act == "softmax":
            assert torch.equal(block.sum(1), torch.ones(len(block)))
        else:
            assert block.abs().max() < 1
        start += w


def test_rows_come_back_as_the_file_wrote_them(people):
    ds = load(DataConfig(name=f"csv:{people}", holdout=0.0))
    codec = ds.table.codec
    with open(people, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))[1:]
    order = ds.table.codes["train"]
    text = codec.to_text(order)
    assert sorted(map(tuple, text)) == sorted(map(tuple, rows))  # every cell, spelling and blank, as written
    frame = codec.to_frame(order)
    assert str(frame["age"].dtype) == "int64" and str(frame["height_cm"].dtype) == "Float64"
    assert str(frame["smoker"].dtype) == "bool" and str(frame["city"].dtype) == "string"
    assert frame["smoker"].mean() == pytest.approx(np.mean([r[3] == "yes" for r in rows]))
    assert frame["grade"].isna().sum() == sum(r[4] == "" for r in rows)
    want = pd.read_csv(people, keep_default_na=False, na_values=[""])
    assert sorted(frame["height_cm"].dropna().tolist()) == sorted(want["height_cm"].dropna().tolist())


def test_the_codec_survives_a_weights_only_checkpoint(people, tmp_path):
    ds = load(DataConfig(name=f"csv:{people}"))
    torch.save({"data": ds.info()}, tmp_path / "c.pt")
    info = torch.load(tmp_path / "c.pt", weights_only=True)["data"]
    back = TableCodec.from_state(info["table"])
    assert back.layout() == ds.table.codec.layout()
    assert same(back.decode(ds.train), ds.table.codec.decode(ds.train))
    assert same(back.encode(ds.table.codes["train"]), ds.table.codec.encode(ds.table.codes["train"]))


def test_decoded_numbers_stay_in_range_whole_and_rounded(people):
    codec = load(DataConfig(name=f"csv:{people}")).table.codec
    x = torch.randn(5000, codec.width) * 3  # far outside anything G was trained to make
    codes = codec.decode(x).numpy()
    for j, c in enumerate(codec.columns):
        v = codes[:, j][~np.isnan(codes[:, j])]
        if isinstance(c, Numeric):
            assert c.low <= v.min() and v.max() <= c.high
            assert np.array_equal(v, np.round(v, c.decimals))
        else:
            assert set(np.unique(v)) <= set(range(len(c.categories)))
    unclipped = load(DataConfig(name=f"csv:{people}", clip=False)).table.codec
    age = unclipped.decode(x).numpy()[:, unclipped.names.index("age")]
    assert age.max() > unclipped.columns[1].high  # data.clip = false lets G leave the range


def test_conditions_name_what_is_valid(people):
    codec = load(DataConfig(name=f"csv:{people}")).table.codec
    assert codec.condition({"smoker": "yes", "city": "Saint-Denis, Réunion"}) == [
        (1, codec.columns[3].categories.index("yes")), (0, codec.columns[0].categories.index("Saint-Denis, Réunion"))]
    assert codec.condition({"smoker": "TRUE"}) == codec.condition({"smoker": "yes"})
    assert codec.condition({"grade": ""}) == [(2, 3)]  # a blank is a value of its own
    with pytest.raises(GankitError, match=r"'city' has no value 'Rome'; its values: Lyon, Paris, Saint-Denis, Réunion"):
        codec.condition({"city": "Rome"})
    with pytest.raises(GankitError, match="no column 'town'; the columns --where takes: city, smoker, grade"):
        codec.condition({"town": "Lyon"})
    with pytest.raises(GankitError, match="'age' is an integer column; --where takes categorical and boolean"):
        codec.condition({"age": "30"})


def test_unseen_categories_and_missing_columns_are_errors(people):
    codec = load(DataConfig(name=f"csv:{people}")).table.codec
    frame = pd.read_csv(io.StringIO("city,age,height_cm,smoker,grade\nRome,30,170.0,yes,A\n"))
    with pytest.raises(GankitError, match="column 'city' holds 'Rome', which the run was not trained on"):
        codec.codes_of(frame, "new.csv")
    with pytest.raises(GankitError, match="lacks column 'grade'"):
        codec.codes_of(frame.drop(columns="grade"), "new.csv")


def test_a_small_mixture_is_fitted_to_two_groups(tmp_path):
    """Mode-specific normalisation finds the two groups of a bimodal column (its means within a
    few standard errors of the groups' means)."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 1500), rng.normal(20, 2, 1500)])
    p = write(tmp_path / "m.csv", [[f"{v:.3f}"] for v in x], header=["v"])
    col = load(DataConfig(name=f"csv:{p}")).table.codec.columns[0]
    big = [m for m, w in zip(col.means, col.weights) if w > 0.2]
    assert len(big) == 2 and abs(big[0]) < 0.15 and abs(big[1] - 20) < 0.3
