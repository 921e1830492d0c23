"""The shape of the package, checked from its source: no import circles (imports inside functions
and under TYPE_CHECKING count), every package imports only the layers docs/architecture.md allows,
and the top level stays small."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from helpers import ROOT

SRC = ROOT / "src"
PACKAGE = SRC / "gankit"


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of gankit by dotted name (a package by its own name)."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The gankit modules `name` imports anywhere in its file: at the top, inside functions, under
    TYPE_CHECKING. `from pkg import x` counts as importing pkg.x when that is a module, else pkg."""
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in known else module for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    mods = modules(package)
    return {name: imports(name, path, set(mods)) for name, path in mods.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan), each a circle."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_check_finds_a_circle_hidden_in_a_function(tmp_path):
    # The checker itself, on a package written for it: a imports b at the top, b imports a lazily.
    pkg = tmp_path / "src" / "gankit"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("def f():\n    from .a import thing\n    return thing\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from gankit.a import x\n")
    edges = graph(pkg)
    assert edges["gankit.b"] == {"gankit.a"} and edges["gankit.c"] == {"gankit.a"}
    assert cycles(edges) == [["gankit.a", "gankit.b"]]


def test_no_module_imports_itself_back_through_others():
    found = cycles(graph())
    assert not found, "import circles: " + "; ".join(" <-> ".join(c) for c in found)


# --- layers -------------------------------------------------------------------------------------

def layer_table() -> dict[str, set[str]]:
    """docs/architecture.md's table of layers: `| package | may import |`, between its markers."""
    doc = (ROOT / "docs" / "architecture.md").read_text()
    block = doc.split("<!-- layers: begin -->")[1].split("<!-- layers: end -->")[0]
    table = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([a-z_]+)`", cells[0])
        allowed = set(re.findall(r"`([a-z_]+)`", cells[1]))
        for n in names:
            table[n] = allowed | {n}
    return table


FOUNDATION = {"errors", "registry", "config", "checkpoint", "device", "console", "cache"}
ENTRY = {"cli", "demo", "__main__"}


def unit(module: str) -> str:
    """The layer a module belongs to: its subpackage, or its own name at the top level."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_package_imports_only_what_its_layer_allows():
    table = layer_table()
    units = {unit(m) for m in modules()} - {""}
    assert units - ENTRY <= set(table), f"docs/architecture.md's layer table lacks {sorted(units - ENTRY - set(table))}"
    wrong = []
    for module, targets in graph().items():
        src = unit(module)
        if src in ENTRY or src == "":  # the command, the demo and `gankit` itself sit on top
            continue
        for t in targets:
            dst = unit(t)
            if dst == "":  # `gankit` itself: every module imports it implicitly (for __version__)
                continue
            if dst not in table[src]:
                wrong.append(f"{module} imports {t} ({src} may import {', '.join(sorted(table[src] - {src}))})")
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_the_foundation_is_one_layer_and_config_needs_no_nets_losses_or_data():
    table = layer_table()
    assert FOUNDATION <= set(table)
    for name in FOUNDATION:
        assert table[name] <= FOUNDATION, f"{name} may only import the foundation, not {sorted(table[name] - FOUNDATION)}"
    assert graph()["gankit.config"] <= {"gankit.errors"}


def test_the_top_level_holds_at_most_a_dozen_files_and_the_rest_are_packages():
    files = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(files) <= 12, files
    packages = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file())
    assert {"nets", "losses", "data", "metrics", "train", "distributed", "sampling", "report", "paper", "bench"} <= set(packages)
    folders = [p for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__"]
    assert all((p / "__init__.py").is_file() for p in folders), "every folder of the package is a package"


@pytest.mark.parametrize("name", ["errors", "registry", "config"])
def test_the_bottom_imports_without_torch(name):
    # `gankit --help` and config checks must not pay for torch; the foundation's pure modules load alone.
    import subprocess
    import sys

    code = f"import sys, gankit.{name}; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
