"""What a run trains on, recognisably: the files a data config reads, and a fingerprint of them.

A checkpoint records `fingerprint(config, dataset)`: the source, the size of each split, and a
content hash that is cheap to recompute. `gankit train --resume` and `gankit evaluate` compute it
again and refuse, naming what changed, when it differs (`changes`). `data_paths` says where a
data config's files are, so that no command ever writes over them (`gankit.sampling.outputs`).

The hash is taken over what is on disk, not over the tensors a loader makes of it, so a new
gankit that loads the same files differently (uint8 images, new column types) still recognises
them:
- a CSV file, an image folder, IDX or CIFAR-10 files: each file's path (relative to the data's
  folder) and size, and its bytes, whole up to SAMPLE_BYTES, else SAMPLE_CHUNKS evenly spaced
  pieces of that much in all; a folder of more than MAX_READ_FILES files reads that many of them,
  evenly spaced (every file's name and size still counts);
- data gankit generates (ring8, heights, digits, stacked sets' stacking, ...): its name and split
  sizes, which with gankit's fixed seeds determine it;
- a third-party source whose files gankit cannot know: the loaded tensors, up to SAMPLE_BYTES of
  evenly spaced rows of each.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import torch

from ..config import DataConfig
from ..errors import GankitError
from . import cifar, folder, idx, tabular
from .registry import probe as probe_source

SAMPLE_BYTES = 16 << 20  # bytes read per file (and per split of an unknown source), at most
SAMPLE_CHUNKS = 16  # evenly spaced pieces a larger file is read in
MAX_READ_FILES = 1000  # files of a folder whose bytes are read (all are listed, with their sizes)
BUILT_IN = ("gauss1d", "ring8", "grid25", "heights", "digits")  # generated or bundled: no files of the user's
IDX_PARTS = ("train_images", "train_labels", "test_images", "test_labels")
KEYS = ("source", "n_train", "n_val", "n_test", "n_files", "content")


def data_paths(cfg: DataConfig) -> tuple[list[Path], list[Path]]:
    """(files, folders) a data config reads: its files, and folders in which every file is data
    (an image folder: a new image there joins the training set). Empty for built-in data."""
    name = cfg.name
    if name.startswith(tabular.PREFIX):
        return [tabular.parse_name(name)[0]], []
    if name.startswith(folder.PREFIX):
        return [], [folder.folder_path(name)]
    if name in BUILT_IN:
        return [], []
    try:
        where = probe_source(cfg).where
    except GankitError:
        return [], []
    directory = Path(where).expanduser() if where else None
    if directory is None or not directory.is_dir():
        return [], []
    if name == "cifar10":
        names = set(cifar.TRAIN_FILES) | {cifar.TEST_FILE, "batches.meta"}
        return sorted(p for p in directory.iterdir() if p.name in names and p.is_file()), []
    found = [idx.find_idx(directory, part) for part in IDX_PARTS]
    return sorted(p for p in found if p is not None), []  # mnist, fashion-mnist, the stacked sets on them


def fingerprint(cfg: DataConfig, dataset: Any) -> dict[str, Any]:
    """The data's fingerprint: strings and numbers only, so it sits in a checkpoint as it is."""
    files, folders = data_paths(cfg)
    for root in folders:
        files += folder.list_files(root)
    h = hashlib.sha256(b"gankit-data-v1")
    if files:
        base = _common_folder(files)
        read = set(_evenly(files, MAX_READ_FILES))
        for p in files:
            size = p.stat().st_size
            h.update(f"|{Path(os.path.relpath(os.path.abspath(p), base)).as_posix() if base else p.name}|{size}".encode())
            if p in read:
                _hash_bytes(h, p, size)
        content = f"files:{h.hexdigest()[:32]}"
    elif cfg.name in BUILT_IN or getattr(dataset, "stacked_from", None) is not None:
        content = f"generated:{cfg.name}"
    else:
        for split in (dataset.train, dataset.val, dataset.test, dataset.train_labels):
            _hash_tensor(h, split)
        content = f"tensors:{h.hexdigest()[:32]}"
    return {"source": str(dataset.source), "n_train": _len(dataset.train), "n_val": _len(dataset.val),
            "n_test": _len(dataset.test), "n_files": len(files), "content": content}


def changes(recorded: dict | None, now: dict) -> list[str]:
    """What differs between the fingerprint a checkpoint recorded and the data's now, one phrase
    each ([] when the same, or when the checkpoint is older than fingerprints)."""
    if not recorded:
        return []
    out = []
    for key, what in (("n_train", "training examples"), ("n_val", "validation examples"),
                      ("n_test", "test examples"), ("n_files", "files")):
        if key in recorded and int(recorded[key]) != int(now[key]):
            out.append(f"{now[key]} {what}, not {int(recorded[key])}")
    if not out and str(recorded.get("content", "")) != now["content"]:
        out.append("the same counts but other content (a file was edited or replaced)")
    return out


def _len(t: torch.Tensor | None) -> int:
    return 0 if t is None else int(len(t))


def _common_folder(files: list[Path]) -> Path | None:
    """The folder that holds them all, by the paths as given (a folder of links to images elsewhere
    is named by its own paths, not by where the links point)."""
    try:
        return Path(os.path.commonpath([os.path.abspath(p.parent) for p in files]))
    except ValueError:  # different drives
        return None


def _evenly(items: list, k: int) -> list:
    if len(items) <= k:
        return list(items)
    return [items[round(i * (len(items) - 1) / (k - 1))] for i in range(k)]


def _hash_bytes(h, path: Path, size: int) -> None:
    try:
        with open(path, "rb") as f:
            if size <= SAMPLE_BYTES:
                h.update(f.read())
                return
            piece = SAMPLE_BYTES // SAMPLE_CHUNKS
            for i in range(SAMPLE_CHUNKS):
                f.seek(i * (size - piece) // (SAMPLE_CHUNKS - 1))
                h.update(f.read(piece))
    except OSError as e:
        raise GankitError(f"cannot read data file {path}: {e.strerror or e}") from None


def _hash_tensor(h, t: torch.Tensor | None) -> None:
    if t is None:
        h.update(b"|none")
        return
    t = t.detach().cpu().contiguous()
    h.update(f"|{tuple(t.shape)}|{t.dtype}".encode())
    row = max(t[0].numel() * t.element_size(), 1) if len(t) else 1
    rows = _evenly(list(range(len(t))), max(SAMPLE_BYTES // row, 1))
    h.update(t[rows].numpy().tobytes() if rows else b"")
