"""The memorisation check in `gankit figures` and `gankit report`: computed for the latest
checkpoint when missing or stale, its figure, its verdict; on a digits run and on a folder run."""

import json
import os
import shutil
import sys

import numpy as np
import pytest
from helpers import CONFIGS
from PIL import Image

from gankit import config
from gankit.cli import main
from gankit.report import memorisation, page
from gankit.train import train

TINY = ["train.steps=30", "train.batch_size=32", "train.log_every=10", "train.sample_every=0",
        "train.checkpoint_every=30", "threads=1"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("memorisation") / "digits"
    train(config.load(CONFIGS / "digits.toml", TINY), out, quiet=True)
    return out


def test_the_report_makes_the_check_of_the_latest_checkpoint_once(run, tmp_path, capsys):
    r = tmp_path / "r"
    shutil.copytree(run, r)
    assert main(["report", str(r)]) == 0
    entry = json.loads((r / "metrics.json").read_text())["memorisation"]
    assert entry["provenance"]["step"] == 30 and entry["provenance"]["n_samples"] == memorisation.N_SAMPLES
    figure = r / "figures" / memorisation.FIGURE
    assert Image.open(figure).info["Title"] == "Memorisation check, step 30"
    html = (r / "report.html").read_text()
    assert "Memorisation: does G copy its training images?" in html and "near_copies_percent" in html
    assert "gankit-cnn-digits" in html
    before = figure.stat().st_mtime_ns
    assert main(["report", str(r)]) == 0  # fresh: nothing is computed again
    assert figure.stat().st_mtime_ns == before
    assert len((r / "metrics.jsonl").read_text().splitlines()) == 1
    train(None, resume=r, overrides=["train.steps=40"], quiet=True)
    assert main(["report", str(r)]) == 0  # a newer checkpoint: checked again
    assert json.loads((r / "metrics.json").read_text())["memorisation"]["provenance"]["step"] == 40
    assert "Memorisation check, step 40" == Image.open(figure).info["Title"]


def test_the_report_neither_replaces_a_memorisation_png_of_anyone_elses_nor_works_for_a_page_it_cannot_write(
        run, tmp_path, capsys, monkeypatch):
    """The report writes RUN/figures/memorisation.png: one that gankit did not make is replaced only
    with --force, and a run folder it cannot write in is refused before the check's minutes of work."""
    from helpers import read_only

    r = tmp_path / "r"
    shutil.copytree(run, r)
    (r / "figures").mkdir(exist_ok=True)
    mine = r / "figures" / memorisation.FIGURE
    Image.new("RGB", (8, 8), "red").save(mine)
    before = mine.read_bytes()
    assert main(["report", str(r)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"gankit: error: {mine} already exists and was not written by gankit; give --force to replace it, "
                   "or choose another path"]
    assert mine.read_bytes() == before and not (r / "metrics.json").exists() and not (r / "report.html").exists()
    checked = []
    monkeypatch.setattr(memorisation, "check_run", lambda *a: checked.append(a))
    read_only(monkeypatch, r)
    assert main(["report", str(r), "--force"]) == 2
    assert capsys.readouterr().err.startswith(f"gankit: error: cannot write in {r}: Permission denied")
    assert not checked
    monkeypatch.undo()
    assert main(["report", str(r), "--force"]) == 0
    assert Image.open(mine).info["Title"] == "Memorisation check, step 30"


def test_gankit_figures_draws_it_for_image_runs(run, tmp_path):
    r = tmp_path / "r"
    shutil.copytree(run, r)
    assert main(["figures", str(r)]) == 0
    assert (r / "figures" / memorisation.FIGURE).is_file()


def test_the_verdict_follows_the_share_of_near_copies(run, tmp_path):
    r = tmp_path / "r"
    shutil.copytree(run, r)
    state = page._latest(r)
    for share, words in ((4.8, "No sign of copying: 4.8%"), (62.0, "G may be copying: 62.0%")):
        values = {"near_copies_percent": share, "memorisation_ratio": 0.5, "nn_distance_median": 0.2,
                  "real_nn_distance_median": 0.4, "copy_threshold": 0.1, "feature_net": "x"}
        (r / "metrics.json").write_text(json.dumps({"memorisation": {
            "values": values, "provenance": {"source": "checkpoint", "step": 30, "n_samples": 1000, "seed": 0},
            "warnings": []}}))
        assert words in page._memorisation(r, state, None)
    assert "could not be made: no test split" in page._memorisation(r, state, "no test split")


def test_a_folder_run_reports_it_in_the_folders_own_learnt_features(tmp_path, monkeypatch):
    features = sys.modules["gankit.metrics.features"]
    monkeypatch.setattr(features, "CONTRASTIVE_STEPS", (3, 3))  # the path, not the net's quality
    rng = np.random.default_rng(0)
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    for i in range(90):
        Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(imgs / f"{i}.png")
    out = tmp_path / "run"
    cfg = config.load(None, [f"data.name=folder:{imgs}", "data.size=16", "model.g=conv", "model.d=conv",
                             "model.conv_width=8", "model.prior=gaussian", *TINY])
    train(cfg, out, quiet=True)
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "Memorisation: does G copy" in html and "gankit-contrastive-folder:" in html
    assert os.path.getsize(out / "figures" / memorisation.FIGURE) > 0
