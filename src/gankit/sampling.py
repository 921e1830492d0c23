"""Draw samples from a trained run: `gankit sample` and `gankit.sample` are this one function."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import torch

from . import checkpoint, config as config_mod, nets
from .device import resolve_device
from .errors import GankitError


def load_generator(run: str | Path, which: str = "latest", device: str | None = None):
    """(G in eval mode, config, data info, checkpoint step) from a run's checkpoint."""
    return generator_from_state(checkpoint.load(checkpoint.resolve(run, which)), run, device)


def generator_from_state(state: dict, run: str | Path = "the run", device: str | None = None):
    """(G in eval mode, config, data info, step) from an already loaded checkpoint."""
    cfg = config_mod.from_toml_text(state["config"])
    info = state.get("data") or {}
    if "shape" not in info:
        raise GankitError(f"checkpoint of {run} lacks data info; it was not written by gankit train")
    shape = tuple(int(v) for v in info["shape"].tolist())
    dev = resolve_device(device or cfg.device)
    G = nets.build_generator(cfg.model, shape, info["kind"], num_classes=int(info.get("num_classes", 0)))
    try:
        G.load_state_dict(state["G"])
    except RuntimeError as e:
        raise GankitError(f"checkpoint G does not fit its own config ({str(e).splitlines()[0][:160]})") from None
    return G.to(dev).eval(), cfg, info, int(state["step"])


def generate(G: torch.nn.Module, z: torch.Tensor, info: dict, c: torch.Tensor | None = None) -> torch.Tensor:
    """G(z) on the CPU in the data's own units, with G in eval mode (batch norm's running
    statistics, no dropout) and no autograd; G's training mode is restored after."""
    was = G.training
    G.eval()
    try:
        with torch.inference_mode():
            x = (G(z) if c is None else G(z, c)).float().cpu()
    finally:
        G.train(was)
    return to_data_units(x, info)


def draw(G, cfg, info: dict, n: int, seed: int = 0, batch: int = 1000) -> np.ndarray:
    """n samples of a loaded generator as float32, in the data's own units."""
    if n < 1:
        raise GankitError(f"--n must be a positive number of samples, got {n}")
    dev = next(G.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    out = []
    for start in range(0, n, batch):
        z = nets.sample_noise(cfg.model.prior, min(batch, n - start), cfg.model.z_dim, gen).to(dev)
        out.append(generate(G, z, info))
    return torch.cat(out).numpy().astype(np.float32)


def to_data_units(x: torch.Tensor, info: dict) -> torch.Tensor:
    """Generator output -> the data's own units, from a checkpoint's data info."""
    if info["kind"] == "image":
        return x.clamp(0, 1)
    if info["scale"].numel():
        return x * info["scale"] + info["shift"]
    return x


def sample(run: str | Path, n: int, seed: int = 0, which: str = "latest", batch: int = 1000,
           device: str | None = None) -> np.ndarray:
    """n samples as float32: images N×C×H×W in [0,1], points N×D in the data's own units."""
    if n < 1:
        raise GankitError(f"--n must be a positive number of samples, got {n}")
    G, cfg, info, _ = load_generator(run, which, device)
    return draw(G, cfg, info, n, seed, batch)


def save_npy(array: np.ndarray, out: str | Path) -> Path:
    """Write atomically: a failed write leaves any earlier file intact."""
    out = Path(out)
    if out.suffix != ".npy":
        raise GankitError(f"--out {out} must end in .npy")
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            np.save(f, array)
        tmp.replace(out)
    except OSError as e:
        with contextlib.suppress(OSError):  # e.g. the parent is a file: there is no tmp to remove
            tmp.unlink(missing_ok=True)
        raise GankitError(f"cannot write {out}: {e.strerror or e} (choose a writable path)") from None
    return out


def load_npy(path: str | Path) -> np.ndarray:
    path = Path(path)
    if not path.is_file():
        raise GankitError(f"samples file {path} not found")
    try:
        return np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise GankitError(f"{path} is not a readable .npy array ({str(e)[:120]})") from None
