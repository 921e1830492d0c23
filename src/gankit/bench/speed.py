"""`make bench`: gankit's speed against what users would otherwise run, and against the machine.

Every figure comes from one `make bench` run and is compared only with figures of the same run
(ratios), each measured in a process of its own; the CPU model, thread count, date, torch version
and commit are written beside them. BENCHMARKS.md is made of sections delimited by
`<!-- bench:NAME -->` markers: a run replaces the sections it measured and keeps the others (for
example the one `gankit bench modes` writes).

Sections: the machine (matmul peak, memory bandwidth); the paper's nets against the eager reference
loop with FLOP and roofline accounting; images/s against batch size (a plot); the tutorial MLP GAN
and a small DCGAN against their eager loops; the shipped configs; time to quality (the fast config
against the eager DCGAN, FD over wall time, a plot); evaluation speed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from .. import config as config_mod
from ..errors import GankitError
from ..sampling.outputs import write_file

from .child import REFERENCE, ROOT, _json_line, _module, cpu_name, run_child, run_reference  # noqa: F401  (speed's own names too)

FIGURES = ROOT / "docs" / "figures"

# The nets of the eager reference loops, as gankit configs (config file, overrides).
PAPER = ("paper-fashion-mnist.toml", [])
MLP_TUTORIAL = ("fashion-mnist.toml", ["model.z_dim=100", "model.g_hidden=[128,256,512,1024]", "model.d_hidden=[512,256]",
                                       "model.batch_norm=true", "model.d_dropout=0.0", "model.activation=leaky_relu",
                                       "train.batch_size=64"])
DCGAN = ("fashion-mnist-conv.toml", ["model.z_dim=100", "model.conv_width=64", "train.batch_size=64"])

# (label, config file, overrides): what users train, from the toy set to the paper's nets.
CONFIG_CASES = [
    ("ring8 MLP 128x2, batch 256 (PacGAN2, R1, EMA)", "ring8.toml", []),
    ("MLP, Fashion-MNIST, batch 64", "fashion-mnist.toml", []),
    ("conv GAN, Fashion-MNIST, batch 64", "fashion-mnist-conv.toml", []),
    ("fast config (the demo), Fashion-MNIST", "fast-fashion-mnist.toml", []),
]
# Processes (torchrun, DDP over gloo): (label, config file, overrides), each measured as
# 1 process × 1 thread, 1 process × P threads and P processes × 1 thread, so the extra processes
# are compared with the same cores used by threads.
PROCESS_CASES = [
    ("paper nets (1200-1200 / maxout 240x5), batch 100", "paper-fashion-mnist.toml", []),
    ("MLP, Fashion-MNIST, batch 64", "fashion-mnist.toml", []),
]
BATCHES = [25, 50, 100, 200, 400]
QUALITY_MARKS = [150, 300, 600]
FAST_CONFIG = "fast-fashion-mnist.toml"
EVAL_METRICS = ["parzen", "fd", "kid", "prdc"]
SECTION_ORDER = ["machine", "paper", "ablation", "batch", "nets", "configs", "distributed", "quality", "images",
                 "images-tuning", "modes", "evaluation", "folder-features", "folder-scale", "tables", "tables-options",
                 "reproduce"]


# --- measuring, each in a child process -----------------------------------------------------------

# Fast paths `make bench` can switch off one at a time, to say what each gave (module flags).
ABLATIONS = [
    ("gankit as shipped", {}, []),
    ("without the one-pass D over real and fake", {"stack": False}, []),
    ("without fused optimizer steps", {"fused": False}, []),
    ("maxout by amax instead of max with indices", {"maxout_indices": False}, []),
    ("1 thread instead of torch's default", {}, ["threads=1"]),
    ("with torch.compile (`compile = true`)", {}, ["compile=true"]),
]


def _switch_off(flags: dict) -> None:
    from .. import losses, nets
    from ..train import optim

    losses.STACK_REAL_AND_FAKE = flags.get("stack", True)
    optim.FUSED = flags.get("fused", True)
    nets.MAXOUT_WITH_INDICES = flags.get("maxout_indices", True)


def measure_gankit(cfg_file: str, overrides: list[str], seconds: float, flags: dict | None = None) -> dict:
    """Images/s of Algorithm 1 on a config's nets (an image = one minibatch element per generator
    step), after a warm-up, with the FLOPs and bytes of one step. Runs in this process."""
    from ..train import Session, fit
    from . import roofline

    _switch_off(flags or {})
    cfg = config_mod.load(ROOT / "configs" / cfg_file,
                          overrides + ["train.sample_every=0", "train.log_every=1000000", "train.eval_every=0",
                                       "train.checkpoint_every=1000000", "train.steps=3"])
    with tempfile.TemporaryDirectory() as tmp:
        s = Session(cfg, Path(tmp), quiet=True)
        t0 = time.perf_counter()
        fit(s)  # warm-up: allocator, kernels (and compilation, when compile = true)
        warmup = time.perf_counter() - t0
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            s.config.train.steps = s.step + 5
            fit(s)
            steps += 5
        if s.device.type == "cuda":
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        s.recorder.close()
        G = roofline.net_cost(s.raw_G, (cfg.model.z_dim,))
        D = roofline.net_cost(s.raw_D, s.dataset.shape)
        m, k = cfg.train.batch_size, cfg.train.k
        return {"images_per_s": steps * m / dt, "steps_per_s": steps / dt, "precision": s.precision_name,
                "warmup_s": warmup,
                "threads": torch.get_num_threads(), "device": device_name(s.device), "batch": m,
                "flops_per_image": roofline.step_flops(G, D, k),
                "bytes_per_step": roofline.step_bytes(G, D, m, k, cfg.optim.name, s.precision_name == "bf16")}


def measure_machine(seconds: float) -> dict:
    """Matmul GFLOP/s at the paper nets' shapes (fp32, bf16) and copy bandwidth."""
    from .roofline import copy_bandwidth, matmul_gflops

    shapes = [(100, 1200, 1200), (200, 784, 1200), (100, 1200, 784)]
    out: dict = {"shapes": {}}
    for dtype, name in ((torch.float32, "fp32"), (torch.bfloat16, "bf16")):
        for m, k, n in shapes:
            out["shapes"][f"{name} {m}x{k}x{n}"] = matmul_gflops(m, k, n, dtype, seconds)
        out[f"peak_{name}"] = max(v for key, v in out["shapes"].items() if key.startswith(name))
    out["shapes"]["fp32 1024x1024x1024"] = matmul_gflops(1024, 1024, 1024, torch.float32, seconds)
    out["bandwidth_gbs"] = copy_bandwidth(512, seconds)
    return out


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_name()}, {torch.get_num_threads()} threads"


