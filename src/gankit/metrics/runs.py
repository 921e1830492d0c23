"""`gankit evaluate RUN`: samples from a run (or a file) -> metrics, printed and kept with their provenance.

Every result says what it measured: the checkpoint (latest, best or a path; its step; EMA or
not) or the samples file (its path and SHA-256), the seed, how many samples and how many real
examples. RUN/metrics.json keeps the newest result of each metric, each with its own provenance,
so results from different checkpoints never share one `step`; RUN/metrics.jsonl gets one line per
evaluation, the whole history.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .. import checkpoint, data, metrics
from .. import config as config_mod
from ..errors import GankitError
from ..sampling import classes as conditional
from ..sampling.files import load_npy, sha256
from ..sampling.generator import generator_from_state


def evaluate_run(run: str | Path, names: str | list[str], samples: str | Path | None = None, n: int = 10000,
                 seed: int = 0, which: str = "latest", overrides: list[str] | tuple[str, ...] = (),
                 ema: bool | None = None) -> dict[str, Any]:
    """Measure a run's samples (drawn from checkpoint `which`, or read from `samples`); returns
    one flat dict of the metrics' keys and the provenance keys, as `gankit evaluate` prints it."""
    run = Path(run)
    names = metrics.parse_names(names)
    if n < 2:
        raise GankitError(f"--n must be at least 2 samples, got {n}")
    path = checkpoint.resolve(run, which)
    state = checkpoint.load(path)
    raw = config_mod.parse_toml(state["config"], f"the config in {path}")
    for item in overrides:
        config_mod.apply_override(raw, item)
    cfg = config_mod.from_dict(raw)
    classes = None
    if samples:
        x = load_npy(samples)
        source = {"source": "samples", "samples": str(Path(samples).resolve()), "samples_sha256": sha256(samples)}
    else:
        label = which if which in ("latest", "best") else str(path.resolve())
        G = generator_from_state(state, label, ema=ema, device=cfg.device, where=str(run))
        if G.conditional:  # every class equally often, so class_accuracy weighs them alike
            classes = conditional.balanced(n, G.num_classes)
        x = G.draw(n, seed, classes)
        source = {"source": "checkpoint", **G.provenance(), **({"classes": "balanced"} if G.conditional else {})}
    # the data as the run saw it: a table through the column transformer its checkpoint kept
    dataset = data.load(cfg.data, fitted=state.get("data"))
    each = metrics.evaluate_each(x, data=dataset, metrics=names, config=cfg, seed=seed, classes=classes)
    provenance = {**source, "seed": seed, "n_samples": int(len(x)),
                  "evaluated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    result = {**metrics.flatten(each, len(x)), **provenance}
    record(run, each, provenance, result)
    return result


def record(run: Path, each: dict[str, metrics.MetricResult], provenance: dict, result: dict) -> None:
    """The newest result of each metric into RUN/metrics.json (atomically), the whole evaluation
    appended to RUN/metrics.jsonl."""
    path = run / "metrics.json"
    kept = read_metrics(run, keep_legacy=True)
    for name, r in each.items():
        kept[name] = {"values": r.values, "provenance": {**provenance, "n_reference": r.n_reference},
                      "warnings": r.warnings}
    with (run / "metrics.jsonl").open("a") as f:
        f.write(json.dumps({"metrics": list(each), **result}) + "\n")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(kept, indent=2) + "\n")
    os.replace(tmp, path)


def read_metrics(run: str | Path, keep_legacy: bool = False) -> dict[str, dict]:
    """RUN/metrics.json as {metric: {"values", "provenance", "warnings"}}; {} when there is none.

    A metrics.json from before provenance was kept (one flat dict) cannot say what it measured;
    with keep_legacy its content is moved into metrics.jsonl, marked as such, and dropped here.
    """
    run = Path(run)
    path = run / "metrics.json"
    try:
        old = json.loads(path.read_text()) if path.is_file() else {}
    except (ValueError, OSError):
        return {}
    if not isinstance(old, dict):
        return {}
    good = {k: v for k, v in old.items() if isinstance(v, dict) and "values" in v and "provenance" in v}
    if keep_legacy and len(good) < len(old):
        legacy = {k: v for k, v in old.items() if k not in good}
        with (run / "metrics.jsonl").open("a") as f:
            f.write(json.dumps({"legacy_metrics_json": legacy,
                                "note": "from a metrics.json without provenance"}) + "\n")
    return good
