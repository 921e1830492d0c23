"""Training a run, new or resumed: `gankit train` and `gankit.train.train` are this one function.

A new run checks its output folder and config; a resumed one finds its checkpoint and the
config changes it may make (resume.py). Both build a `Session` before anything is written, so
bad input fails without touching the disk, then run Algorithm 1 (`loop.fit`) inside it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from .. import nets
from ..config import Config
from ..distributed import group as distributed
from ..distributed.group import Rank
from ..errors import GankitError
from ..sampling.outputs import training_file
from . import resume as resume_mod
from .loop import fit
from .recorder import resume_command
from .session import Session, TrainResult
from .streams import check_batch_fits


RUN_FILES = ("config.toml", "log.jsonl", "checkpoints", "samples", "tensorboard", "metrics.json", "metrics.jsonl",
             "report.html", "figures")  # what a run writes in its folder (DESIGN.md)


def _check_new_run_dir(out: str | Path, config: Config | None = None) -> Path:
    """A new run's folder: not a run already, holding nothing a run would overwrite, and not where
    the run's own data is (its sample pictures would join an image folder)."""
    run = Path(out)
    if (run / "checkpoints" / "latest.pt").exists() or (run / "log.jsonl").exists():
        raise GankitError(f"{run} already holds a run (continue it with --resume {run}, or choose another --out)")
    if config is not None:
        inside = training_file(run, config.data)
        if inside:
            raise GankitError(f"--out {run} {inside}, which the run trains on (data.name = {config.data.name}); "
                              "choose a run folder elsewhere")
    taken = [name for name in RUN_FILES if (run / name).exists()] if run.is_dir() else []
    if taken:
        raise GankitError(f"--out {run} already holds {', '.join(taken)}, which a new run would overwrite; "
                          "choose a new or empty folder")
    return run


def train(config: Config | None, out: str | Path | None = None, *, resume: str | Path | None = None,
          overrides: list[str] | tuple[str, ...] = (), quiet: bool = False,
          allow_data_change: bool = False) -> TrainResult:
    """Train a GAN with Algorithm 1.

    New run: `train(config, out)` writes RUN/config.toml, log.jsonl, checkpoints, samples.
    Resume: `train(None, resume=RUN)` continues RUN exactly where its latest checkpoint stopped
    (the newest step checkpoint that loads, if latest.pt does not); `overrides` (KEY=VALUE) may
    change how long, how often and where (train.steps, train.time_limit, ...: `resume.RESUMABLE`),
    never what is computed. A resume refuses data that differs from what the checkpoint recorded
    (`gankit.data.fingerprint`) unless `allow_data_change`.

    Under torchrun (WORLD_SIZE > 1) every process calls this; they join one process group, and
    train one run together (see docs/distributed.md).
    """
    with distributed.process_group() as rank:
        try:
            return _train(config, out, resume, overrides, quiet, rank, allow_data_change)
        except torch.distributed.DistError as e:
            raise GankitError(f"lost contact with another process of this run ({str(e).strip().splitlines()[0][:160]}); "
                              f"its own output says why") from None


