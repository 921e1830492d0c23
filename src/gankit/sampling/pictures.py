"""Pictures of samples: image grids and class grids (Pillow), scatter plots and histograms of points
and table columns (matplotlib, headless)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def pyplot():
    """matplotlib's pyplot, drawing to files only (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    return plt


def image_grid(images: torch.Tensor | np.ndarray, nrow: int | None = None, pad: int = 2, scale: int = 0) -> Image.Image:
    """N×C×H×W in [0,1] -> one Pillow image, nrow per row (default: a near-square grid,
    ceil(√N) columns), `pad` pixels between, upscaled so small images (8×8 digits) stay visible."""
    x = torch.as_tensor(np.asarray(images)).float().clamp(0, 1)
    n, c, h, w = x.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = torch.ones(c, rows * (h + pad) + pad, nrow * (w + pad) + pad)
    for i in range(n):
        r, q = divmod(i, nrow)
        grid[:, pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = x[i]
    arr = (grid.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    img = Image.fromarray(arr[:, :, 0] if c == 1 else arr, mode="L" if c == 1 else "RGB")
    scale = scale or max(1, 28 // max(h, 1))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    return img


MAX_COLUMNS = 6  # columns drawn in a pair plot; the title names those left out


def class_grid(images: torch.Tensor | np.ndarray, row_names: list[str], pad: int = 2) -> Image.Image:
    """A conditional run's samples, one row per class (len(images) / len(row_names) per row), each
    row titled with its class name in a white margin on the left."""
    from PIL import ImageDraw, ImageFont

    x = torch.as_tensor(np.asarray(images))
    ncol = max(1, len(x) // max(1, len(row_names)))
    grid = image_grid(x, nrow=ncol, pad=pad).convert("RGB")
    h = x.shape[2]
    scale = grid.height / (len(row_names) * (h + pad) + pad)  # image_grid's upscaling
    font = ImageFont.load_default()
    draw = ImageDraw.Draw(grid)
    margin = 8 + max(int(draw.textlength(n, font=font)) for n in row_names)
    out = Image.new("RGB", (grid.width + margin, grid.height), "white")
    out.paste(grid, (margin, 0))
    draw = ImageDraw.Draw(out)
    for r, name in enumerate(row_names):
        top, bottom = draw.textbbox((0, 0), name, font=font)[1::2]
        centre = (pad + r * (h + pad) + h / 2) * scale
        draw.text((4, centre - (top + bottom) / 2), name, fill="black", font=font)
    return out


def samples_png(x: torch.Tensor, dataset, title: str = "", row_names: list[str] | None = None) -> bytes:
    """Samples as the data's kind wants, as PNG bytes that carry gankit's mark: a near-square grid
    of images (one row per class when `row_names` is given), or for points every column's
    histogram and every pair's scatter plot (`points_figure`), drawn over the real data."""
    from .outputs import png_bytes

    if dataset.kind == "image":
        return png_bytes(class_grid(x, row_names) if row_names else image_grid(x[:64]), title=title)
    plt = pyplot()
    if dataset.kind == "table":  # a panel per column: histograms and bars, blanks included
        fig = table_figure(dataset.table.codes["train"], np.asarray(x, dtype=np.float64), dataset.table.codec, title)
    else:
        real = dataset.to_data_units(dataset.train[:len(x)]).numpy()
        columns = list(dataset.columns) if len(dataset.columns) == x.shape[1] else [f"x{j}" for j in range(x.shape[1])]
        # Toy sets share one unit across columns (a ring is round); tabular columns each have their own.
        fig = points_figure(real, x.numpy(), columns, title, same_units=dataset.scale is None)
    try:
        return png_bytes(fig, dpi=100, title=title)
    finally:
        plt.close(fig)


def save_samples(x: torch.Tensor, dataset, path: str | Path, title: str = "",
                 row_names: list[str] | None = None) -> Path:
    """`samples_png` written to `path` (the caller makes it atomic: training's sample pictures)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(samples_png(x, dataset, title, row_names))
    return path


def points_figure(real: np.ndarray, fake: np.ndarray, columns: list[str], title: str = "",
                  same_units: bool = False):
    """A pair plot of N×D points: each column's histogram on the diagonal (data vs samples), each
    pair's scatter plot below it, every axis in its own column's units and range, the legend above
    the panels rather than over the data. Up to MAX_COLUMNS columns; the title says which are left out."""
    plt = pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    k = min(real.shape[1], MAX_COLUMNS)
    left_out = columns[k:]
    side = 5.0 if k == 1 else min(2.4 * k + 0.6, 15.0)
    fig, axes = plt.subplots(k, k, figsize=(side * (1.3 if k == 1 else 1), side * (0.6 if k == 1 else 1)), squeeze=False)
    ranges = [_range(real[:, j], fake[:, j]) for j in range(k)]
    ticks = FuncFormatter(lambda v, _: _compact(v))
    for i in range(k):
        for j in range(k):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                bins = np.linspace(*ranges[j], 50)
                ax.hist(real[:, j], bins=bins, density=True, color="0.7")
                ax.hist(fake[:, j], bins=bins, density=True, histtype="step", lw=1.8, color="tab:green")
                ax.set_yticks([])
            else:
                ax.scatter(real[:, j], real[:, i], s=2, c="0.6", linewidths=0, rasterized=True)
                ax.scatter(fake[:, j], fake[:, i], s=2, c="tab:green", linewidths=0, rasterized=True)
                ax.set_ylim(*ranges[i])
                if same_units:
                    ax.set_aspect("equal", adjustable="box")
                ax.yaxis.set_major_locator(MaxNLocator(4))
                ax.yaxis.set_major_formatter(ticks)
            ax.set_xlim(*ranges[j])
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_formatter(ticks)
            ax.tick_params(labelsize=8)
            if i == k - 1:
                ax.set_xlabel(columns[j])
            if j == 0 and i > 0:
                ax.set_ylabel(columns[i])
    handles = [Patch(color="0.7", label="data (training split)"), Line2D([], [], color="tab:green", lw=2, label="samples G(z)")]
    heading = title + (f"  (columns {', '.join(columns[:k])} of {len(columns)}; not shown: {', '.join(left_out)})"
                       if left_out else "")
    fig.suptitle(heading, fontsize=10)
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.955), ncol=2, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.9 if k > 1 else 0.82))
    return fig


def _range(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Limits that hold nearly all of both sets (0.5 to 99.5 percentiles), padded by 5%."""
    lo, hi = np.percentile(np.concatenate([a, b]), [0.5, 99.5])
    if not hi > lo:
        lo, hi = lo - 0.5 * (abs(lo) + 1), hi + 0.5 * (abs(hi) + 1)
    pad = 0.05 * (hi - lo)
    return float(lo - pad), float(hi + pad)


def _compact(v: float) -> str:
    """Short tick labels, so that columns in thousands do not run into each other: 52k, 1.5M, 0.25."""
    a = abs(v)
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if a >= div:
            return f"{v / (1e3 if unit == 'k' else div):.4g}{unit}"
    return f"{v:.3g}"


MAX_PANELS = 24  # columns in a table's picture


def table_figure(real: np.ndarray, fake: np.ndarray, codec, title: str = ""):
    """A table's samples: codes (N×D) of the data and of the samples -> one panel per column, a
    histogram for a number, bars for a category (a blank is a bar of its own; a number's blanks
    are said in its title)."""
    from ..data.table.columns import Numeric

    plt = pyplot()
    from matplotlib.ticker import FuncFormatter, MaxNLocator
    cols = codec.columns[:MAX_PANELS]
    k = len(cols)
    ncol = min(4, k)
    nrow = math.ceil(k / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 2.7 * nrow + 0.6), squeeze=False)
    for ax in axes.flat[k:]:
        ax.axis("off")
    for j, (c, ax) in enumerate(zip(cols, axes.flat)):
        r, f = real[:, j], fake[:, j]
        rb, fb = np.isnan(r).mean(), np.isnan(f).mean()
        if isinstance(c, Numeric):
            rv, fv = r[~np.isnan(r)], f[~np.isnan(f)]
            lo, hi = _range(rv, fv if len(fv) else rv)
            bins = np.arange(math.floor(lo), math.ceil(hi) + 2) - 0.5 if c.type == "integer" and hi - lo < 60 else np.linspace(lo, hi, 40)
            ax.hist(rv, bins=bins, density=True, color="0.7")
            if len(fv):
                ax.hist(fv, bins=bins, density=True, histtype="step", lw=1.6, color="tab:green")
            ax.set_yticks([])
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.4g}"))
            note = f" (blank: data {rb:.0%}, samples {fb:.0%})" if c.blank else ""
            ax.set_title(f"{c.name}{note}", fontsize=9)
        else:
            labels = list(c.categories) + (["(blank)"] if c.blank else [])
            n = len(labels)
            rc = np.bincount(np.where(np.isnan(r), n - 1, r).astype(int), minlength=n)[:n] / max(len(r), 1)
            fc = np.bincount(np.where(np.isnan(f), n - 1, f).astype(int), minlength=n)[:n] / max(len(f), 1)
            show = np.argsort(-rc)[:12]  # the most common values
            x = np.arange(len(show))
            ax.bar(x - 0.2, rc[show], 0.4, color="0.7")
            ax.bar(x + 0.2, fc[show], 0.4, color="tab:green")
            ax.set_xticks(x, [_short(labels[i]) for i in show], rotation=30 if len(show) > 3 else 0, ha="right" if len(show) > 3 else "center", fontsize=7)
            more = f" (12 of {n} values)" if n > 12 else ""
            ax.set_title(f"{c.name}{more}", fontsize=9)
        ax.tick_params(labelsize=7)
    from matplotlib.patches import Patch

    handles = [Patch(color="0.7", label="data (training split)"), Patch(color="tab:green", label="samples")]
    left = f"  (first {MAX_PANELS} of {len(codec.columns)} columns)" if len(codec.columns) > MAX_PANELS else ""
    fig.suptitle(title + left, fontsize=10)
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1 - 0.35 / (2.7 * nrow + 0.6)), ncol=2,
               frameon=False, fontsize=8)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.7 / (2.7 * nrow + 0.6)))
    return fig


def _short(label: str, width: int = 14) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"