def measure_processes(cfg_file: str, overrides: list[str], nproc: int, threads: int, steps: int = 300,
                      log_every: int = 25) -> dict:
    """Training speed of `gankit train --nproc P` (torchrun, DDP over gloo on the CPU), from the
    run's own log.jsonl: the median `images_per_s` of its rows after the first (warm-up,
    process start and the first collectives). Examples are global: all processes together."""
    import json
    import os
    import statistics

    sets = overrides + [f"threads={threads}", f"train.steps={steps}", f"train.log_every={log_every}",
                        "train.sample_every=0", f"train.checkpoint_every={steps}", "device=cpu"]
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "gankit", "train", "--nproc", str(nproc),
               "--config", str(ROOT / "configs" / cfg_file), *[a for o in sets for a in ("--set", o)], "--out", str(run)]
        p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
        if p.returncode != 0:
            raise RuntimeError(f"bench: {' '.join(cmd)} exited {p.returncode}: {p.stderr[-2000:]}")
        rows = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    speeds = [r["images_per_s"] for r in rows[1:] if r["step"] % log_every == 0] or [rows[-1]["images_per_s"]]
    return {"images_per_s": statistics.median(speeds), "world_size": rows[-1]["world_size"], "rows": len(speeds)}


def process_benchmarks(nprocs: list[int], cases=PROCESS_CASES, steps: int = 300) -> list[str]:
    """BENCHMARKS.md's section on processes: images/s for each case on 1 process and on P, with
    the same number of cores given to one process as threads, for an honest comparison."""
    from .. import data

    lines = ["## Processes (torchrun, DistributedDataParallel over gloo, CPU)", "",
             "`gankit train --nproc P` with the same global batch; images/s counts the real examples of all "
             "processes (the median of the log rows after the first). Each process uses `threads` threads; "
             "1 process with P threads uses the same cores as P processes with 1.", "",
             "| case | processes × threads | images/s | vs 1 × 1 |", "|---|---|---:|---:|"]
    verdicts = []
    for label, f, over in cases:
        probe = config_mod.load(ROOT / "configs" / f, over)
        if not data.probe(probe.data).available:
            print(f"bench: {label}: skipped, {probe.data.name} is not available", file=sys.stderr)
            continue
        base = None
        layouts = [(1, 1)] + [(1, p) for p in nprocs if p > 1] + [(p, 1) for p in nprocs if p > 1]
        speed = {}
        for nproc, threads in layouts:
            r = measure_processes(f, over, nproc, threads, steps=steps)
            speed[nproc, threads] = r["images_per_s"]
            base = base or r["images_per_s"]
            lines.append(f"| {label} (`configs/{f}`) | {nproc} × {threads} | {r['images_per_s']:.0f} | "
                         f"{r['images_per_s'] / base:.2f}× |")
            print(f"bench: {label}: {nproc} process(es) x {threads} thread(s): {r['images_per_s']:.0f} images/s",
                  file=sys.stderr)
        for p in (p for p in nprocs if p > 1):
            procs, threads = speed[p, 1], speed[1, p]
            verdicts.append(f"{label.split(' (')[0]}: {p} processes give {procs / speed[1, 1]:.2f}× one process with one "
                            f"thread, and {procs / threads:.2f}× one process with {p} threads")
    lines += ["", "What an extra process buys on this machine: " + "; ".join(verdicts) + "." if verdicts else ""]
    if verdicts:
        lines += ["On one small CPU the processes share its cores and memory bandwidth and each step adds a gloo "
                  "all-reduce of every gradient through shared memory, so giving the cores to one process as threads is "
                  "the faster use of them. Several processes are meant for one process per GPU or per machine (NCCL, "
                  "docs/distributed.md); here they are a correctness path (the same update as one process, tested), "
                  "not a speed-up."]
    return lines + ["", "Command: `gankit train --nproc P --config FILE --set threads=T` (see docs/distributed.md).", ""]


