"""The memorisation check a person reads (`gankit figures`, `gankit report`): the samples nearest to
the training set beside their nearest training images, in the features FD uses, with the
distances; and the distribution of every sample's nearest-training distance against that of
held-out real images (`gankit.metrics.memorisation`). A G that copies shows samples that are
their neighbours, and a distance histogram left of the real one.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from .. import data
from ..data.dataset import pixels
from ..errors import GankitError
from ..metrics import memorisation
from ..metrics.features import extractor, split_features, threads
from ..metrics.runs import evaluate_run, read_metrics
from ..paper.figures import save_captioned
from ..sampling import classes as conditional
from ..sampling.generator import Generator, load_generator
from ..sampling.pictures import pyplot

N_SAMPLES = 1000  # samples the check draws (seed 0)
SHOW = 8  # rows of the figure: the samples nearest to the training set, the likeliest copies
NEIGHBOURS = 3
FIGURE = "memorisation.png"


def memorisation_figure(G: Generator, dataset: Any, out: str | Path, n: int = N_SAMPLES, seed: int = 0) -> tuple[Path, dict]:
    """Draw n samples from G and write the figure to `out`; returns (path, the metric's summary)."""
    if G.kind != "image":
        raise GankitError("the memorisation check is for image runs")
    c = conditional.balanced(n, G.num_classes) if G.conditional else None
    x = torch.from_numpy(G.draw(n, seed, c))
    config = G.config
    fx = extractor(dataset, config, "cpu")
    with threads(config, fx):
        fake = fx.extract(x)
        got = memorisation.distances(fx, fake, dataset, config)
        train = split_features(fx, dataset.train, config)
    stats = memorisation.summary(got["d_gen"], got["d_real"])
    rows = torch.argsort(got["d_gen"])[:SHOW]
    dist, idx = torch.cdist(fake[rows].double(), train.double()).topk(NEIGHBOURS, largest=False)

    plt = pyplot()
    fig = plt.figure(figsize=(1.3 * (1 + NEIGHBOURS) + 5.2, 1.3 * SHOW + 0.6), dpi=90)
    grid = fig.add_gridspec(SHOW, 2 + NEIGHBOURS, width_ratios=[1] * (1 + NEIGHBOURS) + [4], wspace=0.08, hspace=0.35)
    for r, i in enumerate(rows.tolist()):
        tiles = [(x[i], "sample" if r == 0 else "", f"{float(got['d_gen'][i]):.3g}")]
        tiles += [(pixels(dataset.train[int(j)]), f"nearest {k + 1}" if r == 0 else "", f"{float(d):.3g}")
                  for k, (d, j) in enumerate(zip(dist[r], idx[r]))]
        for col, (img, head, label) in enumerate(tiles):
            ax = fig.add_subplot(grid[r, col])
            _show(ax, img)
            ax.set_title(head, fontsize=8, pad=2)
            ax.set_xlabel(label if col else f"d {label}", fontsize=7, labelpad=1)
    ax = fig.add_subplot(grid[:, -1])
    d_gen, d_real = got["d_gen"].numpy(), got["d_real"].numpy()
    bins = np.linspace(0, float(max(d_gen.max(), d_real.max())) * 1.02, 40)
    ax.hist(d_real, bins=bins, density=True, alpha=0.55, color="tab:blue", label=f"held-out real images ({len(d_real)})")
    ax.hist(d_gen, bins=bins, density=True, alpha=0.55, color="tab:orange", label=f"samples ({len(d_gen)})")
    ax.axvline(stats["copy_threshold"], color="k", ls="--", lw=1,
               label=f"copy threshold (5% of real): {stats['near_copies_percent']:.1f}% of samples below")
    ax.set_xlabel(f"distance to the nearest training image ({len(dataset.train)} images)", fontsize=8)
    ax.set_yticks([])
    ax.legend(fontsize=7, loc="upper right")
    ax.set_title(f"median: samples {stats['nn_distance_median']:.3g}, real {stats['real_nn_distance_median']:.3g} "
                 f"(ratio {stats['memorisation_ratio']:.2f})", fontsize=8)
    fig.subplots_adjust(left=0.02, right=0.98, top=0.95, bottom=0.06)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    legend = (f"left: the {SHOW} of {n} samples nearest to a training image; right of each: its {NEIGHBOURS} nearest "
              f"training images; numbers: distances in the features of {fx.name}. Histogram: every sample's "
              "distance to its nearest training image against held-out real images' (the test split). "
              "Copies sit left of the real distribution and look like their neighbours.")
    path = save_captioned(Image.open(buf), out, f"Memorisation check, step {G.step}", legend)
    return path, {**stats, "feature_net": fx.name}


def _show(ax, img: torch.Tensor) -> None:
    a = img.clamp(0, 1).numpy()
    if a.shape[0] == 1:
        ax.imshow(a[0], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    else:
        ax.imshow(a.transpose(1, 2, 0), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def check_run(run: str | Path, step: int) -> str | None:
    """Make sure the run's memorisation check is of its latest checkpoint (`step`): the metric
    in RUN/metrics.json and RUN/figures/memorisation.png, computed when missing or older.
    Returns why it could not be done, or None. (`write_report` has checked, before, that a
    memorisation.png already there is gankit's or --force was given.)"""
    run = Path(run)
    entry = read_metrics(run).get("memorisation")
    figure = run / "figures" / FIGURE
    fresh = entry is not None and entry.get("provenance", {}).get("step") == step and \
        entry.get("provenance", {}).get("source") == "checkpoint"
    latest = run / "checkpoints" / "latest.pt"
    if fresh and figure.is_file() and figure.stat().st_mtime >= latest.stat().st_mtime:
        return None
    try:
        if not fresh:
            evaluate_run(run, "memorisation", n=N_SAMPLES, seed=0)
        G = load_generator(run)
        memorisation_figure(G, data.load(G.config.data), figure)
    except GankitError as e:
        return str(e)
    return None
