"""What the person at the console sees: lines, and progress of long work.

The console may go away: `gankit train ... 2>&1 | head -1`
closes the pipe after one line. A closed console silences gankit; it never stops the work."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import time
from typing import TextIO


def say(text: str, file: TextIO | None = None) -> None:
    """Print one line (stderr by default); if the console is gone, stay silent from now on."""
    stream = file or sys.stderr
    try:
        print(text, file=stream, flush=True)
    except (OSError, ValueError):  # EPIPE, EIO from a closed terminal, or a closed file object
        silence(stream)


def silence(stream: TextIO) -> None:
    """Point a dead stream's file descriptor at /dev/null, so later writes, and Python's own
    flush at exit, succeed instead of raising again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def command() -> str:
    """How to run gankit again from the user's shell: `gankit` when that is on PATH, else the
    way this process was started (`.venv/bin/gankit`, or `python -m gankit`)."""
    if shutil.which("gankit"):
        return "gankit"
    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0) == "gankit":
        return shlex.quote(argv0)
    python = shutil.which("python")
    same = False
    if python:
        try:
            same = os.path.samefile(python, sys.executable)
        except OSError:
            pass
    return f"{'python' if same else shlex.quote(sys.executable)} -m gankit"


class Progress:
    """`with Progress(total, "sampling", "sample") as p: p.update(k)`; `announce` prints a first
    line when stderr is not a terminal (later lines come only if the work takes a while)."""

    EVERY = 10.0  # seconds between plain lines when stderr is not a terminal

    def __init__(self, total: int, desc: str, unit: str = "step", announce: bool = True):
        self.total, self.desc, self.unit, self.n, self.bar = total, desc, unit, 0, None
        self._last = time.monotonic()
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=desc, file=sys.stderr, unit=unit, unit_scale=total >= 10_000)
        elif announce:
            print(f"gankit: {desc} ({total} {unit}s)", file=sys.stderr, flush=True)

    def __enter__(self) -> "Progress":
        return self

    def update(self, k: int) -> None:
        self.n += k
        if self.bar is not None:
            self.bar.update(k)
        elif time.monotonic() - self._last >= self.EVERY and self.n < self.total:
            self._last = time.monotonic()
            print(f"gankit: {self.desc}: {self.n}/{self.total} {self.unit}s", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> bool:
        if self.bar is not None:
            self.bar.close()
        return False
