"""The command line as users and scripts see it (DESIGN.md): commands, files, one-line errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import CONFIGS

from gankit.cli import main

FAST = ["--set", "train.steps=40", "--set", "train.checkpoint_every=20", "--set", "train.log_every=10",
        "--set", "model.g_hidden=[32]", "--set", "model.d_hidden=[32]"]


def gankit(*args, check=True, cwd=None):
    """Run the real console entry point in a subprocess, as a user would."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    p = subprocess.run([sys.executable, "-m", "gankit", *map(str, args)], capture_output=True, text=True, env=env,
                       cwd=cwd)
    if check and p.returncode != 0:
        raise AssertionError(f"gankit {args} exited {p.returncode}: {p.stderr}")
    return p


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    gankit("train", "--config", CONFIGS / "ring8-gan.toml", *FAST, "--out", out)
    return out


def test_train_writes_the_run_directory(run):
    for f in ("config.toml", "log.jsonl", "checkpoints/latest.pt"):
        assert (run / f).stat().st_size > 0
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [10, 20, 30, 40]
    assert {"step", "time", "loss_d", "loss_g", "d_real", "d_fake", "lr_d", "lr_g", "images_per_s"} <= rows[-1].keys()
    assert list((run / "samples").glob("*.png"))
    assert list((run / "tensorboard").iterdir())


def test_sample_and_evaluate(run, tmp_path):
    gankit("sample", run, "--n", 300, "--out", tmp_path / "s.npy", "--seed", 3)
    a = np.load(tmp_path / "s.npy")
    assert a.shape == (300, 2) and a.dtype == np.float32
    gankit("sample", run, "--n", 300, "--out", tmp_path / "t.npy", "--seed", 3)
    assert np.array_equal(a, np.load(tmp_path / "t.npy"))  # the seed fixes the samples
    p = gankit("evaluate", run, "--metrics", "modes", "--samples", tmp_path / "s.npy")
    result = json.loads(p.stdout)
    assert result["n_samples"] == 300 and 0 <= result["modes"] <= 8
    assert all(not isinstance(v, (dict, list)) for v in result.values())
    kept = json.loads((run / "metrics.json").read_text())  # a samples file's results apart from the run's own
    assert "modes" not in kept
    assert kept["samples_files"][str((tmp_path / "s.npy").resolve())]["modes"]["values"]["modes"] == result["modes"]


def test_datasets_lists_every_name():
    p = gankit("datasets")
    for name in ("gauss1d", "ring8", "grid25", "digits", "fashion-mnist", "mnist"):
        assert name in p.stdout


def _one_line_error(p):
    lines = [line for line in p.stderr.splitlines() if line.strip()]
    assert p.returncode == 2, p.stderr
    assert len(lines) == 1 and lines[0].startswith("gankit: error: "), p.stderr
    return lines[0]


