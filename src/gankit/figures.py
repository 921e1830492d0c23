"""`gankit figures RUN`: the pictures a run can show, written to RUN/figures/."""

from __future__ import annotations

from pathlib import Path

import torch

from . import conditional, data, plots
from .errors import GankitError
from .paper_figures import paper_figures
from .sampling import draw, generate, load_generator


def make_figures(run: str | Path) -> list[Path]:
    """Training curves and a sample picture for every run, then the paper's figures that the
    run's data kind allows (Figure 1 and saturation for 1-D runs, Figures 2–3 for images)."""
    run = Path(run)
    if not (run / "log.jsonl").is_file():
        raise GankitError(f"{run} is not a run directory with a log.jsonl (give the --out folder of `gankit train`)")
    out = run / "figures"
    written = [plots.save_curves(run, out / "curves.png")]
    G, cfg, info, step = load_generator(run)
    if cfg.model.conditional:
        x, rows = _class_samples(G, cfg, info)
    else:
        x, rows = torch.from_numpy(draw(G, cfg, info, 64 if info["kind"] == "image" else 2000, seed=0)), None
    written.append(plots.save_samples(x, data.load(cfg.data), out / "samples.png", title=f"step {step}", row_names=rows))
    return written + paper_figures(run)


def _class_samples(G, cfg, info) -> tuple[torch.Tensor, list[str] | None]:
    """A conditional run's picture: one row per class for images (titled with the class names),
    balanced classes for points."""
    if info["kind"] != "image":
        return torch.from_numpy(conditional.draw(G, cfg, info, 2000, seed=0)[0]), None
    k = int(info["num_classes"])
    z, c = conditional.grid_noise(cfg.model.prior, cfg.model.z_dim, k, torch.Generator().manual_seed(0))
    dev = next(G.parameters()).device
    return generate(G, z.to(dev), info, c.to(dev)), conditional.class_names(info)[:conditional.GRID_ROWS]
