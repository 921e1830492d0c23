"""`csv:PATH` (or `csv:PATH#col1,col2`): a table of numeric, integer, categorical and boolean
columns, blanks allowed.

Loading reads the file (read.py), settles each column's type (`data.columns` overrides the
inference, columns.py), splits the rows (a fixed permutation: `data.holdout` of them held out,
half validation, half test) and fits the column transformer on the training rows (codec.py).
A resumed run, `gankit evaluate` and `gankit figures` restore the transformer of the run's
checkpoint instead (`restore`), so the rows are encoded exactly as in training, and a file whose
columns changed since is a one-line error. A checkpoint from before tables (numbers only,
standardized) restores through the old reader (`tabular.load_csv`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ...config import DataConfig
from ...console import say
from ...errors import GankitError
from .. import tabular
from ..dataset import Dataset, Probe
from ..registry import register
from .codec import TableCodec
from .columns import infer
from .read import read_frame

PREFIX = "csv:"
SPLIT_SEED = 0
ENCODE_SEED = 0
SPLITS = ("train", "val", "test")
LOUD_ROWS = 200_000  # tables this large say what they are doing while they load


@dataclass
class TableData:
    """What a table Dataset carries beside its encoded splits: the fitted transformer and each
    split's codes (N×D float64: numbers, category indices, NaN blanks)."""

    codec: TableCodec
    codes: dict[str, np.ndarray]

    def frame(self, split: str = "train"):
        """A split as the data was (pandas DataFrame)."""
        return self.codec.to_frame(self.codes[split])


def split(n: int, holdout: float, seed: int = SPLIT_SEED) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A fixed permutation: `holdout` of the rows held out, half for validation, half for test,
    the rest training (tables under 10 rows: all training)."""
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()
    k = int(n * holdout / 2)
    return perm[: n - 2 * k], perm[n - 2 * k: n - k], perm[n - k:]


def _read(cfg: DataConfig):
    path, selected = tabular.parse_name(cfg.name)
    frame, dialect, spellings = read_frame(path, selected, cfg.header, cfg.encoding)
    types = infer(frame, dict(cfg.columns), str(path), 2 if dialect.header else 1)
    return path, frame, types, spellings


def load_csv(cfg: DataConfig) -> Dataset:
    path, frame, types, spellings = _read(cfg)
    rows = split(len(frame), cfg.holdout)
    loud = len(frame) >= LOUD_ROWS
    if loud:
        say(f"gankit: {path}: {len(frame):,} rows; fitting the column transformer on {len(rows[0]):,} training rows")
    codec = TableCodec.fit(frame, types, train=rows[0], seed=SPLIT_SEED, max_modes=cfg.max_modes,
                           encoding=cfg.continuous, clip=cfg.clip, spellings=spellings,
                           log=(lambda text: say(f"gankit: {path}: fitting {text}")) if loud else None)
    return _dataset(cfg.name, str(path), codec, frame, rows, loud)


def restore_csv(cfg: DataConfig, info: dict) -> Dataset:
    """The table encoded by the transformer a checkpoint holds (`info` = its data entry)."""
    if info.get("kind") != "table":
        return tabular.load_csv(cfg)  # a run from before tables: numeric columns, standardized
    codec = TableCodec.from_state(info["table"])
    path, selected = tabular.parse_name(cfg.name)
    frame, dialect, _ = read_frame(path, selected, cfg.header, cfg.encoding)
    kept = [c for c in frame.columns if cfg.columns.get(c) != "ignore"]
    if kept != codec.names:
        raise GankitError(f"{path} has other columns than the run was trained on (now: {', '.join(map(str, kept))}; "
                          f"trained on: {', '.join(codec.names)}); restore the file, or train a new run on it")
    return _dataset(cfg.name, str(path), codec, frame, split(len(frame), cfg.holdout), len(frame) >= LOUD_ROWS)


def _dataset(name: str, source: str, codec: TableCodec, frame, rows, loud: bool) -> Dataset:
    codes_all = codec.codes_of(frame, source)
    codes = {s: codes_all[r] for s, r in zip(SPLITS, rows)}
    encoded = {s: torch.from_numpy(codec.encode(codes[s], ENCODE_SEED + i)) for i, s in enumerate(SPLITS)}
    if loud:
        say(f"gankit: {source}: {len(frame):,} rows encoded as {codec.width} values each")
    return Dataset(name=name, kind="table", train=encoded["train"],
                   val=encoded["val"] if len(rows[1]) else None, test=encoded["test"] if len(rows[2]) else None,
                   source=source, columns=codec.names, table=TableData(codec, codes))


def probe_csv(cfg: DataConfig) -> Probe:
    if cfg.name == PREFIX:
        return Probe(True, "any CSV file", "numeric, integer, categorical and boolean columns, blanks allowed; "
                                           "csv:PATH or csv:PATH#col1,col2 (types: data.columns)")
    try:
        path, frame, types, _ = _read(cfg)
    except GankitError as e:
        return Probe(False, cfg.name[len(PREFIX):], str(e))
    cols = ", ".join(f"{n} {t}" for n, t in types.items())
    return Probe(True, str(path), f"{len(frame)} rows x {len(types)} columns ({cols})")


register(PREFIX, load_csv, probe_csv, restore=restore_csv)
