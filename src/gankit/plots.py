"""Pictures of a run: image grids (Pillow), scatter plots and histograms, training curves
(matplotlib, headless)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt

    return plt


def image_grid(images: torch.Tensor | np.ndarray, nrow: int | None = None, pad: int = 2, scale: int = 0) -> Image.Image:
    """N×C×H×W in [0,1] -> one Pillow image, nrow per row, `pad` pixels between, upscaled so
    small images (8×8 digits) stay visible."""
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


def save_samples(x: torch.Tensor, dataset, path: str | Path, title: str = "",
                 row_names: list[str] | None = None) -> Path:
    """Samples as the data's kind wants: a grid of images (one row per class when `row_names` is
    given), a scatter (2-D) or a histogram (1-D), drawn over the real data."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if dataset.kind == "image":
        (class_grid(x, row_names) if row_names else image_grid(x[:64], nrow=8)).save(path)
        return path
    plt = _pyplot()
    real = dataset.to_data_units(dataset.train[:len(x)]).numpy() if dataset.kind == "points" else None
    fake = x.numpy()
    fig, ax = plt.subplots(figsize=(5, 5) if fake.shape[1] >= 2 else (6, 3.5))
    if fake.shape[1] >= 2:
        ax.scatter(real[:, 0], real[:, 1], s=2, c="0.6", label="data")
        ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:green", label="G(z)")
        ax.set_aspect("equal")
        names = dataset.columns or ["x0", "x1"]
        ax.set_xlabel(names[0]); ax.set_ylabel(names[1])
    else:
        lo, hi = np.percentile(np.concatenate([real[:, 0], fake[:, 0]]), [0.5, 99.5])
        bins = np.linspace(lo, hi, 60)
        ax.hist(real[:, 0], bins=bins, density=True, color="0.6", label="data")
        ax.hist(fake[:, 0], bins=bins, density=True, histtype="step", lw=2, color="tab:green", label="G(z)")
        ax.set_xlabel((dataset.columns or ["x"])[0])
    ax.legend(loc="upper right", markerscale=4)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def read_log(run: str | Path) -> list[dict]:
    path = Path(run) / "log.jsonl"
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def save_curves(run: str | Path, path: str | Path) -> Path:
    """Losses and D's mean outputs on real and generated data over training."""
    rows = read_log(run)
    plt = _pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    steps = [r["step"] for r in rows]
    a.plot(steps, [r["loss_d"] for r in rows], label="loss D")
    a.plot(steps, [r["loss_g"] for r in rows], label="loss G")
    a.set_xlabel("generator step"); a.legend(); a.set_title("losses")
    b.plot(steps, [r["d_real"] for r in rows], label="D(x)")
    b.plot(steps, [r["d_fake"] for r in rows], label="D(G(z))")
    b.axhline(0.5, color="0.7", ls="--", lw=1)
    b.set_ylim(0, 1); b.set_xlabel("generator step"); b.legend(); b.set_title("discriminator outputs")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
