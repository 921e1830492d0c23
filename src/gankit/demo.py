"""`make demo`: train a GAN on real data for a few minutes, then write samples, curves, metrics
and the run's report page.

Fashion-MNIST with configs/fast-fashion-mnist.toml (the best quality gankit reaches in its 150 s
budget on two cores; BENCHMARKS.md, time to quality) when Debian's dataset-fashion-mnist is
installed; otherwise scikit-learn's 8×8 digits, saying so. Everything goes through the same API the CLI uses. The demo replaces its own
earlier output (a folder holding its marker file), never anything else.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from . import config as config_mod
from . import data, metrics
from .errors import GankitError
from .metrics.runs import evaluate_run
from .report.figures import make_figures
from .report.page import write_report
from .train import train

ROOT = Path(__file__).resolve().parents[2]
PREFERRED_METRICS = ["fd", "kid", "prdc", "classes", "parzen"]
MARKER = ".gankit-demo"  # written into the demo's folder: only such a folder may be replaced


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gankit.demo")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--time-limit", type=float, default=None,
                   help="training seconds (default: the config's train.time_limit, 150 s for Fashion-MNIST)")
    p.add_argument("--configs", default=str(ROOT / "configs"))
    a = p.parse_args(argv)
    try:
        return run_demo(Path(a.out), a.time_limit, Path(a.configs))
    except GankitError as e:
        print(f"gankit: error: {e}", file=sys.stderr)
        return 2


CONFIGS = {"fashion-mnist": "fast-fashion-mnist.toml", "digits": "digits.toml"}
FALLBACK_SECONDS = 150.0  # training time when the config sets no time limit


def run_demo(out: Path, time_limit: float | None, configs: Path) -> int:
    name = "fashion-mnist"
    found = data.probe(config_mod.DataConfig(name=name))
    if not found.available:
        print(f"demo: Fashion-MNIST is not available ({found.detail}); using scikit-learn's 8x8 digits instead",
              file=sys.stderr)
        name = "digits"
    cfg = config_mod.load(configs / CONFIGS[name])
    time_limit = time_limit if time_limit is not None else (cfg.train.time_limit or FALLBACK_SECONDS)
    cfg = config_mod.load(configs / CONFIGS[name], [f"train.time_limit={time_limit}"])
    claim(out)
    print(f"demo: training configs/{CONFIGS[name]} on {name} for at most {time_limit:.0f} s into {out}",
          file=sys.stderr)
    result = train(cfg, out)
    figures = make_figures(out)
    chosen = [m for m in PREFERRED_METRICS if m in metrics.names()]
    scores = evaluate_run(out, chosen, n=5000) if chosen else {}
    report = write_report(out)
    print(f"\ndemo: trained {result.step} generator steps on {name} ({result.stopped})")
    for f in figures:
        print(f"demo: figure   {f}")
    print(f"demo: samples  {out / 'samples'}/ (one grid every {cfg.train.sample_every} steps)")
    print(f"demo: metrics  {out / 'metrics.json'}: {json.dumps(scores)}")
    if "fd" in scores:
        print(f"demo: FD reached {scores['fd']:.4g} (Fréchet distance in the features of gankit's {name} classifier, "
              f"lower is better; BENCHMARKS.md compares it with a hand-written DCGAN)")
    print(f"demo: more     gankit sample {out} --n 100 --out samples.png ; tensorboard --logdir {out / 'tensorboard'}")
    print(f"demo: report   {report.resolve()}  (open it in a browser)")
    return 0


def claim(out: Path) -> None:
    """Make `out` the demo's folder: an earlier demo's (it holds MARKER) is replaced, an empty or
    missing one is created; anything else is refused, since it may be someone's run."""
    if out.exists() and not out.is_dir():
        raise GankitError(f"--out {out} is a file; give a folder for the demo's run")
    if out.is_dir() and any(out.iterdir()):
        if not (out / MARKER).is_file():
            raise GankitError(f"{out} already exists and was not made by the demo; it is left alone "
                              "(give another --out, e.g. --out runs/demo)")
        shutil.rmtree(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        (out / MARKER).write_text("made by `python -m gankit.demo`; the next demo run may replace this folder\n")
    except OSError as e:
        raise GankitError(f"cannot write {out}: {e.strerror or e} (choose a writable --out)") from None


if __name__ == "__main__":
    sys.exit(main())
