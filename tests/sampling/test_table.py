"""Samples of a table run: every row honours every --where, a seed gives the same rows bit for
bit, and .csv/.parquet/.npy hold the data's columns, spellings, types and ranges."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from table_rows import HEADER, train_table

import gankit
from gankit.cli import main
from gankit.errors import GankitError


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return train_table(tmp_path_factory.mktemp("table-run"))


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_every_row_honours_every_condition(run, tmp_path):
    r, _ = run
    out = tmp_path / "w.csv"
    assert main(["sample", str(r), "--n", "1500", "--out", str(out), "--where", "city=Saint-Denis, Réunion",
                 "--where", "smoker=no"]) == 0
    rows = read(out)
    assert rows[0] == HEADER and len(rows) == 1501
    assert {row[0] for row in rows[1:]} == {"Saint-Denis, Réunion"} and {row[3] for row in rows[1:]} == {"no"}
    G = gankit.load_generator(r)
    frame = G.frame(800, seed=3, where={"grade": ""})  # a blank is a condition too
    assert frame["grade"].isna().all() and len(frame) == 800
    assert frame["city"].nunique() > 1  # the other columns still vary


def test_a_seed_gives_the_same_rows_bit_for_bit(run, tmp_path):
    r, _ = run
    for name, extra in (("a", []), ("b", []), ("c", ["--seed", "1"])):
        assert main(["sample", str(r), "--n", "2500", "--out", str(tmp_path / f"{name}.npy"), *extra]) == 0
        assert main(["sample", str(r), "--n", "2500", "--out", str(tmp_path / f"{name}.csv"), *extra]) == 0
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.npy").read_bytes() != (tmp_path / "c.npy").read_bytes()
    G = gankit.load_generator(r)
    x = np.load(tmp_path / "a.npy")
    assert np.array_equal(x, G.draw(2500, seed=0), equal_nan=True)
    # the .csv is the .npy's rows, spelled out
    assert [list(t) for t in G.table.to_text(x.astype(np.float64))] == read(tmp_path / "a.csv")[1:]


def test_files_keep_columns_spellings_types_and_ranges(run, tmp_path):
    r, csv_path = run
    data = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    assert main(["sample", str(r), "--n", "3000", "--out", str(tmp_path / "s.csv")]) == 0
    rows = read(tmp_path / "s.csv")
    assert rows[0] == HEADER
    cells = list(zip(*rows[1:]))
    assert set(cells[0]) <= set(data["city"]) and set(cells[3]) <= {"yes", "no"}
    assert set(cells[4]) <= {"A", "B", "C", ""}
    ages = [int(a) for a in cells[1]]  # integers as integers: int() would refuse "34.0"
    assert data["age"].min() <= min(ages) and max(ages) <= data["age"].max()
    heights = [float(h) for h in cells[2] if h]
    assert all(len(h.split(".")[1]) == 1 for h in cells[2] if h)  # one decimal, as the data
    assert data["height_cm"].min() <= min(heights) and max(heights) <= data["height_cm"].max()
    assert main(["sample", str(r), "--n", "500", "--out", str(tmp_path / "s.parquet")]) == 0
    p = pd.read_parquet(tmp_path / "s.parquet")
    assert list(p.columns) == HEADER
    assert str(p["age"].dtype) == "int64" and str(p["smoker"].dtype) == "bool"
    assert str(p["height_cm"].dtype) == "Float64" and str(p["grade"].dtype).startswith("string")


@pytest.mark.parametrize("where, phrase", [
    (["city=Rome"], "'city' has no value 'Rome'; its values: Lyon, Paris, Saint-Denis, Réunion"),
    (["town=Lyon"], "no column 'town'; the columns --where takes: city, smoker, grade"),
    (["age=30"], "'age' is an integer column"),
    (["city"], "--where takes COLUMN=VALUE"),
])
def test_bad_conditions_are_one_line_errors(run, tmp_path, capsys, where, phrase):
    r, _ = run
    args = [a for w in where for a in ("--where", w)]
    assert main(["sample", str(r), "--n", "10", "--out", str(tmp_path / "x.csv"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gankit: error: ") and phrase in err and len(err.splitlines()) == 1
    assert not (tmp_path / "x.csv").exists()


def test_where_on_other_runs_is_refused(tmp_path):
    r, _ = train_table(tmp_path, overrides=["model.cond_vector=false", "train.steps=2"])
    with pytest.raises(GankitError, match="trained without the conditional vector"):
        gankit.load_generator(r).draw(5, where={"city": "Lyon"})
    assert len(gankit.load_generator(r).frame(5)) == 5


def test_export_says_a_table_run_is_sampled_to_files(run, tmp_path):
    pytest.importorskip("onnxscript")
    from gankit.sampling.export import export_onnx

    with pytest.raises(GankitError, match="is a table run"):
        export_onnx(run[0], tmp_path / "G.onnx")


@pytest.mark.parametrize("where", [[], ["--where", "city=Lyon", "--where", "smoker=yes"]])
def test_row_i_of_a_seed_is_the_same_whatever_n(run, tmp_path, where):
    """`--n 7 --seed 3` is the first 7 rows of `--n 1500 --seed 3`, with conditions or without:
    the Gumbel noise a table G draws beyond z comes per 100-row slice from (seed, slice)."""
    r, _ = run
    for n in (7, 1500):
        assert main(["sample", str(r), "--n", str(n), "--seed", "3", "--out", str(tmp_path / f"{n}.csv"), *where]) == 0
        assert main(["sample", str(r), "--n", str(n), "--seed", "3", "--out", str(tmp_path / f"{n}.npy"), *where]) == 0
    short, full = read(tmp_path / "7.csv"), read(tmp_path / "1500.csv")
    assert len(short) == 8 and len(full) == 1501 and short == full[:8]
    assert np.array_equal(np.load(tmp_path / "7.npy"), np.load(tmp_path / "1500.npy")[:7], equal_nan=True)
    G = gankit.load_generator(r)
    cond = {w.split("=")[0]: w.split("=")[1] for w in where[1::2]}
    x = G.draw(1500, seed=3, where=cond)
    for n in (1, 99, 100, 101, 1001):  # across slice and block edges, and in other batch sizes
        assert np.array_equal(G.draw(n, seed=3, where=cond), x[:n], equal_nan=True), n
    assert np.array_equal(np.concatenate([b.numpy() for b in G.batches(1500, 3, batch=333, where=cond)]).astype(np.float32), x,
                          equal_nan=True)
    assert not np.array_equal(G.draw(7, seed=4, where=cond), x[:7], equal_nan=True)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_an_existing_table_file_is_replaced_only_with_force(run, tmp_path, capsys, suffix):
    r, _ = run
    out = tmp_path / f"mine{suffix}"
    out.write_bytes(b"keep\n")
    assert main(["sample", str(r), "--n", "5", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"gankit: error: --out {out} already exists; give --force to replace it, or choose another path"
    assert out.read_bytes() == b"keep\n"
    assert main(["sample", str(r), "--n", "5", "--out", str(out), "--force"]) == 0
    assert capsys.readouterr().err.startswith(f"gankit: wrote 5 rows of 5 columns to {out} (step 30")
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame.columns) == HEADER and len(frame) == 5


def test_the_runs_own_csv_is_never_written_even_with_force_or_through_a_link(run, tmp_path, capsys):
    import os

    r, csv_path = run
    before = csv_path.read_bytes()
    os.link(csv_path, tmp_path / "hard.csv")
    (tmp_path / "soft.csv").symlink_to(csv_path)
    for out in (csv_path, tmp_path / "hard.csv", tmp_path / "soft.csv"):
        for extra in ([], ["--force"]):
            assert main(["sample", str(r), "--n", "5", "--out", str(out), *extra]) == 2
            err = capsys.readouterr().err.strip()
            assert len(err.splitlines()) == 1 and f"--out {out} is a data file, which the run trains on" in err, out
            assert "even with --force" in err
    assert csv_path.read_bytes() == before and not list(csv_path.parent.glob(".*tmp"))
