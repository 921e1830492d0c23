"""Checkpoints survive: atomic writes, a full disk, kept step files, a corrupt latest.pt, and kill -9
at random moments (inside checkpoint and sample writes too), each time resuming bit for bit; a
damaged checkpoint is one clear error whose reason is whole sentences."""

import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from helpers import CONFIGS

from gankit import checkpoint, config
from gankit.cli import main
from gankit.errors import GankitError, brief
from gankit.train import train

TINY = ["train.steps=50", "train.batch_size=32", "train.log_every=5", "train.sample_every=0",
        "train.checkpoint_every=10", "model.g_hidden=[16]", "model.d_hidden=[16]", "threads=1"]
HERE = Path(__file__).resolve().parent


def tiny(*extra):
    return config.load(CONFIGS / "ring8-gan.toml", TINY + list(extra))


def ck(run, name="latest.pt"):
    return checkpoint.load(Path(run) / "checkpoints" / name)


def same_state(a: dict, b: dict) -> bool:
    """The whole training state, bit for bit: weights, optimizer state, streams, RNG."""
    def flat(x, prefix=""):
        if isinstance(x, dict):
            for k, v in x.items():
                yield from flat(v, f"{prefix}{k}.")
        elif isinstance(x, (list, tuple)):
            for i, v in enumerate(x):
                yield from flat(v, f"{prefix}{i}.")
        else:
            yield prefix, x

    keys = ("G", "D", "opt_G", "opt_D", "rng", "step", "examples_seen")
    fa, fb = dict(flat({k: a[k] for k in keys})), dict(flat({k: b[k] for k in keys}))
    return fa.keys() == fb.keys() and all(
        torch.equal(fa[k], fb[k]) if isinstance(fa[k], torch.Tensor) else fa[k] == fb[k] for k in fa)


@pytest.fixture(scope="module")
def straight(tmp_path_factory):
    """The uninterrupted run every interrupted one must end up equal to."""
    run = tmp_path_factory.mktemp("straight") / "run"
    train(tiny(), run, quiet=True)
    return ck(run)


def no_temporaries(run) -> bool:
    return not [p for p in Path(run).rglob(".*") if p.is_file() and ".tmp" in p.name]


# --- writing --------------------------------------------------------------------------------------

