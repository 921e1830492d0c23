"""`gankit train --resume RUN --set KEY=VALUE`: how long, how often and where may change; what is
computed may not. Accepted changes are recorded in RUN/config.toml, which stays a loadable config."""

import pytest
from helpers import CONFIGS

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
