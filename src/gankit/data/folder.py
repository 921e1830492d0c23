"""`folder:PATH`: every image Pillow can read under PATH, at any depth, as one image data set.

Each image is center-cropped to a square and resized to `data.size`×`data.size` with Pillow's
LANCZOS filter: cropping keeps faces and objects from being stretched, and LANCZOS is an
antialiased filter, so shrinking large photos (the usual case) does not alias the way
bilinear or nearest sampling without a prefilter does. Animated files give their first frame;
transparent pixels are composited onto white.

`data.channels` picks grayscale (1) or RGB (3); 0 means RGB when any image has colour, else
grayscale. Files Pillow cannot read are skipped with one warning that counts them; a folder with
no readable image is an error.

Decoding happens once: the result is cached as a tensor file (a dict of tensors, loaded with
`weights_only=True`) named by a hash of the file list, their sizes and mtimes, `channels` and
`size`, so any change to the folder or those keys decodes afresh. The cache lives in
`data.cache_dir`, else `$GANKIT_CACHE/folders`, else `$XDG_CACHE_HOME/gankit/folders`, else
`~/.cache/gankit/folders`.

Labels: when every readable image lies in a sub-folder of PATH, the sub-folders are classes
(`PATH/cat/1.png` and `PATH/cat/young/2.png` are both class "cat"), numbered in sorted order of
their names, which the data set keeps for figures. A folder with images at its top level is
unlabelled, as is one whose images all sit in a single sub-folder.

Split: a fixed-seed permutation, then 5% validation, 5% test and the rest training (sets under
10 images are all training).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

from ..cache import cache_root
from ..config import DataConfig
from ..errors import GankitError
from .dataset import Dataset, Probe
from .registry import register

PREFIX = "folder:"
CACHE_FORMAT = 2  # 2: each image's top-level sub-folder (its class)
SPLIT_SEED = 0
# Extensions counted by the probe; the loader tries every file, since Pillow reads by content.
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".ppm", ".pgm",
                    ".pbm", ".tga", ".ico", ".jp2"}
_GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


def folder_path(name: str) -> Path:
    path = name[len(PREFIX):]
    if not path:
        raise GankitError("folder: needs a path, e.g. data.name = \"folder:photos/\"")
    return Path(path).expanduser()


def cache_dir(cfg: DataConfig) -> Path:
    return Path(cfg.cache_dir).expanduser() if cfg.cache_dir else cache_root() / "folders"


def list_files(root: Path) -> list[Path]:
    """Every regular file under root, sorted, skipping hidden files and folders."""
    if not root.is_dir():
        raise GankitError(f"folder {root} does not exist or is not a folder (give folder:PATH to a folder of images)")
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        out.extend(Path(dirpath) / f for f in filenames if not f.startswith("."))
    return sorted(p for p in out if p.is_file())


def cache_key(files: list[Path], channels: int, size: int) -> str:
    h = hashlib.sha256(f"gankit-folder-v{CACHE_FORMAT}|{channels}|{size}".encode())
    for p in files:
        st = p.stat()
        h.update(f"|{p.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:32]


def decode(path: Path, size: int):
    """Open one image -> (size×size RGB or L PIL image, has_colour), or None if Pillow cannot read it."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.seek(0)
            im.load()
            if im.mode in _GRAY_MODES:
                if "A" in im.getbands():
                    im = _on_white(im.convert("LA"), "L")
                else:
                    # 16-bit and float gray: Pillow's L conversion clips, so rescale to 0..255 first.
                    im = _gray8(im)
            elif "A" in im.getbands() or (im.mode == "P" and "transparency" in im.info):
                im = _on_white(im.convert("RGBA"), "RGB")
            else:
                im = im.convert("RGB")
            w, h = im.size
            s = min(w, h)
            box = ((w - s) / 2, (h - s) / 2, (w + s) / 2, (h + s) / 2)
            im = im.resize((size, size), Image.LANCZOS, box=box)
    except MemoryError:
        raise
    except Exception:  # Pillow's plugins fail on corrupt files with many error types; all mean "skip it"
        return None
    if im.mode == "L":
        return im, False
    a = np.asarray(im)
    return im, not (np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 1], a[..., 2]))


def _on_white(im, mode: str):
    from PIL import Image

    background = Image.new(im.mode, im.size, (255,) * len(im.getbands()))
    return Image.alpha_composite(background.convert("RGBA"), im.convert("RGBA")).convert(mode)


