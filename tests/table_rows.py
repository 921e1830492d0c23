"""Tables as people have them, written by the tests (no data set is committed): shared by
tests/data/table, tests/sampling, tests/metrics and tests/report."""

from __future__ import annotations

import numpy as np


def people_rows(n: int = 120, seed: int = 0) -> list[list[str]]:
    """Rows of a mixed table: a text category with a comma in one value, an integer age, a
    height with one decimal, a yes/no column, blanks in two columns."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        city = ["Paris", "Lyon", "Saint-Denis, Réunion"][int(rng.integers(3))]
        age = int(rng.integers(18, 71))
        height = "" if i % 17 == 5 else f"{rng.normal(170, 9):.1f}"
        smoker = ["yes", "no"][int(rng.random() < 0.7)]
        grade = "" if i % 11 == 3 else ["A", "B", "C"][int(rng.integers(3))]
        rows.append([city, str(age), height, smoker, grade])
    return rows


HEADER = ["city", "age", "height_cm", "smoker", "grade"]


def write(path, rows, header=HEADER, delimiter=",", encoding="utf-8"):
    import csv

    with open(path, "w", newline="", encoding=encoding) as f:
        w = csv.writer(f, delimiter=delimiter)
        if header:
            w.writerow(header)
        w.writerows(rows)
    return path


TINY = ["train.steps=30", "train.batch_size=40", "model.z_dim=8", "model.g_hidden=[32]", "model.d_hidden=[32]",
        "train.log_every=10", "train.sample_every=0", "train.checkpoint_every=10", "threads=1"]


def train_table(folder, rows=None, overrides=()):
    """A tiny run of configs/table.toml on a people CSV in `folder`: (run, csv path)."""
    from helpers import ROOT

    from gankit import config
    from gankit.train import train

    csv_path = write(folder / "people.csv", rows or people_rows(200))
    cfg = config.load(ROOT / "configs" / "table.toml", [f"data.name=csv:{csv_path}", *TINY, *overrides])
    train(cfg, folder / "run", quiet=True)
    return folder / "run", csv_path
