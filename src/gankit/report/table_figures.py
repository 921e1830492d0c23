"""A table run's figure beside its samples: how far each pair of columns' trend is from the
data's — the heat map of 1 - each pair's trend score (SDMetrics' correlation similarity for two
numbers, contingency similarity otherwise; `gankit.metrics.table.pair_scores`), 0 where the
samples keep the pair's relation, up to 1 where they lose it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..metrics.table import pair_scores
from ..sampling.outputs import png_bytes, write_file
from ..sampling.pictures import pyplot

NOTE = ("Pair trends: 1 minus each column pair's trend score (correlation similarity for two numbers, "
        "contingency similarity otherwise), samples against the training rows; 0 where the samples keep the "
        "pair's relation.")


def pair_difference(real: np.ndarray, fake: np.ndarray, codec) -> np.ndarray:
    """D×D: 1 - the trend score of each column pair (0 on the diagonal)."""
    names = codec.names
    out = np.zeros((len(names), len(names)))
    for (a, b), score in pair_scores(real, fake, codec, thresholds=False).items():
        i, j = names.index(a), names.index(b)
        out[i, j] = out[j, i] = 1 - score if score == score else np.nan
    return out


def save_pair_trends(real: np.ndarray, fake: np.ndarray, codec, path: str | Path, title: str = "") -> Path:
    plt = pyplot()
    diff = pair_difference(real, fake, codec)
    k = len(codec.names)
    side = min(2.0 + 0.55 * k, 14.0)
    fig, ax = plt.subplots(figsize=(side + 1.2, side))
    im = ax.imshow(diff, vmin=0, vmax=max(0.3, float(np.nanmax(diff)) if np.isfinite(diff).any() else 0.3), cmap="magma_r")
    ax.set_xticks(range(k), codec.names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), codec.names, fontsize=8)
    if k <= 14:
        for i in range(k):
            for j in range(k):
                if i != j and diff[i, j] == diff[i, j]:
                    ax.text(j, i, f"{diff[i, j]:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if diff[i, j] > 0.5 * im.get_clim()[1] else "black")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="1 - pair trend score")
    ax.set_title(title or "pair trends: samples against the data", fontsize=10)
    fig.tight_layout()
    try:
        return write_file(Path(path), png_bytes(fig, dpi=100, title=NOTE))
    finally:
        plt.close(fig)


# --------------------------------------------------------------------------- the report's section

# (key of the samples, key of the held-out rows' ceiling, what a person reads), in the page's order
SCORE_ROWS = [
    ("column_shapes", "column_shapes_holdout", "column shapes (SDMetrics: KS / TV complement per column; 1 is best)"),
    ("pair_trends", "pair_trends_holdout", "pair trends (SDMetrics: correlation / contingency similarity; 1 is best)"),
    ("pair_trends_all", "pair_trends_all_holdout", "pair trends over every column pair"),
    ("blanks", None, "blanks at the data's rate (1 is best)"),
    ("detection_auc", "detection_auc_holdout", "detection AUC, logistic regression (0.5 is best)"),
    ("detection_gbt_auc", "detection_gbt_auc_holdout", "detection AUC, gradient-boosted trees (0.5 is best)"),
    ("ml_f1", "ml_f1_real", "ML efficacy: macro F1 on held-out rows, trees trained on samples (real: on training rows)"),
    ("ml_r2", "ml_r2_real", "ML efficacy: R² on held-out rows, trees trained on samples (real: on training rows)"),
    ("copies", None, "share of rows identical to a training row"),
    ("dcr_median", "dcr_holdout_median", "median distance to the closest training row (much below real: copying)"),
    ("dcr_closer_to_train", None, "share nearer to training rows than to held-out ones (0.5: no overfitting)"),
]
FIGURES = ("samples.png", "pair-trends.png")  # what a table run's report shows of RUN/figures/


def score_rows(values: dict) -> list[tuple[str, float, float | None]]:
    """(what, samples' score, held-out rows' score or None) for each table score in `values`."""
    out = []
    for key, ceiling, what in SCORE_ROWS:
        if key in values:
            out.append((what, float(values[key]), float(values[ceiling]) if ceiling and ceiling in values else None))
    return out
