"""Stopping early: SIGTERM saves and ends normally, Ctrl-C saves and reports interruption; a
repeated Ctrl-C stops at once unless it is the same keypress forwarded by a launcher."""

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from helpers import CONFIGS

from gankit import checkpoint, config
from gankit.train import stopping, train
from gankit.train.stopping import Stopper

TINY = ["train.steps=200", "train.batch_size=32", "train.log_every=5", "train.sample_every=0",
        "train.checkpoint_every=1000", "model.g_hidden=[16]", "model.d_hidden=[16]", "threads=1"]


def test_sigterm_stops_at_a_step_boundary_saves_and_reports_terminated(tmp_path, monkeypatch):
    from gankit.train import Session

    cfg = config.load(CONFIGS / "ring8-gan.toml", TINY)
    real = Session.after_step

    def after_step(self, step, **values):
        real(self, step, **values)
        if step == 13:
            os.kill(os.getpid(), signal.SIGTERM)  # as a scheduler would, in the middle of the run

    monkeypatch.setattr(Session, "after_step", after_step)
    result = train(cfg, tmp_path / "r", quiet=True)
    monkeypatch.undo()
    assert result.stopped == "terminated" and result.step == 13
    assert checkpoint.load(tmp_path / "r" / "checkpoints" / "latest.pt")["step"] == 13
    resumed = train(None, resume=tmp_path / "r", quiet=True)
    straight = train(cfg, tmp_path / "s", quiet=True)
    assert all(torch.equal(a, b) for a, b in zip(resumed.G.state_dict().values(), straight.G.state_dict().values()))


def test_sigterm_on_the_command_line_exits_0_with_the_resume_command(tmp_path):
    run = tmp_path / "r"
    args = [sys.executable, "-m", "gankit", "train", "--config", str(CONFIGS / "ring8-gan.toml"),
            *[a for s in TINY + ["train.steps=1000000"] for a in ("--set", s)], "--out", str(run)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    deadline = time.monotonic() + 120
    while not ((run / "log.jsonl").exists() and (run / "log.jsonl").read_text().count("\n") >= 2) \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "(terminated); continue with: " in err and f"gankit train --resume {run}" in err and "Traceback" not in err
    assert checkpoint.load(run / "checkpoints" / "latest.pt")["step"] >= 10



def test_a_second_ctrl_c_interrupts_at_once_unless_it_is_the_same_keypress_forwarded(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(stopping.time, "monotonic", lambda: clock[0])
    s = Stopper(0)
    with s.on_signals():
        handler = signal.getsignal(signal.SIGINT)
        handler(signal.SIGINT, None)
        clock[0] += 0.01
        handler(signal.SIGINT, None)  # torchrun passing the same Ctrl-C on: still one request
        assert s.reason() == "interrupted"
        clock[0] += stopping.REPEAT_AFTER
        with pytest.raises(KeyboardInterrupt):
            handler(signal.SIGINT, None)  # a person pressing again: stop now


def test_ctrl_c_outranks_sigterm_and_time_limit_agreement_takes_the_largest():
    s = Stopper(0)
    with s.on_signals():
        handler = signal.getsignal(signal.SIGTERM)
        handler(signal.SIGTERM, None)
        assert s.reason() == "terminated"
        handler(signal.SIGINT, None)
        assert s.reason() == "interrupted"
    # Several processes agree on the largest code: one that saw a signal stops them all.
    quiet = Stopper(0, agree=lambda t: torch.maximum(t, torch.tensor([stopping.REASONS.index("terminated")])))
    assert quiet.reason() == "terminated"
