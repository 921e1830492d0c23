"""A run as the commands that read it see it: which checkpoint, loaded safely, and whether it
belongs to the run.

Every command that reads a run (`sample`, `evaluate`, `figures`, `report`, `export`, `train
--resume`) opens its checkpoint through `open_checkpoint`, which refuses, in one line:
- a checkpoint whose config differs from RUN/config.toml in anything that changes what the run
  computes (its data, nets, loss, seed, ...): a checkpoint copied in from another run, whose
  samples and metrics would otherwise be recorded as this run's;
- a latest.pt that does not load, naming the newest kept step-NNNNNNN.pt that does and how to
  use it (`--checkpoint PATH`; `gankit train --resume RUN` falls back to it by itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import checkpoint
from .. import config as config_mod
from ..errors import GankitError


def open_checkpoint(run: str | Path, which: str = "latest") -> tuple[dict[str, Any], Path]:
    """(state, path) of checkpoint `which` ("latest", "best" or a path) of `run`, checked to
    belong to it."""
    run = Path(run)
    path = checkpoint.resolve(run, which)
    try:
        state = checkpoint.load(path)
    except GankitError as e:
        if which != "latest" or isinstance(e, checkpoint._TooNew):
            raise
        raise GankitError(f"{e}{_kept_hint(run)}") from None
    check_belongs(run, state, path)
    return state, path


def run_config(run: Path) -> config_mod.Config | None:
    """RUN/config.toml as a Config (its history comments are TOML comments); None when absent."""
    path = Path(run) / "config.toml"
    if not path.is_file():
        return None
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise GankitError(f"cannot read {path}: {e}") from None
    return config_mod.from_dict(config_mod.parse_toml(text, str(path)))


def check_belongs(run: Path, state: dict, path: Path) -> None:
    """Refuse a checkpoint whose config is not the run's own (see the module's note)."""
    own = run_config(run)
    if own is None:
        return
    differs = config_mod.what_differs(own, config_mod.from_toml_text(state["config"]))
    if differs:
        shown = "; ".join(differs[:3]) + (f"; and {len(differs) - 3} more" if len(differs) > 3 else "")
        origin = Path(path).resolve().parent.parent
        raise GankitError(f"checkpoint {path} does not belong to run {run}: its config differs from "
                          f"{run / 'config.toml'} in {shown} (config.toml -> checkpoint). Was it copied from "
                          f"another run? Read that run instead (e.g. {origin})")


def _kept_hint(run: Path) -> str:
    """What to do when latest.pt does not load: the newest kept step file that does."""
    for step, path in checkpoint.step_files(run / "checkpoints"):
        try:
            checkpoint.load(path)
        except GankitError:
            continue
        return (f"; the kept checkpoint {path} (step {step}) loads: use it with --checkpoint {path} "
                f"(`gankit train --resume {run}` falls back to it by itself)")
    return "; no kept step-NNNNNNN.pt loads either (train.keep_checkpoints keeps some)"
