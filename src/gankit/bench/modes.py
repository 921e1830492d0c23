"""`gankit bench modes`: mode collapse on ring8 and grid25, each method over several seeds, beside
the published rows.

The protocol is PacGAN's (Lin et al. 2018, after VEEGAN, Srivastava et al. 2017): after training,
draw 2,500 samples; a sample is high quality when it lies within 3 standard deviations of its
nearest mixture mean; a mode is covered when it has a high-quality sample; the reverse KL compares
the high-quality samples' mode frequencies with the uniform (`gankit.metrics.modes`). Samples come
from G_ema when the method keeps one. Every method is one config file plus `--set` lines, so any
row is one `gankit train` command.

Each finished run leaves `result.json` in its folder under `--runs`; a later call with the same
`--runs` reuses the results whose config is unchanged, so an interrupted benchmark continues and the
tables can be rewritten without training again.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from .. import config as config_mod
from .. import data as data_mod
from ..errors import GankitError
from ..sampling.outputs import write_file
from ..metrics.modes import mode_stats

ROOT = Path(__file__).resolve().parents[3]  # the repository: configs/, docs/, BENCHMARKS.md
N_SAMPLES = 2500
BEGIN, END = "<!-- gankit bench modes: begin -->", "<!-- gankit bench modes: end -->"


@dataclass(frozen=True)
class Method:
    key: str  # short name for --methods and folder names
    label: str
    config: str  # a file in configs/
    sets: tuple[str, ...] = ()

    def command(self) -> str:
        return " ".join([f"configs/{self.config}", *(f"--set {s}" for s in self.sets)])


# Each remedy is the baseline (the plain GAN, at its config's budget) with one change and the
# settings its paper uses; then the baseline trained as long as the shipped config, and the shipped
# config itself, the best combination found (its comments say why).
METHODS: dict[str, list[Method]] = {
    "ring8": [
        Method("gan", "GAN (the paper's loss, non-saturating)", "ring8-gan.toml"),
        Method("wgan-gp", "WGAN-GP (λ 10, k 5, Adam 1e-4, β 0/0.9)", "ring8-wgan-gp.toml"),
        Method("wgan-gp-toy", "WGAN-GP, λ 0.1 (the authors' toy-data script)", "ring8-wgan-gp.toml", ("train.gp_weight=0.1",)),
        Method("hinge-sn", "hinge + spectral norm", "ring8-gan.toml", ("train.loss=hinge", "model.spectral_norm=true")),
        Method("lsgan", "least squares", "ring8-gan.toml", ("train.loss=lsgan",)),
        Method("r1", "R1 penalty (γ 0.01)", "ring8-gan.toml", ("train.r1_gamma=0.01",)),
        Method("r3gan", "RpGAN + R1 + R2 (γ 0.01)", "ring8-gan.toml",
               ("train.loss=rpgan", "train.r1_gamma=0.01", "train.r2_gamma=0.01")),
        Method("unrolled", "unrolled D (5 steps)", "ring8-gan.toml", ("train.unroll=5",)),
        Method("pacgan2", "PacGAN2 (packing 2)", "ring8-gan.toml", ("model.pack=2",)),
        Method("mbstd", "minibatch std (groups of 4)", "ring8-gan.toml", ("model.minibatch_std=4",)),
        Method("ema", "EMA of G (β 0.99)", "ring8-gan.toml", ("train.ema=0.99",)),
        Method("gan-long", "GAN, 12,000 steps (the shipped budget)", "ring8-gan.toml", ("train.steps=12000",)),
        Method("best", "**shipped: configs/ring8.toml**", "ring8.toml"),
    ],
    "grid25": [
        Method("gan", "GAN (the paper's loss, non-saturating)", "grid25-gan.toml"),
        Method("wgan-gp", "WGAN-GP (λ 10, k 5, Adam 1e-4, β 0/0.9)", "grid25-wgan-gp.toml"),
        Method("wgan-gp-toy", "WGAN-GP, λ 0.1 (the authors' toy-data script)", "grid25-wgan-gp.toml", ("train.gp_weight=0.1",)),
        Method("hinge-sn", "hinge + spectral norm", "grid25-gan.toml", ("train.loss=hinge", "model.spectral_norm=true")),
        Method("lsgan", "least squares", "grid25-gan.toml", ("train.loss=lsgan",)),
        Method("r1", "R1 penalty (γ 0.1)", "grid25-gan.toml", ("train.r1_gamma=0.1",)),
        Method("r3gan", "RpGAN + R1 + R2 (γ 0.1)", "grid25-gan.toml",
               ("train.loss=rpgan", "train.r1_gamma=0.1", "train.r2_gamma=0.1")),
        Method("unrolled", "unrolled D (5 steps)", "grid25-gan.toml", ("train.unroll=5",)),
        Method("pacgan4", "PacGAN4 (packing 4)", "grid25-gan.toml", ("model.pack=4",)),
        Method("mbstd", "minibatch std (groups of 4)", "grid25-gan.toml", ("model.minibatch_std=4",)),
        Method("ema", "EMA of G (β 0.99)", "grid25-gan.toml", ("train.ema=0.99",)),
        Method("gan-long", "GAN, 10,000 steps (the shipped budget)", "grid25-gan.toml", ("train.steps=10000",)),
        Method("best", "**shipped: configs/grid25.toml**", "grid25.toml"),
    ],
}

# (method, modes, high-quality %, reverse KL, source). PacGAN's ± are standard errors over 10 runs.
PUBLISHED: dict[str, list[tuple[str, str, str, str, str]]] = {
    "ring8": [
        ("GAN", "6.3 ± 0.5", "98.2 ± 0.2", "0.45 ± 0.09", "PacGAN, Table 1"),
        ("PacGAN2", "7.9 ± 0.1", "95.6 ± 2.0", "0.07 ± 0.03", "PacGAN, Table 1"),
        ("VEEGAN", "8", "52.9", "—", "VEEGAN, Table 1"),
        ("Unrolled GAN", "7.6", "35.6", "—", "VEEGAN, Table 1"),
    ],
    "grid25": [
        ("GAN", "17.3 ± 0.8", "94.8 ± 0.7", "0.70 ± 0.07", "PacGAN, Table 1"),
        ("PacGAN4", "24.8 ± 0.2", "93.6 ± 0.6", "0.04 ± 0.01", "PacGAN, Table 1"),
        ("VEEGAN", "24.6", "40.0", "—", "VEEGAN, Table 1"),
    ],
}
GOALS = {"ring8": (8, 95.0), "grid25": (25, 90.0)}  # modes and high-quality % on every seed


def _config(method: Method, seed: int):
    return config_mod.load(ROOT / "configs" / method.config,
                           [*method.sets, f"seed={seed}", "train.sample_every=0"])


def finished(method: Method, seed: int, folder: Path) -> dict | None:
    """The result of a run that finished in `folder` with the method's current config, else None."""
    result_file = folder / "result.json"
    if not result_file.is_file():
        return None
    cfg = _config(method, seed)
    try:
        old = json.loads(result_file.read_text())
    except (OSError, ValueError):
        return None  # a result cut off mid-write: train again
    if old.get("config") == cfg.to_toml() and old.get("step") == cfg.train.steps:
        return old
    return None


