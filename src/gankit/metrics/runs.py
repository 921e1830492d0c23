"""`gankit evaluate RUN`: samples from a run (or a file) -> metrics, printed and kept with their provenance.

Every result says what it measured: the checkpoint (latest, best or a path; its step; EMA or
not) or the samples file (its path and SHA-256), the seed, how many samples and how many real
examples. RUN/metrics.json keeps the newest result of each metric of the run's own checkpoints,
each with its own provenance, so results from different checkpoints never share one `step`;
results measured on a samples file are kept apart, under "samples_files" by the file's path, so
a file's numbers never stand in for the run's. RUN/metrics.jsonl gets one line per evaluation,
the whole history.

What is measured is the run's: `--set` may change only how (device, threads, metrics.*, where
the data is), the checkpoint must be the run's own (`sampling.run.open_checkpoint`) and the data
the one it was trained on (`data.fingerprint`), unless `allow_data_change`.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from .. import data, metrics
from .. import config as config_mod
from ..data import fingerprint
from ..errors import GankitError
from ..sampling import classes as conditional
from ..sampling.files import load_npy, sha256
from ..sampling.generator import check_seed, generator_from_state
from ..sampling.outputs import append_line, check_output, gankit_json, writable_folder, write_file
from ..sampling.run import open_checkpoint

SAMPLES_FILES = "samples_files"  # metrics.json's section for results measured on samples files
# How an evaluation is computed, not what it measures: the only keys `evaluate --set` takes.
EVALUATE_SETTABLE = ("metrics.", "device", "threads", "data.dir", "data.cache_dir")
# Above this many bytes of float32 samples (10,000 at 128×128 colour is 1.97 GB) they are drawn as
# they are read, a slice at a time, when every metric asked for reads them so (see `draw`).
LAZY_BYTES = 1 << 30


def evaluate_run(run: str | Path, names: str | list[str], samples: str | Path | None = None, n: int = 10000,
                 seed: int = 0, which: str = "latest", overrides: list[str] | tuple[str, ...] = (),
                 ema: bool | None = None, force: bool = False, allow_data_change: bool = False,
                 truncation: float | None = None) -> dict[str, Any]:
    """Measure a run's samples (drawn from checkpoint `which`, or read from `samples`); returns
    one flat dict of the metrics' keys and the provenance keys, as `gankit evaluate` prints it.
    `truncation` ψ draws them with the truncation trick (Gaussian priors), and says so."""
    run = Path(run)
    names = metrics.parse_names(names)
    if n < 2:
        raise GankitError(f"--n must be at least 2 samples, got {n}")
    check_seed(seed)
    state, path = open_checkpoint(run, which)
    raw = config_mod.parse_toml(state["config"], f"the config in {path}")
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if not any(key == k or (k.endswith(".") and key.startswith(k)) for k in EVALUATE_SETTABLE):
            raise GankitError(f"--set {key} would change what is measured: evaluate measures the run as it was "
                              f"trained. It takes only {', '.join(k + '*' if k.endswith('.') else k for k in EVALUATE_SETTABLE)}; "
                              f"to measure other settings, train a run with them")
        config_mod.apply_override(raw, item)
    cfg = config_mod.from_dict(raw)
    kept_path = check_output(run / "metrics.json", force=force, own=gankit_json, data=cfg.data,
                             what="")
    writable_folder(run)  # before the measuring: a result that cannot be kept is not computed
    # the data as the run saw it: a table through the column transformer its checkpoint kept
    dataset = data.load(cfg.data, fitted=state.get("data"))
    changed = fingerprint.changes(state.get("data_fingerprint"), fingerprint.fingerprint(cfg.data, dataset))
    if changed and not allow_data_change:
        raise GankitError(f"the data of {run} changed since its checkpoint (step {int(state['step'])}): "
                          f"{dataset.source} now has {'; '.join(changed)}, so its metrics would not measure the run "
                          f"against what it learnt. Restore the data, or measure against this data anyway with "
                          f"--allow-data-change")
    classes = None
    if samples and truncation is not None:
        raise GankitError("--truncation applies to samples drawn from the run; a --samples file was drawn already "
                          "(give one or the other)")
    if samples:
        x = load_npy(samples, mmap=True)
        source = {"source": "samples", "samples": str(Path(samples).resolve()), "samples_sha256": sha256(samples)}
    else:
        label = which if which in ("latest", "best") else str(path.resolve())
        G = generator_from_state(state, label, ema=ema, device=cfg.device, where=str(run)).truncated(truncation)
        if G.conditional:  # every class equally often, so class_accuracy weighs them alike
            classes = conditional.balanced(n, G.num_classes)
        x = draw(G, n, seed, classes, names)
        source = {"source": "checkpoint", **G.provenance(), **({"classes": "balanced"} if G.conditional else {})}
    each = metrics.evaluate_each(x, data=dataset, metrics=names, config=cfg, seed=seed, classes=classes)
    provenance = {**source, "seed": seed, "n_samples": int(len(x)),
                  **({"data_changed": "; ".join(changed)} if changed else {}),
                  "evaluated_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    result = {**metrics.flatten(each, len(x)), **provenance}
    record(run, each, provenance, result, kept_path)
    return result


def draw(G, n: int, seed: int, classes, names: list[str]):
    """The samples to measure: all at once, or, when they would take more than LAZY_BYTES and
    every metric reads them in slices, `DrawnSamples` (the same values, in the memory of a slice)."""
    if G.kind == "image" and 4 * n * math.prod(G.shape) > LAZY_BYTES and metrics.streams(names):
        return G.lazy(n, seed, classes)
    return G.draw(n, seed, classes)


def record(run: Path, each: dict[str, metrics.MetricResult], provenance: dict, result: dict,
           path: Path | None = None) -> None:
    """The newest result of each metric into RUN/metrics.json (atomically; a samples file's in its
    own section), the whole evaluation appended to RUN/metrics.jsonl."""
    path = path or run / "metrics.json"
    kept = read_metrics(run, keep_legacy=True)
    files = read_samples_metrics(run)
    section = files.setdefault(provenance["samples"], {}) if provenance.get("source") == "samples" else kept
    for name, r in each.items():
        section[name] = {"values": r.values, "provenance": {**provenance, "n_reference": r.n_reference},
                         "warnings": r.warnings}
    append_line(run / "metrics.jsonl", json.dumps({"metrics": list(each), **result}))
    write_file(path, (json.dumps({**kept, **({SAMPLES_FILES: files} if files else {})}, indent=2) + "\n").encode())


def _read(run: Path) -> dict:
    path = Path(run) / "metrics.json"
    try:
        old = json.loads(path.read_text()) if path.is_file() else {}
    except (ValueError, OSError):
        return {}
    return old if isinstance(old, dict) else {}


def _is_entry(v: Any) -> bool:
    return isinstance(v, dict) and "values" in v and "provenance" in v


def read_metrics(run: str | Path, keep_legacy: bool = False) -> dict[str, dict]:
    """The run's own results in RUN/metrics.json, {metric: {"values", "provenance", "warnings"}}
    ({} when there are none): those of its checkpoints. A result measured on a samples file that
    an older gankit kept among them is moved to its file's section (`read_samples_metrics`).

    A metrics.json from before provenance was kept (one flat dict) cannot say what it measured;
    with keep_legacy its content is moved into metrics.jsonl, marked as such, and dropped here.
    """
    run = Path(run)
    old = _read(run)
    good = {k: v for k, v in old.items() if _is_entry(v) and v["provenance"].get("source") != "samples"}
    legacy = {k: v for k, v in old.items() if k != SAMPLES_FILES and not _is_entry(v)}
    if keep_legacy and legacy:
        append_line(run / "metrics.jsonl", json.dumps({"legacy_metrics_json": legacy,
                                                       "note": "from a metrics.json without provenance"}))
    return good


def read_samples_metrics(run: str | Path) -> dict[str, dict[str, dict]]:
    """Results measured on samples files, {file path: {metric: entry}}: never the run's own."""
    old = _read(Path(run))
    files = old.get(SAMPLES_FILES)
    out = {str(f): {k: v for k, v in entries.items() if _is_entry(v)}
           for f, entries in (files.items() if isinstance(files, dict) else []) if isinstance(entries, dict)}
    for name, v in old.items():  # kept among the run's own by gankit before issue 25
        if _is_entry(v) and v["provenance"].get("source") == "samples":
            out.setdefault(str(v["provenance"].get("samples", "?")), {}).setdefault(name, v)
    return {f: e for f, e in out.items() if e}
