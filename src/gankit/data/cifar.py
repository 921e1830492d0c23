"""CIFAR-10 from its "python version" batches: data_batch_1..5 and test_batch in `data.dir`.

The files are pickles, and a pickle can run any code when loaded. They are therefore read with
`SafeUnpickler`, which admits only the globals a CIFAR batch needs to rebuild its dict of
bytes, lists and a uint8 array (numpy's array and dtype reconstruction); any other global, such
as `os.system` or `builtins.eval`, is refused with GankitError before it is ever called.

Split: train = the first 45000 images of batches 1-5 in order, validation = the last 5000 of
them, test = test_batch's 10000. Smaller (user-made) batch files keep the same 9:1 proportion.
Images are N×3×32×32 float32 in [0, 1]; labels are 0..9.
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path

import numpy as np
import torch

from ..config import DataConfig
from ..errors import GankitError
from .dataset import Dataset, Probe
from .registry import register

TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]
TEST_FILE = "test_batch"
TRAIN_SPLIT = 45_000
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
HOW_TO_GET = ("download the CIFAR-10 python version, extract it and point data.dir at its "
              "cifar-10-batches-py folder; see docs/data.md")


def _latin1_bytes(text, encoding):
    """Python 3 pickles bytes at protocol 2 as `_codecs.encode(str, 'latin1')`; admit only that."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise GankitError(f"refusing _codecs.encode({type(text).__name__}, {encoding!r}): not plain bytes data")
    return text.encode("latin1")


def _allowed() -> dict[tuple[str, str], object]:
    try:
        from numpy._core.multiarray import _reconstruct  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core.multiarray import _reconstruct
    return {
        # Python 2's numpy (the original files) and numpy 1.x name the module numpy.core.
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): _latin1_bytes,
    }


class SafeUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals of a numpy-array-in-a-dict; all else is refused."""

    def __init__(self, file, where: str):
        # encoding="bytes": the original files come from Python 2, whose str keys become bytes.
        super().__init__(file, encoding="bytes")
        self._where = where
        self._ok = _allowed()

    def find_class(self, module: str, name: str):
        try:
            return self._ok[(module, name)]
        except KeyError:
            raise GankitError(f"{self._where} asks to load {module}.{name}, which a CIFAR-10 batch never holds; "
                              "refusing it (the file is not CIFAR-10 data and may be unsafe; re-download it)") from None

    def persistent_load(self, pid):
        raise GankitError(f"{self._where} holds a persistent reference, which a CIFAR-10 batch never does; "
                          "refusing it (re-download the file)")


def safe_load(path: Path) -> object:
    """Unpickle a file with SafeUnpickler; every failure is a GankitError that names the file."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise GankitError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        return SafeUnpickler(io.BytesIO(raw), str(path)).load()
    except GankitError:
        raise
    except Exception as e:  # a malformed pickle raises almost anything; none of it may escape raw
        raise GankitError(f"{path} is not a readable CIFAR-10 batch ({type(e).__name__}: {e}); re-download it") from None


def read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """One batch file -> (N×3072 uint8 data, N int64 labels), every field checked."""
    obj = safe_load(path)
    if not isinstance(obj, dict):
        raise GankitError(f"{path} holds a {type(obj).__name__}, not a CIFAR-10 batch dict; re-download it")
    # The original files have bytes keys; a batch re-pickled under Python 3 may have str keys.
    data = obj.get(b"data", obj.get("data"))
    labels = obj.get(b"labels", obj.get("labels"))
    if data is None or labels is None:
        raise GankitError(f"{path} has no 'data' and 'labels' entries; is it a CIFAR-10 batch? re-download it")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        what = f"{data.dtype} array of shape {data.shape}" if isinstance(data, np.ndarray) else type(data).__name__
        raise GankitError(f"{path}: 'data' is a {what}, but CIFAR-10 stores N×3072 uint8; re-download it")
    if not isinstance(labels, (list, np.ndarray)) or len(labels) != len(data):
        n = len(labels) if hasattr(labels, "__len__") else "no"
        raise GankitError(f"{path}: {n} labels for {len(data)} images; re-download it")
    try:
        labels = np.asarray(labels, dtype=np.int64)
    except (TypeError, ValueError, OverflowError):
        raise GankitError(f"{path}: labels are not integers; re-download it") from None
    if labels.ndim != 1 or (len(labels) and (labels.min() < 0 or labels.max() > 9)):
        raise GankitError(f"{path}: labels must be integers 0..9; re-download it")
    return data, labels


def _directory(cfg: DataConfig) -> Path:
    if not cfg.dir:
        raise GankitError(f"cifar10 needs data.dir ({HOW_TO_GET})")
    directory = Path(cfg.dir).expanduser()
    missing = [f for f in TRAIN_FILES + [TEST_FILE] if not (directory / f).is_file()]
    if missing:
        raise GankitError(f"cifar10: no {', '.join(missing)} in {directory} ({HOW_TO_GET})")
    return directory


def load_cifar10(cfg: DataConfig) -> Dataset:
    directory = _directory(cfg)
    train = [read_batch(directory / f) for f in TRAIN_FILES]
    test_x, test_y = read_batch(directory / TEST_FILE)
    train_x = np.concatenate([x for x, _ in train])
    train_y = np.concatenate([y for _, y in train])
    n = len(train_x)
    if n < 2:
        raise GankitError(f"cifar10: the training batches in {directory} hold {n} images; need more")
    cut = TRAIN_SPLIT if n == 50_000 else max(1, n * 9 // 10)

    def images(a: np.ndarray) -> torch.Tensor:
        # Each row is 1024 red, then 1024 green, then 1024 blue values, rows of 32 pixels.
        return torch.from_numpy(a).reshape(-1, 3, 32, 32).float().div_(255.0)

    def labels(a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(a)

    return Dataset(
        name="cifar10", kind="image",
        train=images(train_x[:cut]), val=images(train_x[cut:]), test=images(test_x),
        train_labels=labels(train_y[:cut]), val_labels=labels(train_y[cut:]), test_labels=labels(test_y),
        num_classes=10, class_names=list(CLASSES), source=str(directory),
    )


def probe_cifar10(cfg: DataConfig) -> Probe:
    if not cfg.dir:
        return Probe(False, "", "set data.dir to its cifar-10-batches-py folder (download the CIFAR-10 "
                                "python version and extract it; see docs/data.md)")
    try:
        directory = _directory(cfg)
    except GankitError as e:
        return Probe(False, cfg.dir, str(e).removeprefix("cifar10: "))
    # The standard files are 10000 images each; counting exactly would mean unpickling 180 MB.
    return Probe(True, str(directory), f"{len(TRAIN_FILES)} training batches + {TEST_FILE} "
                                       "(standard: 50000 + 10000 images 3x32x32, 10 classes)")


register("cifar10", load_cifar10, probe_cifar10)
