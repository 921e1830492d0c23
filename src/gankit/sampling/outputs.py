"""Writing what a run gives a user, without losing anything: the one check and the one way to
write that every command's outputs go through (samples, exports, reports, figures, metrics).

`check_output(path, ...)` refuses, in one line, before any work:
- a file a run trains on (its CSV, image folder, IDX or CIFAR-10 files), even with --force;
- an existing file without --force, unless it is one of the run's own files that gankit made
  (`own`: a figure or page that carries gankit's mark, a metrics.json of gankit's);
- a folder where a file should go.

`write_file` writes to a temporary file beside the target, flushes it to disk and renames it
over the target, so a failed or interrupted write leaves the old file whole; a write that fails
(no room, no permission, a read-only folder) is one GankitError, with the temporary file gone.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Callable

from .. import __version__
from ..config import DataConfig
from ..data.fingerprint import data_paths
from ..errors import GankitError

MARK = f"gankit {__version__}"  # the PNG `Software` text and the page's <meta name=generator>


def check_output(path: str | Path, *, force: bool = False, data: DataConfig | None = None,
                 own: Callable[[Path], bool] | None = None, what: str = "--out") -> Path:
    """The path, once it is safe to write there (see the module's note); `data` is the data
    config of the run the output comes from."""
    path = Path(path)
    named = f"{what} {path}".strip()
    if data is not None:
        trained = training_file(path, data)
        if trained:
            raise GankitError(f"{named} {trained}, which the run trains on (data.name = {data.name}); "
                              "gankit never writes there, even with --force: choose another path")
    if path.is_dir():
        raise GankitError(f"{named} is a folder; give a file name")
    if path.exists() and not force and not (own is not None and own(path)):
        made = " and was not written by gankit" if own is not None else ""
        raise GankitError(f"{named} already exists{made}; give --force to replace it, or choose another path")
    return path


def training_file(path: Path, data: DataConfig) -> str:
    """Why `path` is data that `data` reads ("is ...", "is inside ..."), or "" when it is not."""
    files, folders = data_paths(data)
    target = _real(path)
    for f in files:
        if target == _real(f) or _same_file(path, f):
            return "is a data file"
    for root in folders:
        r = _real(root)
        if target == r or r in target.parents:
            return f"is inside {root}, the image folder"
    return ""


def _real(path: Path) -> Path:
    return Path(os.path.realpath(Path(path).expanduser()))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)  # hard links too
    except OSError:
        return False


def write_file(path: Path, fill: Callable[[BinaryIO], Any] | bytes, nbytes: int = 0) -> Path:
    """Write `fill` (bytes, or a function writing a binary file) to `path` atomically, after
    checking there is room for nbytes; a failure is one GankitError and changes nothing."""
    path = Path(path)
    data = fill if isinstance(fill, (bytes, bytearray, memoryview)) else None
    nbytes = max(nbytes, len(data) if data is not None else 0)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(path.parent).free
        if nbytes > free:
            raise GankitError(f"{path} needs {size_text(nbytes)} but {path.parent} has {size_text(free)} free "
                              "(write less, or to another disk)")
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, file_mode())  # mkstemp's 0600 would hide samples and reports from everyone else
        with os.fdopen(fd, "wb") as f:
            f.write(data) if data is not None else fill(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise GankitError(f"cannot write {path}: {e.strerror or e} (choose a writable place with room)") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):  # cleanup that fails must not hide the error being reported
                os.unlink(tmp)
    return path


def file_mode() -> int:
    """The mode a plain `open(path, "w")` gives a new file: 0666 less the process's umask."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def append_line(path: Path, line: str) -> None:
    """Append one line to a log-like file (RUN/metrics.jsonl); a failure is one GankitError."""
    try:
        with open(path, "a") as f:
            f.write(line.rstrip("\n") + "\n")
    except OSError as e:
        raise GankitError(f"cannot write {path}: {e.strerror or e} (is the run directory writable?)") from None


def writable_folder(folder: Path) -> None:
    """Refuse, before any work, a folder gankit cannot create files in."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and (not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK)):
        why = "Not a folder" if not probe.is_dir() else "Read-only file system" if _read_only_mount(probe) else "Permission denied"
        raise GankitError(f"cannot write in {folder}: {why} (make it writable, or choose another place)")


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def size_text(nbytes: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if nbytes < 1000 or unit == "TB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1000
    return ""


# --- gankit's mark on what it draws ---------------------------------------------------------------

def png_bytes(picture: Any, dpi: int = 100, title: str = "", description: str = "") -> bytes:
    """A Pillow image or a matplotlib figure as PNG bytes that carry gankit's mark (and a title
    and description in the PNG's text chunks when given)."""
    buf = io.BytesIO()
    texts = {"Software": MARK, **({"Title": title} if title else {}), **({"Description": description} if description else {})}
    if hasattr(picture, "savefig"):
        picture.savefig(buf, format="png", dpi=dpi, metadata=texts)
    else:
        from PIL.PngImagePlugin import PngInfo

        info = PngInfo()
        for k, v in texts.items():
            info.add_text(k, v)
        picture.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def gankit_png(path: Path) -> bool:
    """Whether a PNG carries gankit's mark."""
    from PIL import Image

    try:
        with Image.open(path) as img:
            return str(getattr(img, "text", {}).get("Software", "")).startswith("gankit")
    except (OSError, ValueError):
        return False


def gankit_html(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return b"<meta name=generator content='gankit" in f.read(4096)
    except OSError:
        return False


def gankit_json(path: Path) -> bool:
    """A metrics.json gankit wrote: a JSON object (of {values, provenance} entries; before
    gankit 0.2 a flat object of numbers, which `metrics.runs` moves to metrics.jsonl)."""
    try:
        kept = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return isinstance(kept, dict)
