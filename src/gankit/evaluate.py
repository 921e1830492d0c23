"""`gankit evaluate RUN`: samples from a run (or a file) -> metrics, printed and kept in RUN/metrics.json."""

from __future__ import annotations

import json
import os
from pathlib import Path

from . import checkpoint, conditional, config as config_mod, data, metrics
from .errors import GankitError
from .sampling import draw, generator_from_state, load_npy


def evaluate_run(run: str | Path, names: str | list[str], samples: str | Path | None = None, n: int = 10000,
                 seed: int = 0, which: str = "latest", overrides: list[str] | tuple[str, ...] = ()) -> dict:
    run = Path(run)
    if n < 2:
        raise GankitError(f"--n must be at least 2 samples, got {n}")
    path = checkpoint.resolve(run, which)
    state = checkpoint.load(path)
    raw = config_mod.parse_toml(state["config"], f"the config in {path}")
    for item in overrides:
        config_mod.apply_override(raw, item)
    cfg = config_mod.from_dict(raw)
    names = [m.strip() for m in names.split(",") if m.strip()] if isinstance(names, str) else list(names)
    unknown = [m for m in names if m not in metrics.names()]
    if not names or unknown:
        raise GankitError(f"unknown metric(s) {', '.join(unknown) or '(none given)'} (known: {', '.join(metrics.names())})")
    classes = None
    if samples:
        x = load_npy(samples)
    else:
        G, _, info, _ = generator_from_state(state, run, cfg.device)
        if cfg.model.conditional:  # every class equally often, so class_accuracy weighs them alike
            x, classes = conditional.draw(G, cfg, info, n, seed)
        else:
            x = draw(G, cfg, info, n, seed)
    result = metrics.evaluate(x, data=data.load(cfg.data), metrics=names, config=cfg, seed=seed, classes=classes)
    result.update({"seed": seed, "step": int(state["step"]), "samples": str(samples) if samples else f"{which} checkpoint"})
    if classes is not None:
        result["classes"] = "balanced"
    _merge_into(run / "metrics.json", result)
    return result


def _merge_into(path: Path, result: dict) -> None:
    """Keep earlier metrics of other names; replace those measured now. Atomic write."""
    old = {}
    if path.is_file():
        try:
            old = json.loads(path.read_text())
        except (ValueError, OSError):
            old = {}
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps({**old, **result}, indent=2) + "\n")
    os.replace(tmp, path)
