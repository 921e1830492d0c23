"""The real colour image folder `make bench` trains on ("Your own images"): Google's Noto emoji at
64×64, as npm's `emoji-datasource-google` package ships them (3,786 PNGs, Apache-2.0).

The package is installed with npm into gankit's cache (`$GANKIT_CACHE/npm`, never into the
repository), and its images are laid out as a folder of class sub-folders by the package's own
`category` field (Smileys & Emotion, People & Body, Animals & Nature, ...: ten classes) with
symbolic links, so `folder:PATH` reads them as a user's ImageFolder would, labels included.
`GANKIT_EMOJI` may name an `emoji-datasource-google` folder installed elsewhere.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from ..cache import cache_root
from ..errors import GankitError

PACKAGE, VERSION = "emoji-datasource-google", "16.0.0"


def package_dir() -> Path:
    """Where the npm package is (installing it when it is not there yet)."""
    if os.environ.get("GANKIT_EMOJI"):
        return Path(os.environ["GANKIT_EMOJI"]).expanduser()
    prefix = cache_root() / "npm"
    pkg = prefix / "node_modules" / PACKAGE
    if (pkg / "emoji.json").is_file():
        return pkg
    if shutil.which("npm") is None:
        raise GankitError(f"the images bench needs the npm package {PACKAGE} (install Node.js's npm, or set "
                          f"GANKIT_EMOJI to an installed {PACKAGE} folder)")
    prefix.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(["npm", "install", "--prefix", str(prefix), "--no-save", "--ignore-scripts", "--no-audit",
                        "--no-fund", f"{PACKAGE}@{VERSION}"], capture_output=True, text=True)
    if p.returncode != 0 or not (pkg / "emoji.json").is_file():
        raise GankitError(f"npm could not install {PACKAGE}@{VERSION}: {p.stderr.strip().splitlines()[-1:] or p.returncode}")
    return pkg


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def emoji_folder(limit: int = 0, out: Path | None = None) -> Path:
    """A folder of class sub-folders (one per emoji category) of links to the package's 64×64 PNGs;
    `limit` > 0 keeps every k-th image so that about `limit` remain (the small-data row)."""
    pkg = package_dir()
    entries = json.loads((pkg / "emoji.json").read_text())
    images = []
    for e in sorted(entries, key=lambda e: e["sort_order"]):
        variants = [e, *e.get("skin_variations", {}).values()]
        images += [(e["category"], v["image"]) for v in variants if v.get("has_img_google")]
    images = [(c, f) for c, f in images if (pkg / "img" / "google" / "64" / f).is_file()]
    if limit:
        step = max(1, len(images) // limit)
        images = images[::step][:limit]
    out = out or cache_root() / "folders-src" / f"emoji-google-64{f'-{limit}' if limit else ''}"
    if not out.is_dir() or sum(1 for _ in out.rglob("*.png")) != len(images):
        tmp = out.with_name(out.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        for category, name in images:
            (tmp / slug(category)).mkdir(parents=True, exist_ok=True)
            (tmp / slug(category) / name).symlink_to(pkg / "img" / "google" / "64" / name)
        shutil.rmtree(out, ignore_errors=True)
        tmp.rename(out)
    return out
