"""The `gankit` command: parses arguments and calls the same functions the Python API exposes.

Bad input raises GankitError anywhere below; here it becomes one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import GankitError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is a GankitError (one line, exit 2) like any other bad input."""

    def error(self, message: str):
        raise GankitError(f"{message} (see `{self.prog} --help`)")


def _cmd_train(a) -> int:
    from . import config as config_mod
    from .train import train

    if a.resume:
        if a.config:
            raise GankitError("give either --config (new run) or --resume RUN, not both")
        result = train(None, resume=a.resume, overrides=a.set)
    else:
        if not a.config or not a.out:
            raise GankitError("train needs --config FILE and --out RUN (or --resume RUN)")
        cfg = config_mod.load(a.config, a.set)
        result = train(cfg, a.out)
    print(f"gankit: run {result.run} at step {result.step} ({result.stopped}); "
          f"checkpoint {result.run / 'checkpoints' / 'latest.pt'}", file=sys.stderr)
    return 130 if result.stopped == "interrupted" else 0


def _cmd_sample(a) -> int:
    from .sampling import sample, save_npy

    if a.n < 1:
        raise GankitError(f"--n must be a positive number of samples, got {a.n}")
    x = sample(a.run, a.n, seed=a.seed, which=a.checkpoint)
    out = save_npy(x, a.out)
    print(f"gankit: wrote {len(x)} samples {tuple(x.shape[1:])} to {out}", file=sys.stderr)
    return 0


def _cmd_evaluate(a) -> int:
    from .evaluate import evaluate_run

    result = evaluate_run(a.run, a.metrics, samples=a.samples, n=a.n, seed=a.seed, which=a.checkpoint,
                          overrides=a.set)
    print(json.dumps(result))
    return 0


def _cmd_figures(a) -> int:
    from .figures import make_figures

    for path in make_figures(a.run):
        print(path)
    return 0


def _cmd_theory(a) -> int:
    from .theory import report, run_theory

    if a.steps < 1:
        raise GankitError(f"--steps must be >= 1 (Adam steps per trained discriminator), got {a.steps}")
    result = run_theory(steps=a.steps, seed=a.seed)
    print(report(result))
    return 0 if result["ok"] else 1


def _cmd_paper(a) -> int:
    from .paper import format_table, table

    rows = table(a.data, run=a.run, data_dir=a.data_dir, n=a.n, seed=a.seed,
                 log=lambda msg: print(f"gankit: {msg}", file=sys.stderr, flush=True))
    print(format_table(rows, a.data))
    return 0


def _cmd_datasets(a) -> int:
    from . import config as config_mod, data

    cfg = config_mod.load(a.config, a.set)
    rows = data.listing(cfg.data if (a.config or a.set) else None)
    width = max(len(name) for name, _ in rows)
    for name, p in rows:
        status = "ok " if p.available else "-- "
        where = f"  {p.where}" if p.where else ""
        print(f"{status} {name:<{width}}  {p.detail}{where}")
    return 0


def _cmd_features(a) -> int:
    """`gankit features fit --data NAME`: train (or load) the feature net the metrics use."""
    from . import config as config_mod, data
    from .metrics.features import fit

    cfg = config_mod.load(None, [f"data.name={a.data}", *a.set])
    net, info = fit(data.load(cfg.data), cfg, force=a.force)
    print(json.dumps(info))
    return 0


def _cmd_bench(a) -> int:
    from .bench_modes import main

    return main(a)


