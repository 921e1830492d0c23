"""`gankit bench heights`: docs/data.md's heights table, measured again and written in place.

configs/heights.toml is trained as shipped with seeds 0..N-1; each run's 10,000 samples (seed 0)
are compared with the 5,000 test heights by `ks` and `wasserstein`. Beside them, for scale: the KS
distance two samples of those sizes from one distribution stay under in 95% of draws, and where
a generator trained for one step is. The same config and seed give the same weights bit for bit
on one machine, so `tests/data/test_end_to_end.py` trains seed 0 and checks the table's first row.
"""

from __future__ import annotations

import math
import sys
import tempfile
from pathlib import Path

import torch

from .. import config as config_mod
from ..metrics.runs import evaluate_run
from ..train import train
from .modes import ROOT, replace_section

CONFIG = ROOT / "configs" / "heights.toml"
N_SAMPLES = 10000
N_TEST = 5000
BEGIN, END = "<!-- gankit bench heights: begin -->", "<!-- gankit bench heights: end -->"


def measure(run: Path) -> tuple[float, float]:
    """(ks_height_cm, w1_height_cm) of a run's 10,000 samples of seed 0."""
    r = evaluate_run(run, "ks,wasserstein", n=N_SAMPLES, seed=0)
    return float(r["ks_height_cm"]), float(r["w1_height_cm"])


def run_seed(seed: int, runs: Path, extra: tuple[str, ...] = ()) -> Path:
    out = runs / f"heights-{seed}{'-' + '-'.join(e.split('=')[1] for e in extra) if extra else ''}"
    if not (out / "checkpoints" / "latest.pt").is_file():  # a run left in --runs by an earlier call is reused
        train(config_mod.load(CONFIG, [f"seed={seed}", *extra]), out, quiet=True)
    return out


def ks95(n: int = N_SAMPLES, m: int = N_TEST) -> float:
    """The two-sample KS test's 5% critical value, 1.358 √((n + m) / (n m))."""
    return 1.358 * math.sqrt((n + m) / (n * m))


def row(seed: int, ks: float, w1: float) -> str:
    """One table row, as docs/data.md prints it (the test compares these strings)."""
    return f"| {seed} | {ks:.4f} | {w1:.3f} cm |"


def section(rows: list[tuple[int, float, float]], one_step: tuple[float, float], machine: str, command: str) -> list[str]:
    return [
        f"Measured by `{command}` on {machine}: 10000 samples (seed 0) of each run",
        "against the 5000 test heights; each row is",
        "",
        "```",
        "gankit train --config configs/heights.toml --set seed=S --out runs/heights-S",
        "gankit evaluate runs/heights-S --metrics ks,wasserstein",
        "```",
        "",
        "| seed | `ks_height_cm` | `w1_height_cm` |",
        "|---|---|---|",
        *[row(s, ks, w1) for s, ks, w1 in rows],
        "",
        f"For scale: two samples of these sizes from one distribution differ by KS < {ks95():.4f} in 95% of",
        f"draws, and after one training step the generator is at KS {one_step[0]:.2f}, W1 {one_step[1]:.1f} cm "
        "(`--set train.steps=1`).",
    ]


def table_rows(doc: Path = ROOT / "docs" / "data.md") -> dict[int, str]:
    """The rows of the table docs/data.md holds now, by seed."""
    text = doc.read_text()
    if BEGIN not in text:
        return {}
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    return {int(line.split("|")[1]): line.strip() for line in block.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip().isdigit()}


def main(a) -> int:
    """The CLI's `gankit bench heights` (arguments parsed by cli.py)."""
    from .speed import cpu_name

    log = lambda msg: print(f"gankit: {msg}", file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory(prefix="gankit-heights-") as tmp:
        runs = Path(a.runs) if a.runs else Path(tmp)
        rows = []
        for seed in range(a.seeds):
            ks, w1 = measure(run_seed(seed, runs))
            rows.append((seed, ks, w1))
            log(f"heights seed {seed}: ks {ks:.4f}, w1 {w1:.3f} cm")
        one_step = measure(run_seed(0, runs, ("train.steps=1",)))
    command = "gankit bench heights" + (f" --seeds {a.seeds}" if a.seeds != 3 else "")
    lines = section(rows, one_step, f"{cpu_name()}, torch {torch.__version__}", command)
    print("\n".join(lines))
    if a.write:
        replace_section(ROOT / "docs" / "data.md", lines, begin=BEGIN, end=END)
        log("wrote docs/data.md's heights table")
    return 0
