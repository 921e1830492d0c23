"""`gankit evaluate RUN`: one flat JSON object, and every stored result says what it measured."""

import hashlib
import json

import numpy as np
import pytest
from helpers import CONFIGS

from gankit import config, metrics
from gankit.cli import main
from gankit.metrics import TINY_REFERENCE, evaluate
from gankit.metrics.runs import evaluate_run, read_metrics, read_samples_metrics
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
    p = read_samples_metrics(run)[str((tmp_path / "s.npy").resolve())]["modes"]["provenance"]
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


def test_warnings_have_one_form_a_list_on_stdout_and_in_metrics_json(run, capsys):
    """Issue 25: a " | "-joined string on stdout, a list in metrics.json."""
    assert main(["evaluate", str(run), "--metrics", "modes,parzen", "--n", "16"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    kept = json.loads((run / "metrics.json").read_text())
    assert isinstance(out["warnings"], list) and all(isinstance(w, str) for w in out["warnings"])
    assert out["warnings"] == kept["modes"]["warnings"] + kept["parzen"]["warnings"]
    assert [v for k, v in out.items() if isinstance(v, (dict, list)) and k != "warnings"] == []
    for w in out["warnings"]:
        assert f"gankit: warning: {w}" in captured.err


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
    assert "only 30 real examples" in " ".join(out["warnings"])
    assert "warnings" not in evaluate(rng.normal(size=(2000, 2)).astype(np.float32), data="ring8", metrics="ks")


# --- what is measured is the run's (issue 25) -------------------------------------------------------

def test_a_samples_files_results_are_kept_apart_from_the_runs_own(run, tmp_path, capsys):
    """Issue 25: `evaluate RUN --samples noise.npy` replaced the run's own FD in metrics.json."""
    own = evaluate_run(run, "modes", n=500)
    noise = tmp_path / "noise.npy"
    np.save(noise, np.random.default_rng(0).normal(0, 5, (500, 2)).astype(np.float32))
    theirs = evaluate_run(run, "modes", samples=noise)
    assert theirs["hq_percent"] != own["hq_percent"]
    kept = json.loads((run / "metrics.json").read_text())
    assert kept["modes"]["values"]["hq_percent"] == own["hq_percent"]
    assert kept["modes"]["provenance"]["source"] == "checkpoint"
    assert read_metrics(run)["modes"]["provenance"]["step"] == 30
    files = read_samples_metrics(run)
    assert list(files) == [str(noise.resolve())] and files[str(noise.resolve())]["modes"]["values"]["hq_percent"] == theirs["hq_percent"]
    assert kept["samples_files"] == files


def test_a_samples_result_kept_by_an_older_gankit_among_the_runs_is_moved_apart(run, tmp_path):
    entry = {"values": {"modes": 1}, "provenance": {"source": "samples", "samples": "/x/noise.npy"}, "warnings": []}
    (run / "metrics.json").write_text(json.dumps({"modes": entry}))
    assert read_metrics(run) == {} and read_samples_metrics(run) == {"/x/noise.npy": {"modes": entry}}
    evaluate_run(run, "modes", n=100)
    kept = json.loads((run / "metrics.json").read_text())
    assert kept["modes"]["provenance"]["source"] == "checkpoint" and kept["samples_files"]["/x/noise.npy"]["modes"] == entry


@pytest.mark.parametrize("setting", ["data.name=grid25", "model.z_dim=7", "seed=3", "train.loss=minimax",
                                     "data.n=100"])
def test_evaluate_set_refuses_what_would_change_what_is_measured(run, capsys, setting):
    """Issue 25: `--set data.name=grid25` recorded `modes: 0` for a ring8 run; `--set model.z_dim=7`
    was silently ignored."""
    assert main(["evaluate", str(run), "--metrics", "modes", "--n", "50"]) == 0
    capsys.readouterr()
    before = (run / "metrics.json").read_bytes(), (run / "metrics.jsonl").read_bytes()
    assert main(["evaluate", str(run), "--metrics", "modes", "--n", "50", "--set", setting]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    key = setting.split("=")[0]
    assert len(err) == 1 and err[0].startswith(f"gankit: error: --set {key} would change what is measured")
    assert ((run / "metrics.json").read_bytes(), (run / "metrics.jsonl").read_bytes()) == before


def test_evaluate_set_takes_how_to_measure(run, capsys):
    assert main(["evaluate", str(run), "--metrics", "modes", "--n", "50", "--set", "threads=1",
                 "--set", "device=cpu", "--set", "metrics.feature_cache=/tmp/nowhere-needed"]) == 0


def test_evaluate_refuses_data_that_changed_since_training(tmp_path, capsys):
    data = tmp_path / "t.csv"
    rng = np.random.default_rng(0)
    np.savetxt(data, rng.normal(170, 8, (600, 1)), header="h", comments="", fmt="%.2f")
    run = tmp_path / "run"
    train(config.load(CONFIGS / "heights.toml", TINY + [f"data.name=csv:{data}"]), run, quiet=True)
    np.savetxt(data, rng.normal(100, 8, (600, 1)), header="h", comments="", fmt="%.2f")  # same counts, other rows
    assert main(["evaluate", str(run), "--metrics", "ks", "--n", "100"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"the data of {run} changed since its checkpoint (step 30)" in err[0]
    assert "other content" in err[0] and not (run / "metrics.json").exists()
    assert main(["evaluate", str(run), "--metrics", "ks", "--n", "100", "--allow-data-change"]) == 0
    assert "other content" in read_metrics(run)["ks"]["provenance"]["data_changed"]


def test_a_metrics_json_gankit_did_not_write_is_replaced_only_with_force(run, capsys):
    (run / "metrics.json").write_text("my notes, not JSON\n")
    assert main(["evaluate", str(run), "--metrics", "modes", "--n", "50"]) == 2
    assert "metrics.json already exists and was not written by gankit; give --force" in capsys.readouterr().err
    assert (run / "metrics.json").read_text() == "my notes, not JSON\n" and not (run / "metrics.jsonl").exists()
    assert main(["evaluate", str(run), "--metrics", "modes", "--n", "50", "--force"]) == 0
    assert read_metrics(run)["modes"]["provenance"]["n_samples"] == 50


def test_a_read_only_run_folder_is_one_line_and_nothing_changes(run, capsys, monkeypatch):
    """Issue 25: the metrics.jsonl append was a traceback in a read-only run folder."""
    from helpers import read_only

    assert main(["evaluate", str(run), "--metrics", "modes", "--n", "50"]) == 0
    capsys.readouterr()
    before = (run / "metrics.json").read_bytes(), (run / "metrics.jsonl").read_bytes()
    read_only(monkeypatch, run)
    measured = []
    monkeypatch.setattr(metrics, "evaluate_each", lambda *a, **k: measured.append(1))
    assert main(["evaluate", str(run), "--metrics", "modes", "--n", "60"]) == 2
    assert not measured  # refused before the measuring, whose result could not be kept
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error: cannot write") and "Permission denied" in err[0]
    monkeypatch.undo()
    assert ((run / "metrics.json").read_bytes(), (run / "metrics.jsonl").read_bytes()) == before


def test_samples_too_large_to_hold_are_measured_slice_by_slice_with_the_same_values(tmp_path, monkeypatch):
    """Issue 22: 10,000 samples at 256×256 are 7.9 GB as float32. Above LAZY_BYTES evaluate reads them
    a slice at a time (DrawnSamples) when every metric reads them so, and gets the same numbers."""
    from gankit.metrics import runs
    from gankit.sampling.generator import DrawnSamples

    out = tmp_path / "digits"
    train(config.load(CONFIGS / "digits.toml", TINY + ["model.conditional=true"]), out, quiet=True)
    names = ["fd", "kid", "prdc", "classes", "class_accuracy"]
    eager = evaluate_run(out, names, n=1500, force=True)
    seen = []
    draw = runs.draw
    monkeypatch.setattr(runs, "LAZY_BYTES", 1000)
    monkeypatch.setattr(runs, "draw", lambda *a: seen.append(draw(*a)) or seen[-1])
    lazy = evaluate_run(out, names, n=1500, force=True)
    assert isinstance(seen[0], DrawnSamples) and seen[0].slices >= 3  # drawn in slices, never whole
    for key in ("fd", "kid", "precision", "recall", "classes_covered", "class_kl", "class_accuracy"):
        assert lazy[key] == eager[key], key
    # a metric that reads all samples at once (parzen) gets them all at once
    seen.clear()
    both = evaluate_run(out, ["fd", "parzen"], n=1500, force=True)
    assert not isinstance(seen[0], DrawnSamples) and both["fd"] == eager["fd"]


def test_a_samples_file_is_mapped_not_read_whole(tmp_path):
    from gankit.metrics.evaluation import as_samples
    from gankit.sampling.files import load_npy

    out = tmp_path / "digits"
    train(config.load(CONFIGS / "digits.toml", TINY), out, quiet=True)
    x = sample(out, 600, seed=0)
    np.save(tmp_path / "x.npy", x)
    mapped = load_npy(tmp_path / "x.npy", mmap=True)
    assert isinstance(mapped, np.memmap) and np.shares_memory(as_samples(mapped).numpy(), mapped)  # no copy
    r = evaluate_run(out, "fd", samples=tmp_path / "x.npy")
    assert r["fd"] == evaluate(x, data="digits", metrics="fd")["fd"]
