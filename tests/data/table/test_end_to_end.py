"""A new user's table, end to end: README's "Train on your own table" commands as written, on the
Palmer penguins (a real mixed table with blanks) saved as people.csv; the sample file's columns,
types, spellings and ranges, and every row honouring its condition."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT

README = (ROOT / "README.md").read_text()


def readme_table_commands() -> list[str]:
    block = README[README.index("**Train on your own table**"):]
    block = block[:block.index("\n- **")]
    return [c for c in re.findall(r"`(\.venv/bin/gankit [^`]+)`", block)]


@pytest.mark.slow
def test_readme_table_commands_on_the_penguins(tmp_path):
    palmerpenguins = pytest.importorskip("palmerpenguins")
    data = palmerpenguins.load_penguins()
    data.to_csv(tmp_path / "people.csv", index=False)
    for name in ("configs", ".venv"):
        (tmp_path / name).symlink_to(ROOT / name)
    commands = readme_table_commands()
    assert len(commands) == 3 and "--where sex=female" in commands[1]
    env = {**os.environ}
    outs = []
    for command in commands:
        args = shlex.split(command.replace("COLUMN", "species"))
        if args[1] == "train":
            args += ["--set", "train.steps=400", "--set", "train.checkpoint_every=200"]  # the shipped 4000, shortened
        p = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
        assert p.returncode == 0, f"{command}\n{p.stderr[-2000:]}"
        outs.append(p)
    rows = pd.read_csv(tmp_path / "rows.csv", keep_default_na=False, na_values=[""])
    assert list(rows.columns) == list(data.columns) and len(rows) == 1000
    assert (rows["sex"] == "female").all()  # every row honours the condition
    assert set(rows["species"]) <= set(data["species"]) and set(rows["island"]) <= set(data["island"])
    assert set(rows["year"]) <= {2007, 2008, 2009}
    for col in ("flipper_length_mm", "body_mass_g"):  # integers as integers, within the training range
        v = rows[col].dropna()
        assert (v == np.round(v)).all() and data[col].min() <= v.min() and v.max() <= data[col].max()
    raw = (tmp_path / "rows.csv").read_text().splitlines()
    assert all(re.fullmatch(r"\d+\.\d", cell) for line in raw[1:50] for cell in [line.split(",")[2]] if cell)
    scores = json.loads(outs[2].stdout)
    for key in ("column_shapes", "pair_trends", "detection_auc", "ml_f1", "ml_f1_real", "copies", "dcr_median"):
        assert key in scores
    assert scores["ml_target"] == "species" and scores["ml_f1_real"] > 0.9
    assert 0.5 < scores["column_shapes"] <= 1 and scores["copies"] < 0.5