@pytest.mark.parametrize("args, needle", [
    (["train", "--config", "nope.toml", "--out", "x"], "not found"),
    (["train", "--config", CONFIGS / "ring8-gan.toml", "--set", "data.name=mnist", "--set", "data.dir=.", "--out", "x"], "mnist"),
    (["train", "--config", CONFIGS / "ring8-gan.toml", "--set", "no.such.key=1", "--out", "x"], "no.such.key"),
    (["train", "--config", CONFIGS / "ring8-gan.toml", "--set", "train.batch_size=-4", "--out", "x"], "train.batch_size"),
    (["train", "--config", CONFIGS / "ring8-gan.toml", "--set", "train.k=0", "--out", "x"], "train.k"),
    (["train", "--config", CONFIGS / "ring8-gan.toml", "--set", "data.name=nosuch", "--out", "x"], "unknown data set"),
    (["train", "--resume", "no-such-run"], "no such run"),
    (["train", "--frobnicate"], "unrecognized arguments"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(args, needle, tmp_path):
    p = gankit(*args, check=False, cwd=tmp_path)
    assert needle in _one_line_error(p)
    assert not (tmp_path / "x").exists()  # nothing was started


def test_bad_input_leaves_existing_files_alone(run, tmp_path):
    ck = run / "checkpoints" / "latest.pt"
    before = ck.read_bytes()
    _one_line_error(gankit("sample", run, "--n", 0, "--out", tmp_path / "z.npy", check=False))
    assert not (tmp_path / "z.npy").exists()
    _one_line_error(gankit("train", "--config", CONFIGS / "ring8-gan.toml", "--out", run, check=False))
    _one_line_error(gankit("sample", run, "--n", 5, "--out", "/proc/nope/z.npy", check=False))
    _one_line_error(gankit("evaluate", run, "--metrics", "nosuch", check=False))
    assert ck.read_bytes() == before


def test_sample_and_evaluate_take_a_truncation(run, tmp_path):
    from gankit.sampling import load_generator

    p = gankit("sample", run, "--n", 50, "--seed", 2, "--truncation", 0.5, "--out", tmp_path / "t.npy")
    assert "truncation 0.5" in p.stderr
    want = load_generator(run).draw(50, seed=2, truncation=0.5)
    assert np.array_equal(np.load(tmp_path / "t.npy"), want)
    p = gankit("evaluate", run, "--metrics", "modes", "--n", 500, "--truncation", 0.5)
    out = json.loads(p.stdout)
    assert out["truncation"] == 0.5
    kept = json.loads((run / "metrics.json").read_text())["modes"]
    assert kept["provenance"]["truncation"] == 0.5
    from gankit import config as config_mod
    from gankit.metrics import evaluate

    cfg = config_mod.from_toml_text((run / "config.toml").read_text())
    assert evaluate(load_generator(run).draw(500, seed=0, truncation=0.5), metrics=["modes"], config=cfg)["modes"] == out["modes"]


@pytest.mark.parametrize("psi", ["0", "-1", "1.5", "nan"])
def test_a_truncation_outside_zero_to_one_is_one_line(run, tmp_path, psi):
    line = _one_line_error(gankit("sample", run, "--n", 5, "--truncation", psi, "--out", tmp_path / "z.npy", check=False))
    assert "--truncation must be in (0, 1]" in line and not (tmp_path / "z.npy").exists()


def test_a_truncation_of_a_uniform_prior_is_one_line(tmp_path):
    out = tmp_path / "uniform"
    gankit("train", "--config", CONFIGS / "ring8-gan.toml", *FAST, "--set", "train.steps=2", "--set", "model.prior=uniform",
           "--out", out)
    line = _one_line_error(gankit("sample", out, "--n", 5, "--truncation", 0.7, "--out", tmp_path / "z.npy", check=False))
    assert "needs a Gaussian prior" in line and "'uniform'" in line
    line = _one_line_error(gankit("evaluate", out, "--metrics", "modes", "--n", 50, "--truncation", 0.7, check=False))
    assert "needs a Gaussian prior" in line


def test_a_file_that_is_not_a_checkpoint_is_refused_safely(tmp_path):
    import pickle

    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    bad = tmp_path / "evil.pt"
    bad.write_bytes(pickle.dumps({"G": Evil()}))
    line = _one_line_error(gankit("sample", tmp_path, "--n", 5, "--checkpoint", bad, "--out", tmp_path / "s.npy", check=False))
    assert "not" in line and not marker.exists()
    torch.save({"G": Evil()}, tmp_path / "evil2.pt")
    _one_line_error(gankit("sample", tmp_path, "--n", 5, "--checkpoint", tmp_path / "evil2.pt", "--out", tmp_path / "s.npy", check=False))
    assert not marker.exists()
    (tmp_path / "trunc.pt").write_bytes((tmp_path / "evil2.pt").read_bytes()[:40])
    _one_line_error(gankit("sample", tmp_path, "--n", 5, "--checkpoint", tmp_path / "trunc.pt", "--out", tmp_path / "s.npy", check=False))


def test_debug_shows_a_traceback():
    p = gankit("--debug", "train", "--config", "nope.toml", "--out", "x", check=False)
    assert p.returncode != 0 and "Traceback" in p.stderr


def test_main_in_process_returns_exit_codes(capsys):
    assert main(["train", "--config", "nope.toml", "--out", "x"]) == 2
    assert capsys.readouterr().err.startswith("gankit: error: ")


def test_resume_via_cli_continues(run, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    gankit("train", "--resume", copy, "--set", "train.steps=50")
    assert torch.load(copy / "checkpoints" / "latest.pt", weights_only=True)["step"] == 50


def test_datasets_looks_in_a_given_data_dir(tmp_path):
    p = gankit("datasets", "--set", f"data.dir={tmp_path}")
    mnist = [line for line in p.stdout.splitlines() if " mnist " in f" {line} "]
    assert mnist and str(tmp_path) in mnist[0] and mnist[0].startswith("--")


def test_evaluate_set_overrides_the_runs_config_for_this_evaluation(run, tmp_path):
    line = _one_line_error(gankit("evaluate", run, "--metrics", "modes", "--n", 50, "--set", "metrics.nope=1", check=False))
    assert "metrics.nope" in line
    p = gankit("evaluate", run, "--metrics", "modes", "--n", 50, "--set", "metrics.feature_cache=" + str(tmp_path))
    assert json.loads(p.stdout)["n_samples"] == 50


def test_ctrl_c_saves_and_the_run_resumes_exactly(tmp_path):
    import signal
    import time

    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    args = [sys.executable, "-m", "gankit", "train", "--config", str(CONFIGS / "ring8-gan.toml"), *map(str, FAST),
            "--set", "train.steps=1000000", "--out", str(tmp_path / "cut")]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    log = tmp_path / "cut" / "log.jsonl"
    deadline = time.monotonic() + 120
    while not (log.exists() and log.read_text().count("\n") >= 3) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "gankit train --resume" in err and "Traceback" not in err
    step = torch.load(tmp_path / "cut" / "checkpoints" / "latest.pt", weights_only=True)["step"]
    assert step >= 30
    gankit("train", "--resume", tmp_path / "cut", "--set", f"train.steps={step + 25}")
    gankit("train", "--config", CONFIGS / "ring8-gan.toml", *FAST, "--set", f"train.steps={step + 25}", "--out", tmp_path / "straight")
    a = torch.load(tmp_path / "cut" / "checkpoints" / "latest.pt", weights_only=True)
    b = torch.load(tmp_path / "straight" / "checkpoints" / "latest.pt", weights_only=True)
    assert a["step"] == b["step"] == step + 25
    assert all(torch.equal(a["G"][k], b["G"][k]) for k in b["G"]) and all(torch.equal(a["D"][k], b["D"][k]) for k in b["D"])