# --- sections ---------------------------------------------------------------------------------------

def section_machine(seconds: float) -> tuple[list[str], dict]:
    m = run_child({"kind": "machine", "seconds": seconds})
    lines = ["## The machine", "",
             "Matrix-multiply speed measured with `torch.mm` at the paper nets' shapes (m×k×n), and a larger square one "
             "in fp32 for reference; memory bandwidth as a 512 MB tensor copy (bytes read plus written).", "",
             "| what | measured |", "|---|---:|"]
    lines += [f"| matmul {k} | {v:.0f} GFLOP/s |" for k, v in m["shapes"].items()]
    lines += [f"| **matmul peak at the paper's shapes, fp32** | **{m['peak_fp32']:.0f} GFLOP/s** |",
              f"| **matmul peak at the paper's shapes, bf16** | **{m['peak_bf16']:.0f} GFLOP/s** |",
              f"| **memory bandwidth (copy)** | **{m['bandwidth_gbs']:.1f} GB/s** |", ""]
    from ..train.precision import native_bf16

    native, found = native_bf16(torch.device("cpu"))
    lines += [f"bf16 matrix multiply is {'native' if native else 'emulated'} here ({found}).", ""]
    return lines, m


def _roofline_images(r: dict, peak_gflops: float, bandwidth_gbs: float) -> float:
    step_time = max(r["flops_per_image"] * r["batch"] / (peak_gflops * 1e9), r["bytes_per_step"] / (bandwidth_gbs * 1e9))
    return r["batch"] / step_time


PAPER_ROUNDS = 3  # eager and gankit measured alternately, medians reported: shared machines drift by tens of %


