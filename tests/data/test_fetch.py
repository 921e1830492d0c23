"""`gankit datasets --fetch NAME`: an image package from npm, unpacked flat or by category, once,
safely; one-line errors when npm is missing or fails. npm is replaced by a stand-in script that
"packs" a small tarball laid out like the real package, so the test needs no network."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import tarfile

import numpy as np
import pytest
from PIL import Image

from gankit.config import DataConfig
from gankit.data import load
from gankit.data import fetch as fetch_mod
from gankit.errors import GankitError

EMOJI = [  # (image file, category, skin-tone variants)
    ("1f600.png", "Smileys & Emotion", []),
    ("1f44b.png", "People & Body", ["1f44b-1f3fb.png", "1f44b-1f3ff.png"]),
    ("1f1eb-1f1f7.png", "Flags", []),
]


def fake_package(path, evil=False):
    """A tarball shaped like emoji-datasource-twitter: package/img/twitter/64/*.png, emoji.json."""
    def add(tar, name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))

    rng = np.random.default_rng(0)
    with tarfile.open(path, "w:gz") as tar:
        entries = []
        for image, category, skins in EMOJI:
            entries.append({"image": image, "category": category,
                            "skin_variations": {str(k): {"image": s} for k, s in enumerate(skins)}})
            for name in [image, *skins]:
                buf = io.BytesIO()
                Image.fromarray(rng.integers(0, 256, (64, 64, 4), dtype=np.uint8), "RGBA").save(buf, "PNG")
                add(tar, f"package/img/twitter/64/{name}", buf.getvalue())
        add(tar, "package/emoji.json", json.dumps(entries).encode())
        add(tar, "package/img/twitter/sheets/sheet.png", b"not wanted")
        if evil:
            add(tar, "package/img/twitter/64/../../../../escaped.png", b"outside")


@pytest.fixture
def npm(tmp_path, monkeypatch):
    """A stand-in `npm` on PATH: `npm pack SPEC --pack-destination DIR` copies a prepared tarball."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tarball = tmp_path / "emoji-datasource-twitter-16.0.0.tgz"
    fake_package(tarball)
    log = tmp_path / "npm-calls"
    script = bin_dir / "npm"
    script.write_text(f"""#!{sys.executable}
import shutil, sys
open({str(log)!r}, "a").write(" ".join(sys.argv[1:]) + "\\n")
if sys.argv[2] != "emoji-datasource-twitter@16.0.0":
    sys.exit("npm error 404 Not Found - " + sys.argv[2])
shutil.copy({str(tarball)!r}, sys.argv[sys.argv.index("--pack-destination") + 1])
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GANKIT_CACHE", str(tmp_path / "cache"))  # each test fetches into its own cache
    return log


def test_fetch_unpacks_the_images_flat_once_and_the_folder_loads(npm, tmp_path):
    folder = fetch_mod.fetch("emoji-twitter")
    assert folder == fetch_mod.folder_for("emoji-twitter") and folder.parent.name == "images"
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        ["1f600.png", "1f44b.png", "1f44b-1f3fb.png", "1f44b-1f3ff.png", "1f1eb-1f1f7.png"])
    about = json.loads((folder / fetch_mod.MARKER).read_text())
    assert about["images"] == 5 and about["version"] == "16.0.0" and "CC-BY 4.0" in about["licence"]
    assert fetch_mod.fetch("emoji-twitter") == folder
    assert npm.read_text().count("pack emoji-datasource-twitter@16.0.0") == 1  # the second call downloads nothing
    ds = load(DataConfig(name=f"folder:{folder}", size=16))
    assert ds.shape == (3, 16, 16) and len(ds.train) == 5 and ds.num_classes == 0  # the marker is not an image


def test_by_category_gives_one_class_per_category_with_skin_tones_beside_their_emoji(npm):
    folder = fetch_mod.fetch("emoji-twitter", by_category=True)
    assert folder.name == "emoji-twitter-by-category"
    assert sorted(p.name for p in (folder / "people-and-body").iterdir()) == ["1f44b-1f3fb.png", "1f44b-1f3ff.png", "1f44b.png"]
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["flags", "people-and-body", "smileys-and-emotion"]
    ds = load(DataConfig(name=f"folder:{folder}", size=8))
    assert ds.class_names == ["flags", "people-and-body", "smileys-and-emotion"]


def test_no_member_is_written_outside_the_folder(npm, tmp_path):
    fake_package(tmp_path / "emoji-datasource-twitter-16.0.0.tgz", evil=True)
    folder = fetch_mod.fetch("emoji-twitter")
    assert not list(tmp_path.rglob("escaped.png"))
    assert len(list(folder.glob("*.png"))) == 5


def test_a_fetch_killed_before_it_cleaned_up_leaves_no_staging_folder_behind(npm):
    """A fetch killed with kill -9 left its hidden `.emoji-twitter-*` staging folder (the whole
    unpacked package) in the cache for ever; the next fetch, holding the lock, removes it."""
    target = fetch_mod.folder_for("emoji-twitter")
    stale = target.parent / ".emoji-twitter-k1ll3d"
    (stale / "images").mkdir(parents=True)
    (stale / "images" / "1f600.png").write_bytes(b"half unpacked")
    mine = target.parent / ".emoji-twitter-notes.txt"  # a file, not a staging folder: left alone
    mine.write_text("mine")
    folder = fetch_mod.fetch("emoji-twitter")
    assert not stale.exists() and mine.read_text() == "mine"
    assert sorted(p.name for p in target.parent.iterdir() if p.name.startswith(".emoji-twitter-")) == [mine.name]
    assert (folder / fetch_mod.MARKER).is_file()


def test_a_folder_gankit_did_not_fetch_is_replaced_only_with_force(npm):
    """A fetch moves its folder into place whole, marker included: a folder there without the
    marker is someone's own, and was deleted without a word before."""
    target = fetch_mod.folder_for("emoji-twitter")
    target.mkdir(parents=True)
    (target / "mine.png").write_bytes(b"my own picture")
    with pytest.raises(GankitError, match=r"emoji-twitter exists but was not fetched by gankit .*give --force"):
        fetch_mod.fetch("emoji-twitter")
    assert (target / "mine.png").read_bytes() == b"my own picture" and not npm.exists()  # nothing downloaded
    folder = fetch_mod.fetch("emoji-twitter", force=True)
    assert not (folder / "mine.png").exists() and (folder / fetch_mod.MARKER).is_file()
    assert fetch_mod.fetch("emoji-twitter") == folder  # gankit's own folder: found, not refused


def test_a_cache_gankit_cannot_write_is_one_error(npm, monkeypatch, tmp_path):
    from helpers import read_only

    cache = tmp_path / "cache"
    cache.mkdir()
    read_only(monkeypatch, cache)
    with pytest.raises(GankitError, match=r"cannot write the image folder .*emoji-twitter: Permission denied "
                                          r"\(make .*cache writable, or point GANKIT_CACHE"):
        fetch_mod.fetch("emoji-twitter")
    monkeypatch.undo()
    assert list(cache.iterdir()) == []


def test_errors_are_one_line(npm, monkeypatch, tmp_path):
    with pytest.raises(GankitError, match="unknown image set.*emoji-twitter, emoji-google"):
        fetch_mod.fetch("emoji-apple")
    with pytest.raises(GankitError, match="npm pack emoji-datasource-google@16.0.0 failed: npm error 404"):
        fetch_mod.fetch("emoji-google")
    assert not fetch_mod.folder_for("emoji-google").exists()
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(GankitError, match="needs the npm client"):
        fetch_mod.fetch("emoji-twitter")


def test_the_command_prints_the_folder(npm):
    env = {**os.environ}
    p = subprocess.run([sys.executable, "-m", "gankit", "datasets", "--fetch", "emoji-twitter"],
                       capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == str(fetch_mod.folder_for("emoji-twitter"))
    assert "5 images of emoji-datasource-twitter@16.0.0" in p.stderr and "data.name=folder:" in p.stderr
    p = subprocess.run([sys.executable, "-m", "gankit", "datasets", "--by-category"], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.strip() == "gankit: error: --by-category goes with --fetch NAME"
    p = subprocess.run([sys.executable, "-m", "gankit", "datasets", "--force"], capture_output=True, text=True)
    assert p.returncode == 2 and p.stderr.strip() == "gankit: error: --force goes with --fetch NAME"
