"""Continuing a run: from which checkpoint, which config changes `--resume RUN --set KEY=VALUE`
may make, and their record.

The main process finds the newest checkpoint that loads (`checkpoint.load_latest`: latest.pt,
else the newest kept step file) and sends its bytes to the others, so only its machine needs the
run directory. A run killed before its first checkpoint starts again from step 0 with its
config.toml.

A resumed run computes exactly what the uninterrupted run would have, so `--set` on resume may
only change *how long*, *how often* and *where*, never *what*: the nets, data, loss, batch size,
seed, optimizer and precision stay those the checkpoint was trained with. Keys not listed here are
refused by default, so a new key is safe until someone decides it may change mid-run.

Accepted changes are recorded at the end of RUN/config.toml as TOML comments, so the file stays a
config that loads (`gankit train --config RUN/config.toml` starts the same run again).
"""

from __future__ import annotations

import dataclasses
import datetime
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import checkpoint
from .. import config as config_mod
from ..data import fingerprint
from ..sampling.run import check_belongs
from ..config import RESUMABLE, Config, flat, resumable  # noqa: F401  (RESUMABLE, resumable: the resume API)
from ..distributed.group import SINGLE, Rank
from ..errors import GankitError

HISTORY_HEADER = "# history: changes made with `gankit train --resume RUN --set KEY=VALUE`"


def resumed_config(config_toml: str, overrides: list[str] | tuple[str, ...], run: Any) -> tuple[Config, list[str]]:
    """The config a resumed run continues with: the checkpoint's, with `overrides` applied when
    each only changes a resumable key. Returns it and the changes as `key = new (was old)`."""
    where = f"the config in the checkpoint of {run}"
    raw = config_mod.parse_toml(config_toml, where)
    before = flat(config_mod.from_dict(config_mod.parse_toml(config_toml, where)))
    for item in overrides:
        config_mod.apply_override(raw, item)
    config = config_mod.from_dict(raw)
    after = flat(config)
    changed = [k for k in after if after[k] != before.get(k)]
    refused = [k for k in changed if not resumable(k)]
    if refused:
        key = refused[0]
        raise GankitError(f"--set {key} cannot change when resuming: it changes what the run computes, so the "
                          f"resumed run would no longer continue the checkpoint (start a new run instead: "
                          f"gankit train --config {run}/config.toml --set {key}=... --out NEW). Keys that may change "
                          f"on resume: {', '.join(k + '*' if k.endswith('.') else k for k in RESUMABLE)}")
    return config, [f"{k} = {_show(after[k])} (was {_show(before.get(k))})" for k in changed]


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)


def config_text(config: Config, previous: str | None, changes: list[str], step: int) -> str:
    """RUN/config.toml: the config, then the history kept from `previous` and one line for
    `changes` (when there are any)."""
    history = [line for line in (previous or "").splitlines() if line.startswith("# ") and line != HISTORY_HEADER
               and _is_history(line)]
    if changes:
        when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        history.append(f"# {when}, resumed at step {step}: {'; '.join(changes)}")
    text = config.to_toml()
    if history:
        text += "\n" + "\n".join([HISTORY_HEADER, *history]) + "\n"
    return text


def _is_history(line: str) -> bool:
    return ", resumed at step " in line


def check_data(run: Path, state: dict, now: dict, allow: bool) -> str | None:
    """Compare the data a checkpoint was trained on with the data now: None when the same (or when
    the checkpoint predates fingerprints); what changed when `allow`; else a one-line refusal."""
    changed = fingerprint.changes(state.get("data_fingerprint"), now)
    if not changed:
        return None
    what = "; ".join(changed)
    if not allow:
        raise GankitError(f"the data of {run} changed since its checkpoint (step {int(state['step'])}): {now['source']} "
                          f"now has {what}. Restore the data the run was trained on, or continue on this data "
                          f"anyway with: gankit train --resume {run} --allow-data-change")
    return what


@dataclass
class Resumed:
    run: Path
    config: Config
    state: dict | None  # None: no checkpoint yet, the run starts again from step 0
    changes: list[str]  # accepted --set changes, as `key = new (was old)`
    from_latest: bool  # the checkpoint is latest.pt (not a fallback step file)


def load(run: str | Path, overrides: list[str] | tuple[str, ...] = (), rank: Rank = SINGLE) -> Resumed:
    """What `gankit train --resume RUN` continues from, the same on every process."""
    run, blob, where = Path(run), None, b""
    with rank.together():
        if rank.is_main:
            found = checkpoint.load_latest(run)
            if found is not None:
                state, path, blob = found
                check_belongs(run, state, path)  # not a checkpoint copied in from another run
                del state
            else:
                path = run / "config.toml"
                blob = _config_of_unstarted_run(path)
            where = str(path).encode()
    blob, where = rank.broadcast_bytes(blob), rank.broadcast_bytes(where).decode()
    with rank.together():
        if where.endswith(".pt"):
            state = checkpoint.load_bytes(blob, where)
            config_toml = state["config"]
        else:
            state, config_toml = None, blob.decode()
        config, changes = resumed_config(config_toml, overrides, run)
    if state is None and rank.is_main:
        print(f"gankit: {run} stopped before its first checkpoint; starting it again from step 0",
              file=sys.stderr, flush=True)
    return Resumed(run, config, state, changes, Path(where).name == "latest.pt")


def _config_of_unstarted_run(path: Path) -> bytes:
    """config.toml of a run directory that holds no checkpoint yet."""
    if not path.is_file():
        raise GankitError(f"{path.parent} has no checkpoint and no config.toml to resume from (train it first)")
    try:
        return path.read_bytes()
    except OSError as e:
        raise GankitError(f"cannot read {path}: {e.strerror or e}") from None
