"""In-training FD (`train.eval_every`): logged rows, best.pt kept at the lowest FD, resumable; and
`gankit evaluate` / `gankit features fit` on a run."""

import json

import pytest
import torch

from gankit import checkpoint, config
from gankit.cli import main
from gankit.train import train

TINY = ["data.name=digits", "train.steps=30", "train.batch_size=32", "train.log_every=10", "train.sample_every=0",
        "train.checkpoint_every=10", "train.eval_every=10", "train.eval_n=200",
        "model.g_hidden=[32]", "model.d_hidden=[32]", "threads=1"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("tracked") / "run"
    train(config.load(None, TINY), out, quiet=True)
    return out


def fd_rows(run):
    rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    return [r for r in rows if "fd" in r]


def test_fd_is_logged_every_eval_every_steps_and_best_is_the_lowest(run):
    rows = fd_rows(run)
    assert [r["step"] for r in rows] == [10, 20, 30]
    assert all(r["fd"] >= 0 and "digits" in r["feature_net"] for r in rows)
    # FD joins that step's training row: every row keeps the contract's keys.
    assert all({"loss_d", "loss_g", "d_real", "d_fake", "images_per_s"} <= r.keys() for r in rows)
    best = checkpoint.load(run / "checkpoints" / "best.pt")
    lowest = min(rows, key=lambda r: r["fd"])
    assert best["step"] == lowest["step"]
    assert best["extra"]["best_fd"] == pytest.approx(lowest["fd"])
    assert list((run / "tensorboard").glob("events.*"))


def test_resume_keeps_comparing_with_the_best_so_far(run, tmp_path):
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    best_before = checkpoint.load(copy / "checkpoints" / "best.pt")["extra"]["best_fd"]
    train(None, resume=copy, overrides=["train.steps=40"], quiet=True)
    rows = fd_rows(copy)
    assert rows[-1]["step"] == 40
    best = checkpoint.load(copy / "checkpoints" / "best.pt")["extra"]
    assert best["best_fd"] == pytest.approx(min(best_before, rows[-1]["fd"]))


def test_evaluate_command_prints_every_feature_metric(run, capsys):
    assert main(["evaluate", str(run), "--metrics", "fd,kid,prdc,classes", "--n", "300"]) == 0
    out = json.loads(capsys.readouterr().out)
    for key in ("fd", "kid", "kid_std", "precision", "recall", "density", "coverage",
                "classes_covered", "class_kl", "n_samples", "feature_net"):
        assert key in out, key
    assert out["n_samples"] == 300 and "not Inception" in out["feature_net"]
    assert json.loads((run / "metrics.json").read_text())["fd"]["values"]["fd"] == out["fd"]
    assert main(["sample", str(run), "--n", "5", "--out", str(run / "b.npy"), "--checkpoint", "best"]) == 0


def test_features_fit_command(capsys):
    assert main(["features", "fit", "--data", "digits"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["test_accuracy"] >= 0.9 and info["data"] == "digits"
    assert main(["features", "fit", "--data", "ring8"]) == 2
    assert "image data" in capsys.readouterr().err
