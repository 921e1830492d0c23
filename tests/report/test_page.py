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
