"""Sample files: what `gankit sample --out` writes, chosen by the file's extension.

- `.npy`: float32, images N×C×H×W in [0, 1], points N×D in the data's units. Written in batches
  straight into the file (memory bounded by a batch, not by N), after checking the disk has room.
- `.csv`: points and tables, a header of the data's column names, then one row per sample; a
  table's rows are spelled as the data was (table_files.py);
- `.parquet`: tables, typed columns (table_files.py);
- `.png`: images only, a grid of the samples.

Every file is written beside its target under a temporary name and renamed when complete, so a
failed or interrupted write leaves any earlier file intact (`outputs.write_file`); an existing
file is replaced only with `force`, and a file the run trains on never (`outputs.check_output`).
`load_npy` reads `.npy` files back for `gankit evaluate --samples` without ever unpickling.
"""

from __future__ import annotations

import csv
import hashlib
import math
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np

from ..console import Progress
from ..errors import GankitError
from .generator import Generator, check_seed
from .outputs import check_output, png_bytes, write_file

FORMATS = (".npy", ".csv", ".png", ".parquet")
MAX_GRID = 4096  # images in one .png grid
CSV_BYTES_PER_VALUE = 16  # "%.9g" and a comma, for the free-space check


def check_out(out: str | Path, kind: str | None = None) -> Path:
    """The output path if its extension is one gankit writes (and fits the data kind), else an error."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise GankitError(f"--out {out} must end in .npy (an array), .png (an image grid), .csv or .parquet (a table)")
    if kind is not None and suffix == ".png" and kind != "image":
        raise GankitError(f"--out {out}: a .png grid is for image runs, and this run models {kind} "
                          "(write .npy or .csv; `gankit figures RUN` draws points)")
    if kind is not None and suffix == ".csv" and kind not in ("points", "table"):
        raise GankitError(f"--out {out}: a .csv table is for points data, and this run models images (write .npy or .png)")
    if kind is not None and suffix == ".parquet" and kind != "table":
        raise GankitError(f"--out {out}: .parquet is for table runs (csv:PATH), and this run models {kind} "
                          "(write .npy" + (" or .csv)" if kind == "points" else " or .png)"))
    return out


def write_samples(G: Generator, n: int, out: str | Path, seed: int = 0, c: int | None = None,
                  force: bool = False, where: dict | None = None) -> Path:
    """Draw n samples from G with `seed` (and class c; a table run: rows honouring `where`) and
    write them to `out` in its format; an existing `out` is replaced only with `force`, and never
    when the run trains on it."""
    if n < 1:
        raise GankitError(f"--n must be a positive number of samples, got {n}")
    check_seed(seed)
    out = check_output(check_out(out, G.kind), force=force, data=G.config.data)
    suffix = out.suffix.lower()
    if G.table is not None:
        from . import table_files

        where = table_files.checked_where(G, where)
        if suffix in (".csv", ".parquet"):
            return table_files.write(G, n, out, seed, where, lambda path, nbytes, fill: write_file(path, fill, nbytes))
    if suffix == ".png":
        if n > MAX_GRID:
            raise GankitError(f"--n {n}: a .png grid holds at most {MAX_GRID} images (lower --n, or write .npy)")
        from .pictures import image_grid

        x = G.draw(n, seed, c)
        return write_file(out, png_bytes(image_grid(x, nrow=math.ceil(math.sqrt(n)))))
    per_row = math.prod(G.shape)
    if suffix == ".npy":
        header = _npy_header(n, G.shape)
        return write_file(out,
                          lambda f: (f.write(header), _stream(G, n, seed, c, lambda x: f.write(x.tobytes()), where)),
                          len(header) + 4 * n * per_row)
    columns = G.columns

    def write_csv(f: BinaryIO) -> None:
        text = _TextSink(f)
        csv.writer(text, lineterminator="\n").writerow(columns)
        _stream(G, n, seed, c, lambda x: np.savetxt(text, x, fmt="%.9g", delimiter=","))

    return write_file(out, write_csv, n * per_row * CSV_BYTES_PER_VALUE)


def _stream(G: Generator, n: int, seed: int, c: int | None, write: Callable[[np.ndarray], object],
            where: dict | None = None) -> None:
    with Progress(n, f"sampling {n} from {G.where}", "sample", announce=n >= 1_000_000) as bar:
        for x in G.batches(n, seed, c, where=where):
            write(np.ascontiguousarray(x.numpy(), dtype="<f4"))
            bar.update(len(x))


def _npy_header(n: int, shape: tuple[int, ...]) -> bytes:
    """The .npy header of an n×shape little-endian float32 array (numpy's own writer)."""
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f4", "fortran_order": False, "shape": (n, *shape)})
    return buf.getvalue()


class _TextSink:
    """A text view of a binary file for csv and np.savetxt, without buffering the whole table."""

    def __init__(self, f: BinaryIO):
        self.f = f

    def write(self, s: str) -> int:
        return self.f.write(s.encode())


def load_npy(path: str | Path, mmap: bool = False) -> np.ndarray:
    """A samples file; `mmap` maps it read-only instead of reading it (a 7.9 GB file of 256×256
    samples is then read a slice at a time by the metrics that read it so)."""
    path = Path(path)
    if not path.is_file():
        raise GankitError(f"samples file {path} not found")
    try:
        return np.load(path, allow_pickle=False, mmap_mode="r" if mmap else None)
    except (ValueError, OSError, EOFError) as e:
        raise GankitError(f"{path} is not a readable .npy array ({str(e)[:120]})") from None


def sha256(path: str | Path) -> str:
    """The file's SHA-256, read in blocks (sample files can be large)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
