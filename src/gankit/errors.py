"""What users are told when something is wrong: the one error type, a message that says what is
wrong and what to do; and the warning for a path of the Python API that moved."""

from __future__ import annotations

import re
import warnings


class GankitError(Exception):
    """Bad input or a failed precondition. The CLI prints `gankit: error: <message>` and exits 2."""


def brief(text: str, limit: int = 200) -> str:
    """The first line of a library's error text, shortened only at a sentence's end, never inside
    one: torch's messages run on for paragraphs, and half a sentence reads as nonsense."""
    line = next((s.strip() for s in str(text).splitlines() if s.strip()), "")
    if len(line) <= limit:
        return line
    ends = [m.end() for m in re.finditer(r"[.;:!?](?=\s)", line) if m.end() <= limit]
    return line[:ends[-1]].rstrip(".;: ") if ends else line


def deprecated(old: str, new: str) -> None:
    """Warn, at the caller's import or attribute access, that `old` is now `new` (an import path of
    gankit 0.1 that 0.2 moved; the old one works for this release)."""
    warnings.warn(f"{old} moved to {new} in gankit 0.2; import it from there (the old path goes in the next release)",
                  DeprecationWarning, stacklevel=3)


def moved_names(package: str, module: str):
    """A module `__getattr__` for `package`, which was a module in gankit 0.1 and is a package now:
    a name that `module` defines (a function, class or constant; never what it imported) still
    resolves on the package, with a DeprecationWarning naming where it lives."""
    def __getattr__(name: str):
        import importlib

        target = importlib.import_module(module)
        value = getattr(target, name, None)
        if (name.startswith("_") or value is None or isinstance(value, type(importlib))
                or getattr(value, "__module__", module) != module):
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        deprecated(f"{package}.{name}", f"{module}.{name}")
        return value

    return __getattr__
