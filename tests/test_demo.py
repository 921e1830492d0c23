import json

import pytest

from gankit import data, demo
from gankit.data import Probe

from conftest import CONFIGS


@pytest.mark.slow
def test_demo_falls_back_to_digits_and_leaves_pictures_and_metrics(tmp_path, monkeypatch, capsys):
    real_probe = data.probe
    monkeypatch.setattr(demo.data, "probe",
                        lambda cfg: Probe(False, "", "not installed") if cfg.name == "fashion-mnist" else real_probe(cfg))
    assert demo.run_demo(tmp_path / "demo", time_limit=3, configs=CONFIGS) == 0
    err = capsys.readouterr().err
    assert "using scikit-learn's 8x8 digits" in err
    for f in ("figures/curves.png", "figures/samples.png", "metrics.json", "checkpoints/latest.pt"):
        assert (tmp_path / "demo" / f).stat().st_size > 0
    assert json.loads((tmp_path / "demo" / "metrics.json").read_text())["n_samples"] > 0
    # Running the demo again replaces its own previous run instead of refusing.
    assert demo.run_demo(tmp_path / "demo", time_limit=1, configs=CONFIGS) == 0
