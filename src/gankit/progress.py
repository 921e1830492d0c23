"""Progress of long work on stderr: a bar on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import sys
import time


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
