"""`gankit figures RUN`: the pictures a run can show, written to RUN/figures/."""

from __future__ import annotations

from pathlib import Path

from . import plots
from .errors import GankitError
from .sampling import load_generator


def make_figures(run: str | Path) -> list[Path]:
    run = Path(run)
    if not (run / "log.jsonl").is_file():
        raise GankitError(f"{run} is not a run directory with a log.jsonl (give the --out folder of `gankit train`)")
    out = run / "figures"
    written = [plots.save_curves(run, out / "curves.png")]
    G, cfg, info, step = load_generator(run)
    from . import data
    from .sampling import sample

    dataset = data.load(cfg.data)
    import torch

    x = torch.from_numpy(sample(run, 64 if info["kind"] == "image" else 2000, seed=0))
    written.append(plots.save_samples(x, dataset, out / "samples.png", title=f"step {step}"))
    from .paper_figures import paper_figures  # the paper's Figures 1-3 and saturation, by data kind

    written += paper_figures(run)
    return written
