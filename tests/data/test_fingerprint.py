"""gankit.data.fingerprint: what a run trains on, recognisably — counts and a content hash that
notices a replaced or edited file, cheap to recompute, the same for the same bytes anywhere."""

import hashlib
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from gankit import data
from gankit.config import DataConfig
from gankit.data import fingerprint as fp


def csv_file(path, rows: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    np.savetxt(path, rng.normal(170, 8, (rows, 1)), header="height", comments="", fmt="%.2f")
    return path


def of(cfg: DataConfig) -> dict:
    return fp.fingerprint(cfg, data.load(cfg))


def test_a_csv_replaced_by_five_rows_is_named_by_its_counts(tmp_path):
    """Issue 25: a CSV of 3,000 rows became 5, and `--resume` trained on the 5 without noticing."""
    path = csv_file(tmp_path / "train.csv", 3000)
    cfg = DataConfig(name=f"csv:{path}")
    before = of(cfg)
    assert before["n_train"] == 2400 and before["n_val"] == 300 and before["n_test"] == 300
    assert before["n_files"] == 1 and before["content"].startswith("files:") and before["source"]
    assert all(isinstance(v, (str, int)) for v in before.values())  # a checkpoint holds it as it is
    csv_file(path, 5)
    assert fp.changes(before, of(cfg)) == ["5 training examples, not 2400", "0 validation examples, not 300",
                                           "0 test examples, not 300"]


def test_an_edit_that_keeps_the_counts_changes_the_content(tmp_path):
    path = csv_file(tmp_path / "train.csv", 300)
    cfg = DataConfig(name=f"csv:{path}")
    before = of(cfg)
    text = path.read_text().splitlines()
    text[150] = text[150][:-1] + ("1" if text[150][-1] != "1" else "2")  # one digit, the same size
    path.write_text("\n".join(text) + "\n")
    assert fp.changes(before, of(cfg)) == ["the same counts but other content (a file was edited or replaced)"]
    assert fp.changes(before, before) == [] and fp.changes(None, before) == []  # old checkpoints: nothing to compare


def test_the_same_bytes_elsewhere_are_the_same_data(tmp_path):
    """A data set copied to another machine or folder (new mtimes, new path) is recognised."""
    a = tmp_path / "a"
    (a / "cats").mkdir(parents=True)
    (a / "dogs").mkdir()
    for i in range(6):
        Image.new("RGB", (8, 8), (40 * i, 0, 0)).save(a / ("cats" if i % 2 else "dogs") / f"{i}.png")
    b = tmp_path / "b"
    shutil.copytree(a, b)
    for p in b.rglob("*.png"):
        os.utime(p, (0, 12345))
    fa = of(DataConfig(name=f"folder:{a}", size=8))
    fb = of(DataConfig(name=f"folder:{b}", size=8))
    assert fa["content"] == fb["content"] and fa["n_files"] == 6 and fa["source"] != fb["source"]
    assert fp.changes(fa, fb) == []
    Image.new("RGB", (8, 8), "white").save(b / "cats" / "new.png")
    assert "7 files, not 6" in fp.changes(fa, of(DataConfig(name=f"folder:{b}", size=8)))


def test_a_folder_of_links_is_fingerprinted_by_its_own_paths_and_the_bytes_they_point_to(tmp_path):
    """A class folder of symbolic links to images elsewhere (the bench's by-class folder) raised
    ValueError: the links' targets were taken for the folder."""
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(4):
        Image.new("RGB", (8, 8), (60 * i, 0, 0)).save(flat / f"{i}.png")
    linked, copied = tmp_path / "linked", tmp_path / "copied"
    for root in (linked, copied):
        for i in range(4):
            (root / f"c{i % 2}").mkdir(parents=True, exist_ok=True)
            target = root / f"c{i % 2}" / f"{i}.png"
            target.symlink_to(flat / f"{i}.png") if root is linked else shutil.copy(flat / f"{i}.png", target)
    fl = of(DataConfig(name=f"folder:{linked}", size=8))
    assert fl["n_files"] == 4 and fp.changes(of(DataConfig(name=f"folder:{copied}", size=8)), fl) == []
    Image.new("RGB", (8, 8), "white").save(flat / "1.png")  # what a link points to changed
    assert fp.changes(fl, of(DataConfig(name=f"folder:{linked}", size=8))) != []


def test_a_large_file_is_read_in_bounded_pieces_that_still_cover_it(tmp_path, monkeypatch):
    """Cheap to recompute: at most SAMPLE_BYTES of a file are read, evenly spread, and the hash is
    what those bytes give (an independent sha256 over the same pieces)."""
    monkeypatch.setattr(fp, "SAMPLE_BYTES", 1600)
    monkeypatch.setattr(fp, "SAMPLE_CHUNKS", 16)
    path = tmp_path / "big.bin"
    raw = np.random.default_rng(0).integers(0, 256, 100_000, dtype=np.uint8).tobytes()
    path.write_bytes(raw)
    h = hashlib.sha256()
    fp._hash_bytes(h, path, len(raw))
    piece = 100
    want = hashlib.sha256(b"".join(raw[i * (len(raw) - piece) // 15:][:piece] for i in range(16)))
    assert h.hexdigest() == want.hexdigest()
    # a change inside a piece is seen (one between pieces of a file this large is not: the price
    # of reading 1.6% of it; its size, and the whole of any file up to SAMPLE_BYTES, always count)
    changed = bytearray(raw)
    at = 7 * (len(raw) - piece) // 15
    changed[at + 10: at + 20] = bytes(10)
    path.write_bytes(bytes(changed))
    h2 = hashlib.sha256()
    fp._hash_bytes(h2, path, len(raw))
    assert h2.hexdigest() != h.hexdigest()


def test_generated_data_is_known_by_name_and_counts():
    ring = of(DataConfig(name="ring8", n=500))
    assert ring["content"] == "generated:ring8" and ring["n_train"] == 500 and ring["n_files"] == 0
    assert fp.changes(ring, of(DataConfig(name="ring8", n=400))) == ["400 training examples, not 500"]


def test_a_plugin_source_is_known_by_its_tensors(registered):
    import torch

    from gankit.data.dataset import Dataset, Probe
    from gankit.data.registry import SOURCES, Source

    values = {"x": torch.arange(40.0).reshape(20, 2)}
    registered(SOURCES, "plugin-set", Source(lambda c: Dataset("plugin-set", "points", values["x"].clone()),
                                             lambda c: Probe(True, "elsewhere", "20 points")))
    cfg = DataConfig(name="plugin-set")
    before = of(cfg)
    assert before["content"].startswith("tensors:")
    values["x"][3, 1] = -1.0
    assert fp.changes(before, of(cfg)) == ["the same counts but other content (a file was edited or replaced)"]


def test_data_paths_name_each_sources_files(tmp_path):
    path = csv_file(tmp_path / "t.csv", 20)
    assert fp.data_paths(DataConfig(name=f"csv:{path}#height")) == ([path], [])
    assert fp.data_paths(DataConfig(name=f"folder:{tmp_path}")) == ([], [tmp_path])
    assert fp.data_paths(DataConfig(name="ring8")) == ([], [])
    for name in ("train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte", "README"):
        (tmp_path / name).write_bytes(b"x")
    files, _ = fp.data_paths(DataConfig(name="fashion-mnist", dir=str(tmp_path)))
    assert [p.name for p in files] == ["t10k-labels-idx1-ubyte", "train-images-idx3-ubyte.gz"]
    files, _ = fp.data_paths(DataConfig(name="stacked-fashion-mnist", dir=str(tmp_path)))
    assert [p.name for p in files] == ["t10k-labels-idx1-ubyte", "train-images-idx3-ubyte.gz"]


@pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"), reason="Fashion-MNIST is not installed")
def test_fashion_mnist_is_fingerprinted_from_its_files_quickly():
    import time

    cfg = DataConfig(name="fashion-mnist")
    ds = data.load(cfg)
    t = time.perf_counter()
    got = fp.fingerprint(cfg, ds)
    assert time.perf_counter() - t < 2.0  # 30 MB of gzip, read whole
    assert got["n_files"] == 4 and got["n_train"] == len(ds.train) and got["content"].startswith("files:")
