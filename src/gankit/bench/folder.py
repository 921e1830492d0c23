"""`make bench` sections on image folders: what the folder's own feature nets see, the truncation
trick and the memorisation check on a real run, and a folder larger than memory.

- `section_features`: on the 3,786 Twemoji PNGs (`gankit datasets --fetch emoji-twitter
  --by-category`: npm emoji-datasource-twitter, CC-BY 4.0), the three feature nets a folder can
  get (random, contrastive without labels, the classifier of its category sub-folders): how long
  each takes to train, FD of held-out real, blurred, colour-shifted and noise images against the
  training images, and how well each one's nearest neighbours agree on the emoji category.
  Then a short run of `configs/fast-fashion-mnist.toml` on the flat folder, measured at several
  truncations (FD, recall, coverage, near-copies).
- `section_scale`: a synthetic folder of many files (links to a few distinct images), decoded
  into the uint8 cache and trained on, with the peak anonymous memory (RssAnon: all but the
  memory-mapped cache) of the training process.

`python -m gankit.bench --sections folder-features,folder-scale` runs them.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from .. import config as config_mod
from .. import data
from ..config import Config, DataConfig
from ..data import pixels
from ..errors import GankitError

ROOT = Path(__file__).resolve().parents[3]
PSIS = (1.0, 0.85, 0.7, 0.5)


def degraded(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The held-out images as they are, blurred by a 5×5 box filter, colour-shifted (green ×0.8,
    blue ×0.6), and uniform noise of the same shape."""
    blur = F.avg_pool2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), 5, stride=1)
    shift = x * torch.tensor([1.0, 0.8, 0.6][: x.shape[1]]).view(1, -1, 1, 1)
    noise = torch.rand(x.shape, generator=torch.Generator().manual_seed(0))
    return {"real": x, "blurred 5x5": blur, "colour-shifted": shift, "noise": noise}


def knn_agreement(train_f: torch.Tensor, train_y: torch.Tensor, test_f: torch.Tensor, test_y: torch.Tensor,
                  k: int = 5) -> float:
    """Balanced accuracy of a k-nearest-neighbour vote (cosine) over the classes with test images."""
    a, b = F.normalize(test_f.double(), dim=1), F.normalize(train_f.double(), dim=1)
    votes = train_y[(a @ b.T).topk(k, dim=1).indices]
    pred = torch.mode(votes, dim=1).values
    return float(torch.stack([(pred[test_y == c] == c).double().mean() for c in test_y.unique()]).mean())


def feature_table(ds, nets: list[str], threads: int = 1) -> tuple[list[str], dict]:
    """One row per feature net: training seconds, FDs of the degraded held-out images, kNN agreement."""
    from ..metrics.fd import frechet_distance

    F_ = importlib.import_module("gankit.metrics.features")  # the module (gankit.metrics.features is a function)
    held = pixels(torch.cat([ds.val, ds.test]).clone())
    held_y = torch.cat([ds.val_labels, ds.test_labels])
    train = pixels(ds.train[:2000].clone())
    rows, out = [], {}
    for which in nets:
        cfg = Config(threads=threads)
        cfg.metrics.feature_net = which
        t0 = time.perf_counter()
        fx = F_.extractor(ds, cfg)
        info_time = time.perf_counter() - t0
        if which != "random":
            kind = "contrastive" if which == "contrastive" else "featnet"
            code = F_.contrastive_code_hash() if which == "contrastive" else F_.code_hash()
            info = json.loads(F_.net_paths(ds, cfg, kind, code)[1].read_text())
            info_time = info["train_seconds"]
        with F_.threads(cfg, fx):
            ref = fx.extract(train)
            fds = {k: frechet_distance(ref, fx.extract(v)) for k, v in degraded(held).items()}
            pen = F_.PENULTIMATE_DIM
            agree = knn_agreement(fx.extract(pixels(ds.train.clone()))[:, :pen], ds.train_labels,
                                  fx.extract(held)[:, :pen], held_y)
        out[which] = {"name": fx.name, "train_seconds": info_time, "fd": fds, "knn": agree}
        rows.append(f"| {which} | {info_time:.0f} | " + " | ".join(f"{v:.4g}" for v in fds.values())
                    + f" | {agree:.3f} |")
    head = ["| features | training s | " + " | ".join(f"FD {k}" for k in degraded(held[:1]).keys()) + " | kNN category agreement |",
            "|---|---:|" + "---:|" * 4 + "---:|"]
    return head + rows, out


