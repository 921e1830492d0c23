"""The in-memory data set every loader returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class Probe:
    """What `gankit datasets` says of one source."""

    available: bool
    where: str  # the path or "built in"
    detail: str  # size when available, else why not


@dataclass
class Dataset:
    """Whole splits as tensors.

    `kind` is "image" (N×C×H×W: float32 in [0, 1], or uint8 0..255 where the source keeps its
    pixels as stored, e.g. a folder's memory-mapped cache; `pixels(x)` turns either into floats),
    "points" (N×D float32 in training units) or "table" (N×E float32: each row as its column
    transformer encodes it, `table`). Training units are the data's own units for toy sets;
    `heights` is standardized, and `shift`/`scale` map back: data = train_units * scale + shift.
    A table's rows come back as codes, one float per column (`gankit.data.table.codec`).
    """

    name: str
    kind: str
    train: torch.Tensor
    val: torch.Tensor | None = None
    test: torch.Tensor | None = None
    train_labels: torch.Tensor | None = None
    val_labels: torch.Tensor | None = None
    test_labels: torch.Tensor | None = None
    num_classes: int = 0
    class_names: list[str] = field(default_factory=list)  # label k's name (figures title rows with it)
    source: str = "built in"
    columns: list[str] = field(default_factory=list)
    shift: torch.Tensor | None = None
    scale: torch.Tensor | None = None
    modes: torch.Tensor | None = None  # mixture means (toy sets), in data units
    mode_std: float = 0.0
    stacked_from: "Dataset | None" = None  # stacked sets: the labelled set whose images are the channels
    fingerprint: str = ""  # a hash of the source's content where it has one (folders: files, sizes, mtimes)
    table: Any = None  # tables: gankit.data.table.TableData (the fitted column transformer, each split's codes)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one example."""
        return tuple(self.train.shape[1:])

    @property
    def dim(self) -> int:
        return int(self.train[0].numel())

    def pixel_mean(self, chunk: int = 0) -> torch.Tensor:
        """The mean training example as float32 (images in [0, 1]), computed chunk by chunk (about
        8 MB of float64 each), so a memory-mapped split is read once and never held whole."""
        x = self.train
        if x.dtype != torch.uint8:
            return x.mean(0)
        chunk = chunk or max(1, (8 << 20) // (8 * max(self.dim, 1)))
        total = torch.zeros(x.shape[1:], dtype=torch.float64)
        for i in range(0, len(x), chunk):
            total += x[i:i + chunk].sum(0, dtype=torch.float64)
        return (total / (255.0 * max(len(x), 1))).float()
    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one sample in data units: a table's row has one value per column."""
        return (len(self.columns),) if self.kind == "table" else self.shape

    @property
    def layout(self) -> dict | None:
        """Tables: where each column sits in G's output (what the nets are built for)."""
        return self.table.codec.layout() if self.table is not None else None

    def to_data_units(self, x: torch.Tensor) -> torch.Tensor:
        """Map generator output (training units) to the data's own units; a table's own splits
        come back as their exact codes."""
        if self.table is not None:
            for split in ("train", "val", "test"):
                if x is getattr(self, split):
                    return torch.from_numpy(self.table.codes[split])
        return to_data_units(x, self.info())

    def info(self) -> dict:
        """What sampling needs without reloading the data: stored in every checkpoint."""
        d = self.dim
        return {
            "name": self.name,
            "kind": self.kind,
            "shape": torch.tensor(self.shape, dtype=torch.int64),
            "columns": ",".join(self.columns),
            "shift": self.shift if self.shift is not None else torch.zeros(d if self.kind == "points" else 0),
            "scale": self.scale if self.scale is not None else torch.ones(d if self.kind == "points" else 0),
            # Conditional runs sample by class without the data: how many, and what each is called
            # (a JSON list in a string, since a checkpoint holds only tensors, numbers and strings).
            "num_classes": int(self.num_classes),
            "class_names": json.dumps(self.names()),
            **({"table": self.table.codec.state()} if self.table is not None else {}),
        }

    def names(self) -> list[str]:
        """Each class's name: `class_names` where the data set has them, else the label number."""
        if len(self.class_names) == self.num_classes:
            return list(self.class_names)
        return [str(k) for k in range(self.num_classes)]


def pixels(x: torch.Tensor) -> torch.Tensor:
    """Images as float32 in [0, 1] on x's device: uint8 (0..255, as a folder keeps them) divided
    by 255, floats unchanged. Call it on the device, after indexing a batch, so only the batch is
    ever float."""
    return x.float().div_(255.0) if x.dtype == torch.uint8 else x


def to_data_units(x: torch.Tensor, info: dict) -> torch.Tensor:
    """Generator output (training units) -> the data's own units, from a data info dict
    (`Dataset.info()`, kept in every checkpoint): images clamped to [0, 1], points scaled back,
    x * scale + shift, a table's encoded rows decoded to codes (float64, NaN blank). The one
    place this mapping lives."""
    if info["kind"] == "image":
        return x.clamp(0, 1)
    if info["kind"] == "table":
        from .table.codec import TableCodec

        return TableCodec.from_state(info["table"]).decode(x)
    scale = info.get("scale")
    if scale is not None and scale.numel():
        return x * scale.to(x) + info["shift"].to(x)
    return x


def to_train_units(x: torch.Tensor, info: dict) -> torch.Tensor:
    """The inverse of `to_data_units` for points: what D sees of a point given in data units."""
    scale = info.get("scale")
    if info["kind"] != "image" and scale is not None and scale.numel():
        return (x - info["shift"].to(x)) / scale.to(x)
    return x
