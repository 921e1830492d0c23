"""mnist and fashion-mnist: IDX files written from Fashion-MNIST's bytes, the paper's split, bad files."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest
from idx_files import SYSTEM, needs_fashion, write_small  # noqa: E402

from gankit.config import DataConfig
from gankit.data import load, probe
from gankit.errors import GankitError


@needs_fashion
@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "raw"])
def test_mnist_from_written_idx_files(tmp_path, gz):
    bodies = write_small(tmp_path, gz)
    ds = load(DataConfig(name="mnist", dir=str(tmp_path)))
    assert (len(ds.train), len(ds.val), len(ds.test)) == (100, 20, 30)  # 5:1 like 50000:10000
    assert ds.train.shape[1:] == (1, 28, 28) and ds.num_classes == 10
    pixels = np.frombuffer(bodies["train-images-idx3-ubyte"], np.uint8).reshape(120, 28, 28)
    assert np.array_equal((ds.train[:, 0].numpy() * 255).round(), pixels[:100])
    assert np.array_equal((ds.val[:, 0].numpy() * 255).round(), pixels[100:])
    assert ds.train_labels.tolist() == list(bodies["train-labels-idx1-ubyte"][:100])
    assert ds.test_labels.tolist() == list(bodies["t10k-labels-idx1-ubyte"])
    assert probe(DataConfig(name="mnist", dir=str(tmp_path))).detail.startswith("120 train + 30 test images")


@needs_fashion
@pytest.mark.parametrize("case, match", [
    ("truncated", "is truncated: header"),
    ("longer", "longer than its header says"),
    ("magic", "wrong IDX magic number 504b0304"),
    ("bad-gzip", "not a readable IDX file"),
    ("header-cut", "truncated inside its IDX header"),
    ("missing", "no t10k-labels IDX files in"),
])
def test_bad_idx_files_are_errors(tmp_path, case, match):
    write_small(tmp_path, gz=False)
    target = tmp_path / "t10k-labels-idx1-ubyte"
    raw = target.read_bytes()
    if case == "truncated":
        target.write_bytes(raw[:-1])
    elif case == "longer":
        target.write_bytes(raw + b"\x00")
    elif case == "magic":
        target.write_bytes(b"PK\x03\x04" + raw[4:])  # a zip file's magic
    elif case == "bad-gzip":
        target.unlink()
        (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw)[:30])
    elif case == "header-cut":
        target.write_bytes(raw[:6])
    elif case == "missing":
        target.unlink()
    with pytest.raises(GankitError, match=match):
        load(DataConfig(name="mnist", dir=str(tmp_path)))


def test_mnist_without_dir_says_how_to_get_it():
    with pytest.raises(GankitError, match="needs its IDX files: set data.dir"):
        load(DataConfig(name="mnist"))
    assert not probe(DataConfig(name="mnist")).available


@needs_fashion
def test_paper_split_sizes_fashion_from_system_path_and_mnist_from_dir(tmp_path):
    ds = load(DataConfig(name="fashion-mnist"))  # no data.dir: the system path
    assert (len(ds.train), len(ds.val), len(ds.test)) == (50_000, 10_000, 10_000)
    assert ds.source == str(SYSTEM)
    for f in SYSTEM.glob("*.gz"):  # the same full-size files under the name mnist
        shutil.copy(f, tmp_path / f.name)
    mn = load(DataConfig(name="mnist", dir=str(tmp_path)))
    assert (len(mn.train), len(mn.val), len(mn.test)) == (50_000, 10_000, 10_000)
    assert mn.val.equal(ds.val) and mn.test_labels.equal(ds.test_labels)
