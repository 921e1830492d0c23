"""MNIST-format IDX files (gzipped or raw): `mnist` and `fashion-mnist`.

Both get the paper's split: train[0:50000] for training, train[50000:60000] for validation, and
the 10k test set. Every header field is checked against the file's length before any use.
"""

from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from ..config import DataConfig
from ..errors import GankitError
from .dataset import Dataset, Probe
from .registry import register

FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
TRAIN_SPLIT = 50_000
# Label k's name (Xiao et al., 2017, for Fashion-MNIST; the digit itself for MNIST).
CLASS_NAMES = {
    "fashion-mnist": ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                      "Ankle boot"],
    "mnist": [str(k) for k in range(10)],
}

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
          0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_STEMS = {"train_images": "train-images", "train_labels": "train-labels",
          "test_images": "t10k-images", "test_labels": "t10k-labels"}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (raw or gzip) into an array, checking magic number, dims and length."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise GankitError(f"{path} is not a readable IDX file ({e}); re-download it") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES or not 1 <= raw[3] <= 4:
        raise GankitError(f"{path} has a wrong IDX magic number {raw[:4].hex() or 'none'} "
                          "(is it an MNIST-format file? re-download it)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise GankitError(f"{path} is truncated inside its IDX header; re-download it")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(_TYPES[raw[2]])
    expected = header + int(np.prod(dims)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "longer than its header says"
        raise GankitError(f"{path} is {what}: header {dims} needs {expected} bytes, file has {len(raw)}; re-download it")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)


def find_idx(directory: Path, part: str) -> Path | None:
    stem = _STEMS[part]
    kind = "idx3-ubyte" if part.endswith("images") else "idx1-ubyte"
    for name in (f"{stem}-{kind}.gz", f"{stem}-{kind}", f"{stem}.{kind}.gz", f"{stem}.{kind}"):
        if (directory / name).is_file():
            return directory / name
    return None


def _directory(cfg: DataConfig, default: str | None) -> Path | None:
    return Path(cfg.dir).expanduser() if cfg.dir else (Path(default) if default else None)


def load_idx_dataset(name: str, cfg: DataConfig, default: str | None, how_to_get: str) -> Dataset:
    directory = _directory(cfg, default)
    if directory is None:
        raise GankitError(f"{name} needs its IDX files: set data.dir ({how_to_get})")
    paths = {part: find_idx(directory, part) for part in _STEMS}
    missing = [_STEMS[p] for p, f in paths.items() if f is None]
    if missing:
        raise GankitError(f"{name}: no {', '.join(missing)} IDX files in {directory} ({how_to_get})")
    arrays = {part: read_idx(p) for part, p in paths.items()}
    for split in ("train", "test"):
        images, labels = arrays[f"{split}_images"], arrays[f"{split}_labels"]
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise GankitError(f"{name}: {split} images {images.shape} and labels {labels.shape} do not match "
                              "(want N×H×W images and N labels)")
    n_train = len(arrays["train_images"])
    if n_train <= 1:
        raise GankitError(f"{name}: the training file holds {n_train} images; need more")
    # The paper's split; smaller (user-made) files keep the same 5:1 proportion.
    cut = TRAIN_SPLIT if n_train == 60_000 else max(1, n_train * 5 // 6)

    def images(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a.astype(np.float32) / 255.0).unsqueeze(1)

    def labels(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a.astype(np.int64))

    tr_x, tr_y = arrays["train_images"], arrays["train_labels"]
    num_classes = int(max(tr_y.max(), arrays["test_labels"].max())) + 1
    names = CLASS_NAMES.get(name, [])
    return Dataset(
        name=name, kind="image",
        train=images(tr_x[:cut]), val=images(tr_x[cut:]), test=images(arrays["test_images"]),
        train_labels=labels(tr_y[:cut]), val_labels=labels(tr_y[cut:]), test_labels=labels(arrays["test_labels"]),
        num_classes=num_classes, class_names=names if len(names) == num_classes else [], source=str(directory),
    )


def probe_idx(name: str, cfg: DataConfig, default: str | None, how_to_get: str) -> Probe:
    directory = _directory(cfg, default)
    if directory is None:
        return Probe(False, "", f"set data.dir to the folder with its IDX files ({how_to_get})")
    paths = {part: find_idx(directory, part) for part in _STEMS}
    if any(p is None for p in paths.values()):
        return Probe(False, str(directory), f"IDX files not found there ({how_to_get})")
    try:
        n_train = struct.unpack(">I", _head(paths["train_images"])[4:8])[0]
        n_test = struct.unpack(">I", _head(paths["test_images"])[4:8])[0]
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, struct.error) as e:
        return Probe(False, str(directory), f"unreadable IDX file ({e})")
    return Probe(True, str(directory), f"{n_train} train + {n_test} test images, 10 classes")


def _head(path: Path) -> bytes:
    opener = gzip.open if path.read_bytes()[:2] == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        return f.read(16)


_FASHION_HOW = "install Debian's dataset-fashion-mnist, or point data.dir at the four IDX files"
_MNIST_HOW = "download the four MNIST IDX files and point data.dir at their folder; see docs/data.md"

register("fashion-mnist",
         lambda c: load_idx_dataset("fashion-mnist", c, FASHION_MNIST_DIR, _FASHION_HOW),
         lambda c: probe_idx("fashion-mnist", c, FASHION_MNIST_DIR, _FASHION_HOW))
register("mnist",
         lambda c: load_idx_dataset("mnist", c, None, _MNIST_HOW),
         lambda c: probe_idx("mnist", c, None, _MNIST_HOW))
