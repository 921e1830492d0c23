"""`gankit figures RUN`: every picture from one load of the generator and the data."""

import numpy as np
from helpers import CONFIGS
from PIL import Image

from gankit import config
from gankit.report.figures import make_figures
from gankit.train import train


def test_a_folder_warning_is_printed_once(tmp_path, capsys):
    """Issue 16: the unreadable-files warning of a folder data set printed twice during figures."""
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(24):
        Image.fromarray(rng.integers(0, 255, (8, 8), dtype=np.uint8)).save(folder / f"{i}.png")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnope")
    cfg = config.load(CONFIGS / "digits.toml", [f"data.name=folder:{folder}", "data.size=8", "train.steps=4",
                                                "train.batch_size=16",
                                                "train.log_every=2", "train.sample_every=0", "threads=1"])
    train(cfg, tmp_path / "r", quiet=True)
    capsys.readouterr()
    written = make_figures(tmp_path / "r")
    assert {p.name for p in written} >= {"curves.png", "samples.png", "nearest.png", "walks.png"}
    assert capsys.readouterr().err.count("skipped 1 file") == 1


def _tiny_run(tmp_path):
    run = tmp_path / "r"
    train(config.load(CONFIGS / "digits.toml", ["train.steps=4", "train.log_every=2", "train.sample_every=0",
                                                "threads=1"]), run, quiet=True)
    return run


def test_figures_refresh_their_own_files_and_need_force_for_anyone_elses(tmp_path, capsys):
    from gankit.cli import main
    from gankit.sampling.outputs import gankit_png

    run = _tiny_run(tmp_path)
    assert main(["figures", str(run)]) == 0 and main(["figures", str(run)]) == 0
    assert all(gankit_png(p) for p in (run / "figures").glob("*.png"))
    Image.new("L", (4, 4)).save(run / "figures" / "walks.png")  # a picture of the user's, under one of the names
    before = {p.name: p.read_bytes() for p in (run / "figures").iterdir()}
    capsys.readouterr()
    assert main(["figures", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "walks.png already exists and was not written by gankit; give --force" in err[0]
    assert {p.name: p.read_bytes() for p in (run / "figures").iterdir()} == before  # checked before any is drawn
    assert main(["figures", str(run), "--force"]) == 0 and gankit_png(run / "figures" / "walks.png")
    # a file under a name this run's figures never take (figure1 is for 1-D runs) is no reason to refuse
    Image.new("L", (4, 4)).save(run / "figures" / "figure1.png")
    mine = (run / "figures" / "figure1.png").read_bytes()
    assert main(["figures", str(run)]) == 0 and (run / "figures" / "figure1.png").read_bytes() == mine


def test_a_read_only_figures_folder_is_one_line(tmp_path, capsys, monkeypatch):
    """Issue 25: Pillow's save raised a traceback."""
    from helpers import read_only

    from gankit.cli import main

    run = _tiny_run(tmp_path)
    (run / "figures").mkdir()
    read_only(monkeypatch, run / "figures")
    assert main(["figures", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gankit: error: cannot write") and "permission denied" in err[0].lower()
    monkeypatch.undo()
    assert list((run / "figures").iterdir()) == []
