"""Training curves of a run, from RUN/log.jsonl: losses, D's outputs, FD when it was tracked."""

from __future__ import annotations

import json
import math
from pathlib import Path

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


def save_curves(run: str | Path, path: str | Path) -> Path:
    """Losses and D's mean outputs on real and generated data over training (and FD when tracked)."""
    plt = pyplot()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = curves_figure(read_log(run))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def curves_figure(rows: list[dict]):
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
    probabilities = [r[k] for r in rows for k in ("d_real", "d_fake") if isinstance(r.get(k), (int, float))]
    if all(0 <= p <= 1 for p in probabilities):  # the paper's losses; critics' raw scores are unbounded
        b.axhline(0.5, color="0.7", ls="--", lw=1)
        b.set_ylim(0, 1)
    b.set_xlabel("generator step"); b.legend(); b.set_title("discriminator outputs")
    if tracked:
        c = axes[2]
        c.plot([r["step"] for r in tracked], [r["fd"] for r in tracked], "o-", ms=3, color="tab:purple")
        c.set_xlabel("generator step"); c.set_title("FD during training (train.eval_every; lower is better)")
    fig.tight_layout()
    return fig
