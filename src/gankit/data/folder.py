"""`folder:PATH`: every image Pillow can read under PATH, at any depth, as one image data set.

Each image is center-cropped to a square and resized to `data.size`×`data.size` with Pillow's
LANCZOS filter: cropping keeps faces and objects from being stretched, and LANCZOS is an
antialiased filter, so shrinking large photos (the usual case) does not alias the way
bilinear or nearest sampling without a prefilter does. Animated files give their first frame;
transparent pixels are composited onto white.

`data.channels` picks grayscale (1) or RGB (3); 0 means RGB when any image has colour, else
grayscale. Files Pillow cannot read are skipped with one warning that counts them and names the
first few; a folder with no readable image is an error.

Images stay uint8, as they were on disk: decoding writes them straight into a cache file, a raw
N×C×size×size uint8 array in the split order (`<key>.u8`, with a JSON header `<key>.json`), and
the data set's splits are memory-mapped slices of it. Memory holds only the pages a batch
touches, so a folder larger than memory trains; the loop turns each batch into floats on the
device (`gankit.data.pixels`). Decoding runs on every core the process may use, with a progress
bar. The key is a hash of the file list, their sizes and mtimes, `channels` and `size`, so any
change to the folder or those keys decodes afresh (and the stale copy of the same folder is
removed); it is also the data set's `fingerprint`. The cache lives in `data.cache_dir`, else
`$GANKIT_CACHE/folders`, else `$XDG_CACHE_HOME/gankit/folders`, else `~/.cache/gankit/folders`,
and needs the folder's pixel count in bytes of disk (twice that while decoding).

Labels: when every readable image lies in a sub-folder of PATH, the sub-folders are classes
(`PATH/cat/1.png` and `PATH/cat/young/2.png` are both class "cat"), numbered in sorted order of
their names, which the data set keeps for figures. A folder with images at its top level is
unlabelled, as is one whose images all sit in a single sub-folder.

Split: a fixed-seed permutation, then 5% validation, 5% test and the rest training (sets under
10 images are all training).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..cache import cache_root, locked
from ..config import DataConfig
from ..console import Progress
from ..errors import GankitError
from .dataset import Dataset, Probe
from .registry import register

PREFIX = "folder:"
CACHE_FORMAT = 3  # 2: each image's top-level sub-folder (its class); 3: uint8 file in split order
SPLIT_SEED = 0
PARALLEL_FROM = 256  # folders with fewer files decode in this process (a pool costs more than it saves)
CHUNK = 64  # files per task of the decoding processes
MAX_NAMED = 1000  # unreadable files named in the cache's header
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


def cache_key(root: Path, files: list[Path], channels: int, size: int) -> str:
    """A hash of the folder's layout and content: each file's path below root (which decides its
    class), size and mtime (of what a link points to), with `channels` and `size`."""
    h = hashlib.sha256(f"gankit-folder-v{CACHE_FORMAT}|{channels}|{size}|{root.resolve()}".encode())
    for p in files:
        st = p.stat()
        h.update(f"|{p.relative_to(root)}|{st.st_size}|{st.st_mtime_ns}".encode())
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
    """Decode every readable image under root, in file order -> (N×C×size×size uint8, number of
    unreadable files). In memory: for small folders and tests; `load_folder` streams to disk."""
    with tempfile.TemporaryDirectory() as tmp:
        got = _decode_to_cache(root, list_files(root), channels, size, Path(tmp) / "images", shuffle=False)
        return torch.from_numpy(np.array(got.array)), got.skipped


def labels_from_folders(folders: list[str]) -> tuple[torch.Tensor | None, list[str]]:
    """(label per image, class names) when every image is in a sub-folder and there are at least
    two of them; else (None, []): a flat or mixed folder has no classes."""
    names = sorted(set(folders))
    if not folders or "" in names or len(names) < 2:
        return None, []
    index = {n: k for k, n in enumerate(names)}
    return torch.tensor([index[f] for f in folders], dtype=torch.int64), names


# ------------------------------------------------------------------------------ the uint8 cache
@dataclass
class Decoded:
    """A folder's decoded images, N×C×S×S uint8 in the split order (memory-mapped when from the
    cache), each image's top-level sub-folder, and the files that could not be read."""

    array: np.ndarray
    folders: list[str]
    skipped: int
    unreadable: list[str]
    key: str = ""