def truncation_table(run: Path, n: int) -> list[str]:
    """FD, recall, coverage and near-copies of one run at each truncation ψ."""
    from ..metrics.runs import evaluate_run

    rows = ["| ψ | FD | precision | recall | coverage | near-copies % | n reference |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for psi in PSIS:
        r = evaluate_run(run, "fd,prdc,memorisation", n=n, seed=0, truncation=None if psi == 1 else psi)
        rows.append(f"| {psi:g} | {r['fd']:.4g} | {r['precision']:.3f} | {r['recall']:.3f} | {r['coverage']:.3f} "
                    f"| {r['near_copies_percent']:.1f} | {r['n_reference']} |")
    return rows


def section_features(folder: Path | None = None, flat: Path | None = None, seconds: float = 150, n: int = 2000,
                     out: Path | None = None) -> list[str]:
    """The section's lines; `folder` (with category sub-folders) and `flat` default to the fetched emoji."""
    from ..data.fetch import fetch
    from ..train import train

    try:
        folder = folder or fetch("emoji-twitter", by_category=True)
        flat = flat or fetch("emoji-twitter")
    except GankitError as e:
        return ["## Image folders: feature nets, truncation, memorisation", "", f"Not measured: {e}"]
    ds = data.load(DataConfig(name=f"folder:{folder}", size=64))
    n_train = len(ds.train)
    table, got = feature_table(ds, ["random", "contrastive", "classifier"])
    lines = ["## Image folders: feature nets, truncation, memorisation", "",
             f"Folder: {len(ds.train) + len(ds.val) + len(ds.test)} Twemoji PNGs at 64x64 (npm emoji-datasource-twitter "
             f"16.0.0, CC-BY 4.0; `gankit datasets --fetch emoji-twitter --by-category`), {ds.num_classes} category "
             f"sub-folders, {n_train} training images. Feature nets trained on one thread.", "",
             f"FD: {len(ds.val) + len(ds.test)} held-out images (validation and test splits), as they are and "
             "degraded, against 2,000 training images. kNN category agreement: the balanced accuracy of a 5-nearest-"
             "neighbour vote (cosine, the contrastive/penultimate layer) of held-out images among the training images; "
             "the classifier was trained on these categories, the contrastive net never saw them.", "", *table, "",
             "Names: " + "; ".join(f"{k}: `{v['name']}`" for k, v in got.items()), ""]
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(out) if out else Path(tmp) / "run"
        cfg = config_mod.load(ROOT / "configs" / "fast-fashion-mnist.toml",
                              [f"data.name=folder:{flat}", "data.size=64", f"train.time_limit={seconds}",
                               "train.steps=100000000", "train.sample_every=0", "train.checkpoint_every=100000"])
        result = train(cfg, run, quiet=True)
        lines += ["### The truncation trick and the memorisation check on a run", "",
                  f"`configs/fast-fashion-mnist.toml --set data.name=folder:{flat.name} --set data.size=64` trained "
                  f"{seconds:g} s ({result.step} G steps) on the flat folder (features: its contrastive net); {n} samples "
                  "per row, seed 0 (`gankit evaluate RUN --metrics fd,prdc,memorisation --truncation PSI`).", "",
                  *truncation_table(run, n)]
    return lines


# --- a folder larger than memory -------------------------------------------------------------------

CHILD = r"""
import json, sys, threading, time
from pathlib import Path

def anon_kb():
    for line in open("/proc/self/status"):
        if line.startswith("RssAnon:"):
            return int(line.split()[1])

peak, done = [anon_kb()], [False]
def watch():
    while not done[0]:
        peak[0] = max(peak[0], anon_kb())
        time.sleep(0.003)
threading.Thread(target=watch, daemon=True).start()

from gankit import config
from gankit.train import train
cfg = config.load(None, sys.argv[2:])
t0 = time.time()
result = train(cfg, Path(sys.argv[1]), quiet=True)
done[0] = True
print(json.dumps({"peak_kb": max(peak[0], anon_kb()), "step": result.step, "seconds": time.time() - t0}))
"""


def peak_anon_training(run: Path, overrides: list[str], env: dict | None = None, timeout: float = 7200) -> dict:
    """Train a run in a child process; its peak RssAnon (sampled every few ms), steps and seconds."""
    if not os.path.exists("/proc/self/status"):
        raise GankitError("RssAnon is read from /proc (Linux only)")
    p = subprocess.run([sys.executable, "-c", CHILD, str(run), *overrides], capture_output=True, text=True,
                       timeout=timeout, env={**os.environ, **(env or {})})
    if p.returncode != 0:
        raise GankitError(f"the training child failed: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else p.returncode}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def linked_folder(root: Path, n: int, side: int, distinct: int = 1000, seed: int = 0) -> Path:
    """A folder of n PNG files, links to `distinct` random images of side×side (decoding reads every file)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    src = root / "distinct"
    src.mkdir(parents=True, exist_ok=True)
    for i in range(min(distinct, n)):
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(src / f"{i}.png", compress_level=1)
    folder = root / f"folder-{n}"
    folder.mkdir(exist_ok=True)
    for i in range(n):
        link = folder / f"{i:07d}.png"
        if not link.exists():
            link.symlink_to(src / f"{i % min(distinct, n)}.png")
    return folder


def section_scale(n: int = 100_000, side: int = 128, steps: int = 50, work: Path | None = None) -> list[str]:
    """Decode a folder of n files at side×side into the uint8 cache, then train `steps` G steps of
    the conv nets on it in a child process; report the cache's size and the peak RssAnon."""
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        tmp = Path(tmp)
        folder = linked_folder(tmp, n, side)
        cache = tmp / "cache"
        t0 = time.time()
        ds = data.load(DataConfig(name=f"folder:{folder}", size=side, cache_dir=str(cache)))
        decode_s = time.time() - t0
        shape = tuple(ds.train.shape[1:])
        cache_bytes = sum(p.stat().st_size for p in cache.glob("*.u8"))
        float_bytes = n * int(np.prod(shape)) * 4
        del ds
        over = [f"data.name=folder:{folder}", f"data.size={side}", f"data.cache_dir={cache}", "model.g=conv",
                "model.d=conv", "model.conv_width=16", "train.batch_size=64", f"train.steps={steps}",
                "train.log_every=50", "train.sample_every=0", f"train.checkpoint_every={steps}"]
        got = peak_anon_training(tmp / "run", over, env={"GANKIT_CACHE": str(tmp / "gc")})
    gib = 2 ** 30
    return ["## A folder larger than memory", "",
            f"{n:,} PNG files at {side}x{side} (links to 1,000 distinct random images, so every file is opened and "
            f"decoded): {float_bytes / gib:.1f} GiB as float32, {cache_bytes / gib:.2f} GiB in the uint8 cache file. "
            f"Decoding took {decode_s:.0f} s on {os.cpu_count()} cores. Then {got['step']} G steps of the conv nets "
            f"(width 16, batch 64) in a fresh process: {got['seconds']:.0f} s, peak RssAnon "
            f"{got['peak_kb'] / 2**20:.2f} GiB (everything but the memory-mapped cache: torch, the nets, one batch).", "",
            f"Goal (issue 22): peak RssAnon under 1.5 GiB while training on it: "
            f"**{'met' if got['peak_kb'] / 2**20 < 1.5 else 'not met'}**.", "",
            f"Command: `python -m gankit.bench --sections folder-scale`."]


def main(argv: list[str] | None = None) -> int:  # pragma: no cover - a convenience for one section
    import argparse

    p = argparse.ArgumentParser(prog="python -m gankit.bench.folder")
    p.add_argument("section", choices=["features", "scale"])
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--side", type=int, default=128)
    a = p.parse_args(argv)
    lines = section_features() if a.section == "features" else section_scale(a.n, a.side)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
