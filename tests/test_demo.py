import json

import pytest
from helpers import CONFIGS

from gankit import data, demo
from gankit.data import Probe


@pytest.mark.slow
def test_demo_falls_back_to_digits_and_leaves_pictures_and_metrics(tmp_path, monkeypatch, capsys):
    real_probe = data.probe
    monkeypatch.setattr(demo.data, "probe",
                        lambda cfg: Probe(False, "", "not installed") if cfg.name == "fashion-mnist" else real_probe(cfg))
    assert demo.run_demo(tmp_path / "demo", time_limit=3, configs=CONFIGS) == 0
    captured = capsys.readouterr()
    assert "using scikit-learn's 8x8 digits" in captured.err
    for f in ("figures/curves.png", "figures/samples.png", "metrics.json", "checkpoints/latest.pt"):
        assert (tmp_path / "demo" / f).stat().st_size > 0
    saved = json.loads((tmp_path / "demo" / "metrics.json").read_text())
    assert saved and all(m["provenance"]["n_samples"] > 0 for m in saved.values())
    assert "demo: report" in captured.out and (tmp_path / "demo" / "report.html").stat().st_size > 0
    # Running the demo again replaces its own previous run instead of refusing.
    assert demo.run_demo(tmp_path / "demo", time_limit=1, configs=CONFIGS) == 0


def test_demo_refuses_a_folder_it_did_not_make(tmp_path, capsys):
    """Issue 16, defect 5: `python -m gankit.demo --out runs/ring8copy` replaced an existing run."""
    from gankit import config
    from gankit.train import train

    run = tmp_path / "ring8"
    train(config.load(CONFIGS / "ring8-gan.toml", ["train.steps=2", "train.log_every=1", "train.sample_every=0",
                                               "model.g_hidden=[8]", "model.d_hidden=[8]"]), run, quiet=True)
    before = {p: p.read_bytes() for p in run.rglob("*") if p.is_file()}
    assert demo.main(["--out", str(run), "--time-limit", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error: ") and "not made by the demo" in err[0]
    assert {p: p.read_bytes() for p in run.rglob("*") if p.is_file()} == before
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    assert demo.main(["--out", str(tmp_path / "mine"), "--time-limit", "1"]) == 2
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
