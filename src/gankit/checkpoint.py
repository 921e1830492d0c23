"""Checkpoints: plain dicts of tensors, numbers and strings, written atomically, read safely.

Format (DESIGN.md): keys G, D, opt_G, opt_D, step, rng, config, format_version, world_size; gankit adds
`data` (what sampling needs without the data set), `elapsed`, `examples_seen` and `extra`.

A run's checkpoints folder holds latest.pt and step-NNNNNNN.pt files: the newest
`train.keep_checkpoints` checkpoints and every `train.keep_every`-th step (`keep`, `prune`). A
step file is a hard link to the latest.pt it was written as (no extra disk; a copy where the
file system has no links). When latest.pt does not load (a disk that lost its tail, a truncated
copy), `load_latest` falls back to the newest step file that does.
"""

from __future__ import annotations

import errno
import io
import os
import pickle
import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, BinaryIO, Callable

import torch

from .errors import GankitError, brief

FORMAT_VERSION = 2  # 2: rng holds the dropout masks' generator; world_size
REQUIRED = ("G", "D", "opt_G", "opt_D", "step", "rng", "config", "format_version")


TMP_SUFFIX = ".tmp"
STEP_FILE = re.compile(r"step-(\d+)\.pt")


def save(state: dict[str, Any], path: str | Path) -> None:
    """Write to a temporary file in the same folder, flush to disk, then rename over `path`,
    so a crash leaves either the old checkpoint or the new one, never half of one. A failed
    write (disk full, folder no longer writable) removes its temporary file and raises OSError;
    `path` is untouched."""
    path = Path(path)
    # Serialized in memory first: torch's zip writer turns a failed write into a RuntimeError
    # about positions, while a plain write reports what happened (disk full, no permission).
    buffer = io.BytesIO()
    torch.save(state, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(path, lambda f: _write(f, buffer.getbuffer()))


def _atomic_write(path: Path, fill: Callable[[BinaryIO], None]) -> None:
    """`fill` writes a temporary file beside `path`, which is flushed to disk and renamed over
    `path`: a crash leaves the old file or the new one. On failure the temporary file goes and
    the error is raised."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with _quietly():
            Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _write(f, data) -> None:
    f.write(data)


def _sync_folder(folder: Path) -> None:
    """Make a rename durable: the folder's entry, not only the file's bytes, reaches the disk."""
    if os.name != "posix":
        return
    with _quietly():
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _quietly:
    """Ignore OSError: cleanup that fails must not hide the error being reported."""

    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is not None and issubclass(kind, OSError)


def keep(latest: Path, step_file: Path) -> None:
    """`step_file` holding what `latest` holds now: a hard link (atomic, no extra disk), or a copy
    written like a checkpoint where links are not supported."""
    link = step_file.with_name(f".{step_file.name}.link{TMP_SUFFIX}")
    try:
        link.unlink(missing_ok=True)
        os.link(latest, link)
        os.replace(link, step_file)
        _sync_folder(step_file.parent)
        return
    except OSError as e:
        with _quietly():
            link.unlink(missing_ok=True)
        if e.errno not in (errno.EPERM, errno.EXDEV, errno.EOPNOTSUPP, errno.ENOSYS):
            raise  # a real failure (disk full, no permission), not a file system without links

    def copy(f: BinaryIO) -> None:  # no hard links here: a copy, written like a checkpoint
        with open(latest, "rb") as src:
            shutil.copyfileobj(src, f)

    _atomic_write(step_file, copy)


def step_files(folder: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of the step-NNNNNNN.pt files in a checkpoints folder, newest first."""
    found = []
    for p in Path(folder).glob("step-*.pt"):
        m = STEP_FILE.fullmatch(p.name)
        if m:
            found.append((int(m.group(1)), p))
    return sorted(found, reverse=True)


def prune(folder: str | Path, step: int, keep_last: int, keep_every: int) -> None:
    """Delete the step files a run no longer keeps: of those up to `step`, all but the newest
    `keep_last` and the multiples of `keep_every`. Files past `step` (left by a run that fell back
    to an older checkpoint) are left for the run to overwrite when it gets there."""
    kept = 0
    for s, path in step_files(folder):
        if s > step:
            continue
        if kept < keep_last:
            kept += 1
        elif not (keep_every and s % keep_every == 0):
            path.unlink(missing_ok=True)


def remove_stale_temporaries(folder: str | Path) -> list[Path]:
    """Delete the temporary files of writes that a crash (kill -9, power loss) cut short; they
    were never renamed into place, so nothing refers to them."""
    removed = []
    for p in Path(folder).glob(f".*{TMP_SUFFIX}"):
        with _quietly():
            p.unlink()
            removed.append(p)
    return removed


def load(path: str | Path) -> dict[str, Any]:
    """Load with weights_only=True: a file that needs arbitrary unpickling is refused, not run."""
    path = Path(path)
    if not path.is_file():
        raise GankitError(f"checkpoint {path} not found (train first, or give an existing .pt file)")
    try:
        data = path.read_bytes()
    except OSError as e:
        raise GankitError(f"cannot read checkpoint {path}: {e.strerror or e}") from None
    return load_bytes(data, path)


def load_bytes(data: bytes, path: str | Path) -> dict[str, Any]:
    """A checkpoint from its bytes (read from `path`, or received from the process that read it)."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns about pickle protocols before refusing
            state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
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
        raise _TooNew(f"{path} has checkpoint format {state['format_version']}, newer than this gankit "
                      f"reads ({FORMAT_VERSION}); upgrade gankit")
    return state


class _TooNew(GankitError):
    """A checkpoint format newer than this gankit reads."""


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


def load_latest(run: str | Path, warn=None) -> tuple[dict[str, Any], Path, bytes] | None:
    """(state, path, bytes) of the newest checkpoint of `run` that loads: latest.pt, or when that
    is missing or unreadable, the newest step file that loads, with a one-line warning naming
    both (to `warn`, default stderr). None when the run has written no checkpoint at all."""
    run = Path(run)
    folder = run / "checkpoints"
    latest = folder / "latest.pt"
    if not run.is_dir():
        raise GankitError(f"cannot resume {run}: no such run directory (give the --out folder of an earlier `gankit train`)")
    if not latest.exists() and not step_files(folder):
        return None
    try:
        data = latest.read_bytes()
        return load_bytes(data, latest), latest, data
    except FileNotFoundError:
        problem = f"{latest} is missing"
    except OSError as e:
        problem = f"cannot read {latest} ({e.strerror or e})"
    except _TooNew:
        raise  # written by a newer gankit: an older checkpoint is no substitute
    except GankitError as e:
        problem = str(e)
    for _, path in step_files(folder):
        try:
            data = path.read_bytes()
            state = load_bytes(data, path)
        except (GankitError, OSError):
            continue
        print(f"gankit: warning: {problem}; resuming from {path} (step {int(state['step'])}), the newest checkpoint "
              f"that loads", file=warn or sys.stderr, flush=True)
        return state, path, data
    raise GankitError(f"{problem}; no step-NNNNNNN.pt in {folder} loads either, so there is nothing to resume from")