def load_labelled_images(root: Path, cfg: DataConfig) -> Decoded:
    """The folder's images from the cache when its files are unchanged, else decoded into it.

    Decoding goes straight to a file on disk, a memory-mapped uint8 array, so neither decoding
    nor training ever holds the folder in memory. The lock makes two processes that load the
    same folder at once (the ranks of a distributed run) decode it once."""
    files = list_files(root)
    key = cache_key(root, files, cfg.channels, cfg.size)
    where = cache_dir(cfg)
    base = where / key
    try:
        where.mkdir(parents=True, exist_ok=True)
        lock = contextlib.nullcontext() if not os.access(where, os.W_OK) else locked(base)
    except OSError:
        lock = contextlib.nullcontext()
    with lock:
        got = _read_cache(base)
        if got is not None:
            got.key = key
            return got
        try:
            got = _decode_to_cache(root, files, cfg.channels, cfg.size, base)
            _prune(where, root, cfg, keep=key)
        except OSError as e:
            _discard(base)
            print(f"gankit: warning: cannot cache decoded images in {where} ({e.strerror or e}); "
                  "they are decoded into a temporary folder and will be decoded again next time", file=sys.stderr)
            tmp = Path(tempfile.mkdtemp(prefix="gankit-folder-"))
            got = _decode_to_cache(root, files, cfg.channels, cfg.size, tmp / "images")
            shutil.rmtree(tmp, ignore_errors=True)  # the mapping outlives the file's name (POSIX)
    got.key = key
    return got


def _read_cache(base: Path) -> Decoded | None:
    """The cache written under `base` (.json header, .u8 pixels), or None if absent or damaged."""
    header, pixels = base.with_suffix(".json"), base.with_suffix(".u8")
    if not header.is_file() or not pixels.is_file():
        return None
    try:
        h = json.loads(header.read_text())
        shape = tuple(int(v) for v in h["shape"])
        if h.get("format") != CACHE_FORMAT or len(shape) != 4 or len(h["folders"]) != shape[0]:
            return None
        if pixels.stat().st_size != int(np.prod(shape)):
            return None
        # Copy-on-write: pages are read from the file as batches need them and never written back.
        arr = np.memmap(pixels, dtype=np.uint8, mode="c", shape=shape)
        return Decoded(arr, [str(f) for f in h["folders"]], int(h["skipped"]), [str(u) for u in h["unreadable"]])
    except (OSError, ValueError, KeyError, TypeError):  # a damaged cache is only a missed shortcut
        return None


def _discard(base: Path) -> None:
    for suffix in (".json", ".u8", ".u8.tmp", ".raw.tmp", ".json.tmp"):
        try:  # readers that mapped a removed file keep reading it: unlinking never pulls pages away
            base.with_suffix(suffix).unlink(missing_ok=True)
        except OSError:
            pass


def _prune(where: Path, root: Path, cfg: DataConfig, keep: str) -> None:
    """Remove the caches of an older state of the same folder at the same channels and size:
    a changed folder is decoded afresh, and its stale copy would only fill the disk."""
    for header in where.glob("*.json"):
        if header.stem == keep:
            continue
        try:
            h = json.loads(header.read_text())
        except (OSError, ValueError):
            continue
        if (isinstance(h, dict) and h.get("root") == str(root.resolve()) and h.get("size") == cfg.size
                and h.get("channels_asked") == cfg.channels):
            _discard(header.with_suffix(""))


