"""`gankit figures RUN`: the pictures a run can show, written to RUN/figures/."""

from __future__ import annotations

from pathlib import Path

import torch

from .. import data
from ..errors import GankitError
from ..paper.figures import paper_figures
from ..sampling import classes as conditional
from ..sampling import pictures as plots
from ..sampling.generator import load_generator
from . import curves


def make_figures(run: str | Path, ema: bool | None = None) -> list[Path]:
    """Training curves and a sample picture for every run, then the paper's figures that the
    run's data kind allows (Figure 1 and saturation for 1-D runs, Figures 2–3 for images), or a
    table's pair-trend heat map.
    The generator and the data set are loaded once and shared by every figure."""
    run = Path(run)
    if not (run / "log.jsonl").is_file():
        raise GankitError(f"{run} is not a run directory with a log.jsonl (give the --out folder of `gankit train`)")
    out = run / "figures"
    written = [curves.save_curves(run, out / "curves.png")]
    G = load_generator(run, ema=ema)
    dataset = data.load(G.config.data, fitted=G.info)  # a table through its checkpoint's transformer
    if G.conditional:
        x, rows = _class_samples(G)
    else:
        x, rows = torch.from_numpy(G.draw(64 if G.kind == "image" else 2000, seed=0)), None
    title = f"step {G.step}{' (EMA weights)' if G.ema else ''}"
    written.append(plots.save_samples(x, dataset, out / "samples.png", title=title, row_names=rows))
    if dataset.kind == "table":  # the paper's figures are for images and 1-D data
        from .table_figures import save_pair_trends

        return written + [save_pair_trends(dataset.table.codes["train"], x.double().numpy(), dataset.table.codec,
                                           out / "pair-trends.png", f"pair trends, {title}")]
    return written + paper_figures(run, G=G, dataset=dataset)


def _class_samples(G) -> tuple[torch.Tensor, list[str] | None]:
    """A conditional run's picture: one row per class for images (titled with the class names),
    balanced classes for points."""
    if G.kind != "image":
        return torch.from_numpy(G.draw(2000, 0, conditional.balanced(2000, G.num_classes))), None
    z, c = conditional.grid_noise(G.config.model.prior, G.z_dim, G.num_classes, torch.Generator().manual_seed(0))
    return G(z, c), conditional.class_names(G.info)[:conditional.GRID_ROWS]
