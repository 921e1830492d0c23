"""`make bench`'s "Tables" section: gankit beside CTGAN and TVAE (the `ctgan` package, their
default settings) on real tables that packages ship offline, scored alike.

Each table is split once (70% training, 30% held out, a fixed permutation). CTGAN and TVAE fit
the training rows as their defaults do (300 epochs); gankit trains `configs/table.toml` on the
same rows for half of CTGAN's fit time (`train.time_limit`). Each then draws as many rows as
there are training rows, and `gankit.metrics.table.scores` scores them against the training rows
and the held-out rows, beside the held-out rows themselves (the ceiling). CTGAN cannot train on
blanks in number columns, so rows with such blanks are left out for every model alike.

Tables (each loads offline from its package; `pip install 'gankit[bench]'`):
- penguins: the Palmer penguins (`palmerpenguins`): 3 species on 3 islands, bills, flippers,
  mass, sex with blanks; target species;
- cars: the Vega cars (`vega_datasets`, local): the model name left out (an identifier), the
  year as a whole number; target Origin;
- affairs: Fair's 1978 survey of 6,366 women (`statsmodels.datasets.fair`): mostly ordinal
  answers, and the time spent in affairs; target rate_marriage.
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import GankitError

ROOT = Path(__file__).resolve().parents[3]  # the repository: configs/ (bench.speed, which runs this, has its own)
SPLIT_SEED = 0
HOLDOUT = 0.3
SCORES = [("column_shapes", "column shapes", True), ("pair_trends", "pair trends", True),
          ("detection_auc", "detection AUC", False), ("ml", "ML efficacy", True)]


def _penguins():
    import palmerpenguins

    return palmerpenguins.load_penguins()


def _cars():
    from vega_datasets import local_data

    frame = local_data.cars().drop(columns=["Name"])
    frame["Year"] = frame["Year"].dt.year
    return frame


def _affairs():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import statsmodels.api as sm

        return sm.datasets.fair.load_pandas().data


@dataclass(frozen=True)
class Table:
    name: str
    load: Callable
    target: str
    source: str


TABLES = [Table("penguins", _penguins, "species", "palmerpenguins"),
          Table("cars", _cars, "Origin", "vega_datasets (local)"),
          Table("affairs", _affairs, "rate_marriage", "statsmodels.datasets.fair")]


@dataclass
class Prepared:
    table: Table
    train: object  # pandas frames
    holdout: object
    csv: Path
    types: dict
    codec: object  # the scoring transformer, fitted on all rows: every model's rows are scored through it


def prepare(table: Table, folder: Path, max_rows: int = 0) -> Prepared:
    import pandas as pd

    from ..data.table import TableCodec
    from ..data.table.columns import infer

    frame = table.load().reset_index(drop=True)
    types = infer(frame, {}, table.name, 2)
    numbers = [c for c, t in types.items() if t in ("continuous", "integer")]
    frame = frame.dropna(subset=numbers).reset_index(drop=True)  # CTGAN cannot train on blank numbers
    if max_rows:
        frame = frame.iloc[:max_rows]
    rng = np.random.default_rng(SPLIT_SEED)
    perm = rng.permutation(len(frame))
    k = int(len(frame) * HOLDOUT)
    train, holdout = frame.iloc[perm[k:]].reset_index(drop=True), frame.iloc[perm[:k]].reset_index(drop=True)
    path = folder / f"{table.name}-train.csv"
    train.to_csv(path, index=False)
    codec = TableCodec.fit(pd.concat([train, holdout], ignore_index=True), types)
    return Prepared(table, train, holdout, path, types, codec)


def _score(p: Prepared, fake_frame, seed: int = 0) -> dict:
    from ..metrics.table import scores

    train = p.codec.codes_of(p.train, "training rows")
    holdout = p.codec.codes_of(p.holdout, "held-out rows")
    fake = p.codec.codes_of(fake_frame, "samples")
    out = scores(train, holdout, fake, p.codec, p.table.target, seed, ceiling=False)
    out["ml"] = out.get("ml_f1", out.get("ml_r2", math.nan))
    return out


def _ceiling(p: Prepared) -> dict:
    from ..metrics.table import scores

    train = p.codec.codes_of(p.train, "training rows")
    holdout = p.codec.codes_of(p.holdout, "held-out rows")
    out = scores(train, holdout, holdout, p.codec, p.table.target, ceiling=False)
    out["ml"] = out.get("ml_f1_real", out.get("ml_r2_real", math.nan))
    return out


def run_ctgan(p: Prepared, kind: str, epochs: int | None, threads: int = 1) -> dict:
    """CTGAN or TVAE with the ctgan package's defaults (epochs=300 unless `epochs`), on `threads`
    torch threads (gankit gets as many)."""
    import torch

    try:
        import ctgan
    except ImportError:
        raise GankitError("the Tables bench needs the ctgan package: pip install 'gankit[bench]'") from None
    discrete = [c for c, t in p.types.items() if t in ("categorical", "boolean")]
    kw = {} if epochs is None else {"epochs": epochs}
    model = ctgan.CTGAN(enable_gpu=False, **kw) if kind == "CTGAN" else ctgan.TVAE(enable_gpu=False, **kw)
    model.set_random_state(0)
    torch.set_num_threads(threads)
    t = time.perf_counter()
    model.fit(p.train, discrete_columns=discrete)
    fit = time.perf_counter() - t
    t = time.perf_counter()
    fake = model.sample(len(p.train))
    sample = time.perf_counter() - t
    n_epochs = epochs if epochs is not None else 300
    return {"fit_s": fit, "wall_s": fit, "rows_per_s": n_epochs * len(p.train) / fit, "sample_rows_per_s": len(p.train) / sample,
            **_score(p, fake)}


def run_gankit(p: Prepared, seconds: float, folder: Path, overrides: list[str] = (), threads: int = 1,
               name: str = "") -> dict:
    """gankit's shipped config for `seconds` in all: reading and encoding the table (measured
    first, on its own) and training (`train.time_limit`, the rest). `fit_s` is that work, what
    CTGAN's fit does (its transformer, then training): the loading time plus the training loop's
    (the checkpoint's `elapsed`); `wall_s` the whole `train` call, also building the session,
    writing checkpoints, the log and the final sample picture."""
    from .. import config as config_mod
    from .. import data
    from ..sampling.generator import load_generator
    from ..train.run import train

    base = [f"data.name=csv:{p.csv}", "data.holdout=0", f"threads={threads}", "train.sample_every=0",
            "train.steps=1000000", *overrides]
    cfg = config_mod.load(ROOT / "configs" / "table.toml", base)
    t = time.perf_counter()
    data.load(cfg.data)
    loading = time.perf_counter() - t
    cfg = config_mod.load(ROOT / "configs" / "table.toml", [*base, f"train.time_limit={max(0.5, seconds - loading):.3f}"])
    run = folder / f"gankit-{p.table.name}{'-' + name if name else ''}"
    t = time.perf_counter()
    result = train(cfg, run, quiet=True)
    wall = time.perf_counter() - t
    G = load_generator(run)
    t = time.perf_counter()
    fake = G.frame(len(p.train), seed=0)
    sample = time.perf_counter() - t
    import torch

    state = torch.load(run / "checkpoints" / "latest.pt", weights_only=True)
    fit = loading + float(state["elapsed"])
    return {"fit_s": fit, "wall_s": wall, "rows_per_s": int(state["examples_seen"]) / fit,
            "sample_rows_per_s": len(p.train) / sample, "steps": result.step, **_score(p, fake)}


FULL = "gankit, CTGAN's whole time"  # the row that says whether a goal missed is missed for want of time


def measure(tables: list[Table] = TABLES, epochs: int | None = None, gankit_share: float = 0.5,
            max_rows: int = 0, overrides: list[str] = (), threads: int = 1, full: bool = True,
            log=print) -> list[dict]:
    """Every table: CTGAN, TVAE, gankit (for `gankit_share` of CTGAN's fit time) and the held-out
    rows, each with its scores and times; with `full`, gankit also for all of CTGAN's fit time
    (row FULL), so that a goal missed in the budget shows whether more time would meet it."""
    out = []
    with tempfile.TemporaryDirectory(prefix="gankit-bench-tables-") as tmp:
        folder = Path(tmp)
        for table in tables:
            p = prepare(table, folder, max_rows)
            log(f"bench tables: {table.name}: {len(p.train)} training rows, {len(p.holdout)} held out, "
                f"{len(p.types)} columns")
            rows = {"held-out rows": _ceiling(p)}
            for kind in ("CTGAN", "TVAE"):
                rows[kind] = run_ctgan(p, kind, epochs, threads)
                log(f"bench tables: {table.name}: {kind} fit in {rows[kind]['fit_s']:.1f} s")
            budget = gankit_share * rows["CTGAN"]["fit_s"]
            rows["gankit"] = run_gankit(p, budget, folder, list(overrides), threads)
            log(f"bench tables: {table.name}: gankit trained {rows['gankit']['steps']} steps in "
                f"{rows['gankit']['fit_s']:.1f} s")
            if full:
                rows[FULL] = run_gankit(p, rows["CTGAN"]["fit_s"], folder, list(overrides), threads, name="full")
            out.append({"table": table, "rows": len(p.train), "holdout": len(p.holdout), "columns": len(p.types),
                        "types": dict(p.types), "results": rows, "budget_s": budget})
    return out


def _best(r: dict, key: str, higher: bool) -> float:
    return max(r["CTGAN"][key], r["TVAE"][key]) if higher else min(r["CTGAN"][key], r["TVAE"][key])


def goals(result: dict, who: str = "gankit") -> dict[str, bool]:
    """Whether gankit (row `who`) matches or beats the better of CTGAN and TVAE on each score."""
    r = result["results"]
    met = {}
    for key, _, higher in SCORES:
        best = _best(r, key, higher)
        met[key] = r[who][key] >= best if higher else r[who][key] <= best
    met["time"] = r["gankit"]["fit_s"] <= 0.5 * r["CTGAN"]["fit_s"] * 1.05 + 0.5  # the time limit ends at a step
    return met


def section(results: list[dict], command: str) -> list[str]:
    lines = ["## Tables: gankit beside CTGAN and TVAE", "",
             "Real tables that packages ship offline (`pip install 'gankit[bench]'`), each split once, 70% training, "
             "30% held out. CTGAN and TVAE (the `ctgan` package) fit the training rows with their default settings "
             "(300 epochs), each on one torch thread; gankit trains `configs/table.toml` for half of CTGAN's fit time "
             f"(and, in the row \"{FULL}\", for all of it: whether a score missed is missed for want of time). Each draws as many rows "
             "as the training set has; scores (`gankit.metrics.table`, SDMetrics' definitions) compare them with the "
             "training rows, ML efficacy trains gradient-boosted trees on them and tests on the held-out rows "
             "(macro F1). The held-out rows' own scores are the ceiling. Detection: ROC AUC of logistic regression, "
             "0.5 is best. Rows with a blank number are left out (CTGAN cannot train on them). Fit: CTGAN's and TVAE's "
             "`fit`; gankit's reading and encoding the table plus its training loop, the same work; wall: gankit's "
             "whole `train` call, also building nets, writing checkpoints, the log and its final sample picture. "
             "Training rows/s: rows the model saw per second of fit (CTGAN, TVAE: epochs x rows).", "",
             "![scores per table](docs/figures/bench-tables.png)", ""]
    for res in results:
        t = res["table"]
        lines += [f"### {t.name} ({t.source}: {res['rows']} training rows, {res['holdout']} held out, "
                  f"{res['columns']} columns; target {t.target})", "",
                  "| | column shapes | pair trends | detection AUC | detection AUC (trees) | ML efficacy | copies | "
                  "fit (s) | wall (s) | training rows/s | sampling rows/s |", "|---|---|---|---|---|---|---|---|---|---|---|"]
        for who, r in res["results"].items():
            timing = ("| – | – | – | –" if who == "held-out rows" else
                      f"| {r['fit_s']:.1f} | {r['wall_s']:.1f} | {r['rows_per_s']:,.0f} | {r['sample_rows_per_s']:,.0f}")
            lines.append(f"| {who} | {r['column_shapes']:.3f} | {r['pair_trends']:.3f} | {r['detection_auc']:.3f} | "
                         f"{r['detection_gbt_auc']:.3f} | {r['ml']:.3f} | {r.get('copies', 0):.3f} {timing} |")
        met = goals(res)
        said = ", ".join(f"{label} {'met' if met[key] else 'NOT met'}" for key, label, _ in SCORES)
        lines += ["", f"Goal (gankit at least the better of CTGAN and TVAE, in half of CTGAN's time): {said}; "
                      f"time {'met' if met['time'] else 'NOT met'}." + _why(res, met), ""]
    lines += ["Reproduce: `" + command + "` (on a quiet machine: the time budget is wall time).", ""]
    return lines


def _why(res: dict, met: dict) -> str:
    """By how much each missed score is missed, and whether gankit given all of CTGAN's time meets it."""
    r = res["results"]
    missed = [(key, label, higher) for key, label, higher in SCORES if not met[key]]
    if not missed:
        return ""
    full_met = goals(res, FULL) if FULL in r else {}
    parts = []
    for key, label, higher in missed:
        best = _best(r, key, higher)
        part = f"{label} {r['gankit'][key]:.3f} against {best:.3f}"
        if key == "pair_trends" and "pair_trends_numbers" in r["gankit"]:
            rival = max(("CTGAN", "TVAE"), key=lambda w: r[w][key])
            part += "; " + ", ".join(
                f"{what} {r['gankit'][k]:.3f} against {rival}'s {r[rival][k]:.3f}"
                for k, what in (("pair_trends_numbers", "pairs of numbers"), ("pair_trends_categories", "pairs with a category"))
                if not math.isnan(r["gankit"][k]))
        ceiling = r.get("held-out rows", {}).get(key)
        if ceiling is not None and (ceiling <= best if higher else ceiling >= best):
            part += (f" (held-out real rows score {ceiling:.3f}, no better than the best model: a gap within "
                     f"this score's noise)")
        if full_met:
            g = r[FULL]
            part += (f"; with CTGAN's whole time ({g['steps']:,} steps, against {r['gankit']['steps']:,}) "
                     f"{g[key]:.3f}, {'met: in half the time it is short of steps' if full_met[key] else 'not met either'}")
        parts.append(part)
    return " By how much: " + "; ".join(parts) + "."


def figure(results: list[dict], path: Path) -> Path:
    from ..sampling.pictures import pyplot

    plt = pyplot()
    fig, axes = plt.subplots(1, len(SCORES), figsize=(4 * len(SCORES), 3.6))
    who = ["held-out rows", "CTGAN", "TVAE", "gankit"]
    colors = ["0.7", "tab:blue", "tab:orange", "tab:green"]
    x = np.arange(len(results))
    for ax, (key, label, higher) in zip(axes, SCORES):
        for i, w in enumerate(who):
            ax.bar(x + (i - 1.5) * 0.2, [r["results"][w][key] for r in results], 0.2, color=colors[i], label=w)
        ax.set_xticks(x, [r["table"].name for r in results])
        ax.set_title(f"{label} ({'higher' if higher else 'lower'} is better)", fontsize=10)
    axes[0].legend(fontsize=8, frameon=False)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def run_section(command: str, figures: Path, epochs: int | None = None, max_rows: int = 0,
                tables: str = "") -> list[str]:
    wanted = [t for t in TABLES if not tables or t.name in tables.split(",")]
    results = measure(wanted, epochs=epochs, max_rows=max_rows)
    figure(results, figures / "bench-tables.png")
    return section(results, command)


# ------------------------------------------------------------------ the options, measured against each other

# (what is changed, its --set overrides of configs/table.toml): each is one choice of the shipped config
# undone, or CTGAN's own settings; `{batch}` is CTGAN's 500, or the training rows when fewer (gankit's
# batches are drawn from the rows, CTGAN's with replacement)
OPTIONS = [
    ("shipped (configs/table.toml)", []),
    ("numbers by quantile (data.continuous = quantile)", ["data.continuous=quantile"]),
    ("plain MLP nets (model.g = model.d = mlp)", ["model.g=mlp", "model.d=mlp"]),
    ("no conditional vector (model.cond_vector = false)", ["model.cond_vector=false"]),
    ("no packing (model.pack = 1)", ["model.pack=1"]),
    ("CTGAN's packing (model.pack = 10)", ["model.pack=10"]),
    ("data frequencies, not log (train.log_frequency = false)", ["train.log_frequency=false"]),
    ("no EMA of G (train.ema = 0)", ["train.ema=0"]),
    ("WGAN-GP (train.loss = wgan-gp)", ["train.loss=wgan-gp"]),
    ("CTGAN's settings (WGAN-GP, batch 500, 256-wide nets, pack 10, dropout 0.5, lr 2e-4, no EMA)",
     ["train.loss=wgan-gp", "train.batch_size={batch}", "model.g_hidden=[256,256]", "model.d_hidden=[256,256]",
      "model.pack=10", "model.d_dropout=0.5", "optim.lr_g=2e-4", "optim.lr_d=2e-4", "train.ema=0"]),
]


def measure_options(table: Table, seconds: float, options: list = OPTIONS, threads: int = 1, log=print) -> dict:
    """Each option of OPTIONS trained on `table` for the same `seconds` (one seed), scored as the
    Tables section scores: which choice of the shipped config bought what."""
    out = {}
    with tempfile.TemporaryDirectory(prefix="gankit-bench-options-") as tmp:
        folder = Path(tmp)
        p = prepare(table, folder)
        out["held-out rows"] = _ceiling(p)
        batch = min(500, len(p.train) // 10 * 10)
        for i, (label, overrides) in enumerate(options):
            sets = [o.format(batch=batch) for o in overrides]
            out[label] = run_gankit(p, seconds, folder, sets, threads, name=f"option{i}")
            out[label]["overrides"] = sets
            log(f"bench tables-options: {table.name}: {label}: {out[label]['steps']} steps")
    return {"table": table, "rows": len(p.train), "holdout": len(p.holdout), "seconds": seconds, "results": out}


def options_section(result: dict, command: str) -> list[str]:
    t = result["table"]
    lines = ["## Tables: the options, measured against each other", "",
             f"Each choice of `configs/table.toml` undone in turn, and CTGAN's own settings in gankit's loop, each "
             f"trained for the same {result['seconds']:.0f} s (reading and encoding the table, then training; one "
             f"seed, one torch thread) on the {t.name} table ({t.source}: {result['rows']} training rows, "
             f"{result['holdout']} held out; target {t.target}), and scored as in the Tables section.", "",
             "| option | `--set` | column shapes | pair trends | detection AUC | detection AUC (trees) | ML efficacy | G steps |",
             "|---|---|---|---|---|---|---|---|"]
    for who, r in result["results"].items():
        sets = " ".join(f"`{s}`" for s in r.get("overrides", [])) or "–"
        steps = f"{r['steps']:,}" if "steps" in r else "–"
        lines.append(f"| {who} | {sets} | {r['column_shapes']:.3f} | {r['pair_trends']:.3f} | {r['detection_auc']:.3f} | "
                     f"{r['detection_gbt_auc']:.3f} | {r['ml']:.3f} | {steps} |")
    lines += ["", "Reproduce: `" + command + "` (one seed: differences of a few hundredths are noise).", ""]
    return lines


def run_options_section(command: str, seconds: float = 20.0, tables: str = "", options: list = OPTIONS) -> list[str]:
    wanted = [t for t in TABLES if t.name in (tables or "penguins").split(",")][:1]
    if not wanted:
        raise GankitError(f"bench tables-options: no table {tables!r}; one of {', '.join(t.name for t in TABLES)}")
    return options_section(measure_options(wanted[0], seconds, options), command)


__all__ = ["TABLES", "Table", "FULL", "measure", "section", "figure", "goals", "run_section", "OPTIONS", "measure_options",
           "options_section", "run_options_section"]
