"""Lines for the person at the console, which may go away: `gankit train ... 2>&1 | head -1`
closes the pipe after one line. A closed console silences gankit; it never stops the work."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
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
