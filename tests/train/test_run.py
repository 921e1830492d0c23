"""Algorithm 1's loop: k D steps per G step, determinism, exact resume, divergence handling."""

import pytest
import torch
from helpers import CONFIGS

from gankit import checkpoint, config, losses
from gankit.errors import GankitError
from gankit.train import train

TINY = ["train.steps=30", "train.batch_size=32", "train.log_every=5", "train.sample_every=0",
        "train.checkpoint_every=10", "model.g_hidden=[16]", "model.d_hidden=[16]", "threads=1"]


def tiny(*extra):
    return config.load(CONFIGS / "ring8-gan.toml", TINY + list(extra))


def weights(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_exactly_k_discriminator_steps_per_generator_step(tmp_path):
    res = train(tiny("train.k=3", "train.steps=7"), tmp_path / "r", quiet=True)
    ck = checkpoint.load(tmp_path / "r" / "checkpoints" / "latest.pt")
    adam_steps = lambda opt: {int(s["step"]) for s in opt["state"].values()}  # noqa: E731
    assert adam_steps(ck["opt_D"]) == {21} and adam_steps(ck["opt_G"]) == {7}
    assert ck["examples_seen"] == 7 * 3 * 32  # each D step takes a fresh minibatch of m examples
    assert res.step == 7


def test_same_seed_same_weights_bit_for_bit(tmp_path):
    a = train(tiny("model.d=maxout", "model.d_dropout=0.5"), tmp_path / "a", quiet=True)
    b = train(tiny("model.d=maxout", "model.d_dropout=0.5"), tmp_path / "b", quiet=True)
    c = train(tiny("model.d=maxout", "model.d_dropout=0.5", "seed=1"), tmp_path / "c", quiet=True)
    assert same(weights(a.G), weights(b.G)) and same(weights(a.D), weights(b.D))
    assert not same(weights(a.G), weights(c.G))


def test_resume_continues_exactly(tmp_path):
    # Dropout in D and the data/noise streams all have to be restored for this to hold.
    extra = ("model.d=maxout", "model.d_dropout=0.5", "train.checkpoint_every=7")
    straight = train(tiny(*extra), tmp_path / "s", quiet=True)
    cut = train(tiny(*extra, "train.steps=14"), tmp_path / "r", quiet=True)
    assert cut.step == 14
    resumed = train(None, resume=tmp_path / "r", overrides=["train.steps=30"], quiet=True)
    assert resumed.step == 30
    assert same(weights(straight.G), weights(resumed.G)) and same(weights(straight.D), weights(resumed.D))


def test_time_limit_stops_cleanly_and_resume_matches(tmp_path):
    straight = train(tiny("train.steps=400"), tmp_path / "s", quiet=True)
    cut = train(tiny("train.steps=400", "train.time_limit=0.2"), tmp_path / "r", quiet=True)
    assert cut.stopped == "time_limit" and 0 < cut.step < 400
    assert checkpoint.load(tmp_path / "r" / "checkpoints" / "latest.pt")["step"] == cut.step
    import json

    rows = [json.loads(line) for line in (tmp_path / "r" / "log.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == cut.step  # the steps after the last full interval get their row
    resumed = train(None, resume=tmp_path / "r", overrides=["train.time_limit=0"], quiet=True)
    assert same(weights(straight.G), weights(resumed.G))


def test_checkpoint_format(tmp_path):
    train(tiny(), tmp_path / "r", quiet=True)
    ck = torch.load(tmp_path / "r" / "checkpoints" / "latest.pt", weights_only=True)
    assert {"G", "D", "opt_G", "opt_D", "step", "rng", "config", "format_version"} <= ck.keys()
    assert ck["step"] == 30 and config.from_toml_text(ck["config"]).train.steps == 30
    assert (tmp_path / "r" / "config.toml").read_text() == ck["config"]
    assert not list((tmp_path / "r" / "checkpoints").glob("*.tmp"))


def test_keep_every_keeps_step_files(tmp_path):
    train(tiny("train.keep_every=10"), tmp_path / "r", quiet=True)
    names = sorted(p.name for p in (tmp_path / "r" / "checkpoints").glob("step-*.pt"))
    assert names == ["step-0000010.pt", "step-0000020.pt", "step-0000030.pt"]


def test_divergence_stops_and_keeps_last_good_checkpoint(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = losses.PaperLoss.g_loss

    def poisoned(self, fake_s, real_s):
        calls["n"] += 1
        out = real(self, fake_s, real_s)
        return out * float("nan") if calls["n"] > 13 else out

    monkeypatch.setattr(losses.PaperLoss, "g_loss", poisoned)
    with pytest.raises(GankitError, match="NaN or inf.*last good checkpoint \\(step 10\\)"):
        train(tiny(), tmp_path / "r", quiet=True)
    ck = checkpoint.load(tmp_path / "r" / "checkpoints" / "latest.pt")
    assert ck["step"] == 10
    assert all(torch.isfinite(v).all() for v in ck["G"].values())


def test_new_run_refuses_to_overwrite_an_existing_run(tmp_path):
    train(tiny(), tmp_path / "r", quiet=True)
    before = (tmp_path / "r" / "checkpoints" / "latest.pt").read_bytes()
    with pytest.raises(GankitError, match="already holds a run"):
        train(tiny(), tmp_path / "r", quiet=True)
    assert (tmp_path / "r" / "checkpoints" / "latest.pt").read_bytes() == before


def test_paper_discriminator_keeps_its_max_norm_through_training(tmp_path):
    from gankit.nets import Maxout

    res = train(tiny("model.d=paper-mnist", "optim.name=sgd", "optim.lr_d=500", "train.steps=5"), tmp_path / "r", quiet=True)
    norms = [m.weight.norm(dim=1).max().item() for m in res.D.modules() if isinstance(m, torch.nn.Linear)]
    # A huge learning rate would push norms far past the cap; the constraint holds them exactly at it.
    assert all(n <= 1.9365 + 1e-4 for n in norms) and max(norms) > 1.9365 - 1e-3
    assert any(isinstance(m, Maxout) for m in res.D.modules())


def test_relative_data_paths_are_recorded_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h.csv").write_text("a,b\n" + "".join(f"{i % 7},{(i * 3) % 11}\n" for i in range(60)))
    cfg = config.load(None, TINY + ["data.name=csv:h.csv#a,b", "model.z_dim=2", "train.steps=2"])
    train(cfg, "r", quiet=True)
    saved = config.from_toml_text((tmp_path / "r" / "config.toml").read_text())
    assert saved.data.name == f"csv:{tmp_path / 'h.csv'}#a,b"


def test_divergence_before_any_checkpoint_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(losses.PaperLoss, "g_loss", lambda self, fake_s, real_s: fake_s.sum() * float("nan"))
    with pytest.raises(GankitError, match="no checkpoint had been written yet"):
        train(tiny(), tmp_path / "r", quiet=True)


def test_bf16_runs_the_nets_in_bfloat16_and_keeps_weights_fp32(tmp_path):
    from gankit.train.precision import autocast

    seen = []
    res = train(tiny("precision=bf16", "train.steps=3"), tmp_path / "r", quiet=True)
    hook = res.D.net[1].register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    with autocast("bf16", torch.device("cpu")):
        res.D(torch.zeros(4, 2))
    hook.remove()
    assert seen == [torch.bfloat16]
    assert all(p.dtype == torch.float32 for p in res.G.parameters())
    assert all(torch.isfinite(p).all() for p in res.G.parameters())
    # fp32 and bf16 runs of one seed differ only by rounding: same start, close weights after 3 steps.
    fp32 = train(tiny("train.steps=3"), tmp_path / "f", quiet=True)
    diff = max((a - b).abs().max().item() for a, b in zip(res.G.parameters(), fp32.G.parameters()))
    assert 0 < diff < 0.05


def test_resume_with_changed_nets_names_the_key(tmp_path):
    """Issue 16: resuming with another model.* said "Error(s) in loading state_dict for MLPGenerator:"."""
    train(tiny("train.steps=10"), tmp_path / "r", quiet=True)
    with pytest.raises(GankitError, match=r"--set model.g_hidden cannot change when resuming"):
        train(None, resume=tmp_path / "r", overrides=["model.g_hidden=[8]", "train.steps=20"], quiet=True)


def test_resume_to_fewer_steps_says_so(tmp_path, capsys):
    """Issue 16: `--resume --set train.steps=100` on a run at step 6100 said "done" without a word."""
    train(tiny("train.steps=20"), tmp_path / "r", quiet=True)
    config_before = (tmp_path / "r" / "config.toml").read_text()
    with pytest.raises(GankitError, match="is at step 20, past train.steps = 10; a run cannot go back"):
        train(None, resume=tmp_path / "r", overrides=["train.steps=10"], quiet=True)
    assert (tmp_path / "r" / "config.toml").read_text() == config_before
    res = train(None, resume=tmp_path / "r", quiet=False)
    assert res.step == 20 and "already at step 20 = train.steps; nothing to train" in capsys.readouterr().err


def test_the_printed_resume_command_is_the_one_that_was_run(tmp_path, capsys, monkeypatch):
    """Issue 16: "continue with: gankit train --resume" failed when gankit was not on PATH."""
    import shutil
    import sys

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(sys, "argv", [".venv/bin/gankit", "train"])
    train(tiny("train.steps=100000", "train.time_limit=0.5"), tmp_path / "my run", quiet=False)
    assert f"continue with: .venv/bin/gankit train --resume '{tmp_path / 'my run'}'" in capsys.readouterr().err
    monkeypatch.setattr(sys, "argv", ["/x/gankit/__main__.py"])
    train(None, resume=tmp_path / "my run", overrides=["train.time_limit=0.3"], quiet=False)
    err = capsys.readouterr().err
    assert f"continue with: {sys.executable} -m gankit train --resume '{tmp_path / 'my run'}'" in err


def test_a_closed_console_does_not_stop_training(tmp_path):
    """Issue 16, defect 6: `gankit train ... 2>&1 | head -1` exited 1 with no checkpoint."""
    import os
    import subprocess
    import sys

    run = tmp_path / "r"
    args = [sys.executable, "-m", "gankit", "train", "--config", str(CONFIGS / "ring8-gan.toml"),
            *[f"--set={s}" for s in TINY], "--set", "train.steps=300", "--set", "train.log_every=1",
            "--set", "train.checkpoint_every=1000", "--out", str(run)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    proc.stdout.readline()  # like `head -1`: read one line, then close the pipe
    proc.stdout.close()
    assert proc.wait(timeout=300) == 0
    assert checkpoint.load(run / "checkpoints" / "latest.pt")["step"] == 300
    assert (run / "log.jsonl").read_text().count("\n") == 300


@pytest.mark.slow
def test_compiled_nets_train_like_eager_ones_and_save_plain_keys(tmp_path):
    eager = train(tiny("train.steps=12", "model.d=maxout", "model.d_dropout=0.5"), tmp_path / "e", quiet=True)
    comp = train(tiny("train.steps=12", "model.d=maxout", "model.d_dropout=0.5", "compile=true"), tmp_path / "c", quiet=True)
    ck = checkpoint.load(tmp_path / "c" / "checkpoints" / "latest.pt")
    assert ck["G"].keys() == eager.G.state_dict().keys() and ck["D"].keys() == eager.D.state_dict().keys()
    diff = max((a - b).abs().max().item() for a, b in zip(comp.G.parameters(), eager.G.parameters()))
    assert diff < 1e-4  # the same updates, up to the order of float operations


@pytest.mark.parametrize("extra", [
    ("train.ema=0.9",),
    ("train.loss=wgan-gp", "train.k=2", "train.ema=0.8"),
    ("train.loss=hinge", "model.spectral_norm=true", "model.pack=2", "model.minibatch_std=4"),
    ("train.loss=rpgan", "train.r1_gamma=0.1", "train.r2_gamma=0.1", "train.unroll=2"),
])
def test_resume_with_losses_and_remedies_continues_exactly(tmp_path, extra):
    # WGAN-GP's ε, spectral norm's u and v, G_ema and Adam's state inside the unrolled step all
    # come back from the checkpoint.
    extra = (*extra, "train.checkpoint_every=7", "train.steps=16")
    straight = train(tiny(*extra), tmp_path / "s", quiet=True)
    train(tiny(*extra, "train.steps=9"), tmp_path / "r", quiet=True)
    resumed = train(None, resume=tmp_path / "r", overrides=["train.steps=16"], quiet=True)
    assert same(weights(straight.G), weights(resumed.G)) and same(weights(straight.D), weights(resumed.D))
    if straight.G_ema is not None:
        assert same(weights(straight.G_ema), weights(resumed.G_ema))
        assert not same(weights(straight.G_ema), weights(straight.G))


def test_ema_is_kept_in_checkpoints_and_draws_the_sample_grids(tmp_path):
    from gankit.train import Session

    res = train(tiny("train.ema=0.9", "train.steps=5"), tmp_path / "r", quiet=True)
    ck = torch.load(tmp_path / "r" / "checkpoints" / "latest.pt", weights_only=True)
    assert same(ck["G_ema"], weights(res.G_ema)) and ck["G_ema"].keys() == ck["G"].keys()
    assert "G_ema" not in checkpoint.load(_plain_run(tmp_path))
    s = Session(tiny("train.ema=0.9"), tmp_path / "x", quiet=True)
    assert s.G_sampling is s.ema.net
    # Turning EMA on when resuming a run without it starts the average at G.
    resumed = train(None, resume=tmp_path / "p", overrides=["train.ema=0.5", "train.steps=3"], quiet=True)
    assert same(weights(resumed.G_ema), weights(resumed.G))


def _plain_run(tmp_path):
    train(tiny("train.steps=3"), tmp_path / "p", quiet=True)
    return tmp_path / "p" / "checkpoints" / "latest.pt"


def test_batches_that_do_not_pack_or_group_evenly_are_refused_before_anything_is_written(tmp_path):
    with pytest.raises(GankitError, match="model.minibatch_std"):
        train(tiny("model.minibatch_std=5"), tmp_path / "r", quiet=True)
    assert not (tmp_path / "r").exists()


# --- accepted without a word (issue 25) -------------------------------------------------------------

def _tiny(tmp_path, *sets):
    from gankit.cli import main

    return main(["train", "--config", str(CONFIGS / "ring8-gan.toml"), "--set", "data.n=64", "--set", "threads=1",
                 "--set", "train.batch_size=16", "--set", "train.steps=2", "--set", "train.log_every=1",
                 "--set", "train.sample_every=0", *[x for s in sets for x in ("--set", s)], "--out", str(tmp_path / "r")])


def _one_line(capsys, *phrases):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error: "), err
    for p in phrases:
        assert p in err[0], err[0]


@pytest.mark.parametrize("setting, phrase", [
    ("train.batch_size=8500", "train.batch_size (8500) is larger than ring8's training set (64 examples)"),
    ("train.steps=1000000000000000000000000000000", "train.steps must be from 0 to 1,000,000,000"),
    ("seed=99999999999999999999", "seed must be an integer from 0 to 1,000,000,000,000"),
])
def test_a_setting_no_user_means_is_one_line_and_writes_nothing(tmp_path, capsys, setting, phrase):
    """Issue 25: a batch larger than the data set trained 133 epochs in two steps; a step count of
    1e30 was accepted; a 20-digit seed was an overflow traceback."""
    assert _tiny(tmp_path, setting) == 2
    _one_line(capsys, phrase)
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("g", ["mlp", "conv"])
def test_a_batch_of_one_with_batch_norm_is_one_line(tmp_path, capsys, g):
    """Issue 25: `train.batch_size=1` with batch norm was torch's "Expected more than 1 value per channel"."""
    from gankit.cli import main

    sets = ["train.batch_size=1", "train.steps=2", "train.sample_every=0", "threads=1", "model.batch_norm=true",
            f"model.g={g}", f"model.d={g}", "model.conv_width=4"]
    assert main(["train", "--config", str(CONFIGS / "digits.toml"), *[x for s in sets for x in ("--set", s)],
                 "--out", str(tmp_path / "r")]) == 2
    _one_line(capsys, "train.batch_size (1) is too small for the batch norm in G")
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("setting, phrase", [
    ("train.steps=0", "gankit: warning: train.steps = 0: nothing is trained"),
    ("model.g_hidden=[]", "gankit: warning: model.g_hidden = []: G is one linear map of z"),
    ("model.d_hidden=[]", "gankit: warning: model.d_hidden = []: D is logistic regression"),
])
def test_a_valid_but_rarely_meant_setting_gets_one_warning_line(tmp_path, capsys, setting, phrase):
    assert _tiny(tmp_path, setting) == 0
    err = capsys.readouterr().err
    assert err.count(phrase) == 1, err


def test_a_new_run_never_writes_over_files_or_into_its_own_data(tmp_path, capsys):
    from gankit.cli import main

    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "config.toml").write_text("# my own notes\n")
    assert _tiny(tmp_path) == 2
    _one_line(capsys, "already holds config.toml, which a new run would overwrite")
    assert (tmp_path / "r" / "config.toml").read_text() == "# my own notes\n"
    photos = tmp_path / "photos"
    photos.mkdir()
    from PIL import Image

    for i in range(20):
        Image.new("L", (8, 8), 10 * i).save(photos / f"{i}.png")
    assert main(["train", "--config", str(CONFIGS / "digits.toml"), "--set", f"data.name=folder:{photos}",
                 "--set", "data.size=8", "--set", "train.batch_size=8", "--set", "train.steps=1",
                 "--out", str(photos / "run")]) == 2
    _one_line(capsys, "is inside", "the image folder, which the run trains on")
    assert sorted(p.name for p in photos.iterdir()) == sorted(f"{i}.png" for i in range(20))


def test_the_first_line_says_a_time_limited_run_ends_at_its_time_or_its_steps():
    from gankit.train.run import _until

    # configs/folder-64.toml: steps = 1,000,000 beside time_limit = 600 read "step 0 -> 1000000"
    folder = config.load(CONFIGS / "folder-64.toml").train
    assert _until(0, folder) == "step 0 -> 1000000 or 10 min of training, whichever comes first"
    assert _until(5, tiny("train.time_limit=5").train) == "step 5 -> 30 or 5 s of training, whichever comes first"
    assert _until(0, tiny().train) == "step 0 -> 30"


def test_lazy_r1_resumes_exactly_and_logs_r1_only_where_it_was_computed(tmp_path):
    # Which G steps carry R1 is a function of the step, so a run cut at step 14 (not a multiple
    # of reg_every) and resumed penalises the same steps as the uninterrupted one.
    extra = ("train.r1_gamma=0.5", "train.reg_every=4", "train.checkpoint_every=7", "train.log_every=1")
    straight = train(tiny(*extra), tmp_path / "s", quiet=True)
    train(tiny(*extra, "train.steps=14"), tmp_path / "r", quiet=True)
    resumed = train(None, resume=tmp_path / "r", overrides=["train.steps=30"], quiet=True)
    assert same(weights(straight.G), weights(resumed.G)) and same(weights(straight.D), weights(resumed.D))
    import json
    rows = [json.loads(line) for line in (tmp_path / "s" / "log.jsonl").read_text().splitlines()]
    rows = [r for r in rows if "step" in r and "loss_d" in r]
    # row of step t holds the D step of G step t - 1: R1 at G steps 0, 4, 8, ... = rows 1, 5, 9, ...
    assert [r["step"] for r in rows if "r1" in r] == list(range(1, 31, 4))
    eager = train(tiny("train.r1_gamma=0.5", "train.log_every=1"), tmp_path / "e", quiet=True)
    assert not same(weights(eager.D), weights(straight.D))


@pytest.mark.parametrize("extra, d_compiled, why", [
    ((), True, ""),
    (("train.r1_gamma=0.1",), False, "train.r1_gamma"),
    (("train.loss=wgan-gp",), False, "WGAN-GP's gradient penalty"),
    (("train.unroll=1",), False, "train.unroll"),
])
def test_compile_keeps_a_d_that_is_differentiated_twice_eager(tmp_path, monkeypatch, capsys, extra, d_compiled, why):
    # torch.compile's autograd cannot take a gradient of a gradient (R1, R2, WGAN-GP, unrolled D):
    # compiled, such a run stopped with a traceback; now G is compiled and D stays eager, said once.
    compiled = []
    monkeypatch.setattr(torch, "compile", lambda net, **kw: compiled.append(net) or net)
    train(tiny("train.steps=2", "compile=true", *extra), tmp_path / "r")
    err = capsys.readouterr().err
    assert len(compiled) == (2 if d_compiled else 1)
    assert ("D stays eager" in err) == (not d_compiled) and why in err


def test_every_loss_says_whether_it_differentiates_d_twice():
    plain = {name: losses.build(config.TrainConfig(loss=name)).double_backward for name in losses.names()}
    assert plain["wgan-gp"] and not any(v for k, v in plain.items() if k != "wgan-gp")
    assert all(losses.build(config.TrainConfig(loss=name, r2_gamma=1.0)).double_backward for name in losses.names())
