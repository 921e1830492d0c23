"""The data sources' registry: `data.name` -> a loader and a probe.

A name is exact (`ring8`) or, ending in ':', a prefix whose rest is a path (`csv:`, `folder:`).
A loader turns a DataConfig into a `Dataset`; a probe says whether the data can be had, where,
and how big, without loading it whole. Third-party packages add a source through the
entry-point group `gankit.data`: an entry point whose object is a `Source`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

from ..config import DataConfig
from ..errors import GankitError
from ..registry import Registry
from .dataset import Dataset, Probe

Loader = Callable[[DataConfig], Dataset]
Prober = Callable[[DataConfig], Probe]
Restorer = Callable[[DataConfig, dict], Dataset]


@dataclass(frozen=True)
class Source:
    """One data source: how to load it, and how to probe it cheaply. A source whose loading fits
    something to the data (a table's column transformer) also says how to load it again with
    what a run's checkpoint kept (`restore(config, data info)`), so a resumed run sees its data
    exactly as it trained on it."""

    load: Loader
    probe: Prober
    restore: Restorer | None = None


def _is_source(entry: object) -> str | None:
    return None if isinstance(entry, Source) else f"a data source is registered as a gankit.data.Source, not {type(entry).__name__}"


SOURCES: Registry[Source] = Registry("data set", group="gankit.data", check=_is_source)


def register(name: str, loader: Loader, probe: Prober, restore: Restorer | None = None) -> Source:
    """Register a data set by exact name (`ring8`) or, ending in ':', by prefix (`csv:`).
    A name registered twice is an error, never a silent replacement of the first loader."""
    return SOURCES.register(name, Source(loader, probe, restore))


def _prefixes() -> list[str]:
    return [n for n in SOURCES.names() if n.endswith(":")]


def names() -> list[str]:
    exact = [n for n in SOURCES.names() if not n.endswith(":")]
    return exact + [f"{p}PATH" for p in _prefixes()]


def source(name: str) -> Source:
    """The source `data.name` names: an exact name, else the prefix it starts with."""
    if name in SOURCES and not name.endswith(":"):
        return SOURCES.get(name)
    for prefix in _prefixes():
        if name.startswith(prefix):
            return SOURCES.get(prefix)
    raise GankitError(f"unknown data set {name!r} (known: {', '.join(names())}; see `gankit datasets`)")


def load(cfg: DataConfig, fitted: dict | None = None) -> Dataset:
    """Load the data set a config names, or raise GankitError saying why it cannot be had.
    `fitted` is a checkpoint's data info: a source that fits something to its data restores it
    from there instead of fitting again."""
    src = source(cfg.name)
    if fitted is not None and src.restore is not None:
        return src.restore(cfg, fitted)
    return src.load(cfg)


def probe(cfg: DataConfig) -> Probe:
    """Say whether a data set is available, where, and how big, without loading it whole."""
    return source(cfg.name).probe(cfg)


def listing(base: DataConfig | None = None) -> list[tuple[str, Probe]]:
    """Every registered name with its probe (for `gankit datasets`); `base` carries data.dir and
    the other data keys a user would train with."""
    base = base or DataConfig()
    out = []
    for name in SOURCES.names():
        if name.endswith(":"):
            continue
        try:
            out.append((name, SOURCES.get(name).probe(dataclasses.replace(base, name=name))))
        except GankitError as e:
            out.append((name, Probe(False, "", str(e))))
    for prefix in _prefixes():
        if base.name.startswith(prefix) and base.name != prefix:  # the folder or file the config names
            out.append((base.name, SOURCES.get(prefix).probe(base)))
        else:
            out.append((f"{prefix}PATH", SOURCES.get(prefix).probe(DataConfig(name=prefix))))
    return out


def probes(names: list[str], base: DataConfig | None = None) -> list[tuple[str, Probe]]:
    """The probe of each named data set (`gankit datasets folder:PATH csv:FILE ring8`); a name no
    source knows is an error that lists the known ones."""
    base = base or DataConfig()
    out = []
    for name in names:
        cfg = dataclasses.replace(base, name=name)
        try:
            out.append((name, source(name).probe(cfg)))
        except GankitError as e:
            if name not in SOURCES and not any(name.startswith(p) for p in _prefixes()):
                raise
            out.append((name, Probe(False, "", str(e))))
    return out
