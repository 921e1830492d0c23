"""What the reference loops share: argument parsing, Fashion-MNIST as a user would read it, timing."""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

import numpy as np
import torch

FASHION = Path("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")


def parser(description: str, batch: int, snapshots: tuple[str, int] | None = None) -> argparse.ArgumentParser:
    """The loops' options; `snapshots` (default --out folder, samples per snapshot) adds those of
    the quality-over-time mode: --train SECONDS, --at, --out, --n."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--seconds", type=float, default=15.0, help="measuring time after the warm-up")
    p.add_argument("--warmup", type=int, default=20, help="steps before timing starts")
    p.add_argument("--batch", type=int, default=batch)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0 = default)")
    p.add_argument("--reuse-fake", action="store_true", help="the tutorial shortcut: G step reuses the D step's fake")
    p.add_argument("--seed", type=int, default=0)
    if snapshots:
        out, n = snapshots
        p.add_argument("--train", type=float, default=0.0, help="train for this many seconds instead of timing")
        p.add_argument("--at", default="150,300,600", help="training seconds at which to write samples")
        p.add_argument("--out", default=out)
        p.add_argument("--n", type=int, default=n, help="samples per snapshot")
    return p


def start(args) -> None:
    """Threads and the seed, before anything is built."""
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)


def images(n: int | None = None, scale: str = "01") -> torch.Tensor:
    """Fashion-MNIST training images as N×1×28×28 float32 (random pixels when it is not installed:
    speed does not depend on the pixels)."""
    if FASHION.is_file():
        raw = gzip.decompress(FASHION.read_bytes())
        x = torch.from_numpy(np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28).copy()).float() / 255
    else:
        x = torch.rand(60000, 1, 28, 28)
    x = x[:n] if n else x
    return x * 2 - 1 if scale == "tanh" else x


def timed(step, args, extra: dict | None = None) -> None:
    """Run `step()` for the warm-up, then for `args.seconds`, and print the JSON line."""
    if args.threads:
        torch.set_num_threads(args.threads)
    for _ in range(args.warmup):
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        step()
        n += 1
    dt = time.perf_counter() - t0
    print(json.dumps({"steps_per_s": n / dt, "images_per_s": n * args.batch / dt, "steps": n,
                      "threads": torch.get_num_threads(), **(extra or {})}))
