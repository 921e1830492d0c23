"""Data sources, one module each, behind one registry (`registry.py`).

A loader turns a DataConfig into a `Dataset`: whole splits as tensors, so a training step
indexes a tensor instead of running a per-step Python pipeline. Image folders keep their splits
uint8 and memory-mapped (`folder.py`); `pixels(x)` turns a batch of them into floats.

- `dataset.py`: `Dataset` (splits, shape, kind, labels, what sampling needs) and `Probe`;
- `toy.py` (gauss1d, ring8, grid25), `digits.py`, `idx.py` (fashion-mnist, mnist),
  `cifar.py` (cifar10, through a restricted unpickler), `folder.py` (folder:PATH),
  `tabular.py` (heights), `stacked.py` (stacked-* : three images in three channels);
- `table/`: csv:PATH, tables as people have them (type inference, the column transformer,
  training-by-sampling).
"""

from __future__ import annotations

from . import cifar, digits, folder, idx, stacked, table, tabular, toy  # noqa: F401  (each registers its sources)
from .dataset import Dataset, Probe, pixels
from .registry import SOURCES, Source, listing, load, names, probe, register, source

__all__ = ["Dataset", "Probe", "pixels", "Source", "SOURCES", "load", "probe", "listing", "names", "register", "source"]
