"""`gankit figures RUN`: the pictures a run can show, written to RUN/figures/."""

from __future__ import annotations

from pathlib import Path

import torch

from . import data, plots
from .errors import GankitError
from .paper_figures import paper_figures
from .sampling import draw, load_generator


def make_figures(run: str | Path) -> list[Path]:
    """Training curves and a sample picture for every run, then the paper's figures that the
    run's data kind allows (Figure 1 and saturation for 1-D runs, Figures 2–3 for images)."""
    run = Path(run)
    if not (run / "log.jsonl").is_file():
        raise GankitError(f"{run} is not a run directory with a log.jsonl (give the --out folder of `gankit train`)")
    out = run / "figures"
    written = [plots.save_curves(run, out / "curves.png")]
    G, cfg, info, step = load_generator(run)
    x = torch.from_numpy(draw(G, cfg, info, 64 if info["kind"] == "image" else 2000, seed=0))
    written.append(plots.save_samples(x, data.load(cfg.data), out / "samples.png", title=f"step {step}"))
    return written + paper_figures(run)
