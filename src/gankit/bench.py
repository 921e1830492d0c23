"""`make bench`: training and evaluation speed on this machine, written to BENCHMARKS.md.

Figures from one run are compared only with each other (ratios), since the CPU model changes
from machine to machine; the machine and date are recorded with them.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from . import config as config_mod
from .train import Session, fit

ROOT = Path(__file__).resolve().parents[2]

# (label, config file, overrides): what users train, from the toy set to the paper's nets.
CASES = [
    ("ring8 MLP 128x2, batch 256", "ring8.toml", ["threads=1"]),
    ("demo MLP, Fashion-MNIST, batch 64, 1 thread", "fashion-mnist.toml", ["threads=1"]),
    ("demo MLP, Fashion-MNIST, batch 64, 2 threads", "fashion-mnist.toml", ["threads=2"]),
    ("conv GAN, Fashion-MNIST, batch 64", "fashion-mnist-conv.toml", []),
    ("paper nets (1200-1200 / maxout 240x5), batch 100, fp32", "paper-fashion-mnist.toml", []),
    ("paper nets (1200-1200 / maxout 240x5), batch 100, bf16", "paper-fashion-mnist.toml", ["precision=bf16"]),
]
FP32, BF16 = 4, 5  # rows compared as a ratio
EVAL_METRICS = ["parzen", "fd", "kid", "prdc"]  # timed when registered


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{cpu_name()}, {torch.get_num_threads()} threads"


def measure(cfg_file: str, overrides: list[str], seconds: float) -> dict:
    """Generator steps per second of Algorithm 1 (k=1), after a warm-up, on the config's nets."""
    base_threads = torch.get_num_threads()
    cfg = config_mod.load(ROOT / "configs" / cfg_file,
                          overrides + ["train.sample_every=0", "train.log_every=1000000",
                                       "train.checkpoint_every=1000000", "train.steps=20"])
    with tempfile.TemporaryDirectory() as tmp:
        s = Session(cfg, Path(tmp), quiet=True)
        fit(s)  # warm-up: allocator, kernels
        steps, t0 = 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            s.config.train.steps = s.step + 20
            fit(s)
            steps += 20
        if s.device.type == "cuda":
            torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        s.recorder.close()
        device = device_name(s.device)
    torch.set_num_threads(base_threads)
    return {"steps_per_s": steps / dt, "examples_per_s": steps * cfg.train.batch_size * (cfg.train.k + 1) / dt,
            "device": device}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gankit.bench")
    p.add_argument("--out", default="BENCHMARKS.md")
    p.add_argument("--seconds", type=float, default=15.0, help="measuring time per case")
    a = p.parse_args(argv)
    rows = []
    for label, f, over in CASES:
        r = measure(f, over, a.seconds)
        rows.append((label, f, over, r))
        print(f"bench: {label}: {r['steps_per_s']:.1f} steps/s", file=sys.stderr)
    fp32 = rows[FP32][3]["steps_per_s"]
    bf16 = rows[BF16][3]["steps_per_s"]
    extra = _eval_benchmarks()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    lines = [
        "# Benchmarks", "",
        "Written by `make bench` (`python -m gankit.bench`); compare figures only within one run.", "",
        f"- date: {when}", f"- commit: {commit or 'unknown'}", f"- machine: {rows[0][3]['device'].split(',')[0]}",
        f"- torch {torch.__version__}, Python {platform.python_version()}, {platform.system()} {platform.machine()}", "",
        "## Training speed (Algorithm 1, k = 1)", "",
        "One generator step = one D step and one G step; examples/s counts real and generated examples.", "",
        "| case | config | device, threads | G steps/s | examples/s |", "|---|---|---|---:|---:|",
    ]
    for label, f, over, r in rows:
        cfgtxt = f"configs/{f}" + (" " + " ".join(f"--set {o}" for o in over) if over else "")
        lines.append(f"| {label} | `{cfgtxt}` | {r['device']} | {r['steps_per_s']:.1f} | {r['examples_per_s']:.0f} |")
    lines += ["", f"bf16 / fp32 speed ratio on the paper's nets: **{bf16 / fp32:.2f}×** (same run, same machine).", ""]
    lines += extra
    lines += _kept_sections(Path(a.out))
    lines += ["## Reproduce", "", "```", "make bench", "```", ""]
    Path(a.out).write_text("\n".join(lines))
    print(f"bench: wrote {a.out}", file=sys.stderr)
    return 0


def _kept_sections(path: Path) -> list[str]:
    """Sections other commands own (`gankit bench modes`), carried over from the existing file."""
    from .bench_modes import BEGIN, END

    text = path.read_text() if path.is_file() else ""
    if BEGIN not in text or END not in text:
        return []
    return [BEGIN + text.split(BEGIN, 1)[1].split(END, 1)[0] + END, ""]


def _eval_benchmarks() -> list[str]:
    """Seconds per metric with 10k real Fashion-MNIST training images as the samples, measured
    against the test split as every metric does: the cost a user pays per
    `gankit evaluate --n 10000`. Feature nets are built once before timing."""
    from . import data, metrics

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


if __name__ == "__main__":
    sys.exit(main())
