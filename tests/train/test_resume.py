"""`gankit train --resume RUN --set KEY=VALUE`: how long, how often and where may change; what is
computed may not. Accepted changes are recorded in RUN/config.toml, which stays a loadable config."""

import pytest
from helpers import CONFIGS
from idx_files import needs_fashion, write_small

from gankit import config
from gankit.cli import main
from gankit.train import resume, train

TINY = ["train.steps=20", "train.batch_size=32", "train.log_every=10", "train.sample_every=0",
        "train.checkpoint_every=10", "model.g_hidden=[16]", "model.d_hidden=[16]", "threads=1"]


@pytest.fixture
def run(tmp_path):
    out = tmp_path / "run"
    train(config.load(CONFIGS / "ring8-gan.toml", TINY), out, quiet=True)
    return out


@pytest.mark.parametrize("key_value", ["model.g_hidden=[32]", "data.name=grid25", "train.loss=minimax",
                                       "train.batch_size=64", "seed=3", "optim.lr_g=0.5", "precision=bf16",
                                       "train.k=2", "model.z_dim=3"])
def test_a_key_that_changes_what_is_computed_is_refused_by_name(run, capsys, key_value):
    before = (run / "config.toml").read_text(), (run / "checkpoints" / "latest.pt").read_bytes()
    assert main(["train", "--resume", str(run), "--set", key_value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    key = key_value.split("=")[0]
    assert len(err) == 1 and err[0].startswith(f"gankit: error: --set {key} cannot change when resuming")
    assert ((run / "config.toml").read_text(), (run / "checkpoints" / "latest.pt").read_bytes()) == before


def test_safe_keys_are_accepted_and_recorded_in_config_toml_which_still_loads(run, capsys):
    assert main(["train", "--resume", str(run), "--set", "train.steps=30", "--set", "train.log_every=5",
                 "--set", "train.keep_checkpoints=1"]) == 0
    text = (run / "config.toml").read_text()
    assert resume.HISTORY_HEADER in text
    (line,) = [x for x in text.splitlines() if "resumed at step 20" in x]
    assert "train.steps = 30 (was 20)" in line and "train.log_every = 5 (was 10)" in line
    assert "train.keep_checkpoints = 1 (was 2)" in line
    cfg = config.load(run / "config.toml")  # still a config: `--config RUN/config.toml` starts the same run
    assert cfg.train.steps == 30 and cfg.train.log_every == 5
    assert "resuming with train.steps = 30 (was 20)" in capsys.readouterr().err
    # A second resume keeps the first line and adds its own; setting a key to its value changes nothing.
    assert main(["train", "--resume", str(run), "--set", "train.steps=40", "--set", "seed=0"]) == 0
    history = [x for x in (run / "config.toml").read_text().splitlines() if "resumed at step" in x]
    assert len(history) == 2 and "train.steps = 40 (was 30)" in history[1] and "seed" not in history[1]


def test_every_resumable_key_exists_in_the_config():
    keys = resume.flat(config.Config())
    for k in resume.RESUMABLE:
        assert any(key == k or (k.endswith(".") and key.startswith(k)) for key in keys), k
    assert resume.resumable("metrics.feature_cache") and not resume.resumable("model.g")
    assert resume.resumable("train.ema") and not resume.resumable("train.r1_gamma")  # keys nobody declared safe are refused


# --- the data a checkpoint was trained on (issue 25) ----------------------------------------------

def _csv(path, rows):
    import numpy as np

    np.savetxt(path, np.random.default_rng(0).normal(170, 8, (rows, 1)), header="height", comments="", fmt="%.2f")


def test_resume_refuses_data_that_changed_naming_what_and_continues_only_when_told(tmp_path, capsys):
    """Issue 25: the run's CSV of 3,000 rows was replaced by 5, and `--resume` trained on the 5
    ("5 examples") without noticing."""
    from gankit import checkpoint

    data = tmp_path / "train.csv"
    _csv(data, 3000)
    run = tmp_path / "run"
    train(config.load(CONFIGS / "heights.toml", TINY + [f"data.name=csv:{data}"]), run, quiet=True)
    recorded = checkpoint.load(run / "checkpoints" / "latest.pt")["data_fingerprint"]
    assert recorded["n_train"] == 2400 and recorded["content"].startswith("files:")
    _csv(data, 5)
    before = {p: p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()}
    capsys.readouterr()
    assert main(["train", "--resume", str(run), "--set", "train.steps=30"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"gankit: error: the data of {run} changed since its checkpoint (step 20)")
    assert "5 training examples, not 2400" in err[0] and "--allow-data-change" in err[0]
    assert {p: p.read_bytes() for p in sorted(run.rglob("*")) if p.is_file()} == before
    # told to continue on 5 rows: the run's batch of 32 no longer fits, which is the next line it hears
    assert main(["train", "--resume", str(run), "--set", "train.steps=30", "--allow-data-change"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "train.batch_size (32) is larger than" in err[0] and "a resumed run keeps its batch" in err[0]
    # told to continue on 500 rows: it trains on, says so, and the history and the new checkpoint record it
    _csv(data, 500)
    assert main(["train", "--resume", str(run), "--set", "train.steps=30", "--allow-data-change"]) == 0
    err = capsys.readouterr().err
    assert "continuing on data that changed since step 20 (--allow-data-change): 400 training examples, not 2400" in err
    history = [x for x in (run / "config.toml").read_text().splitlines() if "resumed at step 20" in x]
    assert len(history) == 1 and "data changed (--allow-data-change): 400 training examples, not 2400" in history[0]
    assert checkpoint.load(run / "checkpoints" / "latest.pt")["data_fingerprint"]["n_train"] == 400
    assert main(["train", "--resume", str(run), "--set", "train.steps=40"]) == 0  # the new data is the run's now


@needs_fashion
def test_the_same_data_moved_elsewhere_resumes(tmp_path):
    """Only what the data is counts, not where: --set data.dir to a copy resumes without a word."""
    import shutil

    a, b = tmp_path / "a", tmp_path / "b"
    write_small(a, gz=True)
    shutil.copytree(a, b)
    run = tmp_path / "run"
    train(config.load(CONFIGS / "fashion-mnist.toml", TINY + ["data.name=mnist", f"data.dir={a}"]), run, quiet=True)
    shutil.rmtree(a)
    assert main(["train", "--resume", str(run), "--set", "train.steps=30", "--set", f"data.dir={b}"]) == 0


def test_allow_data_change_is_only_for_resume(tmp_path, capsys):
    assert main(["train", "--config", str(CONFIGS / "ring8.toml"), "--out", str(tmp_path / "r"),
                 "--allow-data-change"]) == 2
    assert "--allow-data-change is for --resume" in capsys.readouterr().err
