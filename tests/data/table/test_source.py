"""source.py: csv:PATH as a table — splits, the transformer fitted on training rows, restored from
a checkpoint's data info, and files that changed since training."""

from __future__ import annotations

import pytest
import torch
from table_rows import HEADER, people_rows, write

from gankit.config import DataConfig
from gankit.data import load, probe
from gankit.errors import GankitError


def test_splits_and_what_the_dataset_says(people):
    ds = load(DataConfig(name=f"csv:{people}"))
    assert ds.kind == "table" and ds.columns == HEADER and ds.sample_shape == (5,)
    assert (len(ds.train), len(ds.val), len(ds.test)) == (96, 12, 12)
    assert ds.shape == (ds.table.codec.width,)
    # exactly the file's rows, each once, over the three splits
    rows = [tuple(r) for s in ("train", "val", "test") for r in ds.table.codec.to_text(ds.table.codes[s])]
    assert sorted(rows) == sorted(map(tuple, people_rows()))
    assert load(DataConfig(name=f"csv:{people}", holdout=0.5)).train.shape[0] == 60
    # the range a sample may take is the training rows' (held-out rows are not looked at)
    train_ages = ds.table.codes["train"][:, 1]
    assert ds.table.codec.columns[1].low == train_ages.min() and ds.table.codec.columns[1].high == train_ages.max()


def test_restoring_from_the_checkpoint_info_encodes_identically(people, tmp_path):
    ds = load(DataConfig(name=f"csv:{people}"))
    torch.save({"data": ds.info()}, tmp_path / "c.pt")
    info = torch.load(tmp_path / "c.pt", weights_only=True)["data"]
    again = load(DataConfig(name=f"csv:{people}"), fitted=info)
    assert torch.equal(again.train, ds.train) and torch.equal(again.test, ds.test)


def test_a_file_whose_columns_changed_is_refused_on_restore(people, tmp_path):
    info = load(DataConfig(name=f"csv:{people}")).info()
    write(people, [r[:4] for r in people_rows()], header=HEADER[:4])
    with pytest.raises(GankitError, match=r"other columns than the run was trained on \(now: city, age, height_cm, "
                                          r"smoker; trained on: city, age, height_cm, smoker, grade\)"):
        load(DataConfig(name=f"csv:{people}"), fitted=info)


def test_an_old_numeric_run_restores_the_old_way(tmp_path):
    p = tmp_path / "n.csv"
    p.write_text("a,b\n" + "\n".join(f"{i},{i * i % 7}" for i in range(30)) + "\n")
    old = {"kind": "points", "shape": torch.tensor([2])}
    ds = load(DataConfig(name=f"csv:{p}"), fitted=old)
    assert ds.kind == "points" and ds.shape == (2,) and ds.scale is not None


def test_probe_names_the_types_and_a_blank_column_is_an_error(people, tmp_path):
    got = probe(DataConfig(name=f"csv:{people}"))
    assert got.available and got.detail == ("120 rows x 5 columns (city categorical, age integer, height_cm continuous, "
                                            "smoker boolean, grade categorical)")
    p = write(tmp_path / "b.csv", [r + [""] for r in people_rows(30)], header=HEADER + ["notes"])
    with pytest.raises(GankitError, match="column 'notes' is blank in every row"):
        load(DataConfig(name=f"csv:{p}"))
    assert not probe(DataConfig(name=f"csv:{p}")).available
    assert len(load(DataConfig(name=f"csv:{p}", columns={"notes": "ignore"})).columns) == 5


def test_a_large_table_says_what_it_is_doing_column_by_column(people, monkeypatch, capsys):
    """A 1,000,000-row table spends minutes fitting its mixtures: each column is named as it starts."""
    from gankit.data.table import source

    monkeypatch.setattr(source, "LOUD_ROWS", 100)
    load(DataConfig(name=f"csv:{people}"))
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"gankit: {people}: 120 rows; fitting the column transformer on 96 training rows"
    assert err[1:6] == [f"gankit: {people}: fitting column {j + 1}/5: {name} ({kind})" for j, (name, kind) in
                        enumerate(zip(HEADER, ["categorical", "integer", "continuous", "boolean", "categorical"]))]
    assert err[6] == f"gankit: {people}: 120 rows encoded as {load(DataConfig(name=f'csv:{people}')).table.codec.width} values each"
