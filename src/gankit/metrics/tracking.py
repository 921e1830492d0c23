"""In-training evaluation (`train.eval_every`): FD of a few thousand samples, logged, best kept.

`attach(session)` adds one hook to the training session; every `train.eval_every` generator steps
it draws `train.eval_n` samples from fixed noise, measures them with `training_eval` (the same
`gankit.metrics.evaluate` the CLI calls), returns "fd", "feature_net" and "eval_seconds" for that
step's row of RUN/log.jsonl (and so to TensorBoard), and saves RUN/checkpoints/best.pt when FD is the lowest so far.
The best value lives in the checkpoint's `extra`, so a resumed run keeps comparing against it.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from ..conditional import balanced
from ..config import Config
from . import evaluate

EVAL_BATCH = 500


def training_eval(samples: torch.Tensor, dataset: Any, config: Config, seed: int = 0) -> dict:
    """What training tracks: {"fd", "feature_net"} for images; {} for data FD does not apply to."""
    if dataset.kind != "image":
        return {}
    out = evaluate(samples, data=dataset, metrics=["fd"], config=config, seed=seed)
    return {"fd": out["fd"], "feature_net": out["feature_net"]}


def attach(session: Any) -> None:
    every = session.config.train.eval_every
    if not every or session.dataset.kind != "image":
        return
    cfg = session.config
    # One fixed noise set for every evaluation, so FD moves only because G does; a conditional
    # run's G is asked for every class equally often.
    z = _fixed_noise(cfg)
    k = getattr(session, "num_classes", 0)
    c = balanced(len(z), k) if k else None

    def hook(s: Any, step: int) -> dict | None:
        return evaluate_session(s, step, z, c) if step % every == 0 else None

    session.hooks.append(hook)


def _fixed_noise(cfg: Config) -> torch.Tensor:
    from ..nets import sample_noise

    gen = torch.Generator().manual_seed(cfg.seed * 1_000_003 + 424_242)
    return sample_noise(cfg.model.prior, cfg.train.eval_n, cfg.model.z_dim, gen)


def evaluate_session(s: Any, step: int, z: torch.Tensor, c: torch.Tensor | None = None) -> dict:
    """Measure G now and keep best.pt when FD improved. Returns what to add to this step's log row."""
    t0 = time.monotonic()
    from ..sampling import generate

    x = torch.cat([generate(s.raw_G, z[i:i + EVAL_BATCH].to(s.device), s.info,
                            None if c is None else c[i:i + EVAL_BATCH].to(s.device))
                   for i in range(0, len(z), EVAL_BATCH)])
    with torch.random.fork_rng(devices=[s.device] if s.device.type == "cuda" else []):
        result = training_eval(x, s.dataset, s.config, seed=s.config.seed)
    if not result:
        return {}
    row = {"fd": result["fd"], "feature_net": result["feature_net"], "eval_seconds": round(time.monotonic() - t0, 2)}
    best = s.extra.get("best_fd")
    if best is None or result["fd"] < best:
        s.extra["best_fd"], s.extra["best_step"] = float(result["fd"]), int(step)
        s.save_checkpoint("best")
        s.recorder.message(f"gankit: step {step}: fd {result['fd']:.4g} (best so far; saved checkpoints/best.pt)")
    else:
        s.recorder.message(f"gankit: step {step}: fd {result['fd']:.4g} (best {best:.4g} at step {s.extra.get('best_step')})")
    return row