def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "c.pt"
    checkpoint.save({"x": torch.ones(3)}, path)

    def disk_full(f, data):
        f.write(bytes(data[:len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "_write", disk_full)
    with pytest.raises(OSError):
        checkpoint.save({"x": torch.zeros(3)}, path)
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]
    assert torch.equal(torch.load(path, weights_only=True)["x"], torch.ones(3))


def test_keep_checkpoints_keeps_the_newest_n_plus_every_keep_every_th(tmp_path):
    train(tiny("train.keep_checkpoints=2", "train.keep_every=25"), tmp_path / "r", quiet=True)
    folder = tmp_path / "r" / "checkpoints"
    assert sorted(p.name for p in folder.glob("step-*.pt")) == ["step-0000025.pt", "step-0000040.pt", "step-0000050.pt"]
    # The newest step file is latest.pt itself (a hard link): keeping it costs no disk.
    assert os.stat(folder / "latest.pt").st_ino == os.stat(folder / "step-0000050.pt").st_ino
    assert ck(tmp_path / "r", "step-0000040.pt")["step"] == 40
    train(tiny("train.keep_checkpoints=0"), tmp_path / "z", quiet=True)
    assert [p.name for p in (tmp_path / "z" / "checkpoints").iterdir()] == ["latest.pt"]


def test_keep_copies_where_the_file_system_has_no_hard_links(tmp_path, monkeypatch):
    from gankit import checkpoint

    latest = tmp_path / "latest.pt"
    checkpoint.save({"step": 7}, latest)

    def no_links(src, dst):
        raise OSError(errno.EXDEV, "cross-device link")

    monkeypatch.setattr(checkpoint.os, "link", no_links)
    checkpoint.keep(latest, tmp_path / "step-0000007.pt")
    copy = tmp_path / "step-0000007.pt"
    assert copy.read_bytes() == latest.read_bytes() and os.stat(copy).st_ino != os.stat(latest).st_ino
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.pt", "step-0000007.pt"]  # no temporaries left

    def denied(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.os, "link", denied)
    with pytest.raises(OSError, match="No space"):  # a real failure is reported, not papered over by a copy
        checkpoint.keep(latest, tmp_path / "step-0000008.pt")


def test_prune_keeps_the_newest_up_to_the_current_step_and_leaves_later_ones(tmp_path):
    for step in (10, 20, 30, 40, 50):
        (tmp_path / f"step-{step:07d}.pt").write_bytes(b"")
    (tmp_path / "step-x.pt").write_bytes(b"")  # not a step file: never touched
    # A run that fell back to step 30: 40 and 50 belong to steps it will compute again.
    checkpoint.prune(tmp_path, 30, keep_last=1, keep_every=20)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["step-0000020.pt", "step-0000030.pt", "step-0000040.pt",
                                                          "step-0000050.pt", "step-x.pt"]


# --- a corrupt latest.pt ----------------------------------------------------------------------------

def test_a_truncated_latest_falls_back_to_the_newest_kept_checkpoint_that_loads(tmp_path, straight, capsys):
    run = tmp_path / "r"
    train(tiny("train.steps=30"), run, quiet=True)
    latest = run / "checkpoints" / "latest.pt"
    # A disk that lost the file's tail. step-0000030.pt is the same file (a link), so it loses it too.
    os.truncate(latest, latest.stat().st_size // 2)
    assert main(["train", "--resume", str(run), "--set", "train.steps=50"]) == 0
    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and warnings[0].startswith("gankit: warning: ")
    assert str(latest) in warnings[0] and "step-0000020.pt (step 20)" in warnings[0] and "truncated" in warnings[0]
    assert same_state(ck(run), straight)


def test_a_latest_replaced_by_garbage_falls_back_to_its_intact_step_file(tmp_path, straight, capsys):
    run = tmp_path / "r"
    train(tiny("train.steps=30"), run, quiet=True)
    garbage = run / "garbage"
    garbage.write_bytes(b"\x00" * 100)
    os.replace(garbage, run / "checkpoints" / "latest.pt")
    assert main(["train", "--resume", str(run), "--set", "train.steps=50"]) == 0
    assert "step-0000030.pt (step 30)" in capsys.readouterr().err
    assert same_state(ck(run), straight)


def test_when_no_checkpoint_loads_resume_is_one_line_error(tmp_path, capsys):
    run = tmp_path / "r"
    train(tiny("train.steps=20", "train.keep_checkpoints=1"), run, quiet=True)
    for p in (run / "checkpoints").glob("*.pt"):
        p.write_bytes(b"PK\x03\x04broken")  # in place: latest.pt and its link step-0000020.pt
    assert main(["train", "--resume", str(run)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("gankit: error: ")]
    assert len(lines) == 1 and "latest.pt" in lines[0] and "nothing to resume from" in lines[0]


def test_a_run_killed_before_its_first_checkpoint_resumes_from_step_0(tmp_path, straight):
    run = tmp_path / "r"
    train(tiny("train.steps=3"), run, quiet=True)
    for p in (run / "checkpoints").iterdir():
        p.unlink()  # as if killed before step 10: config.toml and a log, no checkpoint
    (run / "config.toml").write_text(tiny().to_toml())
    result = train(None, resume=run, quiet=True)
    assert result.step == 50 and same_state(ck(run), straight)


# --- a full disk or an unwritable folder mid-run --------------------------------------------------

def _fail_save_number(monkeypatch, n: int, error: OSError):
    """Make the n-th checkpoint write fail part-way with `error`."""
    real, calls = checkpoint._write, {"n": 0}

    def write(f, data):
        calls["n"] += 1
        if calls["n"] == n:
            f.write(bytes(data[:len(data) // 3]))
            raise error
        return real(f, data)

    monkeypatch.setattr(checkpoint, "_write", write)


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"),
                                   PermissionError(errno.EACCES, "Permission denied")])
def test_a_full_disk_mid_run_is_one_line_keeps_the_last_checkpoint_and_resumes(tmp_path, straight, monkeypatch,
                                                                                capsys, error):
    run = tmp_path / "r"
    cfg = tmp_path / "c.toml"
    cfg.write_text(tiny().to_toml())
    _fail_save_number(monkeypatch, 3, error)  # the write of step 30
    assert main(["train", "--config", str(cfg), "--out", str(run)]) == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("gankit: error: ")]
    assert len(lines) == 1 and "Traceback" not in err
    assert f"cannot write {run / 'checkpoints' / 'latest.pt'}: {error.strerror}" in lines[0]
    assert "the checkpoint of step 20 is intact" in lines[0] and f"gankit train --resume {run}" in lines[0]
    assert ck(run)["step"] == 20 and no_temporaries(run)
    monkeypatch.undo()  # space is back
    assert main(["train", "--resume", str(run)]) == 0
    assert same_state(ck(run), straight)


def test_a_log_row_that_does_not_fit_is_cut_off_whole(tmp_path, monkeypatch):
    from gankit.train import runlog

    path = tmp_path / "log.jsonl"
    runlog.append_line(path, '{"step": 1}')
    real = os.write

    def half(fd, data):
        real(fd, bytes(data[:len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(runlog.os, "write", half)
    with pytest.raises(OSError):
        runlog.append_line(path, '{"step": 2, "loss_d": 1.5}')
    monkeypatch.undo()
    assert path.read_text() == '{"step": 1}\n'


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    try:
        return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                              capture_output=True).returncode == 0
    except OSError:
        return False


def test_a_real_full_file_system_mid_run_then_room_again(tmp_path, straight, capsys):
    """On a tmpfs with room for config.toml and two and a half checkpoints: the checkpoints of
    steps 10 and 20 fit (latest.pt is a link to step 20's file), the write of step 30 does not."""
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "64k"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        probe = tmp_path / "probe"
        train(tiny("train.steps=1"), probe, quiet=True)
        page = 4096
        pages = -(-(probe / "checkpoints" / "latest.pt").stat().st_size // page)
        assert pages >= 2
        subprocess.run(["mount", "-o", f"remount,size={(2 * pages + 1 + pages // 2) * page}", str(disk)], check=True)
        cfg = tmp_path / "c.toml"
        cfg.write_text(tiny("train.log_every=1000").to_toml())  # one log row, at the end
        run = disk / "r"
        assert main(["train", "--config", str(cfg), "--out", str(run)]) == 2
        err = capsys.readouterr().err
        assert f"cannot write {run / 'checkpoints' / 'latest.pt'}: No space left on device" in err, err
        assert "the checkpoint of step 20 is intact" in err
        assert ck(run)["step"] == 20 and no_temporaries(run)
        subprocess.run(["mount", "-o", "remount,size=16m", str(disk)], check=True)  # room again
        assert main(["train", "--resume", str(run)]) == 0
        assert same_state(ck(run), straight)
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)


# --- kill -9 at random moments --------------------------------------------------------------------

@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume_ends_bit_identical(tmp_path):
    """SIGKILL during steps, inside checkpoint writes and inside sample writes; resume each time."""
    sets = TINY + ["train.steps=80", "train.checkpoint_every=5", "train.sample_every=10"]
    straight = tmp_path / "straight"
    train(config.load(CONFIGS / "ring8-gan.toml", sets), straight, quiet=True)

    run = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SLOW_RENAME": "0.15"}
    new = [sys.executable, str(HERE / "slow_renames.py"), "train", "--config", str(CONFIGS / "ring8-gan.toml"),
           *[a for s in sets for a in ("--set", s)], "--out", str(run)]
    again = [sys.executable, str(HERE / "slow_renames.py"), "train", "--resume", str(run)]
    folder, samples = run / "checkpoints", run / "samples"
    rng = random.Random(15)
    moments = ["checkpoint write", "step", "sample write", "checkpoint write", "step"]
    for moment in moments:
        # The first start is a new run; every later one resumes (the first kill may come before
        # the first checkpoint: such a run starts again from its config.toml).
        proc = subprocess.Popen(again if (run / "config.toml").exists() else new, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=env)
        start = ck(run)["step"] if (folder / "latest.pt").exists() else 0
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            if moment == "checkpoint write" and list(folder.glob(".latest.pt.*.tmp")):
                break
            if moment == "sample write" and list(samples.glob(".*.tmp.png")):
                break
            if moment == "step" and (folder / "latest.pt").exists() and ck(run)["step"] > start:
                time.sleep(rng.uniform(0.0, 0.6))
                break
            time.sleep(0.01)
        assert proc.poll() is None, f"the run ended before the kill ({moment})"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (folder / "latest.pt").exists():
            assert 0 < ck(run)["step"] < 120  # whatever moment it died at, latest.pt loads
    done = subprocess.run(again, capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert same_state(ck(run), ck(straight)) and no_temporaries(run)
    steps = [int(line.split('"step": ')[1].split(",")[0]) for line in (run / "log.jsonl").read_text().splitlines()]
    assert steps == list(range(5, 81, 5))  # each interval logged once, none lost, none twice


@pytest.mark.parametrize("damage", ["truncated", "text", "nearly whole"])
def test_a_damaged_checkpoint_is_named_with_whole_sentences(tmp_path, damage):
    """Issue 16: the message cut torch's text mid-sentence ("... likelihood that your checkpoint fi")."""
    full = tmp_path / "full.pt"
    torch.save({"G": torch.zeros(1000)}, full)
    raw = full.read_bytes()
    bad = tmp_path / "bad.pt"
    bad.write_bytes({"truncated": raw[:300], "text": b"hello, this is not a checkpoint", "nearly whole": raw[:-10]}[damage])
    with pytest.raises(GankitError) as e:
        checkpoint.load(bad)
    msg = str(e.value)
    assert msg.startswith(f"{bad} is not a readable checkpoint (truncated or corrupt: ") and msg.endswith(")")
    reason = msg.split("corrupt: ", 1)[1][:-1]
    assert reason and "\n" not in reason
    if damage == "truncated":
        with pytest.raises(RuntimeError) as raw_error:
            torch.load(bad, weights_only=True)
        text = str(raw_error.value)
        assert len(text) > 200 and reason.startswith("PytorchStreamReader failed reading zip archive")
        assert text.startswith(reason) and text[len(reason)] == "."  # cut at a sentence's end


def test_brief_keeps_whole_sentences():
    text = "First part: detail. " + "A long second sentence that goes on " * 8 + "and ends.\nSecond line."
    assert brief(text) == "First part: detail"
    assert brief("short one.\nmore") == "short one."
    long_word = "x" * 300
    assert brief(long_word) == long_word  # nothing to cut at: keep it whole
