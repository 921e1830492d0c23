"""`gankit figures RUN`: the pictures a run can show, written to RUN/figures/."""

from __future__ import annotations

from pathlib import Path

import torch

from .. import data
from ..console import say
from ..errors import GankitError
from ..paper.figures import PAPER_FIGURES, paper_figure_names, paper_figures, step_checkpoints
from ..sampling import classes as conditional
from ..sampling import pictures as plots
from ..sampling.generator import load_generator
from ..sampling.outputs import check_output, gankit_png, writable_folder, write_file
from ..sampling.run import open_checkpoint
from . import curves
from .memorisation import FIGURE, memorisation_figure


FIGURES = ("curves.png", "samples.png", *PAPER_FIGURES, FIGURE, "pair-trends.png")  # what RUN/figures/ may hold of gankit's


def make_figures(run: str | Path, ema: bool | None = None, force: bool = False) -> list[Path]:
    """Training curves and a sample picture for every run, then the paper's figures that the
    run's data kind allows (Figure 1 and saturation for 1-D runs, Figures 2–3 for images), and
    for images the memorisation check (samples beside their nearest training images in features),
    or a table's pair-trend heat map.
    The generator and the data set are loaded once and shared by every figure. A figure file
    gankit did not make is replaced only with `force` (checked for all before any is drawn)."""
    run = Path(run)
    if not (run / "log.jsonl").is_file():
        raise GankitError(f"{run} is not a run directory with a log.jsonl (give the --out folder of `gankit train`)")
    out = run / "figures"
    G = load_generator(run, ema=ema)  # refuses a checkpoint copied in from another run
    for _, path in step_checkpoints(run):  # and so for the step files the paper's figures read, before any is drawn
        open_checkpoint(run, str(path))
    for name in drawn_names(G, run):  # only the files this run's figures would replace
        check_output(out / name, force=force, own=gankit_png, data=G.config.data, what="")
    writable_folder(out)
    written = [curves.save_curves(run, out / "curves.png", curves.run_loss(G.config))]
    dataset = data.load(G.config.data, fitted=G.info)  # a table through its checkpoint's transformer
    if G.conditional:
        x, rows = _class_samples(G)
    else:
        x, rows = torch.from_numpy(G.draw(64 if G.kind == "image" else 2000, seed=0)), None
    title = f"step {G.step}{' (EMA weights)' if G.ema else ''}"
    written.append(write_file(out / "samples.png", plots.samples_png(x, dataset, title=title, row_names=rows)))
    if dataset.kind == "table":  # the paper's figures are for images and 1-D data
        from .table_figures import save_pair_trends

        return written + [save_pair_trends(dataset.table.codes["train"], x.double().numpy(), dataset.table.codec,
                                           out / "pair-trends.png", f"pair trends, {title}")]
    written += paper_figures(run, G=G, dataset=dataset)
    if G.kind == "image":
        try:
            written.append(memorisation_figure(G, dataset, out / FIGURE)[0])
        except GankitError as e:  # e.g. a folder too small for a test split
            say(f"gankit: memorisation figure skipped: {e}")
    return written


def drawn_names(G, run: Path) -> list[str]:
    """The files of RUN/figures/ that `make_figures` may write for this run (a file it would not
    draw, e.g. the user's own figure1.png beside an image run's figures, is left alone unasked)."""
    names = ["curves.png", "samples.png"]
    if G.kind == "table":  # the paper's figures are for images and 1-D data
        return names + ["pair-trends.png"]
    return names + paper_figure_names(G, run) + ([FIGURE] if G.kind == "image" else [])


def _class_samples(G) -> tuple[torch.Tensor, list[str] | None]:
    """A conditional run's picture: one row per class for images (titled with the class names),
    balanced classes for points."""
    if G.kind != "image":
        return torch.from_numpy(G.draw(2000, 0, conditional.balanced(2000, G.num_classes))), None
    z, c = conditional.grid_noise(G.config.model.prior, G.z_dim, G.num_classes, torch.Generator().manual_seed(0))
    return G(z, c), conditional.class_names(G.info)[:conditional.GRID_ROWS]
