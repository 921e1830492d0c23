"""Data sources, one module each, behind one registry.

A loader turns a DataConfig into a `Dataset`: whole splits as in-memory tensors, so a training
step indexes a tensor instead of running a per-step Python pipeline.
"""

from __future__ import annotations

from typing import Callable

from ..config import DataConfig
from ..errors import GankitError
from .dataset import Dataset, Probe

Loader = Callable[[DataConfig], Dataset]
Prober = Callable[[DataConfig], Probe]

_LOADERS: dict[str, Loader] = {}
_PROBES: dict[str, Prober] = {}
_PREFIXES: dict[str, tuple[Loader, Prober]] = {}


def register(name: str, loader: Loader, probe: Prober) -> None:
    """Register a data set by exact name (`ring8`) or, ending in ':', by prefix (`csv:`).
    A name registered twice is an error, never a silent replacement of the first loader."""
    if not name or name in _LOADERS or name in _PREFIXES:
        raise ValueError(f"data set name {name!r} is empty or already registered")
    if name.endswith(":"):
        _PREFIXES[name] = (loader, probe)
    else:
        _LOADERS[name] = loader
        _PROBES[name] = probe


def names() -> list[str]:
    return sorted(_LOADERS) + sorted(f"{p}PATH" for p in _PREFIXES)


def _resolve(name: str) -> tuple[Loader, Prober]:
    if name in _LOADERS:
        return _LOADERS[name], _PROBES[name]
    for prefix, pair in _PREFIXES.items():
        if name.startswith(prefix):
            return pair
    raise GankitError(f"unknown data set {name!r} (known: {', '.join(names())}; see `gankit datasets`)")


def load(cfg: DataConfig) -> Dataset:
    """Load the data set a config names, or raise GankitError saying why it cannot be had."""
    loader, _ = _resolve(cfg.name)
    return loader(cfg)


def probe(cfg: DataConfig) -> Probe:
    """Say whether a data set is available, where, and how big, without loading it whole."""
    _, prober = _resolve(cfg.name)
    return prober(cfg)


def listing(base: DataConfig | None = None) -> list[tuple[str, Probe]]:
    """Every registered name with its probe (for `gankit datasets`); `base` carries data.dir and
    the other data keys a user would train with."""
    import dataclasses

    base = base or DataConfig()
    out = []
    for name in sorted(_LOADERS):
        try:
            out.append((name, _PROBES[name](dataclasses.replace(base, name=name))))
        except GankitError as e:
            out.append((name, Probe(False, "", str(e))))
    for prefix, (_, prober) in sorted(_PREFIXES.items()):
        out.append((f"{prefix}PATH", prober(DataConfig(name=prefix))))
    return out


# Importing the source modules registers them.
from . import cifar, digits, folder, idx, stacked, tabular, toy  # noqa: E402,F401

__all__ = ["Dataset", "Probe", "load", "probe", "listing", "names", "register"]
