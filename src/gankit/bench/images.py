"""`make bench`'s section "Your own images": gankit's folder config against the PyTorch DCGAN
tutorial written by hand, on a real folder of colour images at 64×64.

Rows, each trained for the same wall-clock budget and scored after each mark (150, 300, 600 s):
the tutorial (`reference/eager_dcgan64.py`) at ngf = ndf = 64 and at 32, today's
`configs/fast-fashion-mnist.toml --set data.size=64`, and `configs/folder-64.toml`; then the
small-data rows, `folder-64` on 500 images of the same folder with and without its
augmentation, scored against the whole folder in the whole folder's features (as DiffAugment and
ADA score their 10% and 1k-image runs against the full data: a G that copies its 500 images is
not rewarded for it, as it would be against the 500's own 25 held-out images, too few, so their
training split). Each is scored with `gankit.metrics.evaluate(samples, data=FOLDER, metrics=["fd",
"classes"])`: FD in the feature net gankit uses for that folder (named in the section), classes
covered when the folder has class sub-folders; G steps, G steps/s and images/s of training. A
reference point any feature net can reproduce: the FD of the folder's own training images blurred
by a 5×5 box filter. The folder is `bench/emoji.py`'s unless one is given.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

from .. import config as config_mod

MARKS = [150, 300, 600]
FOLDER_CONFIG = "folder-64.toml"
FAST_CONFIG = "fast-fashion-mnist.toml"
SMALL = 500  # images in the small-data rows
TUTORIAL_BATCH = 128  # the tutorial's (tests make it smaller)


def blurred(x: torch.Tensor, k: int = 5) -> torch.Tensor:
    """Images blurred by a k×k box filter (edges: the mean of the pixels inside the image)."""
    return torch.nn.functional.avg_pool2d(x, k, stride=1, padding=k // 2, count_include_pad=False)


def _score(x, ds, metrics_mod, features: str = "auto") -> dict:
    """FD (and classes covered) of x against ds, in the feature net `features` names (metrics.feature_net);
    "random" features need no training, so they skip classes covered too (which counts in the classifier's)."""
    cfg = config_mod.Config()
    cfg.metrics.feature_net = features
    names = ["fd", "classes"] if ds.num_classes and features != "random" else ["fd"]
    r = metrics_mod.evaluate(x, data=ds, metrics=names, config=cfg)
    return {"fd": r["fd"], "classes": r.get("classes_covered"), "feature_net": r.get("feature_net", "")}


def gankit_rows(label: str, cfg_file: Path, overrides: list[str], marks: list[int], ds, n: int, tmp: Path,
                features: str = "auto") -> list[dict]:
    """Train a gankit config, resumed from mark to mark, scoring samples of it after each."""
    from .. import metrics
    from ..sampling.generator import sample
    from ..train import train

    run, done, rows = tmp / label.replace(" ", "-").replace("/", "-"), 0, []
    for mark in marks:
        if done == 0:
            cfg = config_mod.load(cfg_file, overrides + [f"train.time_limit={mark}", "train.steps=100000000"])
            train(cfg, run, quiet=True)
        else:
            train(None, resume=run, overrides=[f"train.time_limit={mark - done}"], quiet=True)
        done = mark
        log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
        last = log[-1]
        r = _score(sample(run, n, seed=0), ds, metrics, features)
        trained = config_mod.load(run / "config.toml").train
        r.update(seconds=mark, steps=last["step"], steps_per_s=last["step"] / max(last["time"], 1e-9),
                 images_per_s=last["step"] * trained.batch_size / max(last["time"], 1e-9), **dynamics(log))
        if "augment_p" in r:
            r["ada_target"] = trained.ada_target
        rows.append(r)
        print(f"bench: images: {label} at {mark} s: fd {r['fd']:.4g}, {r['steps']} G steps", file=sys.stderr)
    return rows


def dynamics(log: list[dict], last: int = 5) -> dict:
    """What the run's last log rows say about the game at a mark: D's mean scores on real images
    and on samples (d_real, d_fake, averaged over the `last` rows: the gap between them is how
    well D tells them apart) and ADA's p and r_t; the why of a goal missed reads them."""
    rows = [r for r in log if "d_real" in r][-last:]
    if not rows:
        return {}
    out = {k: sum(r[k] for r in rows) / len(rows) for k in ("d_real", "d_fake")}
    out.update({k: rows[-1][k] for k in ("augment_p", "ada_rt") if k in rows[-1]})
    return out


def tutorial_rows(width: int, folder: Path, marks: list[int], ds, n: int, tmp: Path, threads: int,
                  features: str = "auto") -> list[dict]:
    """The hand-written tutorial, trained in a process of its own, its snapshots scored like gankit's."""
    import numpy as np

    from .. import metrics
    from .child import _module

    out = tmp / f"tutorial-{width}"
    cmd = [sys.executable, "-m", _module("eager_dcgan64.py"), "--data", str(folder), "--width", str(width),
           "--train", str(max(marks)), "--at", ",".join(map(str, marks)), "--out", str(out), "--n", str(n),
           "--batch", str(TUTORIAL_BATCH)]
    if threads:
        cmd += ["--threads", str(threads)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"bench: the DCGAN tutorial failed: {p.stderr.strip().splitlines()[-1:]}")
    info = {int(json.loads(line)["seconds"]): json.loads(line) for line in p.stdout.splitlines() if line.startswith("{")}
    rows = []
    for mark in marks:
        r = _score(np.load(out / f"samples-{mark}s.npy"), ds, metrics, features)
        steps, trained = info[mark]["steps"], info[mark]["trained_s"]
        r.update(seconds=mark, steps=steps, steps_per_s=steps / trained, images_per_s=steps * TUTORIAL_BATCH / trained)
        rows.append(r)
        print(f"bench: images: tutorial width {width} at {mark} s: fd {r['fd']:.4g}, {steps} G steps", file=sys.stderr)
    return rows


def section_images(marks: list[int] | None = None, folder: Path | None = None, small: Path | None = None,
                   n: int = 5000, threads: int = 0, root: Path | None = None, speed_seconds: float = 10.0,
                   features: str = "auto", compiled: bool = True) -> list[str]:
    """The section's lines. `folder` and `small` default to the emoji folder and 500 of its images;
    `features` is the feature net that scores them (`--quick`: "random", which needs no training);
    `compiled` = False leaves the torch.compile row out of the speed table (`--quick`: compiling takes minutes)."""
    from .. import data, metrics
    from .emoji import emoji_folder
    from .child import ROOT, cpu_name

    root = root or ROOT
    marks = marks or MARKS
    folder = folder or emoji_folder()
    small = small or emoji_folder(limit=SMALL)
    name, small_name = f"folder:{folder}", f"folder:{small}"
    ds = data.load(config_mod.DataConfig(name=name, size=64))
    ds_small = data.load(config_mod.DataConfig(name=small_name, size=64))  # trained on; scored against ds
    thread_set = [f"threads={threads}"] if threads else []
    configs = root / "configs"
    # the speed table first: minutes, where the rows below take an hour, so a failure there shows at once
    speed = speed_lines(folder, speed_seconds, threads, compiled) if speed_seconds else []
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for width in (64, 32):
            results[f"DCGAN tutorial, ngf = ndf = {width}"] = tutorial_rows(width, folder, marks, ds, n, tmp, threads,
                                                                                    features)
        results["fast-fashion-mnist.toml, data.size = 64"] = gankit_rows(
            "fast", configs / FAST_CONFIG, [f"data.name={name}", "data.size=64", *thread_set], marks, ds, n, tmp, features)
        results["folder-64.toml"] = gankit_rows("folder", configs / FOLDER_CONFIG, [f"data.name={name}", *thread_set],
                                                marks, ds, n, tmp, features)
        small_rows = {
            f"folder-64.toml, {SMALL} images": gankit_rows(
                "small", configs / FOLDER_CONFIG, [f"data.name={small_name}", *thread_set], marks, ds, n, tmp,
                features),
            f"folder-64.toml, {SMALL} images, no augmentation": gankit_rows(
                "small-noaug", configs / FOLDER_CONFIG, [f"data.name={small_name}", "train.augment=", "data.mirror=false",
                                                          *thread_set], marks, ds, n, tmp, features)}
    blur = _score(blurred(_floats(ds.train)), ds, metrics, features)
    blur_small = _score(blurred(_floats(ds_small.train)), ds, metrics, features)
    feature_net = next(iter(results.values()))[0]["feature_net"]
    lines = ["## Your own images (64×64, a real colour folder)", "",
             f"The folder: {len(ds.train)} training images of `{folder.name}` ({_source(folder)}), "
             f"{ds.num_classes} classes (its sub-folders). Each row trains for the wall-clock budget shown and is "
             f"scored on {n} samples with `gankit.metrics.evaluate(..., metrics=[\"fd\", \"classes\"])`: FD in "
             f"`{feature_net}` (lower is better; compare only within this section), classes covered. The "
             f"{SMALL}-image rows train on {len(ds_small.train)} of its images and are scored against the whole "
             "folder, like the others. gankit's clock is "
             "its whole run (checkpoints and sample grids included); the tutorial's counts only its training steps. "
             f"Threads per run: {threads or torch.get_num_threads()}; CPU: {cpu_name()}.", "",
             "| row | " + " | ".join(f"after {m} s: FD (classes)" for m in marks) + " | G steps | G steps/s | images/s |",
             "|---|" + "---:|" * (len(marks) + 3)]
    for label, rows in {**results, **small_rows}.items():
        cells = " | ".join(f"{r['fd']:.4g}" + (f" ({r['classes']})" if r["classes"] is not None else "") for r in rows)
        last = rows[-1]
        lines.append(f"| {label} | {cells} | {last['steps']} | {last['steps_per_s']:.2f} | {last['images_per_s']:.0f} |")
    lines += [f"| the folder's own images, 5×5 box blur | {blur['fd']:.4g} | | | | | |",
              f"| the {SMALL} images, 5×5 box blur | {blur_small['fd']:.4g} | | | | | |", ""]
    lines += goals(results, small_rows, blur, marks) + [""]
    lines += speed
    lines += ["", f"Command: `python -m gankit.bench --sections images` (about {_minutes(marks)} minutes).", ""]
    return lines


def goals(results: dict, small_rows: dict, blur: dict, marks: list[int]) -> list[str]:
    """The issue's goals, each with what was measured."""
    fast, folder = results["fast-fashion-mnist.toml, data.size = 64"], results["folder-64.toml"]
    aug, noaug = small_rows.values()
    first, last = 0, len(marks) - 1
    out = []
    for i in sorted({first, last}):
        ok = folder[i]["fd"] <= fast[i]["fd"] / 2
        out.append(f"- after {marks[i]} s, folder-64's FD is at most half the fast config's: **{'met' if ok else 'not met'}** "
                   f"({folder[i]['fd']:.4g} against {fast[i]['fd']:.4g}, ratio {fast[i]['fd'] / folder[i]['fd']:.2f}×)"
                   + ("" if ok else f". By how much: {folder[i]['fd'] - fast[i]['fd'] / 2:.3g} above half of it. "
                      f"Why: {why(folder, fast, marks, i)}"))
    ok = folder[last]["fd"] < blur["fd"]
    out.append(f"- after {marks[last]} s, folder-64 beats the folder's own images blurred 5×5: **{'met' if ok else 'not met'}** "
               f"({folder[last]['fd']:.4g} against {blur['fd']:.4g})"
               + ("" if ok else f". Why: {why(folder, fast, marks, last)}"))
    ok = noaug[last]["fd"] >= 1.5 * aug[last]["fd"]
    out.append(f"- on {SMALL} images, augmentation improves FD at least 1.5× at the same budget: **{'met' if ok else 'not met'}** "
               f"({noaug[last]['fd']:.4g} without, {aug[last]['fd']:.4g} with: {noaug[last]['fd'] / aug[last]['fd']:.2f}×)")
    return ["Goals (issue 22, 2 CPU cores):", *out]


def why(folder: list[dict], fast: list[dict], marks: list[int], i: int) -> str:
    """Why folder-64 misses a goal at mark i, from what was measured: its FD over the marks (still
    falling: short of time; lowest at an earlier mark: training got worse), the G steps beside the fast
    config's, and the game at the marks (D's scores on real images and on samples, ADA's p)."""
    fds = [r["fd"] for r in folder]
    trend = ", ".join(f"{f:.3g}" for f in fds)
    best = min(range(len(fds)), key=fds.__getitem__)
    if len(fds) > 1 and all(b < a for a, b in zip(fds, fds[1:])):
        out = [f"its FD falls at every mark ({trend}): it is still improving when the budget ends, short of time"]
    elif best < i:  # a mark before this one scored better: by this mark training had made it worse
        out = [f"its FD is lowest after {marks[best]} s and rises after it ({trend}): more training made it worse"]
    else:
        out = [f"its FD over the marks: {trend}"]
    out.append(f"in {marks[i]} s it made {folder[i]['steps']:,} G steps, the fast config {fast[i]['steps']:,}")
    if all("d_real" in r for r in folder):
        gaps = [r["d_real"] - r["d_fake"] for r in folder]
        line = ("D's mean score on real images minus that on samples (how well D tells them apart) "
                + ", ".join(f"{g:.2f}" for g in gaps))
        if best < len(fds) - 1 and gaps[-1] > gaps[best] and fds[-1] > fds[best]:
            line += f": D pulls away from G after {marks[best]} s"
        out.append(line)
    if "augment_p" in folder[i]:
        rt = (f", r_t {folder[i]['ada_rt']:.2f} against its target {folder[i].get('ada_target', 0):g}"
              if "ada_rt" in folder[i] else "")
        out.append(f"ADA's p {folder[i]['augment_p']:.3f}{rt} at {marks[i]} s")
    return "; ".join(out) + "."


def _floats(x: torch.Tensor) -> torch.Tensor:
    return x.float() / 255 if x.dtype == torch.uint8 else x


SPEED_NETS = ["model.g=dcgan", "model.d=dcgan", "model.z_dim=100", "model.base_width=64", "model.max_width=512",
              "model.prior=gaussian", "model.d_batch_norm=true", "train.loss=nonsaturating", "train.batch_size=128",
              "train.ema=0", "optim.lr_g=2e-4", "optim.lr_d=2e-4", "optim.beta1=0.5", "optim.beta2=0.999",
              "train.augment=", "data.mirror=false", "train.r1_gamma=0", "precision=fp32"]  # the tutorial has no R1


def speed_lines(folder: Path, seconds: float, threads: int = 0, compiled: bool = True) -> list[str]:
    """Images/s at 64×64: the tutorial's nets in its eager loop and in gankit (contiguous, channels-last,
    compiled, bf16 where native), and the folder config, with GFLOP/s against the machine's fp32
    matmul peak. A compiled run's warm-up (its compiling) is not in its images/s."""
    from ..train.precision import native_bf16
    from .child import run_child, run_reference

    name = f"folder:{folder}"
    machine = run_child({"kind": "machine", "seconds": min(seconds, 2.0)})
    over = [f"data.name={name}", "data.size=64", *([f"threads={threads}"] if threads else [])]
    ref = run_reference("eager_dcgan64.py", "--data", folder, "--seconds", seconds, "--warmup", 3,
                        *(["--threads", threads] if threads else []))
    cases = [("gankit, the tutorial's nets (dcgan, width 64, batch 128)", SPEED_NETS + ["channels_last=false"]),
             ("gankit, the same, channels-last", SPEED_NETS + ["channels_last=true"])]
    if compiled:
        cases.append(("gankit, the same, channels-last, torch.compile", SPEED_NETS + ["channels_last=true", "compile=true"]))
    if native_bf16(torch.device("cpu"))[0]:
        cases.append(("gankit, the same, channels-last, bf16", SPEED_NETS + ["channels_last=true", "precision=bf16"]))
    rows = [(label, run_child({"kind": "gankit", "config": FOLDER_CONFIG, "overrides": over + o, "seconds": seconds}))
            for label, o in cases]
    folder_cfg = run_child({"kind": "gankit", "config": FOLDER_CONFIG, "overrides": over, "seconds": seconds})
    flops = rows[0][1]["flops_per_image"]
    lines = ["### Speed at 64×64", "",
             f"Model FLOPs of the tutorial's nets: {flops / 1e9:.2f} GFLOP per image and G step (gankit's G step draws "
             "fresh noise; the tutorial reuses the D step's fake, about 1/7 fewer FLOPs, counted the same here). "
             f"Machine: fp32 matmul peak {machine['peak_fp32']:.0f} GFLOP/s (torch.mm at the paper nets' shapes, the "
             "machine section's; oneDNN's convolutions can run faster than those products, so a row may pass 100%).", "",
             "| loop | precision | images/s | G steps/s | × tutorial | GFLOP/s | % of fp32 peak |", "|---|---|---:|---:|---:|---:|---:|"]
    base = ref["images_per_s"]
    for label, r in [("the tutorial, eager (`reference/eager_dcgan64.py`)", dict(ref, precision="fp32")), *rows]:
        g = r["images_per_s"] * flops / 1e9
        lines.append(f"| {label} | {r['precision']} | {r['images_per_s']:.0f} | {r['steps_per_s']:.2f} | "
                     f"{r['images_per_s'] / base:.2f} | {g:.0f} | {100 * g / machine['peak_fp32']:.0f}% |")
    lines.append(f"| `configs/{FOLDER_CONFIG}` (its own nets and batch) | {folder_cfg['precision']} | "
                 f"{folder_cfg['images_per_s']:.0f} | {folder_cfg['steps_per_s']:.2f} | "
                 f"{folder_cfg['images_per_s'] / base:.2f} | {folder_cfg['images_per_s'] * folder_cfg['flops_per_image'] / 1e9:.0f} | "
                 f"{100 * folder_cfg['images_per_s'] * folder_cfg['flops_per_image'] / 1e9 / machine['peak_fp32']:.0f}% |")
    return lines + [""]


def _source(folder: Path) -> str:
    from .emoji import PACKAGE, VERSION

    return f"npm's `{PACKAGE}@{VERSION}`, installed into gankit's cache" if folder.name.startswith("emoji") else "given"


def _minutes(marks: list[int]) -> int:
    return round(6 * max(marks) / 60 * 1.15)


# What each choice of configs/folder-64.toml buys: the config as shipped, then one change at a time.
TUNING = [
    ("folder-64 as shipped", []),
    ("model dcgan (width 16, no D batch norm) instead of light", ["model.g=dcgan", "model.d=dcgan", "model.d_batch_norm=false"]),
    ("model.base_width 32 instead of 16", ["model.base_width=32"]),
    ("model resnet (width 16) instead of light", ["model.g=resnet", "model.d=resnet"]),
    ("no augmentation instead of ADA", ["train.augment="]),
    ("DiffAugment translation,color,cutout instead of ADA", ["train.augment=translation,color,cutout"]),
    ("nonsaturating loss instead of hinge", ["train.loss=nonsaturating"]),
    ("batch 16 instead of 32", ["train.batch_size=16"]),
    ("batch 64 instead of 32", ["train.batch_size=64"]),
    ("Adam lr 2e-4, betas (0.5, 0.999) instead of 8e-4, (0, 0.9)", ["optim.lr_g=2e-4", "optim.lr_d=2e-4", "optim.beta1=0.5",
                                                                   "optim.beta2=0.999"]),
    ("no EMA of G", ["train.ema=0"]),
    # against D overpowering G after ~150 s (BENCHMARKS.md, "Your own images"): a zero-centred
    # gradient penalty on real images (in every step, or lazily), ADA switching on sooner, a slower D
    ("R1 penalty, r1_gamma 0.1", ["train.r1_gamma=0.1"]),
    ("ADA target 0.45 instead of 0.6", ["train.ada_target=0.45"]),
    ("R1 0.1 and ADA target 0.45", ["train.r1_gamma=0.1", "train.ada_target=0.45"]),
    ("lazy R1 (every 16th G step, γ×16) and ADA target 0.45", ["train.r1_gamma=0.1", "train.reg_every=16",
                                                               "train.ada_target=0.45"]),
    ("D's lr 2e-4 instead of 8e-4", ["optim.lr_d=2e-4"]),
    ("contiguous memory instead of channels-last", ["channels_last=false"]),
]


def section_tuning(marks: list[int] | None = None, folder: Path | None = None, n: int = 5000,
                   variants: list[tuple[str, list[str]]] | None = None, features: str = "auto") -> list[str]:
    """FD after each mark for folder-64 and for each one-change variant of it, in one run."""
    from .. import data
    from .emoji import emoji_folder
    from .child import ROOT, cpu_name

    marks, folder, variants = marks or [150, 600], folder or emoji_folder(), variants or TUNING
    ds = data.load(config_mod.DataConfig(name=f"folder:{folder}", size=64))
    lines = ["## What each choice of configs/folder-64.toml buys", "",
             f"`configs/{FOLDER_CONFIG}` on `{folder.name}` ({len(ds.train)} training images), then one change at a "
             f"time; FD of {n} samples (lower is better) in the folder's feature net; CPU: {cpu_name()}, "
             f"{torch.get_num_threads()} threads.", "",
             "| variant | " + " | ".join(f"FD after {m} s (G steps)" for m in marks) + " |", "|---|" + "---:|" * len(marks)]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, over) in enumerate(variants):
            rows = gankit_rows(f"v{i}", ROOT / "configs" / FOLDER_CONFIG, [f"data.name=folder:{folder}", *over], marks,
                               ds, n, Path(tmp), features)
            if i == 0:
                lines.insert(3, f"Feature net: `{rows[0]['feature_net']}`.")
                lines.insert(4, "")
            lines.append(f"| {label} | " + " | ".join(f"{r['fd']:.4g} ({r['steps']})" for r in rows) + " |")
            print(f"bench: images-tuning: {lines[-1]}", file=sys.stderr)
    return lines + ["", f"Command: `python -m gankit.bench --sections images-tuning` (about "
                        f"{round(len(variants) * max(marks) * 1.15 / 60)} minutes).", ""]