def run_one(method: Method, seed: int, folder: Path, log: Callable[[str], None] | None = None) -> dict:
    """Train one method with one seed (or reuse its earlier result) and measure 2,500 samples."""
    from ..nets import sample_noise
    from ..sampling.generator import generate
    from ..train import train

    old = finished(method, seed, folder)
    if old is not None:
        return old
    cfg = _config(method, seed)
    if folder.exists():  # an unfinished or outdated run: start it again
        import shutil

        shutil.rmtree(folder)
    res = train(cfg, folder, quiet=True)
    if res.stopped != "done":  # a signal ended it early: never keep a short run's result as the method's
        raise GankitError(f"bench modes stopped: {cfg.data.name} {method.key} seed {seed} was {res.stopped} at step "
                          f"{res.step} of {cfg.train.steps}; run the same command again to go on (finished runs are reused)")
    G = res.G_ema if res.G_ema is not None else res.G
    ds = data_mod.load(cfg.data)
    z = sample_noise(cfg.model.prior, N_SAMPLES, cfg.model.z_dim, torch.Generator().manual_seed(seed))
    x = generate(G, z, ds.info())
    out = {**mode_stats(x, ds.modes, ds.mode_std), "seed": seed, "step": res.step, "config": cfg.to_toml(),
           "samples": x.tolist()}
    tmp = folder / ".result.json.tmp"  # atomic: a result file is whole or absent
    tmp.write_text(json.dumps(out))
    tmp.replace(folder / "result.json")
    if log is not None:
        log(_summary(cfg.data.name, method.key, out))
    return out


