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
                                                "train.log_every=2", "train.sample_every=0", "threads=1"])
    train(cfg, tmp_path / "r", quiet=True)
    capsys.readouterr()
    written = make_figures(tmp_path / "r")
    assert {p.name for p in written} >= {"curves.png", "samples.png", "nearest.png", "walks.png"}
    assert capsys.readouterr().err.count("skipped 1 file") == 1
