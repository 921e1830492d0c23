"""Every bad input of issue 4: exit 2, one `gankit: error:` line, and nothing ran or was lost."""

from __future__ import annotations

import gzip
import hashlib
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from gankit.cli import main

TINY = """
seed = 0
device = "cpu"
[data]
name = "ring8"
n = 64
[model]
z_dim = 2
g_hidden = [8]
d_hidden = [8]
[train]
batch_size = 16
steps = 2
log_every = 1
sample_every = 0
checkpoint_every = 1
"""


def cli(capsys, *args) -> tuple[int, str]:
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def assert_one_error(code: int, err: str, *phrases: str) -> None:
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("gankit: error: "), err
    for phrase in phrases:
        assert phrase in lines[0], lines[0]


def files_under(path: Path) -> dict[str, str]:
    """Every file's sha256, to show a failed command changed nothing."""
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()} if path.exists() else {}


@pytest.fixture
def tiny(tmp_path) -> Path:
    p = tmp_path / "tiny.toml"
    p.write_text(TINY)
    return p


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A finished two-step run, plus a samples file beside it."""
    root = tmp_path_factory.mktemp("trained")
    (root / "tiny.toml").write_text(TINY)
    assert main(["train", "--config", str(root / "tiny.toml"), "--out", str(root / "run")]) == 0
    assert main(["sample", str(root / "run"), "--n", "5", "--out", str(root / "old.npy")]) == 0
    return root / "run"


# --- train: bad configs and data; the run directory must stay without files -------------------

def _train_fails(capsys, tmp_path, config, *sets, phrases=()):
    run = tmp_path / "run"
    args = ["train", "--config", config, "--out", run]
    for s in sets:
        args += ["--set", s]
    code, err = cli(capsys, *args)
    assert_one_error(code, err, *phrases)
    assert files_under(run) == {}, "a failed train wrote files"


def test_missing_config(capsys, tmp_path):
    _train_fails(capsys, tmp_path, tmp_path / "nope.toml", phrases=["nope.toml not found"])


def test_malformed_toml(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nsteps = = 3\n")
    _train_fails(capsys, tmp_path, bad, phrases=["is not valid TOML"])


def test_unknown_key_in_file(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY + "stepz = 3\n")
    _train_fails(capsys, tmp_path, bad, phrases=["unknown config key train.stepz"])


@pytest.mark.parametrize("setting, phrase", [
    ("train.stepz=3", "unknown config key train.stepz"),
    ("train.batch_size=-4", "train.batch_size must be >= 1"),
    ("train.k=0", "train.k must be >= 1"),
    ("train.loss=wasserstein-ish", "unknown loss 'wasserstein-ish'"),
    ("model.g=resnet9000", "unknown net 'resnet9000'"),
    ("model.d=resnet9000", "unknown net 'resnet9000'"),
    ("train.steps=many", "train.steps must be an integer"),
    ("data.name=imagenet", "unknown data set 'imagenet'"),
])
def test_bad_setting(capsys, tmp_path, tiny, setting, phrase):
    _train_fails(capsys, tmp_path, tiny, setting, phrases=[phrase])


@pytest.mark.parametrize("case", ["empty", "all-corrupt"])
def test_image_folder_without_images(capsys, tmp_path, tiny, monkeypatch, case):
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "imgs"
    folder.mkdir()
    if case == "all-corrupt":
        (folder / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
        (folder / "b.jpg").write_bytes(b"\xff\xd8\xff garbage")
    _train_fails(capsys, tmp_path, tiny, f"data.name=folder:{folder}", phrases=["holds no image Pillow can read"])


def _fashion_bytes(name: str, n: int) -> bytes:
    raw = gzip.decompress((Path("/usr/share/datasets/fashion-mnist") / f"{name}.gz").read_bytes())
    header = 16 if "images" in name else 8
    per = 784 if "images" in name else 1
    return raw[:4] + n.to_bytes(4, "big") + raw[8:header] + raw[header:header + n * per]


needs_fashion = pytest.mark.skipif(not Path("/usr/share/datasets/fashion-mnist").is_dir(),
                                   reason="Fashion-MNIST is not installed")


@needs_fashion
@pytest.mark.parametrize("case, phrase", [("truncated", "is truncated"), ("magic", "wrong IDX magic number")])
def test_bad_idx_file(capsys, tmp_path, tiny, case, phrase):
    d = tmp_path / "mnist"
    d.mkdir()
    for name, n in [("train-images-idx3-ubyte", 60), ("train-labels-idx1-ubyte", 60),
                    ("t10k-images-idx3-ubyte", 10), ("t10k-labels-idx1-ubyte", 10)]:
        (d / name).write_bytes(_fashion_bytes(name, n))
    target = d / "train-images-idx3-ubyte"
    raw = target.read_bytes()
    target.write_bytes(raw[:-100] if case == "truncated" else b"GIF8" + raw[4:])
    _train_fails(capsys, tmp_path, tiny, "data.name=mnist", f"data.dir={d}", phrases=[phrase])


@pytest.mark.parametrize("cell, phrase", [("tall", "'tall' is not a number"), ("inf", "'inf' is not a finite number")])
def test_csv_with_bad_cell(capsys, tmp_path, tiny, cell, phrase):
    p = tmp_path / "h.csv"
    p.write_text("height,weight\n170,60\n180,80\n" + f"165,{cell}\n" + "175,70\n")
    _train_fails(capsys, tmp_path, tiny, f"data.name=csv:{p}", phrases=[f"line 4 column 'weight': {phrase}"])


class _Shell:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_cifar_pickle_that_would_run_code(capsys, tmp_path, tiny):
    d = tmp_path / "cifar"
    d.mkdir()
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {b"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), b"labels": [1, 2, 3, 4]}
        (d / name).write_bytes(pickle.dumps(batch, protocol=2))
    marker = tmp_path / "pwned"
    (d / "data_batch_4").write_bytes(pickle.dumps({b"data": _Shell(marker), b"labels": []}, protocol=2))
    _train_fails(capsys, tmp_path, tiny, "data.name=cifar10", f"data.dir={d}",
                 phrases=["data_batch_4 asks to load", "refusing it"])
    assert not marker.exists(), "the pickle's code ran"


def test_train_out_not_writable(capsys, tmp_path, tiny):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, err = cli(capsys, "train", "--config", tiny, "--out", blocker / "run")
    assert_one_error(code, err, "cannot write the run directory")
    assert blocker.read_text() == "x"


def test_train_over_an_existing_run_loses_nothing(capsys, trained, tiny):
    before = files_under(trained)
    code, err = cli(capsys, "train", "--config", tiny, "--out", trained)
    assert_one_error(code, err, "already holds a run")
    assert files_under(trained) == before


def test_resume_of_a_missing_run(capsys, tmp_path):
    code, err = cli(capsys, "train", "--resume", tmp_path / "never-trained")
    assert_one_error(code, err, "no such run directory")
    assert not (tmp_path / "never-trained").exists()


# --- sample / evaluate on a trained run: earlier outputs stay byte for byte ----------------------

@pytest.mark.parametrize("n", ["0", "-3"])
def test_sample_n_not_positive(capsys, trained, n):
    old = trained.parent / "old.npy"
    before = old.read_bytes()
    code, err = cli(capsys, "sample", trained, "--n", n, "--out", old)
    assert_one_error(code, err, "--n must be a positive number")
    assert old.read_bytes() == before


def test_sample_out_not_writable(capsys, trained, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    code, err = cli(capsys, "sample", trained, "--n", "3", "--out", blocker / "s.npy")
    assert_one_error(code, err, "cannot write")
    assert blocker.read_text() == "x"


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_checkpoint_that_is_not_one(capsys, trained, tmp_path):
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"G": _Evil(marker)}, evil)
    old = trained.parent / "old.npy"
    before, run_before = old.read_bytes(), files_under(trained)
    code, err = cli(capsys, "sample", trained, "--n", "3", "--out", old, "--checkpoint", evil)
    assert_one_error(code, err, "evil.pt is not a gankit checkpoint", "weights_only")
    assert not marker.exists(), "the checkpoint's code ran"
    assert old.read_bytes() == before and files_under(trained) == run_before
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a zip, not a pickle")
    code, err = cli(capsys, "evaluate", trained, "--metrics", "modes", "--checkpoint", garbage)
    assert_one_error(code, err, "garbage.pt is not a")
    assert files_under(trained) == run_before


def test_evaluate_unknown_metric_keeps_metrics_json(capsys, trained):
    assert main(["evaluate", str(trained), "--metrics", "modes", "--n", "50"]) == 0
    before = files_under(trained)
    code, err = cli(capsys, "evaluate", trained, "--metrics", "modes,fidelity-ish")
    assert_one_error(code, err, "unknown metric(s) fidelity-ish")
    assert files_under(trained) == before


def test_real_process_prints_one_line_and_no_traceback(tmp_path):
    """The console path end to end, as a user's shell sees it."""
    proc = subprocess.run([sys.executable, "-m", "gankit", "train", "--config", str(tmp_path / "none.toml"),
                           "--out", str(tmp_path / "run")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("gankit: error: ")
    assert "Traceback" not in proc.stderr and proc.stdout == ""


# --- issue 25's bad inputs: one line, exit 2, nothing written or changed -------------------------------

@pytest.mark.parametrize("setting, phrase", [
    ("model.batch_norm=true", "too small for the batch norm in G"),  # with train.batch_size=1 below
    ("train.steps=1000000000000000000000000000000", "train.steps must be from 0 to"),
    ("seed=99999999999999999999999", "config key seed must be an integer from 0 to"),
])
def test_issue_25_bad_training_settings(capsys, tmp_path, tiny, setting, phrase):
    _train_fails(capsys, tmp_path, tiny, setting, "train.batch_size=1", phrases=[phrase])


def test_a_batch_larger_than_the_data(capsys, tmp_path, tiny):
    _train_fails(capsys, tmp_path, tiny, "train.batch_size=8500", phrases=["larger than ring8's training set (64 examples)"])


@pytest.mark.parametrize("args, phrase", [
    (["--seed", "99999999999999999999999"], "--seed must be an integer from 0 to 2^64 - 1"),
    (["--seed", "-1"], "--seed must be an integer from 0 to 2^64 - 1"),
    ([], "already exists; give --force to replace it"),
])
def test_issue_25_bad_sample_input(capsys, trained, args, phrase):
    old = trained.parent / "old.npy"
    before, run_before = old.read_bytes(), files_under(trained)
    code, err = cli(capsys, "sample", trained, "--n", "3", "--out", old, *args)
    assert_one_error(code, err, phrase)
    assert old.read_bytes() == before and files_under(trained) == run_before


@pytest.mark.parametrize("args, phrase", [
    (["--set", "data.name=grid25"], "--set data.name would change what is measured"),
    (["--set", "model.z_dim=7"], "--set model.z_dim would change what is measured"),
    (["--seed", "99999999999999999999999"], "--seed must be an integer from 0 to 2^64 - 1"),
])
def test_issue_25_bad_evaluate_input(capsys, trained, args, phrase):
    before = files_under(trained)
    code, err = cli(capsys, "evaluate", trained, "--metrics", "modes", "--n", "20", *args)
    assert_one_error(code, err, phrase)
    assert files_under(trained) == before
