"""`gankit report RUN`: one self-contained HTML page of a run, for a person to look at.

The page holds the run's summary, its loss and D-output curves, the sample pictures over time,
the latest metrics with their provenance and what each means, the figures, and the config. It
needs no network and no script: pictures are embedded as data URIs, styles are inline, and a
Content-Security-Policy forbids fetching anything, so the file can be mailed or archived alone.
It reads what the run already wrote (RUN/log.jsonl, samples/, figures/, metrics.json,
config.toml, the latest checkpoint's summary) and draws only the curves itself.
"""

from __future__ import annotations

import base64
import html
import json
import re
import time
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Config, from_toml_text
from ..errors import GankitError
from ..losses.base import GANLoss
from ..metrics.registry import meaning
from ..metrics.runs import evaluate_run, read_metrics, read_samples_metrics
from ..sampling.outputs import MARK, check_output, gankit_html, gankit_png, writable_folder, write_file
from ..sampling.run import open_checkpoint
from . import curves, memorisation, table_figures
from .figures import make_figures

MAX_SAMPLE_PICTURES = 12  # sample pictures over time: evenly spaced, always the last
FIGURE_NOTES = {
    "samples.png": "Samples of the latest checkpoint (for points: every column's histogram and every pair's scatter, over the data; for tables: each column's histogram or bars beside the data's).",
    "pair-trends.png": "Tables: how far each column pair's trend in the samples is from the data's (1 - SDMetrics' pair score; 0 is kept).",
    "figure1.png": "The paper's Figure 1: p_data, p_g, D and D* through training, with the map z -> x = G(z).",
    "saturation.png": "Gradient norm of G's loss through training: the minimax loss saturates where D rejects samples.",
    "nearest.png": "The paper's Figure 2: samples beside their nearest training images (not copies, if they differ).",
    "memorisation.png": "The samples nearest to the training set, each beside its nearest training images in the features FD "
                        "uses, with the distances; right: every sample's distance to its nearest training image against "
                        "held-out real images'.",
    "walks.png": "The paper's Figure 3: straight walks in z; smooth rows mean G did not memorise.",
}
COPYING = 15.0  # near_copies_percent above this (3x the 5% of a G that does not copy) is flagged

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1100px;padding:1.5em;color:#222}
h1{font-size:1.6em;margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.6em 0} td,th{border:1px solid #ddd;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4} td.num{font-variant-numeric:tabular-nums;text-align:right;white-space:nowrap}
.muted{color:#666;font-size:.9em} .warn{background:#fff4d6;border-left:4px solid #e0a800;padding:.4em .8em;margin:.4em 0}
img{max-width:100%;height:auto;border:1px solid #eee} figure{margin:.6em 0 1.2em 0} figcaption{color:#555;font-size:.9em}
.grid{display:flex;flex-wrap:wrap;gap:12px} .grid figure{flex:0 1 250px;margin:0}
pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em}
"""


def write_report(run: str | Path, out: str | Path | None = None, force: bool = False) -> Path:
    """Write the run's report page (default RUN/report.html, refreshed when gankit wrote it) and
    return its path; an existing `out` is replaced only with `force`, a data file never."""
    run = Path(run)
    if not run.is_dir() or not ((run / "log.jsonl").is_file() or (run / "checkpoints" / "latest.pt").is_file()):
        raise GankitError(f"{run} is not a run directory (give the --out folder of `gankit train`)")
    target = Path(out) if out else run / "report.html"
    if target.suffix.lower() not in (".html", ".htm"):
        raise GankitError(f"--out {target} must end in .html")
    state = _latest(run)  # refuses a checkpoint copied in from another run
    cfg = _run_config(run, state)
    check_output(target, force=force, own=None if out else gankit_html, data=cfg.data if cfg else None,
                 what="--out" if out else "")
    why = table_why = None
    kind = (state.get("data") or {}).get("kind") if state is not None else None
    if kind == "image":  # the memorisation check writes RUN/figures/memorisation.png and RUN/metrics.json
        check_output(run / "figures" / memorisation.FIGURE, force=force, own=gankit_png, what="")
    writable_folder(target.parent)  # before any work: minutes of checks for a page that cannot be written
    if kind == "image":
        why = memorisation.check_run(run, int(state["step"]))  # of the latest checkpoint, made when missing
    elif kind == "table":
        table_why = _check_table(run, int(state["step"]))  # its scores and figures, made when missing
    return write_file(target, render(run, state, memorisation_note=why, table_note=table_why).encode("utf-8"))


def _check_table(run: Path, step: int) -> str | None:
    """A table run's scores (`gankit evaluate RUN --metrics table`) and figures (`gankit figures
    RUN`) of the latest checkpoint (`step`), made when missing or older; why not, or None."""
    entry = read_metrics(run).get("table") or {}
    p = entry.get("provenance", {})
    latest = run / "checkpoints" / "latest.pt"
    try:
        if not (p.get("step") == step and p.get("source") == "checkpoint"):
            evaluate_run(run, "table", seed=0)
        figures = [run / "figures" / name for name in table_figures.FIGURES]
        if not all(f.is_file() and f.stat().st_mtime >= latest.stat().st_mtime for f in figures):
            make_figures(run)
    except GankitError as e:
        return str(e)
    return None


def render(run: Path, state: dict | None | bool = False, memorisation_note: str | None = None,
           table_note: str | None = None) -> str:
    """The page as one HTML string (`state`: the latest checkpoint, when already loaded;
    `memorisation_note` says why the memorisation check is missing, `table_note` why a table's
    scores or figures are)."""
    state = _latest(run) if state is False else state
    rows = curves.read_log(run)
    body = [f"<h1>gankit run: {_e(run.resolve().name)}</h1>",
            f"<p class=muted>{_e(str(run.resolve()))} &middot; report written {_e(time.strftime('%Y-%m-%d %H:%M'))} "
            f"by gankit {_e(__version__)}</p>",
            _summary(run, state, rows), _curves(rows, _loss(run, state)), _samples(run),
            _memorisation(run, state, memorisation_note), _table_scores(run, state, table_note), _metrics(run, state),
            _samples_metrics(run), _figures(run), _config(run, state)]
    return ("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
            f"<meta name=generator content='{_e(MARK)}'>"
            "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>gankit run {_e(run.resolve().name)}</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(b for b in body if b) + "\n</body></html>\n")


# --- sections -----------------------------------------------------------------------------------

def _summary(run: Path, state: dict | None, rows: list[dict]) -> str:
    items: list[tuple[str, str]] = []
    cfg = _config_text(run, state)
    steps = re.search(r"^steps = (\d+)", cfg, re.M)
    data = re.search(r'^name = "([^"]*)"', cfg, re.M)
    if data:
        items.append(("data", data.group(1)))
    if state is not None:
        info = state.get("data") or {}
        if info.get("kind") == "table" and "table" in info:
            names = [c for c in str(info.get("columns", "")).split(",") if c]
            items.append(("kind", f"table, {len(names)} columns ({', '.join(names)}), each row encoded as "
                                  f"{int(info['shape'].tolist()[0])} values"))
        elif "shape" in info:
            items.append(("kind", f"{info.get('kind')} {'×'.join(str(int(v)) for v in info['shape'].tolist())}"))
        items.append(("trained", f"step {int(state['step'])}" + (f" of train.steps = {steps.group(1)}" if steps else "")))
        if "elapsed" in state:
            items.append(("training time", f"{float(state['elapsed']):.0f} s"))
        if "examples_seen" in state:
            items.append(("examples seen", f"{int(state['examples_seen']):,}"))
        items.append(("EMA weights", "yes (G_ema): sampling, metrics and export use them" if "G_ema" in state else "no"))
        extra = state.get("extra") or {}
        if "best_fd" in extra:
            items.append(("best checkpoint", f"step {extra.get('best_step')}, fd {float(extra['best_fd']):.4g} (checkpoints/best.pt)"))
    else:
        items.append(("checkpoint", "none yet"))
    if rows:
        last = rows[-1]
        items.append(("last log row", ", ".join(f"{k} {_num(last[k])}" for k in
                                               ("step", "loss_d", "loss_g", "d_real", "d_fake") if k in last)))
    table = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in items)
    return f"<h2>Summary</h2><table>{table}</table>"


def _curves(rows: list[dict], loss: Any = None) -> str:
    if not rows:
        return "<h2>Training curves</h2><p class=muted>log.jsonl has no rows yet.</p>"
    note = getattr(loss, "scores_note", GANLoss.scores_note)
    png = curves.curves_png(rows, dpi=90, equilibrium=getattr(loss, "equilibrium", None))
    name = f" ({loss.name} loss)" if getattr(loss, "name", "") else ""
    return ("<h2>Training curves</h2>" + _img(png, "loss and discriminator-output curves")
            + f"<p class=muted>Left: D's and G's losses{_e(name)}. Right: {_e(note)}. Rows of RUN/log.jsonl, "
              "one per log interval.</p>")


def _samples(run: Path) -> str:
    found = sorted((run / "samples").glob("step-*.png"))
    if not found:
        return "<h2>Samples over training</h2><p class=muted>No sample pictures (train.sample_every).</p>"
    if len(found) > MAX_SAMPLE_PICTURES:
        idx = {round(i * (len(found) - 1) / (MAX_SAMPLE_PICTURES - 1)) for i in range(MAX_SAMPLE_PICTURES)}
        found = [found[i] for i in sorted(idx)]
    cells = "".join(f"<figure>{_img(p.read_bytes(), p.stem)}<figcaption>{_e(_step_label(p))}</figcaption></figure>"
                    for p in found)
    return (f"<h2>Samples over training</h2><p class=muted>From one fixed set of z, so the pictures change only "
            f"because G does ({len(found)} of RUN/samples/).</p><div class=grid>{cells}</div>")


def _metrics(run: Path, state: dict | None) -> str:
    kept = read_metrics(run)
    head = "<h2>Metrics</h2>"
    if not kept:
        return head + "<p class=muted>None yet: <code>gankit evaluate RUN --metrics NAMES</code> adds them.</p>"
    latest = int(state["step"]) if state is not None else None
    return "\n".join([head, "<p class=muted>The newest result of each metric of this run's checkpoints "
                            "(RUN/metrics.json), with what it measured; RUN/metrics.jsonl holds every evaluation.</p>",
                       *_metric_entries(kept, latest)])


def _samples_metrics(run: Path) -> str:
    """Results measured on samples files: apart from the run's own, never standing in for them."""
    files = read_samples_metrics(run)
    if not files:
        return ""
    parts = ["<h2>Metrics of samples files</h2><p class=muted>Measured with <code>gankit evaluate RUN --samples "
             "FILE</code> on arrays from elsewhere, against this run's data: they describe those files, not this "
             "run's generator.</p>"]
    for path, kept in files.items():
        parts.append(f"<h3>{_e(path)}</h3>")
        parts += _metric_entries(kept, None)
    return "\n".join(parts)


def _metric_entries(kept: dict, latest: int | None) -> list[str]:
    from .. import metrics as metrics_mod

    parts = []
    for name, entry in kept.items():
        if name == "memorisation":  # its own section, with its figure
            continue
        p = entry.get("provenance", {})
        if p.get("source") == "samples":
            what = f"samples file {p.get('samples')} (sha256 {str(p.get('samples_sha256', ''))[:12]}…)"
        else:
            what = (f"{p.get('checkpoint')} checkpoint at step {p.get('step')}, "
                    f"{'EMA' if p.get('ema') else 'trained G'} weights"
                    + (f", truncation ψ = {p['truncation']}" if p.get("truncation") is not None else ""))
        ref = p.get("n_reference")
        what += f"; {p.get('n_samples')} samples, seed {p.get('seed')}" + (f", {ref} real examples" if ref else "")
        what += f"; {p.get('evaluated_at', '')}"
        rows = "".join(f"<tr><td>{_e(k)}</td><td{' class=num' if isinstance(v, (int, float)) else ''}>{_e(_num(v))}</td>"
                       f"<td>{_e(metrics_mod.meaning(k))}</td></tr>" for k, v in entry.get("values", {}).items())
        summary = metrics_mod.info(name).summary if name in metrics_mod.names() else ""
        parts.append(f"<h3>{_e(name)} <span class=muted>{_e(summary)}</span></h3><p class=muted>Measured on {_e(what)}</p>")
        if p.get("source") == "checkpoint" and latest is not None and p.get("step") != latest:
            parts.append(f"<p class=warn>Measured at step {_e(p.get('step'))}; the latest checkpoint is at step {latest}. "
                         f"Run <code>gankit evaluate RUN --metrics {_e(name)}</code> again for the current G.</p>")
        parts += [f"<p class=warn>{_e(w)}</p>" for w in entry.get("warnings", [])]
        parts.append(f"<table><tr><th>key</th><th>value</th><th>what it means</th></tr>{rows}</table>")
    return parts


def _memorisation(run: Path, state: dict | None, note: str | None) -> str:
    """Does G copy? The check of the latest checkpoint: its verdict, numbers and figure."""
    if state is None or (state.get("data") or {}).get("kind") != "image":
        return ""
    head = "<h2>Memorisation: does G copy its training images?</h2>"
    entry = read_metrics(run).get("memorisation")
    figure = run / "figures" / memorisation.FIGURE
    if note or entry is None:
        return head + f"<p class=warn>The check could not be made: {_e(note or 'no result in metrics.json')}</p>"
    v, p = entry["values"], entry.get("provenance", {})
    share = float(v["near_copies_percent"])
    verdict = (f"<p class=warn>G may be copying: {share:.1f}% of its samples are nearer to a training image than 95% "
               "of held-out real images are (a G that does not copy has about 5%). Look at the pairs below.</p>"
               if share > COPYING else
               f"<p>No sign of copying: {share:.1f}% of the samples are nearer to a training image than 95% of "
               "held-out real images are (about 5% is what a G that does not copy shows; 100%, one that copies).</p>")
    rows = "".join(f"<tr><td>{_e(k)}</td><td class=num>{_e(_num(v[k]))}</td><td>{_e(meaning(k))}</td></tr>"
                   for k in ("near_copies_percent", "memorisation_ratio", "nn_distance_median",
                             "real_nn_distance_median", "copy_threshold") if k in v)
    pic = _img(figure.read_bytes(), "memorisation check") if figure.is_file() else ""
    return (head + verdict + f"<p class=muted>{_e(p.get('n_samples'))} samples of step {_e(p.get('step'))}, seed "
            f"{_e(p.get('seed'))}; distances in the features of {_e(v.get('feature_net', ''))}.</p>"
            f"<table><tr><th>key</th><th>value</th><th>what it means</th></tr>{rows}</table>"
            f"<figure>{pic}<figcaption>{_e(FIGURE_NOTES[memorisation.FIGURE])}</figcaption></figure>")


def _table_scores(run: Path, state: dict | None, note: str | None) -> str:
    """A table run's scores beside the held-out real rows' own (the ceiling), and what each is."""
    if state is None or (state.get("data") or {}).get("kind") != "table":
        return ""
    head = "<h2>Table scores: samples beside held-out real rows</h2>"
    entry = read_metrics(run).get("table")
    if note or entry is None:
        return head + f"<p class=warn>The scores could not be made: {_e(note or 'no result in metrics.json')}</p>"
    v, p = entry["values"], entry.get("provenance", {})
    rows = "".join(f"<tr><td>{_e(what)}</td><td class=num>{_e(_num(s))}</td>"
                   f"<td class=num>{_e(_num(c)) if c is not None else '–'}</td></tr>"
                   for what, s, c in table_figures.score_rows(v))
    target = (f" ML efficacy predicts <code>{_e(v['ml_target'])}</code>." if "ml_target" in v else
              " No ML efficacy: <code>gankit evaluate RUN --metrics table --set metrics.target=COLUMN</code> adds it.")
    return (head + f"<p class=muted>{_e(p.get('n_samples'))} samples of step {_e(p.get('step'))} (seed {_e(p.get('seed'))}) "
            "and the held-out real rows, each scored against the training rows by "
            f"<code>gankit evaluate RUN --metrics table</code> (SDMetrics' definitions).{target} Real rows do not "
            "reach 1 or an AUC of 0.5 either: the held-out column is what to compare with.</p>"
            f"<table><tr><th>score</th><th>samples</th><th>held-out real rows</th></tr>{rows}</table>")


def _figures(run: Path) -> str:
    found = [p for p in sorted((run / "figures").glob("*.png"))
             if p.name not in ("curves.png", memorisation.FIGURE)]  # drawn in their own sections
    if not found:
        return "<h2>Figures</h2><p class=muted>None yet: <code>gankit figures RUN</code> draws them.</p>"
    cells = []
    for p in found:
        note = FIGURE_NOTES.get(p.name) or _png_title(p) or p.stem
        cells.append(f"<figure>{_img(p.read_bytes(), p.stem)}<figcaption><b>{_e(p.name)}</b>: {_e(note)}</figcaption></figure>")
    return "<h2>Figures</h2>" + "".join(cells)


def _config(run: Path, state: dict | None) -> str:
    text = _config_text(run, state)
    return f"<h2>Config</h2><pre>{_e(text)}</pre>" if text else ""


# --- helpers ------------------------------------------------------------------------------------

def _latest(run: Path) -> dict | None:
    path = run / "checkpoints" / "latest.pt"
    return open_checkpoint(run)[0] if path.is_file() else None


def _run_config(run: Path, state: dict | None) -> Config | None:
    try:
        return from_toml_text(_config_text(run, state)) if _config_text(run, state) else None
    except GankitError:
        return None


def _loss(run: Path, state: dict | None) -> Any:
    """The run's loss (for what its logged scores mean), or None when it cannot be built here."""
    return curves.run_loss(_run_config(run, state))


def _config_text(run: Path, state: dict | None) -> str:
    if (run / "config.toml").is_file():
        return (run / "config.toml").read_text()
    return str(state["config"]) if state is not None else ""


def _img(png: bytes, alt: str) -> str:
    return f"<img alt='{_e(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def _png_title(path: Path) -> str:
    from PIL import Image

    try:
        with Image.open(path) as img:
            return str(img.info.get("Title", ""))
    except OSError:
        return ""


def _step_label(path: Path) -> str:
    m = re.fullmatch(r"step-(\d+)", path.stem)
    return f"step {int(m.group(1))}" if m else path.stem


def _num(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return json.dumps(v) if isinstance(v, (list, dict)) else str(v)


def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)
