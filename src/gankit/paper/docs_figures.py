"""`make figures`: regenerate docs/figures/*.png from short real runs (a few minutes on 2 cores).

Runs go to runs/docs/ (replaced on every call); the figures are the paper's (gankit.paper.figures):
Figure 1 on gauss1d, the saturation of the minimax loss on digits, Figures 2 and 3 on digits and
on Fashion-MNIST, MNIST and CIFAR-10 when their files are found. Every setting used is in RUNS below.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from .. import config as config_mod
from .. import data
from ..config import DataConfig
from ..errors import GankitError
from ..train import train
from .figures import figure1, figure2, figure3, saturation

ROOT = Path(__file__).resolve().parents[3]  # the repository: configs/, docs/figures/
QUIET = ["train.sample_every=0", "train.log_every=100"]
# name -> (config file, overrides). configs/gauss1d.toml uses ReLU: with tanh this run collapses to a
# narrow spike more often (measured: std 0.16 vs 0.53 for the data's 0.5 after 2000 steps).
RUNS = {
    "gauss1d": ("gauss1d.toml", ["train.keep_every=250"]),
    # A discriminator with a head start (k = 5, 10x G's rate) rejects samples confidently at once:
    # the early regime in which the paper says log(1 - D(G(z))) saturates.
    **{f"saturation-{loss}": ("digits.toml", [f"train.loss={loss}", "train.steps=300", "train.k=5",
                                              "optim.lr_d=2e-3", "model.batch_norm=false",
                                              "train.keep_every=20", "train.checkpoint_every=20"])
       for loss in ("minimax", "nonsaturating")},
    "digits": ("digits.toml", []),
    "fashion-mnist": ("fashion-mnist.toml", ["train.steps=8000", "threads=1"]),
    # Only when their files are found (data.dir in the environment's standard places).
    "mnist": ("fashion-mnist.toml", ["data.name=mnist", "train.steps=8000", "threads=1"]),
    "cifar10": ("cifar10-mlp.toml", ["train.steps=8000", "threads=1"]),
}
OPTIONAL_IMAGE_SETS = ("fashion-mnist", "mnist", "cifar10")


def _train(name: str, runs: Path, log, extra: list[str] = ()) -> Path:
    file, overrides = RUNS[name]
    overrides = overrides + list(extra)
    out = runs / name
    shutil.rmtree(out, ignore_errors=True)
    t = time.monotonic()
    train(config_mod.load(ROOT / "configs" / file, overrides + QUIET), out, quiet=True)
    log(f"trained {name} ({file} {' '.join(overrides)}) in {time.monotonic() - t:.0f} s")
    return out


def regenerate(out: Path, runs: Path, log=None, data_dirs: dict[str, str] | None = None) -> list[Path]:
    """Train the runs, draw the figures into `out`; `data_dirs` maps a data set name to its folder."""
    data_dirs = data_dirs or {}
    log = log or (lambda s: print(f"gankit: {s}", file=sys.stderr, flush=True))
    out.mkdir(parents=True, exist_ok=True)
    written = [figure1(_train("gauss1d", runs, log), out / "figure1.png")]
    sat = [_train(f"saturation-{loss}", runs, log) for loss in ("minimax", "nonsaturating")]
    written.append(saturation(sat, out / "saturation.png"))
    image_sets = ["digits"]
    for name in OPTIONAL_IMAGE_SETS:
        try:
            probe = data.probe(DataConfig(name=name, dir=data_dirs.get(name, "")))
        except GankitError as e:
            log(f"{name} skipped: {e}")
            continue
        if probe.available:
            image_sets.append(name)
        else:
            log(f"{name} skipped: {probe.detail}")
    for name in image_sets:
        run = _train(name, runs, log, [f"data.dir={data_dirs[name]}"] if name in data_dirs else [])
        written.append(figure2(run, out / f"nearest-{name}.png"))
        written.append(figure3(run, out / f"walks-{name}.png"))
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gankit.paper.docs_figures", description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "figures"))
    p.add_argument("--runs", default=str(ROOT / "runs" / "docs"))
    p.add_argument("--data-dir", action="append", default=[], metavar="NAME=DIR",
                   help="where a data set's files are, e.g. mnist=~/data/mnist (repeatable)")
    a = p.parse_args(argv)
    dirs = dict(item.split("=", 1) for item in a.data_dir if "=" in item)
    t = time.monotonic()
    for path in regenerate(Path(a.out), Path(a.runs), data_dirs=dirs):
        print(path)
    print(f"gankit: figures regenerated in {time.monotonic() - t:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