def _summary(data: str, key: str, r: dict) -> str:
    return f"{data} {key} seed {r['seed']}: {r['modes']}/{r['modes_total']} modes, {r['hq_percent']:.1f}% high quality"


def _run_in_child(method: Method, seed: int, folder: Path) -> dict:
    torch.set_num_threads(1)  # each run is a small MLP; the parallelism is across runs
    return run_one(method, seed, folder)


def _run_all(tasks: list[tuple[Method, int, Path]], jobs: int, log: Callable[[str], None]) -> list[dict]:
    """Every task's result, in order: a finished run's result is read once and reused, the rest
    are trained, `jobs` at once, each in its own process."""
    out: list[dict | None] = [finished(*t) for t in tasks]
    todo = [i for i, r in enumerate(out) if r is None]
    if jobs > 1 and len(todo) > 1:
        import multiprocessing
        from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

        # spawn: a fresh interpreter per worker, not a fork of one that holds torch's thread pools
        with ProcessPoolExecutor(min(jobs, len(todo)), mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {pool.submit(_run_in_child, *tasks[i]): i for i in todo}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)  # log each run as it ends
                for fut in done:
                    if fut.exception() is not None:
                        for p in pending:
                            p.cancel()  # runs already going finish and keep their results
                        raise fut.exception()
                    i = futures[fut]
                    out[i] = fut.result()
                    log(_summary(_config(tasks[i][0], tasks[i][1]).data.name, tasks[i][0].key, out[i]))
    else:
        for i in todo:
            out[i] = run_one(*tasks[i], log)
    return out


def bench(datasets=("ring8", "grid25"), methods: list[str] | None = None, seeds: int = 5,
          runs: str | Path | None = None, log: Callable[[str], None] = print, jobs: int = 1,
          finished_only: bool = False) -> dict[str, list[tuple[Method, list[dict]]]]:
    """{data: [(method, [result per seed])]} for the chosen methods (all when None).

    `jobs` trains that many runs at once, each in its own process with one thread. `finished_only`
    trains nothing: it reads the runs already finished in `runs`; a method keeps the seeds it has
    (its row says how many) and a method with none is left out."""
    for d in datasets:
        if d not in METHODS:
            raise GankitError(f"bench modes knows ring8 and grid25, not {d!r}")
    known = {m.key for ms in METHODS.values() for m in ms}
    for k in methods or []:
        if k not in known:
            raise GankitError(f"unknown method {k!r} for --methods (known: {', '.join(sorted(known))})")
    if seeds < 1:
        raise GankitError(f"--seeds must be >= 1, got {seeds}")
    if jobs < 1:
        raise GankitError(f"--jobs must be >= 1, got {jobs}")
    if finished_only and not runs:
        raise GankitError("--finished-only reads earlier runs: give the folder that holds them with --runs")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(runs) if runs else Path(tmp)
        plan = [(d, m) for d in datasets for m in METHODS[d] if not methods or m.key in methods]
        tasks = [(m, s, root / d / m.key / f"seed-{s}") for d, m in plan for s in range(seeds)]
        if finished_only:
            results = [finished(*t) for t in tasks]
        else:
            results = _run_all(tasks, jobs, log)
        out: dict[str, list[tuple[Method, list[dict]]]] = {d: [] for d in datasets}
        for j, (d, m) in enumerate(plan):
            res = [r for r in results[j * seeds:(j + 1) * seeds] if r is not None]
            if res:
                out[d].append((m, res))
    return out


