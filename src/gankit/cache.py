"""Where gankit keeps what it can rebuild (decoded image folders, feature nets, statistics)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def cache_root() -> Path:
    """$GANKIT_CACHE, else $XDG_CACHE_HOME/gankit, else ~/.cache/gankit."""
    if os.environ.get("GANKIT_CACHE"):
        return Path(os.environ["GANKIT_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "gankit"


@contextlib.contextmanager
def locked(path: Path):
    """An exclusive lock on `path`.lock for the block, so two processes that need the same cached
    thing at once build it once (a no-op where fcntl does not exist)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    with open(path.with_name(path.name + ".lock"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
