"""A table run through Algorithm 1: an interrupted run resumes bit for bit (the transformer and
the conditional vector's streams restored from the checkpoint), and a CSV that changed since is
refused."""

from __future__ import annotations

import torch
from table_rows import HEADER, people_rows, train_table, write

from gankit.cli import main
from gankit.train import train


def weights(net):
    return torch.cat([p.detach().flatten() for p in net.state_dict().values() if p.is_floating_point()])


def test_an_interrupted_table_run_resumes_bit_for_bit(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    straight, _ = train_table(tmp_path / "a", overrides=["train.steps=20"])
    half, _ = train_table(tmp_path / "b", overrides=["train.steps=10"])
    state = torch.load(half / "checkpoints" / "latest.pt", weights_only=True)
    assert state["data"]["kind"] == "table" and isinstance(state["data"]["table"]["columns"], str)
    resumed = train(None, resume=half, overrides=["train.steps=20"], quiet=True)
    a = torch.load(straight / "checkpoints" / "latest.pt", weights_only=True)
    assert torch.equal(weights(resumed.G), torch.cat([v.flatten() for v in a["G"].values() if v.is_floating_point()]))
    assert torch.equal(weights(resumed.G_ema), torch.cat([v.flatten() for v in a["G_ema"].values() if v.is_floating_point()]))
    assert a["examples_seen"] == torch.load(half / "checkpoints" / "latest.pt", weights_only=True)["examples_seen"]


def test_resuming_on_a_csv_whose_columns_changed_is_a_one_line_error(tmp_path, capsys):
    run, csv_path = train_table(tmp_path, overrides=["train.steps=10"])
    before = (run / "checkpoints" / "latest.pt").read_bytes()
    write(csv_path, [r[:4] for r in people_rows(200)], header=HEADER[:4])
    assert main(["train", "--resume", str(run), "--set", "train.steps=20"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("gankit: error: ") and len(err.splitlines()) == 1
    assert "other columns than the run was trained on" in err and "trained on: city, age, height_cm, smoker, grade" in err
    assert (run / "checkpoints" / "latest.pt").read_bytes() == before  # nothing damaged


def test_a_table_with_an_all_blank_column_is_refused_before_anything_is_written(tmp_path, capsys):
    p = write(tmp_path / "b.csv", [r + [""] for r in people_rows(50)], header=HEADER + ["notes"])
    from helpers import ROOT

    code = main(["train", "--config", str(ROOT / "configs" / "table.toml"), "--set", f"data.name=csv:{p}",
                 "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "column 'notes' is blank in every row" in err and 'data.columns = { notes = "ignore" }' in err
    assert not (tmp_path / "run").exists()


def test_resuming_on_a_csv_whose_rows_changed_is_refused_by_its_fingerprint(tmp_path, capsys):
    """Two checks guard a resumed table run: the data fingerprint (issue 25) refuses any change
    unless --allow-data-change, and the column transformer refuses, even then, a file it cannot
    encode as it did in training (a category it never saw; other columns)."""
    run, csv_path = train_table(tmp_path, overrides=["train.steps=10"])
    before = (run / "checkpoints" / "latest.pt").read_bytes()
    rows = people_rows(200)
    rows[0][1] = str(int(rows[0][1]) + 1)  # one age one year older: the same columns and categories
    write(csv_path, rows)
    assert main(["train", "--resume", str(run), "--set", "train.steps=20"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"the data of {run} changed since its checkpoint (step 10)" in err
    assert "--allow-data-change" in err
    rows[1][0] = "Marseille"  # a city the run never saw: not even --allow-data-change can encode it
    write(csv_path, rows)
    assert main(["train", "--resume", str(run), "--set", "train.steps=20", "--allow-data-change"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "column 'city' holds 'Marseille', which the run was not trained on" in err
    assert (run / "checkpoints" / "latest.pt").read_bytes() == before
    rows[1][0] = "Lyon"  # known values again: --allow-data-change goes on, and says so
    write(csv_path, rows)
    assert main(["train", "--resume", str(run), "--set", "train.steps=20", "--allow-data-change"]) == 0
    assert "data changed (--allow-data-change)" in (run / "config.toml").read_text()
