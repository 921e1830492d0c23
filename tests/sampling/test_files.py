"""`gankit sample --out FILE.npy|.png|.csv`: streamed to disk, checked for room, one format per extension."""

import csv
import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from helpers import CONFIGS, ROOT
from PIL import Image

from gankit import config
from gankit.cli import main
from gankit.sampling import files as sample_files
from gankit.sampling import outputs
from gankit.sampling import load_generator
from gankit.train import train

TINY = ["train.steps=10", "train.batch_size=32", "train.log_every=10", "train.sample_every=0",
        "train.checkpoint_every=10", "model.g_hidden=[16]", "model.d_hidden=[16]", "threads=1"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("files")
    csv_path = base / "people.csv"
    rng = np.random.default_rng(0)
    rows = np.column_stack([rng.normal(170, 8, 400), rng.normal(70, 12, 400), rng.normal(30, 5, 400)])
    np.savetxt(csv_path, rows, delimiter=",", header="height cm,weight,age", comments="", fmt="%.3f")
    out = {}
    for name, cfg in {"digits": ("digits.toml", []), "table": ("heights.toml", [f"data.name=csv:{csv_path}"])}.items():
        out[name] = base / name
        train(config.load(CONFIGS / cfg[0], TINY + cfg[1]), out[name], quiet=True)
    return out


def test_npy_streams_the_same_samples_as_draw(runs, tmp_path, capsys):
    assert main(["sample", str(runs["digits"]), "--n", "2345", "--out", str(tmp_path / "x.npy"), "--seed", "4"]) == 0
    got = np.load(tmp_path / "x.npy")
    assert got.shape == (2345, 1, 8, 8) and got.dtype == np.float32
    assert np.array_equal(got, load_generator(runs["digits"]).draw(2345, seed=4))
    assert not list(tmp_path.glob(".*tmp"))


def test_csv_has_the_data_column_names_and_its_units(runs, tmp_path):
    assert main(["sample", str(runs["table"]), "--n", "1500", "--out", str(tmp_path / "s.csv"), "--seed", "2"]) == 0
    with open(tmp_path / "s.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["height cm", "weight", "age"] and len(table) == 1501
    values = np.array(table[1:], dtype=np.float32)
    np.testing.assert_array_equal(values, load_generator(runs["table"]).draw(1500, seed=2))  # %.9g keeps float32 exact
    assert 100 < np.median(values[:, 0]) < 250  # centimetres: the data's own units


def test_png_is_a_grid_of_images_and_only_for_images(runs, tmp_path, capsys):
    assert main(["sample", str(runs["digits"]), "--n", "16", "--out", str(tmp_path / "g.png")]) == 0
    with Image.open(tmp_path / "g.png") as im:
        assert im.size == ((4 * 10 + 2) * 3, (4 * 10 + 2) * 3)  # 4×4 tiles of 8 px, 2 px apart, 3× upscaled
    capsys.readouterr()
    assert main(["sample", str(runs["table"]), "--n", "16", "--out", str(tmp_path / "g.png")]) == 2
    assert "image runs" in capsys.readouterr().err and not (tmp_path / "g.png").with_name("x").exists()
    assert main(["sample", str(runs["digits"]), "--n", "16", "--out", str(tmp_path / "g.csv")]) == 2
    assert main(["sample", str(runs["digits"]), "--n", "16", "--out", str(tmp_path / "g.txt")]) == 2
    assert ".npy" in capsys.readouterr().err


def test_an_output_that_cannot_fit_is_refused_before_any_work(runs, tmp_path, monkeypatch, capsys):
    """Issue 16: `--n 100000000` ran for minutes; now the disk is checked first."""
    old = tmp_path / "x.npy"
    old.write_bytes(b"earlier file")
    monkeypatch.setattr(outputs.shutil, "disk_usage", lambda p: type("Usage", (), {"free": 10_000_000})())
    drawn = []
    monkeypatch.setattr(sample_files.Generator, "batches", lambda *a, **k: drawn.append(1) or iter(()))
    code = main(["sample", str(runs["digits"]), "--n", "100000000", "--out", str(old), "--force"])
    err = capsys.readouterr().err
    assert code == 2 and "needs 25.6 GB" in err and "10.0 MB free" in err, err
    assert not drawn and old.read_bytes() == b"earlier file" and not list(tmp_path.glob(".*tmp"))


def test_memory_stays_bounded_by_the_batch_not_by_n(runs, tmp_path):
    """Issue 16: `--n 10000000` peaked at 5.4 GB for an 80 MB file. Peak memory of a 77 MB
    sample run must exceed that of a tiny one by far less than the file's size."""
    def peak_kb(n):
        code = ("import resource, sys; from gankit.cli import main; "
                f"rc = main(['sample', {str(runs['digits'])!r}, '--n', '{n}', '--out', {str(tmp_path / f'{n}.npy')!r}]); "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(rc)")
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT / "src")}
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600)
        assert p.returncode == 0, p.stderr
        return int(p.stdout.split()[-1])

    small, big = peak_kb(1000), peak_kb(300_000)
    size_kb = (tmp_path / "300000.npy").stat().st_size / 1024
    assert size_kb > 70_000
    assert big - small < 0.4 * size_kb, (small, big, size_kb)


def test_progress_bar_on_a_terminal(runs, tmp_path, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    assert main(["sample", str(runs["table"]), "--n", "3000", "--out", str(tmp_path / "p.npy")]) == 0
    assert "3000/3000" in err.getvalue() and "sample" in err.getvalue()


def test_load_npy_refuses_pickles(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(Exception, match="not a readable .npy"):
        sample_files.load_npy(tmp_path / "o.npy")
    assert json.dumps(sample_files.sha256(tmp_path / "o.npy"))
