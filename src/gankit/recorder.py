"""What only the main process writes into RUN/: log rows, sample pictures, checkpoints.

Every process holds a Recorder so the session reads the same on each; on the others it writes
nothing. The step of the newest checkpoint is public (`last_saved`), for messages and for
deciding whether the end of a run still needs one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from . import checkpoint, plots
from .runlog import RunLog


class Recorder:
    def __init__(self, run: Path, total_steps: int, start_step: int, keep_every: int,
                 quiet: bool = False, enabled: bool = True):
        self.run, self.keep_every, self.enabled = run, keep_every, enabled
        self.log = RunLog(run, total_steps, start_step, quiet=quiet or not enabled) if enabled else None
        self.last_saved = start_step

    @property
    def has_checkpoint(self) -> bool:
        return (self.run / "checkpoints" / "latest.pt").exists()

    def row(self, row: dict[str, Any]) -> None:
        if self.log is not None:
            self.log.row(row)

    def message(self, text: str) -> None:
        if self.log is not None:
            self.log.message(text)

    def samples(self, x: torch.Tensor, dataset: Any, step: int, row_names: list[str] | None = None) -> Path | None:
        """A picture of samples; `row_names`: a class-by-row grid of a conditional run."""
        if not self.enabled:
            return None
        path = self.run / "samples" / f"step-{step:07d}.png"
        return plots.save_samples(x, dataset, path, title=f"step {step}", row_names=row_names)

    def checkpoint(self, state: dict, name: str = "latest") -> None:
        """latest.pt (plus step-NNNNNNN.pt every train.keep_every steps), or `name`.pt."""
        if not self.enabled:
            return
        folder = self.run / "checkpoints"
        if name != "latest":
            checkpoint.save(state, folder / f"{name}.pt")
            return
        checkpoint.save(state, folder / "latest.pt")
        step = int(state["step"])
        if self.keep_every and step % self.keep_every == 0:
            checkpoint.save(state, folder / f"step-{step:07d}.pt")
        self.last_saved = step

    def close(self) -> None:
        if self.log is not None:
            self.log.close()
