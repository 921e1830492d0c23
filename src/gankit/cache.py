"""Where gankit keeps what it can rebuild (decoded image folders, feature nets, statistics)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """$GANKIT_CACHE, else $XDG_CACHE_HOME/gankit, else ~/.cache/gankit."""
    if os.environ.get("GANKIT_CACHE"):
        return Path(os.environ["GANKIT_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "gankit"
