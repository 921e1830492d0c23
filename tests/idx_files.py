"""Small IDX files cut by hand from the installed Fashion-MNIST: for the idx and stacked loaders' tests."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from gankit.data import idx

SYSTEM = Path(idx.FASHION_MNIST_DIR)
needs_fashion = pytest.mark.skipif(not (SYSTEM / "train-images-idx3-ubyte.gz").is_file(),
                                   reason="Fashion-MNIST is not installed (apt install dataset-fashion-mnist)")
FILES = {"train-images-idx3-ubyte": 120, "train-labels-idx1-ubyte": 120,
         "t10k-images-idx3-ubyte": 30, "t10k-labels-idx1-ubyte": 30}


def first(name: str, n: int) -> tuple[bytes, bytes]:
    """(header for n items, their payload bytes), cut from the installed Fashion-MNIST file by hand."""
    raw = gzip.decompress((SYSTEM / f"{name}.gz").read_bytes())
    ndim = raw[3]
    dims = list(struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim]))
    per_item = int(np.prod(dims[1:], dtype=np.int64))
    body = raw[4 + 4 * ndim: 4 + 4 * ndim + n * per_item]
    return raw[:4] + struct.pack(f">{ndim}I", n, *dims[1:]), body


def write_small(root: Path, gz: bool) -> dict[str, bytes]:
    root.mkdir(parents=True, exist_ok=True)
    bodies = {}
    for name, n in FILES.items():
        header, body = first(name, n)
        data = header + body
        if gz:
            (root / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (root / name).write_bytes(data)
        bodies[name] = body
    return bodies
