"""The built-in `heights`, and `csv:PATH` as gankit 0.2 read it (numbers only).

Both are kind "points" and standardized for training: each column has the training split's mean
subtracted and is divided by its standard deviation, and `Dataset.shift`/`scale` (mean, std) map
generator output back to the data's own units, under the data's own column names.

`csv:PATH` is now a table of any columns (`gankit.data.table`); `load_csv` here still loads a
numeric CSV the old way for runs trained before tables, so their checkpoints resume
(`table.source.restore_csv`).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import torch

from ..config import DataConfig
from ..errors import GankitError
from .dataset import Dataset, Probe
from .registry import register

PREFIX = "csv:"
SPLIT_SEED = 0

# `heights`: adult heights in cm, an equal mixture of two groups. The means are close to large
# surveys' adult means, e.g. the US NHANES 2015-2018 (Fryar et al., 2021: women 161.3 cm, men
# 175.3 cm); within-group standard deviations of about 7 cm are typical of such surveys. With the
# means 14 cm apart and SDs near 7 cm the mixture is, like real heights, unimodal (Schilling,
# Watkins & Watkins, "Is human height bimodal?", The American Statistician, 2002): a generator
# must match its skew-free, flat-topped, wider-than-either-group shape, not two separate peaks.
HEIGHTS_GROUPS = (("women", 162.0, 7.0), ("men", 176.0, 7.5))
HEIGHTS_WEIGHTS = (0.5, 0.5)
HEIGHTS_SEED = 104
HEIGHTS_N = 20_000
HEIGHTS_HELDOUT = 5_000


def standardized(name: str, columns: list[str], train: np.ndarray, val: np.ndarray | None,
                 test: np.ndarray | None, source: str, **extra) -> Dataset:
    """A points Dataset in training units, with the training split's mean and std as shift/scale."""
    shift = train.mean(0)
    scale = train.std(0)
    for j, s in enumerate(scale):
        if not s > 0:
            raise GankitError(f"{source} column {columns[j]!r} has the same value in every training row; "
                              "a constant column cannot be standardized (drop it, e.g. with csv:PATH#col1,col2)")

    def t(a):
        return None if a is None or len(a) == 0 else torch.from_numpy(((a - shift) / scale).astype(np.float32))

    return Dataset(name=name, kind="points", train=t(train), val=t(val), test=t(test), source=source,
                   columns=list(columns), shift=torch.from_numpy(shift.astype(np.float32)),
                   scale=torch.from_numpy(scale.astype(np.float32)), **extra)


# ---------------------------------------------------------------------------------------------- csv


def parse_name(name: str) -> tuple[Path, list[str] | None]:
    """`csv:PATH` or `csv:PATH#col1,col2` -> (path, selected column names or None for all)."""
    rest = name[len(PREFIX):]
    path, sep, cols = rest.rpartition("#") if "#" in rest else (rest, "", "")
    if not path:
        raise GankitError(f"{name!r} needs a file, e.g. data.name = \"csv:heights.csv\" or \"csv:data.csv#a,b\"")
    selected = None
    if sep:
        selected = [c.strip() for c in cols.split(",")]
        if not all(selected):
            raise GankitError(f"{name!r}: after '#' give column names separated by commas, e.g. csv:data.csv#height,weight")
    return Path(path).expanduser(), selected