def _add_set(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=f"{help} (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gankit", description="Generative Adversarial Nets (Goodfellow et al., 2014).")
    p.add_argument("--debug", action="store_true", help="show a traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    t = sub.add_parser("train", help="train a GAN (Algorithm 1), or resume a run exactly")
    t.add_argument("--config", help="TOML config file, e.g. configs/ring8.toml")
    _add_set(t, "override a config key, e.g. train.steps=2000")
    t.add_argument("--out", help="new run directory")
    t.add_argument("--resume", metavar="RUN", help="continue RUN from its latest checkpoint")
    t.set_defaults(func=_cmd_train)

    s = sub.add_parser("sample", help="draw samples from a run into a .npy file")
    s.add_argument("run", metavar="RUN")
    s.add_argument("--n", type=int, required=True, help="number of samples")
    s.add_argument("--out", required=True, help="output .npy file")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--checkpoint", default="latest", help="latest, best, or a path to a .pt file")
    s.set_defaults(func=_cmd_sample)

    e = sub.add_parser("evaluate", help="measure sample quality; prints JSON, writes RUN/metrics.json")
    e.add_argument("run", metavar="RUN")
    e.add_argument("--metrics", required=True, help="comma-separated metric names, e.g. modes or fd,kid,prdc")
    e.add_argument("--samples", help="evaluate this .npy file instead of sampling the run")
    _add_set(e, "override the run's config for this evaluation, e.g. metrics.inception_weights=PATH")
    e.add_argument("--n", type=int, default=10000, help="samples to draw from the run (default 10000)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--checkpoint", default="latest", help="latest, best, or a path to a .pt file")
    e.set_defaults(func=_cmd_evaluate)

    f = sub.add_parser("figures", help="write RUN/figures/*.png")
    f.add_argument("run", metavar="RUN")
    f.set_defaults(func=_cmd_figures)

    th = sub.add_parser("theory", help="check Section 4 numerically (D*, C(G) = -log 4 + 2 JSD); exit 1 if off")
    th.add_argument("--steps", type=int, default=1500, help="Adam steps for each trained discriminator")
    th.add_argument("--seed", type=int, default=0)
    th.set_defaults(func=_cmd_theory)

    pa = sub.add_parser("paper", help="reproduce the paper's tables: `gankit paper table --data fashion-mnist`")
    pa_sub = pa.add_subparsers(dest="what", metavar="WHAT", parser_class=_Parser)
    pa_sub.required = True
    pt = pa_sub.add_parser("table", help="Table 1: Parzen log-likelihood of a run beside reference rows")
    pt.add_argument("--data", default="fashion-mnist", choices=["fashion-mnist", "mnist"])
    pt.add_argument("--data-dir", default="", help="folder with the IDX files (default: the standard place)")
    pt.add_argument("--run", help="a run trained on --data: its 10k samples get a row")
    pt.add_argument("--n", type=int, default=10000, help="samples per row (the paper: 10000)")
    pt.add_argument("--seed", type=int, default=0)
    pt.set_defaults(func=_cmd_paper)

    fe = sub.add_parser("features", help="build the feature net that fd, kid, prdc and classes use")
    fe_sub = fe.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    fe_sub.required = True
    ff = fe_sub.add_parser("fit", help="train the data set's classifier now (else the first evaluate does)")
    ff.add_argument("--data", required=True, help="a labelled image data set: fashion-mnist, mnist, digits, cifar10")
    _add_set(ff, "config override, e.g. data.dir=PATH or metrics.feature_cache=DIR")
    ff.add_argument("--force", action="store_true", help="train again even if a cached net exists")
    ff.set_defaults(func=_cmd_features)

    b = sub.add_parser("bench", help="benchmarks: `gankit bench modes` (mode collapse on ring8 and grid25)")
    b_sub = b.add_subparsers(dest="which", metavar="WHICH", parser_class=_Parser)
    b_sub.required = True
    bm = b_sub.add_parser("modes", help="each method x seeds on ring8/grid25 beside the published rows; "
                                        "writes docs/modes.md, a section of BENCHMARKS.md, docs/figures/modes-*.png")
    bm.add_argument("--data", default="ring8,grid25", help="comma-separated: ring8, grid25")
    bm.add_argument("--methods", default="", help="comma-separated method keys (default: all), e.g. gan,pacgan2,best")
    bm.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per method (default 5)")
    bm.add_argument("--runs", help="keep the runs here; results already there are reused (default: a temporary folder)")
    bm.add_argument("--no-write", dest="write", action="store_false", help="print the tables only")
    bm.set_defaults(func=_cmd_bench)

    d = sub.add_parser("datasets", help="list data sets: where found, size, or why not available")
    d.add_argument("--config", help="look where this config's data keys point (e.g. its data.dir)")
    _add_set(d, "e.g. --set data.dir=~/data/mnist to look for MNIST or CIFAR-10 files there")
    d.set_defaults(func=_cmd_datasets)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except GankitError as e:
        if debug:
            raise
        print(f"gankit: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gankit: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("gankit: error: out of memory (lower train.batch_size or --n)", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