def _median_run(runs: list[dict]) -> dict:
    """The run with the median images/s, with the range of all of them."""
    ordered = sorted(runs, key=lambda r: r["images_per_s"])
    return dict(ordered[len(ordered) // 2], spread=(ordered[0]["images_per_s"], ordered[-1]["images_per_s"]))


def section_paper(seconds: float, machine: dict) -> tuple[list[str], dict]:
    runs: dict[str, list[dict]] = {"eager": [], "fp32": [], "bf16": []}
    for _ in range(PAPER_ROUNDS):
        runs["eager"].append(run_reference("eager_paper.py", "--seconds", seconds))
        for prec in ("fp32", "bf16"):
            runs[prec].append(run_child({"kind": "gankit", "config": PAPER[0], "seconds": seconds,
                                         "overrides": PAPER[1] + [f"precision={prec}"]}))
    eager, fp32, bf16 = (_median_run(runs[k]) for k in ("eager", "fp32", "bf16"))
    fp32_e = dict(fp32, images_per_s=eager["images_per_s"])  # the eager loop computes the same FLOPs and bytes
    rows = [("eager reference loop (`gankit/bench/reference/eager_paper.py`)", "fp32", fp32_e),
            ("gankit", "fp32", fp32), ("gankit", "bf16", bf16)]
    flops = fp32["flops_per_image"]
    lines = ["## The paper's nets: gankit against the eager loop and the machine", "",
             "G 100-1200-1200-784 (ReLU, sigmoid); D maxout 240×5, 240×5 with dropout 0.2/0.5; SGD lr 0.1, momentum "
             "0.5; batch 100; k = 1; Fashion-MNIST. An image is one element of the minibatch per generator step. "
             f"Model FLOPs: **{flops / 1e6:.1f} MFLOP per image** (4 F_G + 8 F_D − 2 f_D1 − f_G1 from the layer shapes, "
             "see `src/gankit/bench/roofline.py`); bytes per step: weights read per pass, gradients written, optimizer state "
             f"read and written, activations written and read ({fp32['bytes_per_step'] / 1e6:.0f} MB in fp32, "
             f"{bf16['bytes_per_step'] / 1e6:.0f} MB in bf16). The roofline bound is batch / max(FLOPs / matmul peak, "
             "bytes / bandwidth), with the peak of the row's precision.", "",
             "| loop | precision | images/s | × eager | GFLOP/s | % of matmul peak | roofline bound, images/s | % of roofline |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    from ..train.precision import native_bf16

    native = native_bf16(torch.device("cpu"))[0]
    for label, prec, r in rows:
        peak = machine["peak_bf16" if prec == "bf16" else "peak_fp32"]
        bound = _roofline_images(r, peak, machine["bandwidth_gbs"])
        gflops = r["images_per_s"] * flops / 1e9
        # An emulated bf16 "peak" measures the emulation, not the machine: no share of it is meaningful.
        measured = prec != "bf16" or native
        share, bound_s, of_bound = ((f"{100 * gflops / peak:.0f}%", f"{bound:.0f}", f"{100 * r['images_per_s'] / bound:.0f}%")
                                    if measured else ("—", "—", "—"))
        lines.append(f"| {label} | {prec} | {r['images_per_s']:.0f} | {r['images_per_s'] / eager['images_per_s']:.2f} | "
                     f"{gflops:.0f} | {share} | {bound_s} | {of_bound} |")
    spread = ", ".join(f"{name} {r['spread'][0]:.0f}–{r['spread'][1]:.0f}" for name, r in
                       (("eager", eager), ("gankit fp32", fp32), ("gankit bf16", bf16)))
    lines += ["", f"Images/s are medians of {PAPER_ROUNDS} runs of {seconds:.0f} s each, eager and gankit alternating "
              f"(ranges: {spread} images/s)."]
    if not native:
        lines += ["This CPU has no native bf16 matrix multiply (no AVX-512 BF16 or AMX): bf16 is emulated, far slower "
                  "than fp32, and `precision = \"auto\"` trains in fp32 here; the bf16 row's shares of a peak and a "
                  "roofline are left out (—), as its peak would be the emulation's. The bf16 goal is for CPUs with AMX."]
    lines += ["", f"Goals (issue 17, on a CPU with AMX): fp32 ≥ 1.3× eager — here **{fp32['images_per_s'] / eager['images_per_s']:.2f}×**; "
              f"bf16 ≥ 3× eager — here **{bf16['images_per_s'] / eager['images_per_s']:.2f}×**.", ""]
    return lines, {"eager": eager, "fp32": fp32, "bf16": bf16}


def section_ablation(seconds: float) -> list[str]:
    """What each fast path gave: the paper's nets in fp32 with one of them switched off at a time."""
    rows = []
    for label, flags, over in ABLATIONS:
        r = run_child({"kind": "gankit", "config": PAPER[0], "overrides": PAPER[1] + ["precision=fp32"] + over,
                       "seconds": seconds, "flags": flags})
        rows.append((label, r))
        print(f"bench: ablation {label}: {r['images_per_s']:.0f} images/s", file=sys.stderr)
    base = rows[0][1]["images_per_s"]
    lines = ["## What each fast path gave (paper nets, fp32, batch 100)", "",
             "Each row switches one thing off (or on) against gankit as shipped, in the same run. Warm-up is the time of "
             "the first 3 steps (for compile: compiling).", "",
             "| variant | images/s | relative to shipped | warm-up s |", "|---|---:|---:|---:|"]
    lines += [f"| {label} | {r['images_per_s']:.0f} | {r['images_per_s'] / base:.2f} | {r['warmup_s']:.1f} |" for label, r in rows]
    return lines + [""]


def _save_figure(plt, fig, ax, name: str) -> None:
    """A bench plot into docs/figures/, its legend beside the axes rather than over the data."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), borderaxespad=0)
    fig.tight_layout()
    FIGURES.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURES / name, dpi=100)
    plt.close(fig)


def section_batch(seconds: float) -> list[str]:
    series: dict[str, list[float]] = {"eager fp32": [], "gankit fp32": [], "gankit bf16": []}
    for b in BATCHES:
        series["eager fp32"].append(run_reference("eager_paper.py", "--seconds", seconds, "--batch", b)["images_per_s"])
        for prec in ("fp32", "bf16"):
            r = run_child({"kind": "gankit", "config": PAPER[0], "seconds": seconds,
                           "overrides": [f"precision={prec}", f"train.batch_size={b}"]})
            series[f"gankit {prec}"].append(r["images_per_s"])
        print(f"bench: batch {b}: " + ", ".join(f"{k} {v[-1]:.0f}" for k, v in series.items()), file=sys.stderr)
    from ..sampling.pictures import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, ys in series.items():
        ax.plot(BATCHES, ys, marker="o", label=name)
    ax.set_xscale("log", base=2)
    ax.set_xticks(BATCHES, [str(b) for b in BATCHES])
    ax.set_xlabel("batch size")
    ax.set_ylabel("images/s")
    ax.set_title(f"paper nets, {cpu_name()}, {torch.get_num_threads()} threads", fontsize=9)
    _save_figure(plt, fig, ax, "bench-batch.png")
    lines = ["## Images/s against batch size (paper nets)", "", "![images/s against batch size](docs/figures/bench-batch.png)", "",
             "| batch | " + " | ".join(series) + " |", "|---:|" + "---:|" * len(series)]
    for i, b in enumerate(BATCHES):
        lines.append(f"| {b} | " + " | ".join(f"{ys[i]:.0f}" for ys in series.values()) + " |")
    return lines + [""]


def section_nets(seconds: float) -> list[str]:
    lines = ["## Other nets against their eager loops (fp32)", "",
             "| nets | eager reference | eager images/s | gankit images/s | × eager | config |", "|---|---|---:|---:|---:|---|"]
    for label, script, (cfg, over) in (
            ("tutorial MLP GAN, batch 64, Adam", "eager_mlp.py", MLP_TUTORIAL),
            ("small DCGAN, batch 64, Adam", "eager_dcgan.py", DCGAN)):
        e = run_reference(script, "--seconds", seconds)
        g = run_child({"kind": "gankit", "config": cfg, "overrides": over + ["precision=fp32"], "seconds": seconds})
        setting = f"configs/{cfg}" + "".join(f" --set {o}" for o in over)
        lines.append(f"| {label} | `gankit/bench/reference/{script}` | {e['images_per_s']:.0f} | {g['images_per_s']:.0f} | "
                     f"{g['images_per_s'] / e['images_per_s']:.2f} | `{setting}` |")
    lines += ["", "gankit's nets differ from the references in small ways, stated here so the ratios are read right: "
              "its MLP generator puts batch norm on every hidden layer (the tutorial's skips the first); its conv "
              "discriminator has no batch norm (the DCGAN reference normalises its second convolution), so gankit passes "
              "real and fake through D in one batch.", ""]
    return lines


def section_configs(seconds: float) -> list[str]:
    lines = ["## Training speed of the shipped configs", "",
             "| case | config | precision | G steps/s | images/s |", "|---|---|---|---:|---:|"]
    for label, f, over in CONFIG_CASES:
        if not (ROOT / "configs" / f).is_file():
            continue
        r = run_child({"kind": "gankit", "config": f, "overrides": over, "seconds": seconds})
        lines.append(f"| {label} | `configs/{f}` | {r['precision']} | {r['steps_per_s']:.1f} | {r['images_per_s']:.0f} |")
    return lines + [""]


def section_quality(marks: list[int]) -> list[str]:
    """FD of 10k samples after `marks` seconds of training: gankit's fast config against the eager
    DCGAN, on real Fashion-MNIST, with gankit's offline FD (the metrics' own classifier features)."""
    from .. import data, metrics
    from ..sampling.generator import sample
    from ..train import train

    if not data.probe(config_mod.DataConfig(name="fashion-mnist")).available:
        return ["## Time to quality", "", "Skipped: Fashion-MNIST is not installed (`make setup` installs it as root).", ""]
    ds = data.load(config_mod.DataConfig(name="fashion-mnist"))
    results: dict[str, list[dict]] = {"gankit fast config": [], "eager DCGAN": []}
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "fast"
        done = 0
        for mark in marks:
            if done == 0:
                train(config_mod.load(ROOT / "configs" / FAST_CONFIG, [f"train.time_limit={mark}", "train.steps=100000000"]),
                      run, quiet=True)
            else:
                train(None, resume=run, overrides=[f"train.time_limit={mark - done}"], quiet=True)
            done = mark
            x = sample(run, 10000, seed=0)
            r = metrics.evaluate(x, data=ds, metrics=["fd", "classes"])
            step = json.loads((run / "log.jsonl").read_text().splitlines()[-1])["step"]
            results["gankit fast config"].append({"seconds": mark, "fd": r["fd"], "classes": r["classes_covered"], "steps": step})
            print(f"bench: fast config at {mark} s: fd {r['fd']:.4g}", file=sys.stderr)
        out = Path(tmp) / "dcgan"
        p = subprocess.run([sys.executable, "-m", _module("eager_dcgan.py"), "--train", str(max(marks)),
                            "--at", ",".join(map(str, marks)), "--out", str(out)], capture_output=True, text=True)
        steps = {int(json.loads(line)["seconds"]): json.loads(line)["steps"] for line in p.stdout.splitlines() if line.startswith("{")}
        for mark in marks:
            import numpy as np

            x = np.load(out / f"samples-{mark}s.npy")
            r = metrics.evaluate(x, data=ds, metrics=["fd", "classes"])
            results["eager DCGAN"].append({"seconds": mark, "fd": r["fd"], "classes": r["classes_covered"], "steps": steps.get(mark)})
            print(f"bench: eager DCGAN at {mark} s: fd {r['fd']:.4g}", file=sys.stderr)
    from ..sampling.pictures import pyplot

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, rows in results.items():
        ax.plot([r["seconds"] for r in rows], [r["fd"] for r in rows], marker="o", label=name)
    ax.set_xlabel("training seconds")
    ax.set_ylabel("FD (gankit's Fashion-MNIST features; lower is better)")
    ax.set_yscale("log")
    ax.set_title(f"{cpu_name()}, {torch.get_num_threads()} threads", fontsize=9)
    _save_figure(plt, fig, ax, "time-to-quality.png")
    fast, ref = results["gankit fast config"], results["eager DCGAN"]
    lines = ["## Time to quality (Fashion-MNIST)", "",
             f"`configs/{FAST_CONFIG}` (its comments say what it uses and why) against the eager DCGAN reference "
             "(`gankit/bench/reference/eager_dcgan.py --train`), both trained on the first 50k training images; 10k samples of each "
             "scored with `gankit evaluate --metrics fd,classes` (FD on the features of gankit's Fashion-MNIST classifier, "
             "not Inception). gankit's clock is its whole run (`train.time_limit`, checkpoints and sample grids "
             "included); the reference's counts only its training steps.", "",
             "![FD against training time](docs/figures/time-to-quality.png)", "",
             "| training seconds | " + " | ".join(f"{n}: FD (classes, steps)" for n in results) + " |",
             "|---:|" + "---:|" * len(results)]
    for i, mark in enumerate(marks):
        lines.append(f"| {mark} | " + " | ".join(f"{rows[i]['fd']:.4g} ({rows[i]['classes']}, {rows[i]['steps']})"
                                                 for rows in results.values()) + " |")
    goal = fast[0]["fd"] <= ref[-1]["fd"] and fast[0]["classes"] == 10
    lines += ["", f"Goal (issue 17): the fast config at {marks[0]} s scores an FD at least as good as the eager DCGAN at "
              f"{marks[-1]} s and covers every class — **{'met' if goal else 'not met'}** "
              f"({fast[0]['fd']:.4g} against {ref[-1]['fd']:.4g}, {fast[0]['classes']} classes).", ""]
    return lines


def section_evaluation() -> list[str]:
    """Seconds per metric with 10k real Fashion-MNIST training images as the samples, measured
    against the test split as every metric does: the cost a user pays per
    `gankit evaluate --n 10000`. Feature nets are built once before timing."""
    from .. import data, metrics

    names = [m for m in EVAL_METRICS if m in metrics.names()]
    if not names or not data.probe(config_mod.DataConfig(name="fashion-mnist")).available:
        return []
    ds = data.load(config_mod.DataConfig(name="fashion-mnist"))
    x = ds.train[:10000]
    lines = ["## Evaluation speed (10k samples, Fashion-MNIST)", "",
             "Samples: 10k real training images, so the results are those of real data (the best a GAN can do).", "",
             f"Threads: {torch.get_num_threads()}. Command: `gankit evaluate RUN --metrics NAME --n 10000`.", "",
             "| metric | seconds | result |", "|---|---:|---|"]
    for name in names:
        metrics.evaluate(x[:200], data=ds, metrics=[name])  # warm-up: builds feature nets, caches
        t0 = time.perf_counter()
        r = metrics.evaluate(x, data=ds, metrics=[name])
        dt = time.perf_counter() - t0
        shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items())
        lines.append(f"| {name} | {dt:.1f} | {shown} |")
        print(f"bench: evaluate {name}: {dt:.1f} s", file=sys.stderr)
    return lines + [""]


# --- BENCHMARKS.md ----------------------------------------------------------------------------------

def header(command: str) -> list[str]:
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    # the bench's own outputs (this file, its figures) do not make the measured code uncommitted
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!BENCHMARKS.md",
                            ":!docs/figures"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return [f"- date: {when}", f"- commit: {commit or 'unknown'}{' (with uncommitted changes)' if dirty else ''}",
            f"- CPU: {cpu_name()}, {os.cpu_count()} logical cores; torch threads: {torch.get_num_threads()}",
            f"- torch {torch.__version__}, Python {platform.python_version()}, {platform.system()} {platform.machine()}",
            f"- command: `{command}`", ""]


def sections_text(path: str | Path) -> str:
    """The text of a benchmarks file to rewrite ("" when there is none yet), refused in one line
    when it is not one the bench wrote: its text outside `<!-- bench:NAME -->` sections is not
    kept, so a file without them (a README given as --out) would be lost."""
    path = Path(path)
    if path.is_dir():
        raise GankitError(f"--out {path} is a folder; give the benchmarks file (BENCHMARKS.md)")
    try:
        text = path.read_text() if path.is_file() else ""
    except (OSError, UnicodeDecodeError) as e:
        raise GankitError(f"cannot read {path}: {e}") from None
    if text.strip() and "<!-- bench:" not in text:
        raise GankitError(f"--out {path} exists and was not written by gankit's bench (it has no <!-- bench:NAME --> "
                          "sections, and only those are kept): choose another path, or move it away")
    return text


def write_sections(path: str | Path, sections: dict[str, list[str]]) -> None:
    """Replace (or add, in SECTION_ORDER) the named `<!-- bench:NAME -->` sections of BENCHMARKS.md,
    atomically (see `sections_text` for the file it refuses)."""
    path = Path(path)
    text = sections_text(path)
    found = dict(re.findall(r"<!-- bench:(\S+) -->\n(.*?)<!-- /bench:\1 -->\n", text, flags=re.S))
    for name, lines in sections.items():
        found[name] = "\n".join(lines).rstrip() + "\n"
    order = [n for n in SECTION_ORDER if n in found] + sorted(n for n in found if n not in SECTION_ORDER)
    body = ["# Benchmarks", "",
            "Written by `make bench` (`python -m gankit.bench`) and `gankit bench modes`; each section says when, on what "
            "and with which command it was measured. Compare figures only within one section: the CPU changes from "
            "machine to machine, so speed is judged as ratios measured in one run.", ""]
    for name in order:
        body += [f"<!-- bench:{name} -->", found[name].rstrip(), f"<!-- /bench:{name} -->", ""]
    write_file(path, "\n".join(body).encode())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gankit.bench")
    p.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    p.add_argument("--seconds", type=float, default=10.0, help="measuring time per figure")
    p.add_argument("--sections", default="machine,paper,ablation,batch,nets,configs,distributed,quality,images,evaluation,"
                                         "folder-features,folder-scale,tables,tables-options",
                   help="which sections to measure (the others in --out are kept)")
    p.add_argument("--processes", default="1,2", help="process counts for the distributed section")
    p.add_argument("--quick", action="store_true", help="2 s per figure, no batch sweep, quality marks 20,40 s, "
                                                        "images marks 5,10 s, CTGAN and TVAE for 1 epoch")
    p.add_argument("--tables", default="", help="tables section: comma-separated table names (default: all; "
                                               "see gankit/bench/tables.py)")
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        spec = json.loads(a.child)
        result = measure_machine(spec["seconds"]) if spec["kind"] == "machine" else \
            measure_gankit(spec["config"], spec.get("overrides", []), spec["seconds"], spec.get("flags"))
        print(json.dumps(result))
        return 0
    sections_text(a.out)  # a file the bench may not rewrite is refused before anything is measured
    seconds = 2.0 if a.quick else a.seconds
    wanted = [s.strip() for s in a.sections.split(",") if s.strip()]
    if a.quick:
        wanted = [s for s in wanted if s != "batch"]
    given = sys.argv[1:] if argv is None else argv  # `python -m gankit.bench --sections ...` passes none
    rest = [x for i, x in enumerate(given) if x != "--out" and (i == 0 or given[i - 1] != "--out")]
    command = "make bench" if not rest else "python -m gankit.bench " + " ".join(rest)
    sections: dict[str, list[str]] = {}
    machine = None
    for name in wanted:
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        if name == "machine" or (name == "paper" and machine is None):
            lines, machine = section_machine(min(seconds, 2.0))
            if name == "machine":
                sections[name] = header(command) + lines
                continue
        if name == "paper":
            sections[name] = header(command) + section_paper(seconds, machine)[0]
        elif name == "ablation":
            sections[name] = header(command) + section_ablation(seconds)
        elif name == "batch":
            sections[name] = header(command) + section_batch(max(2.0, seconds / 2))
        elif name == "nets":
            sections[name] = header(command) + section_nets(seconds)
        elif name == "configs":
            sections[name] = header(command) + section_configs(seconds)
        elif name == "distributed":
            nprocs = [int(x) for x in a.processes.split(",") if x.strip()] or [1, 2]
            sections[name] = header(command) + process_benchmarks(nprocs, steps=60 if a.quick else 300)
        elif name == "quality":
            sections[name] = header(command) + section_quality([20, 40] if a.quick else QUALITY_MARKS)
        elif name == "images":
            from .images import section_images

            # --quick checks that every row runs: 5 and 10 s budgets, scored in random features (no feature net to
            # train), no torch.compile row (compiling takes minutes)
            sections[name] = header(command) + (section_images([5, 10], n=500, speed_seconds=seconds, features="random",
                                                               compiled=False)
                                                if a.quick else section_images(speed_seconds=seconds))
        elif name == "images-tuning":
            from .images import TUNING, section_tuning

            # --quick: one 5 s mark for the variants that change the nets (the rest change only keys the other
            # sections run), in random features
            sections[name] = header(command) + (section_tuning([5], n=500, features="random", variants=TUNING[:4])
                                                if a.quick else section_tuning())
        elif name == "evaluation":
            sections[name] = header(command) + section_evaluation()
        elif name in ("folder-features", "folder-scale"):
            from . import folder as folder_bench

            sections[name] = header(command) + (
                folder_bench.section_features(seconds=20 if a.quick else 150, n=500 if a.quick else 2000)
                if name == "folder-features" else
                folder_bench.section_scale(n=2000 if a.quick else 100_000, side=32 if a.quick else 128,
                                           steps=20 if a.quick else 50))
        elif name == "tables-options":
            from .tables import run_options_section

            sections[name] = header(command) + run_options_section(command, 2.0 if a.quick else 20.0, a.tables)
        elif name == "tables":
            from .tables import run_section

            sections[name] = header(command) + run_section(command, FIGURES, epochs=1 if a.quick else None,
                                                           tables=a.tables)
        else:
            print(f"bench: unknown section {name!r}", file=sys.stderr)
            return 2
        write_sections(a.out, sections)  # after each section, so a long run keeps what it measured
    sections["reproduce"] = ["## Reproduce", "", "```", "make bench                      # every section above, ~2 h on 2 cores (images: ~80 min)",
                             "python -m gankit.bench --sections paper,nets   # some of them",
                             "python -m gankit.bench --sections tables       # gankit beside CTGAN and TVAE (pip install 'gankit[bench]')",
                             "python -m gankit.bench --sections tables-options   # each choice of configs/table.toml against the others",
                             "gankit bench modes              # the mode-collapse benchmark", "```"]
    write_sections(a.out, sections)
    print(f"bench: wrote {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