def _mean_std(values: list[float], digits: int) -> str:
    if any(v is None for v in values):
        return "—"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} ± {statistics.stdev(values):.{digits}f}"


def table(data: str, rows: list[tuple[Method, list[dict]]]) -> list[str]:
    """The Markdown table of one data set: our rows (mean ± std over seeds), then the published."""
    total, goal_hq = GOALS[data][0], GOALS[data][1]
    lines = [f"| {data} | seeds | modes (of {total}) | high quality % | reverse KL | worst seed: modes, HQ % | command |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for m, res in rows:
        modes = [r["modes"] for r in res]
        hq = [r["hq_percent"] for r in res]
        worst = min(res, key=lambda r: (r["modes"], r["hq_percent"]))
        worst_hq = min(hq)
        lines.append(f"| {m.label} | {len(res)} | {_mean_std(modes, 1)} | {_mean_std(hq, 1)} | "
                     f"{_mean_std([r['reverse_kl'] for r in res], 2)} | {worst['modes']}, {worst_hq:.1f} | "
                     f"`{m.command()}` |")
    for name, modes, hq, kl, source in PUBLISHED[data]:
        lines.append(f"| *{name} (published: {source})* | | {modes} | {hq} | {kl} | | |")
    return lines


def goal_lines(results: dict[str, list[tuple[Method, list[dict]]]], seeds: int) -> list[str]:
    lines = []
    for data, rows in results.items():
        modes, hq = GOALS[data]
        for m, res in rows:
            if m.key != "best":
                continue
            met = [r["modes"] == modes and r["hq_percent"] >= hq for r in res]
            per_seed = ", ".join(f"seed {r['seed']}: {r['modes']}/{r['hq_percent']:.1f}%" for r in res)
            verdict = "met on every seed" if all(met) else f"met on {sum(met)} of {len(met)} seeds"
            if len(res) < seeds:
                verdict += f" run so far ({seeds - len(res)} of the {seeds} seeds not run yet)"
            lines.append(f"- **{data}** goal ({modes}/{modes} modes, ≥ {hq:.0f}% high quality on each seed): "
                         f"{verdict} ({per_seed}).")
    return lines


def figure(data: str, rows: list[tuple[Method, list[dict]]], path: str | Path) -> Path:
    """Seed 0's 2,500 samples of every method, over the mixture's means and their 3σ circles."""
    from ..sampling.pictures import pyplot

    plt = pyplot()
    ds = data_mod.load(config_mod.DataConfig(name=data))
    means, std = ds.modes.numpy(), ds.mode_std
    cols = 4
    nrows = math.ceil(len(rows) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(3.2 * cols, 3.3 * nrows), squeeze=False)
    lim = 1.35 if data == "ring8" else 5.3
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, (m, res) in zip(axes.flat, rows):
        r = res[0]
        x = torch.tensor(r["samples"]).numpy()
        ax.set_axis_on()
        for mu in means:
            ax.add_patch(plt.Circle(mu, 3 * std, color="0.75", fill=False, lw=0.8))
        ax.scatter(x[:, 0], x[:, 1], s=1.5, c="tab:green", alpha=0.5, linewidths=0)
        ax.scatter(means[:, 0], means[:, 1], s=6, c="k", marker="+", linewidths=0.6)
        ax.set_xlim(-lim, lim); ax.set_ylim(-lim, lim); ax.set_aspect("equal")
        ax.set_xticks([]); ax.set_yticks([])
        other_seed = f", seed {r['seed']}" if r["seed"] != rows[0][1][0]["seed"] else ""
        ax.set_title(f"{m.label.strip('*')}\n{r['modes']}/{r['modes_total']} modes, {r['hq_percent']:.1f}% HQ{other_seed}",
                     fontsize=8)
    fig.suptitle(f"{data}: 2,500 samples of each method (seed {rows[0][1][0]['seed']}); grey circles: 3σ of each mode",
                 fontsize=9)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def report(results: dict[str, list[tuple[Method, list[dict]]]], seeds: int, command: str, machine: str) -> list[str]:
    """The section written into docs/modes.md and BENCHMARKS.md."""
    lines = [
        "## Mode collapse (gankit bench modes)", "",
        f"Written by `{command}` on {machine}. Each row: mean ± standard deviation over its seeds (seeds "
        f"0–{seeds - 1} when the seeds column says {seeds}; PacGAN's ± are standard errors over 10 runs); "
        f"{N_SAMPLES} samples per run, from "
        "G_ema when the method keeps one; high quality = within 3σ of the nearest mode; reverse KL of the "
        "high-quality samples' mode frequencies against the uniform. Published rows come from the papers' own "
        "nets and training budgets (PacGAN: 400 epochs of 100k points; VEEGAN's setup differs again), ours "
        "from the commands shown. Why some remedies fail on 2-D data (spectral norm, WGAN-GP's λ 10, PacGAN4's D "
        "here) and which to choose: docs/modes.md, \"How to choose\".", "",
    ]
    for data, rows in results.items():
        lines += table(data, rows) + [""]
        if rows:
            lines += [f"![{data} samples](figures/modes-{data}.png)", ""]
        ran = {m.key for m, _ in rows}
        short = [f"{m.key} ({len(res)} of {seeds})" for m, res in rows if len(res) < seeds]
        if short:
            lines += [f"Seeds still to run: {', '.join(short)} (the same command without `--finished-only` "
                      "runs them, reusing the finished ones).", ""]
        left = [m.key for m in METHODS[data] if m.key not in ran]
        if left:
            lines += [f"Not run for this table: {', '.join(left)} (`gankit bench modes --data {data} --methods "
                      f"{','.join(left)}` adds them; runs already in `--runs` are reused).", ""]
    lines += goal_lines(results, seeds) + [""]
    return lines


def replace_section(path: Path, section: list[str], heading: str = "", begin: str = BEGIN, end: str = END) -> None:
    """Put `section` between a benchmark's markers in `path` (appended when they are missing),
    leaving everything else in the file as it was."""
    text = path.read_text() if path.is_file() else (heading + "\n" if heading else "")
    block = "\n".join([begin, *section, end])
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    write_file(path, text.encode())  # atomic; a failure is one GankitError


def main(a) -> int:
    """The CLI's `gankit bench modes` (arguments parsed by cli.py)."""
    from .speed import cpu_name

    datasets = [d.strip() for d in a.data.split(",") if d.strip()]
    methods = [m.strip() for m in a.methods.split(",") if m.strip()] if a.methods else None
    log = lambda msg: print(f"gankit: {msg}", file=sys.stderr, flush=True)  # noqa: E731
    results = bench(datasets, methods, a.seeds, a.runs, log, a.jobs, a.finished_only)
    parts = ["gankit bench modes"]
    if a.data != "ring8,grid25":
        parts.append(f"--data {a.data}")
    if a.methods:
        parts.append(f"--methods {a.methods}")
    if a.seeds != 5:
        parts.append(f"--seeds {a.seeds}")
    if a.runs:
        parts.append(f"--runs {a.runs}")
    if a.finished_only:
        parts.append("--finished-only")
    command = " ".join(parts)
    machine = f"{cpu_name()}, torch {torch.__version__}, 1 thread per run"
    section = report(results, a.seeds, command, machine)
    print("\n".join(section))
    if a.write:
        for data, rows in results.items():
            if rows:
                figure(data, rows, ROOT / "docs" / "figures" / f"modes-{data}.png")
        replace_section(ROOT / "docs" / "modes.md", section, "# Mode collapse")
        bench_section = [line.replace("(figures/", "(docs/figures/") for line in section]
        from .speed import write_sections

        write_sections(ROOT / "BENCHMARKS.md", {"modes": bench_section})
        log("wrote docs/modes.md, BENCHMARKS.md and docs/figures/modes-*.png")
    return 0
