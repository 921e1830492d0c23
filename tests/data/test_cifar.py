"""cifar10: batches written in the real format, and pickles that must never run."""

from __future__ import annotations

import os
import pickle
import struct

import numpy as np
import pytest

from gankit.config import DataConfig
from gankit.data import cifar, load, probe
from gankit.errors import GankitError

PER_BATCH = 6  # tiny batches: 30 training images, 6 test images


class Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2's str (BINSTRING), as the original CIFAR-10 files were written."""

    dispatch = dict(pickle._Pickler.dispatch)

    def save_bytes(self, obj):
        n = len(obj)
        self.write(pickle.SHORT_BINSTRING + bytes([n]) + obj if n < 256 else pickle.BINSTRING + struct.pack("<i", n) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_bytes


def batch(rng, n=PER_BATCH, label="training batch"):
    return {b"batch_label": label.encode(), b"labels": [int(v) for v in rng.integers(0, 10, n)],
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [f"img_{i}.png".encode() for i in range(n)]}


def write(path, obj, py2=False):
    with open(path, "wb") as f:
        if py2:
            Py2Pickler(f, protocol=2).dump(obj)
        else:
            pickle.dump(obj, f, protocol=2)
    if py2:  # Python 2's numpy named the module numpy.core; GLOBAL operands are plain text lines
        raw = path.read_bytes().replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
        path.write_bytes(raw)


def write_cifar(root, py2=False, seed=0):
    rng = np.random.default_rng(seed)
    batches = {name: batch(rng) for name in cifar.TRAIN_FILES + [cifar.TEST_FILE]}
    for name, obj in batches.items():
        write(root / name, obj, py2)
    return batches


@pytest.mark.parametrize("py2", [False, True], ids=["py3-protocol2", "py2-binstring"])
def test_loads_real_format_with_split_and_pixel_layout(tmp_path, py2):
    batches = write_cifar(tmp_path, py2)
    ds = load(DataConfig(name="cifar10", dir=str(tmp_path)))
    train_x = np.concatenate([batches[f][b"data"] for f in cifar.TRAIN_FILES])
    train_y = np.concatenate([batches[f][b"labels"] for f in cifar.TRAIN_FILES])
    assert ds.kind == "image" and ds.num_classes == 10
    assert (len(ds.train), len(ds.val), len(ds.test)) == (27, 3, 6)  # 9:1 of 30, then test_batch
    assert ds.train.shape[1:] == (3, 32, 32)
    # Slow loop from the CIFAR-10 page's layout: row = 1024 R, 1024 G, 1024 B, each 32 rows of 32.
    for i, (c, y, x) in enumerate([(0, 0, 0), (1, 5, 31), (2, 31, 7), (0, 17, 3)]):
        assert float(ds.train[i, c, y, x]) == pytest.approx(train_x[i, c * 1024 + y * 32 + x] / 255.0)
    assert float(ds.val[2, 2, 31, 31]) == pytest.approx(train_x[29, 3071] / 255.0)
    test_x = batches[cifar.TEST_FILE][b"data"]
    assert np.allclose(ds.test.numpy().reshape(6, -1) * 255.0, test_x)
    assert ds.train_labels.tolist() == train_y[:27].tolist()
    assert ds.val_labels.tolist() == train_y[27:].tolist()
    assert ds.test_labels.tolist() == batches[cifar.TEST_FILE][b"labels"]
    assert 0.0 <= float(ds.train.min()) and float(ds.train.max()) <= 1.0


class RunsShell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class RunsEval:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w').close()",))


@pytest.mark.parametrize("where", ["top", "inside-data"])
@pytest.mark.parametrize("payload", [RunsShell, RunsEval], ids=["os.system", "builtins.eval"])
def test_code_in_a_pickle_is_refused_and_never_runs(tmp_path, payload, where):
    write_cifar(tmp_path)
    marker = tmp_path / "pwned"
    evil = payload(marker)
    obj = evil if where == "top" else {b"labels": [1], b"data": evil}
    write(tmp_path / "data_batch_3", obj)
    # The payload is live: plain pickle runs it, so the refusal below is what keeps it from running.
    pickle.loads((tmp_path / "data_batch_3").read_bytes())
    assert marker.exists()
    marker.unlink()
    with pytest.raises(GankitError, match=r"data_batch_3 asks to load ((posix|os|nt)\.system|(__builtin__|builtins)\.eval)"):
        load(DataConfig(name="cifar10", dir=str(tmp_path)))
    assert not marker.exists()


def test_codecs_encode_admits_only_latin1_bytes(tmp_path):
    # _codecs.encode is admitted for Python 3's protocol-2 bytes; any other use of it is refused.
    raw = b"\x80\x02c_codecs\nencode\nq\x00X\x03\x00\x00\x00abcq\x01X\x06\x00\x00\x00base64q\x02\x86q\x03Rq\x04."
    (tmp_path / "f").write_bytes(raw)
    with pytest.raises(GankitError, match="refusing _codecs.encode"):
        cifar.safe_load(tmp_path / "f")


@pytest.mark.parametrize("case, match", [
    ("object-array", "uint8"),
    ("wrong-width", "N×3072 uint8"),
    ("label-count", "labels for"),
    ("bad-label", "0..9"),
    ("not-a-dict", "not a CIFAR-10 batch dict"),
    ("no-data", "no 'data' and 'labels'"),
    ("truncated", "not a readable CIFAR-10 batch"),
])
def test_malformed_batches_are_errors(tmp_path, case, match):
    write_cifar(tmp_path)
    rng = np.random.default_rng(1)
    good = batch(rng)
    path = tmp_path / "data_batch_2"
    if case == "object-array":
        write(path, {**good, b"data": good[b"data"].astype(object)})
    elif case == "wrong-width":
        write(path, {**good, b"data": good[b"data"][:, :100]})
    elif case == "label-count":
        write(path, {**good, b"labels": good[b"labels"][:-1]})
    elif case == "bad-label":
        write(path, {**good, b"labels": [10] * PER_BATCH})
    elif case == "not-a-dict":
        write(path, [1, 2, 3])
    elif case == "no-data":
        write(path, {b"batch_label": b"x"})
    elif case == "truncated":
        write(path, good)
        path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(GankitError, match=match):
        load(DataConfig(name="cifar10", dir=str(tmp_path)))


def test_missing_files_and_probe(tmp_path):
    with pytest.raises(GankitError, match="needs data.dir"):
        load(DataConfig(name="cifar10"))
    assert not probe(DataConfig(name="cifar10")).available
    write_cifar(tmp_path)
    (tmp_path / "test_batch").unlink()
    with pytest.raises(GankitError, match="no test_batch in"):
        load(DataConfig(name="cifar10", dir=str(tmp_path)))
    p = probe(DataConfig(name="cifar10", dir=str(tmp_path)))
    assert not p.available and "test_batch" in p.detail
    write_cifar(tmp_path)
    p = probe(DataConfig(name="cifar10", dir=str(tmp_path)))
    assert p.available and p.where == str(tmp_path)