def _gray8(im):
    from PIL import Image

    if im.mode in ("1", "L"):
        return im.convert("L")
    a = np.asarray(im, dtype=np.float64)
    # Integer gray: 8-bit values kept, 16-bit scaled by the format's range, wider by the image's.
    peak = float(a.max()) if a.size else 0.0
    top = 65535.0 if im.mode.startswith("I;16") or 255 < peak <= 65535 else 255.0 if peak <= 255 else peak
    if im.mode == "F":
        lo, hi = float(a.min()), float(a.max())
        a, top = a - lo, max(hi - lo, 1e-12)
    return Image.fromarray(np.clip(a / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")


def decode_folder(root: Path, channels: int, size: int) -> tuple[torch.Tensor, int]:
    """Decode every readable image under root -> (N×C×size×size uint8, number of unreadable files)."""
    images, skipped, _ = _decode_all(root, channels, size)
    return images, skipped


def _decode_all(root: Path, channels: int, size: int) -> tuple[torch.Tensor, int, list[str]]:
    """(images, unreadable count, each image's top-level sub-folder name or "" at the top level)."""
    images, colour, skipped, folders = [], False, 0, []
    for path in list_files(root):
        got = decode(path, size)
        if got is None:
            skipped += 1
            continue
        images.append(got[0])
        colour |= got[1]
        rel = path.relative_to(root).parts
        folders.append(rel[0] if len(rel) > 1 else "")
    if not images:
        raise GankitError(f"folder {root} holds no image Pillow can read ({skipped} unreadable files); "
                          "point folder:PATH at a folder of png/jpg/webp images")
    c = channels or (3 if colour else 1)
    mode = "RGB" if c == 3 else "L"
    arrays = [np.asarray(im.convert(mode)) for im in images]
    x = np.stack(arrays)
    x = x[:, None] if c == 1 else x.transpose(0, 3, 1, 2)
    return torch.from_numpy(np.ascontiguousarray(x)), skipped, folders


def labels_from_folders(folders: list[str]) -> tuple[torch.Tensor | None, list[str]]:
    """(label per image, class names) when every image is in a sub-folder and there are at least
    two of them; else (None, []): a flat or mixed folder has no classes."""
    names = sorted(set(folders))
    if not folders or "" in names or len(names) < 2:
        return None, []
    index = {n: k for k, n in enumerate(names)}
    return torch.tensor([index[f] for f in folders], dtype=torch.int64), names


def load_images(root: Path, cfg: DataConfig) -> tuple[torch.Tensor, int]:
    """Decoded images from the cache when their files are unchanged, else decoded and cached."""
    images, skipped, _ = load_labelled_images(root, cfg)
    return images, skipped


def load_labelled_images(root: Path, cfg: DataConfig) -> tuple[torch.Tensor, int, list[str]]:
    """`load_images`, with each image's top-level sub-folder ("" at the top level)."""
    files = list_files(root)
    path = cache_dir(cfg) / f"{cache_key(files, cfg.channels, cfg.size)}.pt"
    if path.is_file():
        try:
            got = torch.load(path, weights_only=True, map_location="cpu")
            folders = json.loads(got["folders"])
            if isinstance(folders, list) and len(folders) == len(got["images"]):
                return got["images"], int(got["skipped"]), [str(f) for f in folders]
        except Exception:  # a damaged cache is only a missed shortcut: decode again below
            pass
    images, skipped, folders = _decode_all(root, cfg.channels, cfg.size)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        # Written aside and renamed, so a concurrent or interrupted run never reads half a file.
        torch.save({"images": images, "skipped": torch.tensor(skipped), "format": torch.tensor(CACHE_FORMAT),
                    "folders": json.dumps(folders)}, tmp)
        os.replace(tmp, path)
    except OSError as e:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        print(f"gankit: warning: cannot cache decoded images in {path.parent} ({e.strerror or e}); "
              "they will be decoded again next time", file=sys.stderr)
    return images, skipped, folders


def split_sizes(n: int) -> tuple[int, int]:
    """(validation, test) sizes: 5% each, at least one each from 10 images up, none below."""
    k = n // 20
    if k == 0 and n >= 10:
        k = 1
    return k, k


def load_folder(cfg: DataConfig) -> Dataset:
    root = folder_path(cfg.name)
    images, skipped, folders = load_labelled_images(root, cfg)
    labels, names = labels_from_folders(folders)
    if skipped:
        print(f"gankit: warning: folder {root}: skipped {skipped} file{'s' * (skipped != 1)} "
              "Pillow cannot read as images", file=sys.stderr)
    n = len(images)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(SPLIT_SEED))
    x = images[perm].float().div_(255.0)
    y = labels[perm] if labels is not None else None
    n_val, n_test = split_sizes(n)
    n_train = n - n_val - n_test

    def part(t: torch.Tensor | None, a: int, b: int) -> torch.Tensor | None:
        return t[a:b] if t is not None and b > a else None

    return Dataset(
        name=cfg.name, kind="image",
        train=x[:n_train], val=part(x, n_train, n_train + n_val), test=part(x, n_train + n_val, n),
        train_labels=part(y, 0, n_train), val_labels=part(y, n_train, n_train + n_val),
        test_labels=part(y, n_train + n_val, n), num_classes=len(names), class_names=names,
        source=str(root),
    )


def probe_folder(cfg: DataConfig) -> Probe:
    path = cfg.name[len(PREFIX):]
    if not path:
        return Probe(True, "any folder", "images Pillow reads (png, jpg, webp, ...), at any depth; "
                                         "use folder:PATH, resized to data.size")
    root = Path(path).expanduser()
    if not root.is_dir():
        return Probe(False, str(root), "no such folder")
    images = [p for p in list_files(root) if p.suffix.lower() in IMAGE_EXTENSIONS]
    if not images:
        return Probe(False, str(root), "no image files (png, jpg, webp, ...) in it")
    _, names = labels_from_folders([p.relative_to(root).parts[0] if len(p.relative_to(root).parts) > 1 else ""
                                    for p in images])
    classes = f", {len(names)} classes (sub-folders)" if names else ""
    return Probe(True, str(root), f"{len(images)} image files{classes}, resized to {cfg.size}x{cfg.size}")


register(PREFIX, load_folder, probe_folder)
