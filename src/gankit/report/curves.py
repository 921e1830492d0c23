"""Training curves of a run, from RUN/log.jsonl: losses, D's outputs, FD when it was tracked."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from ..sampling.outputs import png_bytes, write_file
from ..sampling.pictures import pyplot


def read_log(run: str | Path) -> list[dict]:
    """RUN/log.jsonl's rows; a line cut short (a run killed mid-write) is skipped."""
    path = Path(run) / "log.jsonl"
    if not path.is_file():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and "step" in row:
            rows.append(row)
    return rows


def save_curves(run: str | Path, path: str | Path, loss: Any = None) -> Path:
    """Losses and D's mean outputs on real and generated data over training (and FD when tracked),
    written atomically with gankit's mark (the caller has checked `path` may be written); `loss`
    (`run_loss`) says where D's outputs meet at equilibrium."""
    return write_file(Path(path), curves_png(read_log(run), equilibrium=getattr(loss, "equilibrium", None)))


def run_loss(config: Any) -> Any:
    """The GANLoss a run's config names (what its logged d_real/d_fake mean), or None when it cannot
    be built here (a plugin's loss that is not installed)."""
    from .. import losses

    try:
        return losses.build(config.train) if config is not None else None
    except Exception:
        return None


def curves_png(rows: list[dict], dpi: int = 100, equilibrium: float | None = None) -> bytes:
    plt = pyplot()
    fig = curves_figure(rows, equilibrium)
    try:
        return png_bytes(fig, dpi=dpi)
    finally:
        plt.close(fig)


def curves_figure(rows: list[dict], equilibrium: float | None = None):
    """Losses, D's outputs (with the value both take at the loss's equilibrium, when it has one:
    1/2 for the paper's losses) and FD when tracked."""
    plt = pyplot()
    tracked = [r for r in rows if isinstance(r.get("fd"), (int, float))]
    fig, axes = plt.subplots(1, 3 if tracked else 2, figsize=(15 if tracked else 10, 3.6))
    a, b = axes[0], axes[1]
    steps = [r["step"] for r in rows]
    a.plot(steps, [r.get("loss_d", math.nan) for r in rows], label="loss D")
    a.plot(steps, [r.get("loss_g", math.nan) for r in rows], label="loss G")
    a.set_xlabel("generator step"); a.legend(); a.set_title("losses")
    b.plot(steps, [r.get("d_real", math.nan) for r in rows], label="D(x)")
    b.plot(steps, [r.get("d_fake", math.nan) for r in rows], label="D(G(z))")
    if equilibrium is not None:  # the paper's losses, LSGAN; critics' raw scores have no fixed level
        b.axhline(equilibrium, color="0.7", ls="--", lw=1, label=f"equilibrium ({equilibrium:g})")
    scores = [r[k] for r in rows for k in ("d_real", "d_fake") if isinstance(r.get(k), (int, float))]
    if scores and all(0 <= v <= 1 for v in scores):
        b.set_ylim(0, 1)
    b.set_xlabel("generator step"); b.legend(); b.set_title("discriminator outputs")
    if tracked:
        c = axes[2]
        c.plot([r["step"] for r in tracked], [r["fd"] for r in tracked], "o-", ms=3, color="tab:purple")
        c.set_xlabel("generator step"); c.set_title("FD during training (train.eval_every; lower is better)")
    fig.tight_layout()
    return fig
