"""Registries by name: nets, losses, data sources, metrics, priors and activations.

A `Registry` maps a name to what it builds. Registering a name that is already taken is an error,
never a silent overwrite (torch-fidelity's registry is the model): two packages that both claim
`"conv"` must not take turns at being the one a config gets. Each registry lists its names, for
`--help` and for the error that a config with an unknown name gets, which names the config key.

Third-party packages add entries through a Python entry-point group (`gankit.nets`,
`gankit.losses`, `gankit.data`, `gankit.metrics`): the entry point's name is the registered
name and its object the entry, e.g. in the plugin's pyproject.toml

    [project.entry-points."gankit.losses"]
    my-loss = "my_package.losses:factory"

An entry point is loaded only when its name is asked for, so a broken plugin costs nothing until
it is used, and then fails with a one-line error that names it.
"""

from __future__ import annotations

import functools
from importlib import metadata
from typing import Callable, Generic, Iterator, TypeVar

from .errors import GankitError, brief

T = TypeVar("T")


class DuplicateName(ValueError):
    """A name registered twice (a programming error, raised where the second registration is)."""


class Registry(Generic[T]):
    """Names -> entries of one kind (`kind` is how messages call them: "net", "loss", ...).

    `group` is the entry-point group third-party packages register through (None: built-ins
    only); `check(entry)` refuses an entry of the wrong type, with a reason, before it is kept.
    """

    def __init__(self, kind: str, group: str | None = None, check: Callable[[object], str | None] | None = None):
        self.kind, self.group, self._check = kind, group, check
        self._entries: dict[str, T] = {}
        self._plugins: dict[str, metadata.EntryPoint] | None = None  # read from the environment on first use

    def register(self, name: str, entry: T) -> T:
        """Keep `entry` under `name`; a name already taken (by gankit or by a plugin) is an error."""
        if not isinstance(name, str) or not name.strip() or name != name.strip():
            raise DuplicateName(f"a {self.kind} needs a non-empty name without surrounding spaces, got {name!r}")
        if name in self._entries:
            raise DuplicateName(f"{self.kind} name {name!r} is already registered "
                                f"(by {_origin(self._entries[name])}); choose another name")
        why = self._check(entry) if self._check else None
        if why:
            raise TypeError(f"{self.kind} {name!r}: {why}")
        self._entries[name] = entry
        return entry

    def names(self) -> list[str]:
        """Every name that can be asked for: the registered ones and those plugins offer."""
        return sorted(set(self._entries) | set(self._plugin_points()))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and (name in self._entries or name in self._plugin_points())

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def items(self) -> list[tuple[str, T]]:
        """(name, entry) for every name, plugins loaded; a plugin that fails to load is left out
        (for listings: `--help`, what a result key means). Asking for it by name says why it failed."""
        out = []
        for name in self.names():
            try:
                out.append((name, self.get(name)))
            except GankitError:
                continue
        return out

    def get(self, name: str, key: str | None = None) -> T:
        """The entry `name`, loading a plugin's entry point when that is where it comes from.
        An unknown name is a GankitError listing the known ones, naming the config `key` when
        the name came from one."""
        if name in self._entries:
            if name in self._plugin_points():
                self._refuse_shadow(name)
            return self._entries[name]
        point = self._plugin_points().get(name)
        if point is None:
            where = f"config key {key}: unknown" if key else "unknown"
            raise GankitError(f"{where} {self.kind} {name!r}; one of: {', '.join(self.names())}")
        return self._load(point)

    def _load(self, point: metadata.EntryPoint) -> T:
        try:
            entry = point.load()
        except Exception as e:  # a plugin's import error is its own; say whose it is
            raise GankitError(f"the {self.kind} {point.name!r} comes from the entry point {point.value!r} in group "
                              f"{self.group}, which failed to load: {type(e).__name__}: {brief(e)}") from None
        try:
            return self.register(point.name, entry)
        except (DuplicateName, TypeError) as e:
            raise GankitError(f"entry point {point.value!r} in group {self.group}: {e}") from None

    def _refuse_shadow(self, name: str) -> None:
        point = self._plugin_points()[name]
        if self._entries[name] is not _loaded_from(point):
            raise GankitError(f"the {self.kind} name {name!r} is taken twice: by {_origin(self._entries[name])} and by the "
                              f"entry point {point.value!r} in group {self.group}; uninstall or rename one of them")

    def _plugin_points(self) -> dict[str, metadata.EntryPoint]:
        if self._plugins is None:
            self._plugins = {}
            if self.group:
                for point in _entry_points().select(group=self.group):
                    self._plugins.setdefault(point.name, point)
        return self._plugins

    def reload_plugins(self) -> None:
        """Read the entry points again (after installing a plugin into a running interpreter)."""
        _entry_points.cache_clear()
        self._plugins = None


@functools.lru_cache(maxsize=1)
def _entry_points() -> metadata.EntryPoints:
    """Every installed distribution's entry points, read once for all registries."""
    return metadata.entry_points()


def _loaded_from(point: metadata.EntryPoint) -> object:
    try:
        return point.load()
    except Exception:
        return None


def _origin(entry: object) -> str:
    module = getattr(entry, "__module__", None) or type(entry).__module__
    return f"module {module}"
