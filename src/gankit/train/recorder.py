"""What only the main process writes into RUN/: config.toml, log rows, sample pictures, checkpoints.

Every process holds a Recorder and calls it at the same points, so the session reads the same on
each; only the main one writes. Each write runs inside `Rank.together`, so a write that fails on
the main process (disk full, a folder that became unwritable) stops every process at once with
the same one-line error instead of leaving the others waiting.

Every file is replaced whole or not at all: checkpoints, samples and config.toml are written to a
temporary name and renamed, and a log row that cannot be written in full is cut off again. So
after a crash or a full disk the run directory holds only complete files, and the run resumes
from its newest checkpoint once there is room. The step of that checkpoint is public
(`last_saved`), for messages and for deciding whether the end of a run still needs one.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any, Callable

import torch

from .. import checkpoint
from ..distributed.group import SINGLE, Rank
from ..errors import GankitError
from ..sampling import pictures as plots
from .runlog import RunLog

SAMPLE_TMP = ".tmp.png"  # a picture being written; its format comes from the suffix


class Recorder:
    def __init__(self, run: Path, total_steps: int, start_step: int, keep_every: int,
                 quiet: bool = False, enabled: bool = True, keep_last: int = 0, rank: Rank = SINGLE):
        self.run, self.keep_every, self.keep_last, self.rank = run, keep_every, keep_last, rank
        self.enabled = enabled and rank.is_main
        self.start_step = start_step
        self.log = RunLog(run, total_steps, start_step, quiet=quiet or not self.enabled) if self.enabled else None
        self.last_saved = start_step
        # Whether checkpoints/latest.pt holds step `last_saved`; the same on every process (none
        # looks at the disk, which only the main process's node may see).
        self.has_checkpoint = False

    def start(self, config_toml: Callable[[str | None], str], resumed: bool) -> None:
        """Make the run directory and write config.toml (`config_toml(the previous text or None)`).
        A resumed run first clears what a crash left: temporary files never renamed into place,
        and log rows of steps after the checkpoint it resumes from (computed again)."""
        with self.rank.together():
            if not self.enabled:
                return
            try:
                for folder in (self.run / "checkpoints", self.run / "samples"):
                    folder.mkdir(parents=True, exist_ok=True)
                if resumed:
                    checkpoint.remove_stale_temporaries(self.run / "checkpoints")
                    for p in (self.run / "samples").glob(f".*{SAMPLE_TMP}"):
                        p.unlink(missing_ok=True)
                    _trim_log(self.run / "log.jsonl", self.start_step)
                previous = self.run / "config.toml"
                _write_text(previous, config_toml(previous.read_text() if resumed and previous.is_file() else None))
                (self.run / "log.jsonl").touch()  # a run that stops before its first row is still a run
            except OSError as e:
                raise GankitError(f"cannot write the run directory {self.run}: {e.strerror or e} "
                                  f"(choose a writable --out)") from None

    def row(self, row: dict[str, Any]) -> None:
        with self.rank.together():
            if self.log is not None:
                try:
                    self.log.row(row)
                except OSError as e:
                    raise self._failed(self.log.path, e) from None

    def message(self, text: str) -> None:
        if self.log is not None:
            self.log.message(text)

    def samples(self, x: torch.Tensor | None, dataset: Any, step: int,
                row_names: list[str] | None = None) -> Path | None:
        """A picture of `x` (the main process's samples; None on the others); `row_names`: a
        class-by-row grid of a conditional run."""
        with self.rank.together():
            if not self.enabled or x is None:
                return None
            path = self.run / "samples" / f"step-{step:07d}.png"
            tmp = path.with_name(f".{path.stem}{SAMPLE_TMP}")
            try:
                plots.save_samples(x, dataset, tmp, title=f"step {step}", row_names=row_names)
                os.replace(tmp, path)
                self.log.image("samples", path, step)
            except OSError as e:
                tmp.unlink(missing_ok=True)
                raise self._failed(path, e) from None
            return path
        return None

    def checkpoint(self, state: dict, name: str = "latest") -> None:
        """latest.pt, kept as step-NNNNNNN.pt for the newest `train.keep_checkpoints` and every
        `train.keep_every`-th step; or `name`.pt (e.g. best)."""
        step = int(state["step"])
        with self.rank.together():
            if self.enabled:
                folder = self.run / "checkpoints"
                target = folder / f"{name}.pt"
                try:
                    checkpoint.save(state, target)
                    if name == "latest":
                        if self.keep_last or (self.keep_every and step % self.keep_every == 0):
                            target = folder / f"step-{step:07d}.pt"
                            checkpoint.keep(folder / "latest.pt", target)
                        checkpoint.prune(folder, step, self.keep_last, self.keep_every)
                except OSError as e:
                    raise self._failed(target, e) from None
        if name == "latest":
            self.last_saved, self.has_checkpoint = step, True

    def _failed(self, path: Path, e: OSError) -> GankitError:
        """A write that failed, as one line: what, why, what is intact, how to go on."""
        if self.has_checkpoint:
            kept = f"the checkpoint of step {self.last_saved} is intact and no partial file was left"
            then = f"continue with: {resume_command(self.run, self.rank)}"
        else:
            kept, then = "no checkpoint had been written yet", "start the run again"
        return GankitError(f"cannot write {path}: {e.strerror or e}; {kept}; make room (or make the folder "
                           f"writable again), then {then}")

    def close(self) -> None:
        if self.log is not None:
            self.log.close()


def resume_command(run: Path, rank: Rank = SINGLE) -> str:
    """The command that continues `run` on as many processes as it ran on."""
    from ..console import command

    where = shlex.quote(str(run))
    if not rank.distributed:
        return f"{command()} train --resume {where}"
    if int(os.environ.get("LOCAL_WORLD_SIZE", rank.world_size)) == rank.world_size:
        return f"{command()} train --resume {where} --nproc {rank.world_size}"
    return f"torchrun <the same options> -m gankit train --resume {where}  (on every node)"


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}{checkpoint.TMP_SUFFIX}")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def _trim_log(path: Path, step: int) -> None:
    """Drop log rows of steps after `step`, and a last line a crash cut short."""
    if not path.exists():
        return
    lines = path.read_text().splitlines(keepends=True)
    kept = []
    for line in lines:
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if line.endswith("\n") and isinstance(row, dict) and int(row.get("step", 0)) <= step:
            kept.append(line)
    if len(kept) != len(lines):
        _write_text(path, "".join(kept))
