"""What a run reports: RUN/log.jsonl rows, TensorBoard scalars and sample pictures, and progress on
the terminal.

A progress bar when stderr is a terminal; otherwise plain lines, at most one every few seconds.
If the console goes away (a closed pipe), the run goes on silently: RUN/ still gets every row.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..console import say


class RunLog:
    def __init__(self, run: Path, total_steps: int, start_step: int, quiet: bool = False):
        self.path = run / "log.jsonl"
        self.total = total_steps
        self.quiet = quiet
        self._tb = None
        self._tb_dir = run / "tensorboard"
        self._bar = None
        self._last_line = 0.0
        if not quiet and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total_steps, initial=start_step, unit="step", dynamic_ncols=True, file=sys.stderr)

    @property
    def tensorboard(self):
        if self._tb is None:
            from torch.utils.tensorboard import SummaryWriter

            self._tb = SummaryWriter(str(self._tb_dir))
        return self._tb

    def row(self, row: dict[str, Any]) -> None:
        """Append one row to log.jsonl and TensorBoard, and show it."""
        append_line(self.path, json.dumps(row))
        step = row["step"]
        for key, value in row.items():
            if key not in ("step", "time") and isinstance(value, (int, float)):
                self.tensorboard.add_scalar(key, value, step)
        self.show(f"step {step}/{self.total}  loss_d {row['loss_d']:.4f}  loss_g {row['loss_g']:.4f}  "
                  f"D(x) {row['d_real']:.3f}  D(G(z)) {row['d_fake']:.3f}", step)

    def image(self, tag: str, path: Path, step: int) -> None:
        """A picture already written to RUN/ (a sample grid or plot), also shown in TensorBoard's Images tab."""
        import numpy as np
        from PIL import Image

        with Image.open(path) as img:
            pixels = np.asarray(img.convert("RGB"))
        self.tensorboard.add_image(tag, pixels, step, dataformats="HWC")
        self.tensorboard.flush()

    def show(self, text: str, step: int | None = None, force: bool = False) -> None:
        if self.quiet:
            return
        if self._bar is not None:
            try:
                if step is not None:
                    self._bar.n = step
                self._bar.set_postfix_str(text.split("  ", 1)[-1], refresh=True)
            except (OSError, ValueError):
                self._console_gone()
            return
        now = time.monotonic()
        if force or now - self._last_line >= 5.0:
            say(text)
            self._last_line = now

    def message(self, text: str) -> None:
        """A line that must be seen (start, stop, where files are)."""
        if self._bar is not None:
            try:
                self._bar.write(text, file=sys.stderr)
            except (OSError, ValueError):
                self._console_gone()
        elif not self.quiet:
            say(text)

    def _console_gone(self) -> None:
        """The terminal went away: drop the bar, keep training and writing RUN/."""
        from ..console import silence

        silence(sys.stderr)
        self._bar, self.quiet = None, True

    def close(self) -> None:
        if self._bar is not None:
            try:
                self._bar.close()
            except (OSError, ValueError):
                pass
        if self._tb is not None:
            self._tb.flush()
            self._tb.close()


def append_line(path: Path, line: str) -> None:
    """Append one line whole or not at all: a write that fails part-way (disk full) is cut off
    again, so log.jsonl never ends in half a row."""
    data = memoryview((line + "\n").encode())
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        start = os.lseek(fd, 0, os.SEEK_END)
        try:
            while data:
                data = data[os.write(fd, data):]
        except OSError:
            try:
                os.ftruncate(fd, start)
            except OSError:
                pass
            raise
    finally:
        os.close(fd)