def _train(config: Config | None, out, resume, overrides, quiet: bool, rank: Rank,
           allow_data_change: bool = False) -> TrainResult:
    changes: list[str] = []
    from_latest = False
    if allow_data_change and resume is None:
        raise GankitError("--allow-data-change is for --resume RUN: a new run records the data it starts on")
    if resume is not None:
        r = resume_mod.load(resume, overrides, rank)
        run, config, state, changes, from_latest = r.run, r.config, r.state, r.changes, r.from_latest
    else:
        with rank.together():
            if config is None or out is None:
                raise GankitError("train needs a config and an output folder (or resume=RUN)")
            config = _with_absolute_paths(config.validate())
            run, state = Path(out), None
            if rank.is_main:
                _check_new_run_dir(run, config)
    # Everything that can fail on bad input (data, nets, checkpoint) fails before a file is written.
    s = Session(config, run, state, quiet=quiet, rank=rank)
    data_note = None
    if state is not None:
        with rank.together():
            data_note = resume_mod.check_data(run, state, s.data_fingerprint, allow_data_change)
        if data_note:
            changes.append(f"data changed (--allow-data-change): {data_note}")
    with rank.together():  # after the data check: "the data changed" is the first thing to hear
        check_batch_fits(config.train.batch_size, len(s.dataset.train), config.data.name, resumed=state is not None)
    if state is not None and s.step >= config.train.steps:
        s.recorder.close()
        if s.step > config.train.steps:
            raise GankitError(f"{run} is at step {s.step}, past train.steps = {config.train.steps}; a run cannot go "
                              f"back (give --set train.steps=N with N > {s.step} to train on)")
        s.recorder.message(f"gankit: {run} is already at step {s.step} = train.steps; nothing to train "
                           f"(continue with --set train.steps=N, N > {s.step})")
        return TrainResult(run, s.step, "done", s.raw_G, s.raw_D, is_main=rank.is_main,
                           G_ema=s.ema.net if s.ema is not None else None)
    s.recorder.has_checkpoint = from_latest  # else the end of the run writes latest.pt even without a step
    s.recorder.start(lambda previous: resume_mod.config_text(config, previous, changes, s.step), resumed=resume is not None)
    trained_on = int(state.get("world_size", 1)) if state is not None else rank.world_size
    unchecked = state is not None and "data_fingerprint" not in state
    del state
    _attach_hooks(s)
    n = rank.world_size
    s.recorder.message(f"gankit: training {config.data.name} ({len(s.dataset.train)} examples, {s.dataset.source}) "
                       f"on {s.device} in {s.precision_name} ({s.precision_why}), {n} process{'es' if n > 1 else ''}, "
                       f"{_until(s.step, config.train)}, run {run}")
    for note in _notes(config, resume is not None):
        s.recorder.message(f"gankit: warning: {note}")
    if s.compile_note:
        s.recorder.message(f"gankit: {s.compile_note}")
    if resume is not None:
        if trained_on != n:
            s.recorder.message(f"gankit: the checkpoint was trained on {trained_on} process{'es' if trained_on > 1 else ''}; "
                               f"continuing on {n} with the same global batch ({config.train.batch_size})")
        if data_note:
            s.recorder.message(f"gankit: continuing on data that changed since step {s.step} (--allow-data-change): "
                               f"{data_note} (recorded in {run / 'config.toml'})")
        elif unchecked:
            s.recorder.message("gankit: the checkpoint records no fingerprint of its data (written before gankit "
                               "checked it), so the data was not compared; checkpoints from now on record it")
        for change in changes:
            if not change.startswith("data changed"):
                s.recorder.message(f"gankit: resuming with {change} (recorded in {run / 'config.toml'})")
    try:
        # Signals are caught until the end: the final checkpoint is written whole even when a
        # scheduler (or a launcher passing its signal on) repeats SIGTERM meanwhile.
        with s.stopper.on_signals():
            stopped = fit(s)
            s.flush_row()
            if s.step > s.recorder.last_saved or not s.recorder.has_checkpoint:
                s.save_checkpoint()
            s.write_samples()
    finally:
        s.recorder.close()
    if stopped != "done":
        s.recorder.message(f"gankit: stopped at step {s.step} ({stopped.replace('_', ' ')}); "
                           f"continue with: {resume_command(run, rank)}")
    return TrainResult(run, s.step, stopped, s.raw_G, s.raw_D, is_main=rank.is_main,
                       G_ema=s.ema.net if s.ema is not None else None)


def _with_absolute_paths(config: Config) -> Config:
    """Record data paths absolute in RUN/config.toml, so resume, sample and evaluate find the data
    from any working directory."""
    d = config.data
    name = d.name
    for prefix in ("csv:", "folder:"):
        if name.startswith(prefix):
            path, sep, cols = name[len(prefix):].partition("#")
            if path and not Path(path).expanduser().is_absolute():
                name = f"{prefix}{Path(path).expanduser().resolve()}{sep}{cols}"
    directory = str(Path(d.dir).expanduser().resolve()) if d.dir else d.dir
    return dataclasses.replace(config, data=dataclasses.replace(d, name=name, dir=directory))


def _until(step: int, train) -> str:
    """How far this run goes: a time-limited run with a step count no one would reach says its time
    (the shipped folder config's steps = 1,000,000 beside time_limit = 600 read as a promise)."""
    limit = train.time_limit
    if not limit:
        return f"step {step} -> {train.steps}"
    seconds = f"{limit:g} s" if limit < 120 else f"{limit / 60:g} min"
    return f"step {step} -> {train.steps} or {seconds} of training, whichever comes first"


def _notes(config: Config, resumed: bool) -> list[str]:
    """Warnings about a config that is valid but rarely meant."""
    out = [] if resumed else nets.notes(config.model)
    if config.train.steps == 0:
        out.append("train.steps = 0: nothing is trained; the checkpoint holds the nets as initialised")
    return out


def _attach_hooks(session: Session) -> None:
    """Optional per-step work set up by other modules (in-training evaluation, …)."""
    if session.config.train.eval_every:
        from .tracking import attach  # only when asked for: the metrics take a while to import

        attach(session)
