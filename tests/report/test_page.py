"""`gankit report RUN`: one self-contained page that a browser shows with its curves, samples and
metrics, with no errors and no network. Rendered in headless Chromium when it is installed."""

import html
import json
import re
import shutil
import subprocess

import pytest
from helpers import CONFIGS

from gankit import config
from gankit.cli import main
from gankit.metrics.runs import evaluate_run
from gankit.report.figures import make_figures
from gankit.train import train

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
TINY = ["train.steps=40", "train.batch_size=32", "train.log_every=10", "train.sample_every=10",
        "train.checkpoint_every=20", "threads=1"]

# Injected first in <head>, before the page's own Content-Security-Policy, so it runs and listens:
# it records every error (scripts, failed images, blocked requests, console.error) and, once the
# page has loaded, each image's natural size, into a <pre id=probe> that --dump-dom prints.
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', e => __errors.push(e.message || ('failed to load ' + (e.target && e.target.tagName))), true);
document.addEventListener('securitypolicyviolation', e => __errors.push('blocked ' + e.blockedURI));
const __ce = console.error; console.error = (...a) => { __errors.push(a.join(' ')); __ce(...a); };
window.addEventListener('load', () => {
  const imgs = [...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight]);
  const p = document.createElement('pre'); p.id = 'probe';
  p.textContent = JSON.stringify({images: imgs, errors: __errors, text: document.body.innerText.length});
  document.body.appendChild(p);
});
</script>"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "digits"
    train(config.load(CONFIGS / "digits.toml", TINY), out, quiet=True)
    make_figures(out)
    evaluate_run(out, "parzen", n=200)
    return out


def test_the_page_is_self_contained(run, capsys):
    assert main(["report", str(run)]) == 0
    path = run / "report.html"
    assert capsys.readouterr().out.strip() == str(path)
    page = path.read_text()
    assert not re.search(r"""(src|href)\s*=\s*['"]?(?!data:)[a-z]+:""", page)  # nothing but data: URIs
    assert "http://" not in page and "https://" not in page and "<script" not in page
    for needle in ("Training curves", "Samples over training", "parzen_ll", "Measured on latest checkpoint at step 40",
                   "what it means", "nearest.png", "[train]"):
        assert needle in page, needle
    samples = len(list((run / "samples").glob("*.png")))
    figures = len([p for p in (run / "figures").glob("*.png") if p.name != "curves.png"])
    assert page.count("<img ") == 1 + samples + figures


def test_a_stale_metric_is_flagged(run, tmp_path):
    shutil.copytree(run, tmp_path / "r")
    train(None, resume=tmp_path / "r", overrides=["train.steps=50"], quiet=True)
    assert main(["report", str(tmp_path / "r"), "--out", str(tmp_path / "page.html")]) == 0
    assert "Measured at step 40; the latest checkpoint is at step 50" in (tmp_path / "page.html").read_text()


def test_not_a_run_is_one_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary (Debian: apt install chromium; make setup "
                                             "installs it when run as root)")
def test_chromium_shows_every_image_and_no_error(run, tmp_path):
    page = (run / "report.html")
    if not page.is_file():
        main(["report", str(run)])
    probed = tmp_path / "probed.html"
    probed.write_text(page.read_text().replace("<head>", "<head>" + PROBE, 1))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", probed.as_uri()], capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert m, (dom.returncode, dom.stderr[-2000:])
    probe = json.loads(html.unescape(m.group(1)))
    assert probe["errors"] == []
    assert len(probe["images"]) == page.read_text().count("<img ") >= 3
    assert all(done and w > 0 and h > 0 for done, w, h in probe["images"]), probe["images"]
    assert probe["text"] > 500
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, *flags, "--window-size=1200,2400", f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=180)
    assert shot.stat().st_size > 20_000  # a page with pictures, not a blank one


# --- issue 25 ---------------------------------------------------------------------------------------

def test_the_caption_follows_the_loss(run, tmp_path):
    """Issue 25: "at the game's equilibrium both are 1/2" stood beside hinge critic scores of 0.20 and -0.31."""
    from gankit.losses import build
    from gankit.report.page import render

    assert html.escape("at the game's equilibrium (p_g = p_data, D* = 1/2) both are 1/2") in render(run)  # nonsaturating
    hinge = tmp_path / "hinge"
    train(config.load(CONFIGS / "ring8-gan.toml", TINY + ["train.loss=hinge", "model.g_hidden=[8]",
                                                         "model.d_hidden=[8]"]), hinge, quiet=True)
    page = render(hinge)
    assert "both are 1/2" not in page and "(hinge loss)" in page
    assert html.escape(build(config.load(CONFIGS / "ring8-gan.toml", ["train.loss=hinge"]).train).scores_note) in page


def test_a_samples_files_results_are_shown_apart_from_the_runs(run, tmp_path):
    """Issue 25: the report showed a noise file's FD (4.68) as the run's own (0.056)."""
    import numpy as np

    from gankit.report.page import render

    r = tmp_path / "r"
    shutil.copytree(run, r)
    noise = tmp_path / "noise.npy"
    np.save(noise, np.random.default_rng(0).random((200, 1, 8, 8), dtype=np.float32))
    evaluate_run(r, "parzen", samples=noise)
    page = render(r)
    own, _, files = page.partition("<h2>Metrics of samples files</h2>")
    assert "Measured on latest checkpoint at step 40" in own and str(noise.resolve()) not in own
    assert str(noise.resolve()) in files and "describe those files, not this run's generator" in files
    assert own.count("<h3>parzen") == 1 and files.count("<h3>parzen") == 1


def test_an_existing_out_is_replaced_only_with_force_and_the_runs_own_page_freely(run, tmp_path, capsys):
    r = tmp_path / "r"
    shutil.copytree(run, r)
    assert main(["report", str(r)]) == 0 and main(["report", str(r)]) == 0  # its own page: refreshed
    mine = tmp_path / "mine.html"
    mine.write_text("<p>my page</p>")
    capsys.readouterr()
    assert main(["report", str(r), "--out", str(mine)]) == 2
    assert f"--out {mine} already exists; give --force" in capsys.readouterr().err and mine.read_text() == "<p>my page</p>"
    assert main(["report", str(r), "--out", str(mine), "--force"]) == 0 and "gankit run" in mine.read_text()
    (r / "report.html").write_text("<p>notes I keep in the run folder</p>")
    assert main(["report", str(r)]) == 2
    assert "report.html already exists and was not written by gankit" in capsys.readouterr().err
    assert main(["report", str(r), "--force"]) == 0


def test_a_read_only_run_folder_is_one_line(run, tmp_path, capsys, monkeypatch):
    """Issue 25: the temporary file's cleanup raised inside the error handler."""
    from helpers import read_only

    r = tmp_path / "r"
    shutil.copytree(run, r)
    (r / "report.html").unlink(missing_ok=True)
    read_only(monkeypatch, r)
    assert main(["report", str(r)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"gankit: error: cannot write in {r}: Permission denied")
    monkeypatch.undo()
    assert sorted(p.name for p in r.iterdir()) == sorted(p.name for p in run.iterdir() if p.name != "report.html")
