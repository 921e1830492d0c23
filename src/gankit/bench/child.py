"""Running one measurement in a fresh process, and what every section says about the machine:
the repository's root, the eager reference loops' modules, the CPU's name. Its own module, so that
the sections `speed.main` runs (images, ...) use these without importing `speed` back."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]  # the repository: configs/, docs/, BENCHMARKS.md
REFERENCE = "gankit.bench.reference"  # the eager loops, each run as `python -m REFERENCE.<script>`


def run_child(spec: dict) -> dict:
    """Run one measurement in a fresh process (`python -m gankit.bench --child SPEC`)."""
    return _json_line([sys.executable, "-m", "gankit.bench", "--child", json.dumps(spec)])


def run_reference(script: str, *args) -> dict:
    """Run one eager reference loop (gankit/bench/reference/) in a fresh process."""
    return _json_line([sys.executable, "-m", _module(script), *map(str, args)])


def _module(script: str) -> str:
    return f"{REFERENCE}.{script.removesuffix('.py')}"


def _json_line(cmd: list[str], cwd: Path | None = None) -> dict:
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    if p.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed ({p.returncode}): {p.stderr.strip().splitlines()[-1:] }")
    return json.loads(lines[-1])


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