def _workers(n_files: int) -> int:
    """Processes to decode with: every core this process may use, for folders worth the start-up."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return 1 if n_files < PARALLEL_FROM or cores < 2 or "fork" not in mp.get_all_start_methods() else cores


def _decode_range(task: tuple[str, list[str], int, int, int, int]) -> tuple[int, list[int]]:
    """Decode files[start:start+len] into slots of the raw file; 0 = unreadable, 1 = gray, 2 = colour."""
    raw, paths, start, total, c, size = task
    out = np.memmap(raw, dtype=np.uint8, mode="r+", shape=(total, c, size, size))
    flags = []
    for i, path in enumerate(paths):
        got = decode(Path(path), size)
        if got is None:
            flags.append(0)
            continue
        a = np.asarray(got[0].convert("L" if c == 1 else "RGB"))
        out[start + i] = a[None] if c == 1 else a.transpose(2, 0, 1)
        flags.append(2 if got[1] else 1)
    out.flush()
    del out
    return start, flags


def _decode_to_cache(root: Path, files: list[Path], channels: int, size: int, base: Path,
                     shuffle: bool = True) -> Decoded:
    """Decode every file into `base`.raw.tmp (one slot per file), then write the readable images
    in the split order (a fixed-seed permutation) to `base`.u8 and the header to `base`.json.

    With `channels` 0 the images are decoded in RGB and kept gray (channel 0, which is Pillow's L
    of a gray RGB image exactly) when none has colour. Files are decoded by every core, in chunks,
    with a progress bar."""
    c = 1 if channels == 1 else 3
    raw = base.with_suffix(".raw.tmp")
    n_files = len(files)
    flags = np.zeros(n_files, np.int8)
    workers = _workers(n_files)
    try:
        if n_files:
            np.memmap(raw, dtype=np.uint8, mode="w+", shape=(n_files, c, size, size)).flush()
        tasks = [(str(raw), [str(p) for p in files[i:i + CHUNK]], i, n_files, c, size) for i in range(0, n_files, CHUNK)]
        with Progress(n_files, f"decoding {root} at {size}x{size}{f' on {workers} processes' if workers > 1 else ''}",
                      "file",
                      announce=n_files >= PARALLEL_FROM) as bar:
            if workers > 1:
                with mp.get_context("fork").Pool(workers) as pool:
                    for start, got in pool.imap_unordered(_decode_range, tasks):
                        flags[start:start + len(got)] = got
                        bar.update(len(got))
            else:
                for task in tasks:
                    start, got = _decode_range(task)
                    flags[start:start + len(got)] = got
                    bar.update(len(got))
        readable = np.flatnonzero(flags)
        unreadable = [str(files[i].relative_to(root)) for i in np.flatnonzero(flags == 0)]
        if not len(readable):
            raise GankitError(f"folder {root} holds no image Pillow can read ({len(unreadable)} unreadable files); "
                              "point folder:PATH at a folder of png/jpg/webp images")
        colour = bool((flags == 2).any())
        keep_c = channels or (3 if colour else 1)
        order = readable
        if shuffle:  # the split order: train, validation, test are then consecutive slices
            perm = torch.randperm(len(readable), generator=torch.Generator().manual_seed(SPLIT_SEED)).numpy()
            order = readable[perm]
        src = np.memmap(raw, dtype=np.uint8, mode="r", shape=(n_files, c, size, size))
        shape = (len(order), keep_c, size, size)
        pixels = base.with_suffix(".u8")
        tmp = base.with_suffix(".u8.tmp")
        dst = np.memmap(tmp, dtype=np.uint8, mode="w+", shape=shape)
        step = max(1, (8 << 20) // (c * size * size))  # ~8 MB at a time
        for i in range(0, len(order), step):
            want = order[i:i + step]
            ascending = np.argsort(want)  # read the raw file forwards, then put the rows in split order
            rows = np.empty((len(want), keep_c, size, size), np.uint8)
            rows[ascending] = src[want[ascending], :keep_c]
            dst[i:i + len(want)] = rows
        dst.flush()
        del dst, src
        _fsync(tmp)
        os.replace(tmp, pixels)
        folders = []
        for i in order:
            rel = files[i].relative_to(root).parts
            folders.append(rel[0] if len(rel) > 1 else "")
        header = {"format": CACHE_FORMAT, "root": str(root.resolve()), "size": size, "channels_asked": channels,
                  "shape": list(shape), "skipped": len(unreadable), "unreadable": unreadable[:MAX_NAMED],
                  "folders": folders}
        tmp_header = base.with_suffix(".json.tmp")
        tmp_header.write_text(json.dumps(header))
        os.replace(tmp_header, base.with_suffix(".json"))  # written last: the cache exists once this does
    finally:
        raw.unlink(missing_ok=True)
    arr = np.memmap(pixels, dtype=np.uint8, mode="c", shape=shape)
    return Decoded(arr, folders, len(unreadable), unreadable[:MAX_NAMED])


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def split_sizes(n: int) -> tuple[int, int]:
    """(validation, test) sizes: 5% each, at least one each from 10 images up, none below."""
    k = n // 20
    if k == 0 and n >= 10:
        k = 1
    return k, k


def load_folder(cfg: DataConfig) -> Dataset:
    root = folder_path(cfg.name)
    got = load_labelled_images(root, cfg)
    if got.skipped:
        print(f"gankit: warning: folder {root}: {unreadable_note(got)}", file=sys.stderr)
    # Stored in the split order already: each split is a slice (a view) of the memory-mapped file.
    x = torch.from_numpy(got.array)
    labels, names = labels_from_folders(got.folders)
    n = len(x)
    n_val, n_test = split_sizes(n)
    n_train = n - n_val - n_test

    def part(t: torch.Tensor | None, a: int, b: int) -> torch.Tensor | None:
        return t[a:b] if t is not None and b > a else None

    return Dataset(
        name=cfg.name, kind="image",
        train=x[:n_train], val=part(x, n_train, n_train + n_val), test=part(x, n_train + n_val, n),
        train_labels=part(labels, 0, n_train), val_labels=part(labels, n_train, n_train + n_val),
        test_labels=part(labels, n_train + n_val, n), num_classes=len(names), class_names=names,
        source=str(root), fingerprint=got.key,
    )


def unreadable_note(got: Decoded, named: int = 3) -> str:
    """One line that counts the unreadable files and names the first few."""
    k = got.skipped
    names = ", ".join(got.unreadable[:named]) + (f" and {k - named} more" if k > named else "")
    return f"skipped {k} file{'s' * (k != 1)} Pillow cannot read as images ({names})"


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
