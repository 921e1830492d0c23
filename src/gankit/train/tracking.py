"""In-training evaluation (`train.eval_every`): FD of a few thousand samples, logged, best kept.

`attach(session)` adds one hook to the training session; every `train.eval_every` generator steps
it draws `train.eval_n` samples from fixed noise (from G_ema when the run keeps one), measures them with `training_eval` (the same
`gankit.metrics.evaluate` the CLI calls), returns "fd", "feature_net" and "eval_seconds" for that
step's row of RUN/log.jsonl (and so to TensorBoard), and saves RUN/checkpoints/best.pt when FD is the lowest so far.
The best value lives in the checkpoint's `extra`, so a resumed run keeps comparing against it.
"""

from __future__ import annotations

import time
from typing import Any

import torch

from ..config import Config
from ..metrics import evaluate
from ..sampling.classes import balanced

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
    """Measure G now and keep best.pt when FD improved. Returns what to add to this step's log row.

    With several processes each generates its share of the samples; the main process measures
    all of them and sends the result to the others, so every process returns the same row and
    makes the same decision about best.pt (whose write is the main process's)."""
    import json

    t0 = time.monotonic()
    from ..sampling.generator import generate

    share = s.rank.share(len(z))
    mine, mine_c = z[share], None if c is None else c[share]
    x = torch.cat([generate(s.G_sampling, mine[i:i + EVAL_BATCH].to(s.device), s.info,
                            None if mine_c is None else mine_c[i:i + EVAL_BATCH].to(s.device))
                   for i in range(0, max(len(mine), 1), EVAL_BATCH)])  # an empty share still has the samples' shape
    x = s.rank.gather_rows(x, len(z))
    result: dict = {}
    with s.rank.together():  # a failure of the measurement stops every process, not only the main one
        if s.rank.is_main:
            with torch.random.fork_rng(devices=[s.device] if s.device.type == "cuda" else []):
                result = training_eval(x, s.dataset, s.config, seed=s.config.seed)
    result = json.loads(s.rank.broadcast_bytes(json.dumps(result).encode()))
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
