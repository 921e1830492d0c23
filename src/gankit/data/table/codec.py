"""The column transformer of a table: one encoder per column (columns.py), fitted once on the
training rows and saved with the run.

Three forms of a row:
- a *frame* row, as the data was (pandas: spellings, integers, booleans, blanks);
- its *codes*: one float per column (a number in its own units, a category's index, NaN for a
  blank) — what `gankit sample --out FILE.npy` writes and `evaluate` reads;
- its *encoding*: what G makes and D sees (mode offsets and one-hots, `layout()` says where).

`state()` is a dict of strings (the columns as JSON: float64 numbers round-trip exactly), kept in
every checkpoint under data.table, so `torch.load(weights_only=True)` reads it and `from_state`
rebuilds the same transformer without the data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ...errors import GankitError
from .columns import Discrete, Numeric, column_from_state, spell

FORMAT_VERSION = 1


@dataclass
class TableCodec:
    columns: list  # Numeric | Discrete, in the data's order

    # ------------------------------------------------------------------------------ fitting
    @classmethod
    def fit(cls, frame, types: dict[str, str], *, train: np.ndarray | None = None, seed: int = 0,
            max_modes: int = 10, encoding: str = "modes", clip: bool = True,
            spellings: dict | None = None, log: Callable[[str], None] | None = None) -> "TableCodec":
        """One encoder per column of `types` (name -> type), fitted on the rows `train` of
        `frame` (all when None); categories come from every row, so held-out rows encode too.
        `log` hears of each column as it is fitted (a large table's mixtures take a while)."""
        cols = []
        for j, (name, kind) in enumerate(types.items()):
            if log is not None:
                log(f"column {j + 1}/{len(types)}: {name} ({kind})")
            if kind in ("continuous", "integer"):
                col = Numeric(name, kind, encoding=encoding, clip=clip)
                col.fit(col.codes(frame[name], "the data"), seed + 7919 * j, max_modes, train)
            else:
                col = Discrete(name, kind).fit(frame[name], (spellings or {}).get(name), train)
            cols.append(col)
        return cls(cols)

    # ---------------------------------------------------------------------------- the forms
    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def discrete(self) -> list[int]:
        """Indices of the columns a condition can name (categorical and boolean)."""
        return [j for j, c in enumerate(self.columns) if isinstance(c, Discrete)]

    def codes_of(self, frame, source: str = "the data") -> np.ndarray:
        """A frame (with at least this codec's columns) -> N×D codes, float64."""
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise GankitError(f"{source} lacks column {', '.join(map(repr, missing))} that the run was trained on "
                              f"(the run's columns: {', '.join(self.names)})")
        return np.column_stack([c.codes(frame[c.name], source) for c in self.columns]).astype(np.float64)

    def encode(self, codes: np.ndarray, seed: int = 0) -> np.ndarray:
        """N×D codes -> N×E encoding, float32; the modes are drawn from `seed`, so the same rows
        always get the same encoding."""
        parts = []
        for j, c in enumerate(self.columns):
            parts.append(c.encode(codes[:, j], np.random.default_rng([seed, j])))
        return np.concatenate(parts, axis=1) if parts else np.zeros((len(codes), 0), np.float32)

    def decode(self, x: torch.Tensor) -> torch.Tensor:
        """N×E encoding (G's output) -> N×D codes, float64 (what the data was, in codes)."""
        out, start = [], 0
        for c in self.columns:
            out.append(c.decode(x[:, start:start + c.width]))
            start += c.width
        return torch.stack(out, 1)

    def to_frame(self, codes: np.ndarray):
        """N×D codes -> a typed DataFrame: integers as integers, booleans as booleans, categories
        spelled as in the data, blanks as missing values (pandas' nullable types for a column that
        had blanks, so every batch of one table has the same types: what .parquet keeps)."""
        import pandas as pd

        data = {}
        for j, c in enumerate(self.columns):
            v = codes[:, j]
            blank = np.isnan(v)
            if isinstance(c, Numeric):
                if c.type == "integer":
                    col = pd.array(np.where(blank, 0, np.round(v)).astype(np.int64), dtype="Int64" if c.blank else "int64")
                else:
                    col = pd.array(v, dtype="Float64" if c.blank else "float64")
            else:
                idx = np.where(blank, 0, v).astype(np.int64)
                if c.value_type == "boolean":
                    col = pd.array(np.asarray(c.truth, dtype=bool)[idx], dtype="boolean" if c.blank else "bool")
                elif c.value_type == "integer":
                    col = pd.array(np.asarray(c.values)[idx].astype(np.int64), dtype="Int64" if c.blank else "int64")
                elif c.value_type == "float":
                    col = pd.array(np.asarray(c.values, dtype=np.float64)[idx], dtype="Float64" if c.blank else "float64")
                else:
                    col = pd.array(np.asarray(c.categories, dtype=object)[idx], dtype="string")
            if blank.any():
                col[blank] = pd.NA
            data[c.name] = col
        return pd.DataFrame(data)

    def to_text(self, codes: np.ndarray) -> list[list[str]]:
        """N×D codes -> rows of cells as the data spelled them ("" for a blank): what .csv writes."""
        cols = []
        for j, c in enumerate(self.columns):
            v = codes[:, j]
            if isinstance(c, Numeric):
                cols.append([spell(x, c) for x in v.tolist()])
            else:
                cats = c.categories
                cols.append(["" if x != x else cats[int(x)] for x in v.tolist()])
        return [list(r) for r in zip(*cols)]

    # ------------------------------------------------------------------ nets and conditions
    def layout(self) -> dict:
        """What the nets need (plain lists, JSON): `spans` [width, "tanh"|"softmax"] of G's output
        in order; `conditions` [start, width] of each categorical/boolean column's one-hot there
        (the conditional vector is these one-hots side by side); `counts` each one's training
        rows per value (unconditional samples draw a column's value with these frequencies)."""
        spans, conditions, counts, start = [], [], [], 0
        for c in self.columns:
            if isinstance(c, Discrete):
                conditions.append([start, c.width])
                counts.append(list(c.counts))
            spans += [[w, a] for w, a in c.spans]
            start += c.width
        return {"spans": spans, "conditions": conditions, "counts": counts}

    def condition(self, where: dict[str, str]) -> list[tuple[int, int]]:
        """`--where col=value` pairs -> [(k, value index)], k the column's place among the
        categorical/boolean columns. An unknown column or value is an error listing the valid ones."""
        names = {c.name: k for k, c in enumerate(self.columns[j] for j in self.discrete)}
        out = []
        for column, value in where.items():
            if column not in self.names:
                raise GankitError(f"--where {column}={value}: no column {column!r}; the columns --where takes: "
                                  f"{', '.join(names) or '(none: this table has no categorical or boolean column)'}")
            if column not in names:
                kind = next(c.type for c in self.columns if c.name == column)
                raise GankitError(f"--where {column}={value}: {column!r} is {'an' if kind[0] in 'aeiou' else 'a'} {kind} column; --where takes categorical "
                                  f"and boolean columns: {', '.join(names) or '(none in this table)'}")
            col = self.columns[self.discrete[names[column]]]
            out.append((names[column], _value_index(col, column, value)))
        return out

    # ------------------------------------------------------------------------- checkpoint
    def state(self) -> dict:
        return {"format_version": FORMAT_VERSION, "columns": json.dumps([c.state() for c in self.columns])}

    @classmethod
    def from_state(cls, state: dict) -> "TableCodec":
        if int(state.get("format_version", 0)) > FORMAT_VERSION:
            raise GankitError("the checkpoint's table was written by a newer gankit; upgrade gankit to sample it")
        return cls([column_from_state(d) for d in json.loads(state["columns"])])

    def describe(self) -> str:
        return ", ".join(f"{c.name} ({c.type})" for c in self.columns)


def _value_index(col: Discrete, column: str, value: str) -> int:
    text = value.strip()
    k = len(col.categories)
    if text == "":
        if col.blank:
            return k
        raise GankitError(f"--where {column}=: {column!r} was never blank in training; its values: {_shown(col)}")
    if text in col.categories:
        return col.categories.index(text)
    if col.type == "boolean":
        lower = [c.lower() for c in col.categories]
        if text.lower() in lower:
            return lower.index(text.lower())
        if text.lower() in ("true", "false") and col.truth:
            want = text.lower() == "true"
            if want in col.truth:
                return col.truth.index(want)
    if col.values:
        try:
            number = float(text)
        except ValueError:
            number = None
        if number is not None and number in col.values:
            return col.values.index(number)
    raise GankitError(f"--where {column}={value}: {column!r} has no value {value!r}; its values: {_shown(col)}")


def _shown(col: Discrete) -> str:
    cats = col.categories[:30]
    more = f", ... ({len(col.categories)} in all)" if len(col.categories) > 30 else ""
    blank = " or blank (--where COL=)" if col.blank else ""
    return ", ".join(cats) + more + blank
