"""`gankit evaluate RUN`: one flat JSON object, and every stored result says what it measured."""

import hashlib
import json

import numpy as np
import pytest
from helpers import CONFIGS

from gankit import config
from gankit.cli import main
from gankit.metrics import TINY_REFERENCE, evaluate
from gankit.metrics.runs import evaluate_run, read_metrics
from gankit.sampling import sample
from gankit.train import train

TINY = ["train.steps=30", "train.batch_size=32", "train.log_every=10", "train.sample_every=0",
        "train.checkpoint_every=10", "model.g_hidden=[16]", "model.d_hidden=[16]", "threads=1"]


@pytest.fixture
def run(tmp_path):
    out = tmp_path / "ring8"
    train(config.load(CONFIGS / "ring8-gan.toml", TINY), out, quiet=True)
    return out


def test_each_metric_keeps_its_own_checkpoint_step(run, tmp_path, capsys):
    """Issue 16, defect 1: modes at step 30, train on to 60, parzen: metrics.json said step 60
    beside the step-30 hq_percent."""
    assert main(["evaluate", str(run), "--metrics", "modes", "--n", "500"]) == 0
    first = json.loads(capsys.readouterr().out)
    train(None, resume=run, overrides=["train.steps=60"], quiet=True)
    assert main(["evaluate", str(run), "--metrics", "parzen", "--n", "500", "--seed", "3"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert first["step"] == 30 and second["step"] == 60 and first["checkpoint"] == "latest"
    kept = json.loads((run / "metrics.json").read_text())
    assert kept["modes"]["values"]["hq_percent"] == first["hq_percent"]
    assert kept["modes"]["provenance"]["step"] == 30 and kept["parzen"]["provenance"]["step"] == 60
    assert kept["parzen"]["provenance"]["seed"] == 3 and kept["modes"]["provenance"]["n_samples"] == 500
    assert kept["parzen"]["provenance"]["n_reference"] == 10_000 and kept["modes"]["provenance"]["n_reference"] is None
    history = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [h["metrics"] for h in history] == [["modes"], ["parzen"]]
    assert history[0]["hq_percent"] == first["hq_percent"] and history[1]["step"] == 60


def test_a_samples_file_is_named_and_hashed_not_stamped_with_a_step(run, tmp_path):
    x = sample(run, 400, seed=1)
    np.save(tmp_path / "s.npy", x)
    out = evaluate_run(run, "modes", samples=tmp_path / "s.npy")
    digest = hashlib.sha256((tmp_path / "s.npy").read_bytes()).hexdigest()
    assert out["source"] == "samples" and out["samples_sha256"] == digest and "step" not in out
    p = read_metrics(run)["modes"]["provenance"]
    assert p["samples"] == str((tmp_path / "s.npy").resolve()) and p["samples_sha256"] == digest
    assert "step" not in p and p["n_samples"] == 400
    # The same samples drawn by the run itself give the same numbers, now with the checkpoint's step.
    again = evaluate_run(run, ["modes"], n=400, seed=1)
    assert again["hq_percent"] == out["hq_percent"] and again["step"] == 30


def test_printed_json_is_flat_with_provenance_keys(run, capsys):
    assert main(["evaluate", str(run), "--metrics", "modes,ks", "--n", "300", "--checkpoint", "latest"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"modes", "hq_percent", "ks_max", "n_samples", "n_reference", "step", "checkpoint", "ema", "seed",
            "source", "evaluated_at"} <= out.keys()
    assert all(not isinstance(v, (dict, list)) for v in out.values())


def test_a_legacy_metrics_json_moves_to_the_history(run):
    (run / "metrics.json").write_text(json.dumps({"modes": 3, "hq_percent": 50.0, "step": 6000}))
    evaluate_run(run, "modes", n=100)
    assert set(read_metrics(run)) == {"modes"}
    legacy = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
    assert legacy["legacy_metrics_json"]["step"] == 6000


def test_a_tiny_reference_set_is_warned_about_and_counted(tmp_path, capsys):
    """A 300-row CSV leaves 30 test rows: the result says how many and warns."""
    rng = np.random.default_rng(0)
    path = tmp_path / "t.csv"
    np.savetxt(path, rng.normal(size=(300, 2)), delimiter=",", header="a,b", comments="")
    out = evaluate(rng.normal(size=(2000, 2)).astype(np.float32), data=f"csv:{path}", metrics="ks")
    assert out["n_reference"] == 30 < TINY_REFERENCE
    assert "only 30 real examples" in out["warnings"]
    assert "warnings" not in evaluate(rng.normal(size=(2000, 2)).astype(np.float32), data="ring8", metrics="ks")
