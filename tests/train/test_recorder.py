"""The main process's writes: whole files or none, a log without rows of steps a resumed run
computes again, and one-line errors that say what is intact and how to go on."""

import errno
import json

import pytest
import torch

from gankit.distributed import Rank
from gankit.errors import GankitError
from gankit.train import recorder
from gankit.train.recorder import Recorder


def test_trim_log_drops_rows_past_the_checkpoint_and_a_cut_last_line(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps({"step": s, "loss_d": 1.0}) + "\n" for s in (5, 10, 15, 20)) + '{"step": 25, "lo')
    recorder._trim_log(log, 10)
    assert [json.loads(line)["step"] for line in log.read_text().splitlines()] == [5, 10]


def test_a_sample_picture_that_cannot_be_written_leaves_no_file(tmp_path, monkeypatch):
    rec = Recorder(tmp_path, 10, 0, 0, quiet=True)
    rec.start(lambda previous: "", resumed=False)

    def half(x, dataset, path, title="", **kw):
        path.write_bytes(b"\x89PNG half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(recorder.plots, "save_samples", half)
    with pytest.raises(GankitError, match=r"cannot write .*step-0000010.png: No space left on device; "
                                          r"no checkpoint had been written yet; .*start the run again"):
        rec.samples(torch.zeros(4, 2), None, 10)
    assert list((tmp_path / "samples").iterdir()) == []


def test_only_the_main_process_writes(tmp_path):
    other = Recorder(tmp_path / "r", 10, 0, 0, quiet=True, rank=Rank(1, 1))  # a Rank that is not rank 0
    other.start(lambda previous: "seed = 0\n", resumed=False)
    other.row({"step": 1})
    other.checkpoint({"step": 1, "G": {}}, "latest")
    assert not (tmp_path / "r").exists() and other.last_saved == 1


def test_resume_command_names_the_process_count(tmp_path, monkeypatch):
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/gankit")  # gankit on PATH: it is named as such
    assert recorder.resume_command(tmp_path) == f"gankit train --resume {tmp_path}"
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert recorder.resume_command(tmp_path, Rank(0, 4)) == f"gankit train --resume {tmp_path} --nproc 4"
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "2")  # 2 machines of 2
    assert "torchrun" in recorder.resume_command(tmp_path, Rank(0, 4))
