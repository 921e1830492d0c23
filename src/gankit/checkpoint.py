"""Checkpoints: plain dicts of tensors, numbers and strings, written atomically, read safely.

Format (DESIGN.md): keys G, D, opt_G, opt_D, step, rng, config, format_version, world_size; gankit adds
`data` (what sampling needs without the data set), `elapsed`, `examples_seen` and `extra`.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch

from .errors import GankitError, brief

FORMAT_VERSION = 2  # 2: rng holds the dropout masks' generator; world_size
REQUIRED = ("G", "D", "opt_G", "opt_D", "step", "rng", "config", "format_version")


def save(state: dict[str, Any], path: str | Path) -> None:
    """Write to a temporary file in the same folder, flush to disk, then rename over `path`,
    so a crash leaves either the old checkpoint or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path: str | Path) -> dict[str, Any]:
    """Load with weights_only=True: a file that needs arbitrary unpickling is refused, not run."""
    path = Path(path)
    if not path.is_file():
        raise GankitError(f"checkpoint {path} not found (train first, or give an existing .pt file)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols before refusing
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        raise GankitError(f"{path} is not a gankit checkpoint: weights_only loading refused it "
                          f"({_refusal_reason(str(e))}); it is never loaded unsafely") from None
    except Exception as e:  # torch raises many types for a damaged file (KeyError for plain text)
        readable = isinstance(e, (RuntimeError, OSError, ValueError)) and str(e).strip()
        msg = brief(e) if readable else "it is not a PyTorch file"
        raise GankitError(f"{path} is not a readable checkpoint (truncated or corrupt: {msg})") from None
    if not isinstance(state, dict) or any(k not in state for k in REQUIRED):
        raise GankitError(f"{path} is not a gankit checkpoint (missing keys {[k for k in REQUIRED if not isinstance(state, dict) or k not in state]})")
    if state["format_version"] > FORMAT_VERSION:
        raise GankitError(f"{path} has checkpoint format {state['format_version']}, newer than this gankit "
                          f"reads ({FORMAT_VERSION}); upgrade gankit")
    return state


def _refusal_reason(text: str) -> str:
    """The one useful line of torch's long weights_only refusal (e.g. the global it refused)."""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("Unsupported", "Trying to")) or "GLOBAL" in line:
            return line[:160]
    return "it holds objects other than tensors, numbers and strings"


def resolve(run: str | Path, which: str = "latest") -> Path:
    """`latest`, `best` or a path to a .pt file -> the checkpoint file."""
    run = Path(run)
    if which in ("latest", "best"):
        path = run / "checkpoints" / f"{which}.pt"
        if not path.is_file():
            if not run.is_dir():
                raise GankitError(f"run directory {run} not found (give the --out folder of `gankit train`)")
            hint = "set train.eval_every to track the best checkpoint" if which == "best" else "train it first"
            raise GankitError(f"{run} has no {which} checkpoint ({hint})")
        return path
    return Path(which)
