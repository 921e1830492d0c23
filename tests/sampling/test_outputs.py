"""gankit.sampling.outputs: no command overwrites a file it did not make without --force, none ever
writes over the data a run trains on, and a write that fails is one line that changes nothing."""

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest
from helpers import CONFIGS, read_only
from PIL import Image

from gankit import config
from gankit.cli import main
from gankit.config import DataConfig
from gankit.errors import GankitError
from gankit.sampling import outputs
from gankit.train import train

TINY = ["train.steps=4", "train.batch_size=16", "train.log_every=2", "train.sample_every=0",
        "train.checkpoint_every=2", "model.g_hidden=[8]", "model.d_hidden=[8]", "threads=1"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """A run trained on its own CSV, data/train.csv (3,000 rows), as the user of issue 25 had."""
    base = tmp_path_factory.mktemp("outputs")
    (base / "data").mkdir()
    rng = np.random.default_rng(0)
    np.savetxt(base / "data" / "train.csv", rng.normal(170, 8, (3000, 1)), header="height", comments="", fmt="%.2f")
    train(config.load(CONFIGS / "heights.toml", TINY + [f"data.name=csv:{base / 'data' / 'train.csv'}"]),
          base / "run", quiet=True)
    return base


def cli(capsys, *args):
    code = main([str(a) for a in args])
    return code, capsys.readouterr().err


def test_sample_never_writes_over_the_runs_own_training_csv_even_with_force(csv_run, capsys, monkeypatch):
    """Issue 25: `gankit sample RUN --n 5 --out data/train.csv` replaced 3,000 real rows with 5."""
    data = csv_run / "data" / "train.csv"
    before = digest(data)
    monkeypatch.chdir(csv_run)
    for extra in ([], ["--force"]):
        code, err = cli(capsys, "sample", "run", "--n", "5", "--out", "data/train.csv", *extra)
        assert code == 2 and err.count("\n") == 1 and err.startswith("gankit: error: --out data/train.csv is a data file")
        assert "even with --force" in err
    os.link(data, csv_run / "hard.csv")  # the same file under another name
    (csv_run / "soft.csv").symlink_to(data)
    for other in ("hard.csv", "soft.csv"):
        code, err = cli(capsys, "sample", "run", "--n", "5", "--out", other, "--force")
        assert code == 2 and "is a data file" in err, other
    assert digest(data) == before and not list((csv_run / "data").glob(".*tmp"))


def test_an_existing_file_is_replaced_only_with_force(csv_run, tmp_path, capsys):
    mine = tmp_path / "mine.csv"
    mine.write_text("keep\n")
    code, err = cli(capsys, "sample", csv_run / "run", "--n", "5", "--out", mine)
    assert code == 2 and f"--out {mine} already exists; give --force to replace it" in err
    assert mine.read_text() == "keep\n"
    assert cli(capsys, "sample", csv_run / "run", "--n", "5", "--out", mine, "--force")[0] == 0
    assert mine.read_text().splitlines()[0] == "height" and len(mine.read_text().splitlines()) == 6
    (tmp_path / "folder.csv").mkdir()
    code, err = cli(capsys, "sample", csv_run / "run", "--n", "5", "--out", tmp_path / "folder.csv", "--force")
    assert code == 2 and "is a folder" in err


def test_nothing_is_written_inside_an_image_folder_a_run_trains_on(tmp_path):
    photos = tmp_path / "photos"
    (photos / "cats").mkdir(parents=True)
    Image.new("RGB", (8, 8), "red").save(photos / "cats" / "a.png")
    data = DataConfig(name=f"folder:{photos}")
    for target in (photos / "new.png", photos / "cats" / "b.npy", photos / "cats" / "a.png"):
        with pytest.raises(GankitError, match="is inside .*photos, the image folder, which the run trains on"):
            outputs.check_output(target, force=True, data=data)
    assert outputs.check_output(tmp_path / "grid.png", data=data) == tmp_path / "grid.png"


def test_idx_files_in_data_dir_are_the_runs_and_other_files_there_are_not(tmp_path):
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("mine")
    data = DataConfig(name="mnist", dir=str(tmp_path))
    with pytest.raises(GankitError, match="is a data file"):
        outputs.check_output(tmp_path / "train-images-idx3-ubyte.gz", force=True, data=data)
    assert outputs.check_output(tmp_path / "notes.txt", force=True, data=data)


def test_a_runs_own_files_are_refreshed_and_anything_else_there_needs_force(tmp_path):
    png = tmp_path / "samples.png"
    outputs.write_file(png, outputs.png_bytes(Image.new("L", (4, 4))))
    assert outputs.gankit_png(png)
    assert outputs.check_output(png, own=outputs.gankit_png) == png  # gankit made it: refreshed
    Image.new("L", (4, 4)).save(png)  # a picture of the user's own, under that name
    assert not outputs.gankit_png(png)
    with pytest.raises(GankitError, match="already exists and was not written by gankit; give --force"):
        outputs.check_output(png, own=outputs.gankit_png)
    assert outputs.check_output(png, own=outputs.gankit_png, force=True) == png


def test_a_failed_write_is_one_error_leaving_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    old = tmp_path / "old.bin"
    old.write_bytes(b"old")

    def fail(f):
        f.write(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(GankitError, match="cannot write .*old.bin: No space left on device"):
        outputs.write_file(old, fail)
    assert old.read_bytes() == b"old" and os.listdir(tmp_path) == ["old.bin"]


def test_a_read_only_folder_is_one_error(tmp_path, monkeypatch):
    """Issue 25: in a read-only folder the temporary file's cleanup raised inside the error handler."""
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "old.bin").write_bytes(b"old")
    read_only(monkeypatch, ro)
    with pytest.raises(GankitError, match="cannot write .*: Permission denied"):
        outputs.write_file(ro / "old.bin", b"new")
    with pytest.raises(GankitError, match="cannot write .*metrics.jsonl: Permission denied"):
        outputs.append_line(ro / "metrics.jsonl", "{}")
    with pytest.raises(GankitError, match="cannot write .*sub.*: Permission denied"):
        outputs.write_file(ro / "sub" / "new.bin", b"new")
    monkeypatch.undo()
    assert (ro / "old.bin").read_bytes() == b"old" and os.listdir(ro) == ["old.bin"]


def test_written_files_get_the_mode_a_plain_open_gives_them(tmp_path):
    """mkstemp makes 0600 files: samples, reports and metrics.json were unreadable to the user's
    group and others, unlike any file their own tools write. The mode follows the umask."""
    old = os.umask(0o027)
    try:
        with open(tmp_path / "plain", "w"):
            pass
        outputs.write_file(tmp_path / "ours.bin", b"x")
    finally:
        os.umask(old)
    mode = lambda p: (tmp_path / p).stat().st_mode & 0o777  # noqa: E731
    assert mode("ours.bin") == mode("plain") == 0o640