def read_csv(path: Path, selected: list[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Read the numeric columns of a CSV with a header row -> (column names, N×D float64).

    Every used cell must be a finite number; anything else raises GankitError naming the file's
    1-based line and the column. Blank lines are skipped.
    """
    try:
        f = open(path, newline="", encoding="utf-8-sig")  # -sig: tolerate the BOM spreadsheets write
    except OSError as e:
        raise GankitError(f"cannot read CSV file {path}: {e.strerror or e} (give csv:PATH to an existing file)") from None
    with f:
        reader = csv.reader(f)
        try:
            header = next((row for row in reader if row), None)
            if header is None:
                raise GankitError(f"{path} is empty; a CSV needs a header row of column names, then numbers")
            header = [h.strip() for h in header]
            if selected is None:
                use = list(range(len(header)))
            else:
                unknown = [c for c in selected if c not in header]
                if unknown:
                    raise GankitError(f"{path} has no column {', '.join(map(repr, unknown))} "
                                      f"(its columns: {', '.join(header)})")
                use = [header.index(c) for c in selected]
            names = [header[j] for j in use]
            if any(not h for h in names):
                raise GankitError(f"{path} line 1: column {names.index('') + 1} has no name (a header row is required)")
            dupes = sorted({h for h in names if names.count(h) > 1})
            if dupes:
                raise GankitError(f"{path} line 1: column name {', '.join(map(repr, dupes))} appears twice (rename one)")
            _check_header(path, names)
            rows = []
            end = reader.line_num
            for row in reader:
                line, end = end + 1, reader.line_num  # a quoted cell may span lines: name the first
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(header):
                    raise GankitError(f"{path} line {line} has {len(row)} cells but the header has {len(header)} (fix the file)")
                rows.append([_number(row[j], path, line, header[j]) for j in use])
        except csv.Error as e:
            raise GankitError(f"{path} line {reader.line_num} is not valid CSV: {e} (fix the file)") from None
        except UnicodeDecodeError:
            raise GankitError(f"{path} is not UTF-8 text; save it as a UTF-8 CSV") from None
    if len(rows) < 2:
        raise GankitError(f"{path} has {len(rows)} data row{'s' * (len(rows) != 1)}; need at least 2")
    return names, np.array(rows, dtype=np.float64).reshape(len(rows), len(use))


def _check_header(path: Path, names: list[str]) -> None:
    """A header that is all numbers means the file has none: say so instead of eating a row."""
    from .table.read import is_number

    if all(is_number(h) for h in names):
        raise GankitError(f"{path} line 1 holds only numbers, but a header row of column names is required "
                          "(add one, e.g. x1,x2; names that are numbers need a letter, e.g. y2020)")


def _number(cell: str, path: Path, line: int, column: str) -> float:
    text = cell.strip()
    if not text:
        raise GankitError(f"{path} line {line} column {column!r}: empty cell (fill it in or drop the row)")
    try:
        value = float(text)
    except ValueError:
        raise GankitError(f"{path} line {line} column {column!r}: {cell!r} is not a number (fix the file, "
                          "or leave the column out with csv:PATH#col1,col2)") from None
    if not math.isfinite(value):
        raise GankitError(f"{path} line {line} column {column!r}: {cell!r} is not a finite number "
                          "(NaN and inf cannot be trained on; fix or drop the row)")
    return value


def split(n: int, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fixed-seed permutation, 10% validation, 10% test, the rest training (under 10 rows: all training)."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    k = n // 10
    return perm[: n - 2 * k], perm[n - 2 * k: n - k], perm[n - k:]


def load_csv(cfg: DataConfig) -> Dataset:
    path, selected = parse_name(cfg.name)
    names, x = read_csv(path, selected)
    tr, va, te = split(len(x))
    return standardized(cfg.name, names, x[tr], x[va], x[te], str(path))


def probe_csv(cfg: DataConfig) -> Probe:
    if cfg.name == PREFIX:
        return Probe(True, "any CSV file", "numeric columns under a header row; use csv:PATH or csv:PATH#col1,col2")
    try:
        path, selected = parse_name(cfg.name)
        names, x = read_csv(path, selected)
    except GankitError as e:
        return Probe(False, cfg.name[len(PREFIX):], str(e))
    return Probe(True, str(path), f"{len(x)} rows x {len(names)} columns ({', '.join(names)})")


# ------------------------------------------------------------------------------------------ heights


def sample_heights(n: int, gen: torch.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n heights in cm from HEIGHTS_GROUPS -> (n×1 float64, n group indices)."""
    group = torch.multinomial(torch.tensor(HEIGHTS_WEIGHTS, dtype=torch.float64), n, replacement=True, generator=gen)
    mean = torch.tensor([m for _, m, _ in HEIGHTS_GROUPS], dtype=torch.float64)[group]
    std = torch.tensor([s for _, _, s in HEIGHTS_GROUPS], dtype=torch.float64)[group]
    x = mean + std * torch.randn(n, dtype=torch.float64, generator=gen)
    return x.numpy()[:, None], group.numpy()


def load_heights(cfg: DataConfig) -> Dataset:
    gen = torch.Generator().manual_seed(HEIGHTS_SEED)
    (tr, tr_g), (va, va_g), (te, te_g) = (sample_heights(n, gen) for n in (cfg.n or HEIGHTS_N, HEIGHTS_HELDOUT, HEIGHTS_HELDOUT))
    return standardized(
        "heights", ["height_cm"], tr, va, te, "built in",
        train_labels=torch.from_numpy(tr_g), val_labels=torch.from_numpy(va_g), test_labels=torch.from_numpy(te_g),
        num_classes=len(HEIGHTS_GROUPS), class_names=[g for g, _, _ in HEIGHTS_GROUPS],
    )


def _heights_probe(cfg: DataConfig) -> Probe:
    groups = ", ".join(f"{w:.0%} {g} N({m}, {s})" for (g, m, s), w in zip(HEIGHTS_GROUPS, HEIGHTS_WEIGHTS))
    return Probe(True, "built in", f"{cfg.n or HEIGHTS_N} training heights in cm, generated: {groups}")


register("heights", load_heights, _heights_probe)
