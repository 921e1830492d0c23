"""A table run's samples as files: `.csv` (cells spelled as the data spelled them, a blank an
empty cell, quoting as Python's csv writes it) and `.parquet` (pyarrow: typed columns, blanks as
nulls), both streamed a batch at a time, so memory is bounded by a batch, not by --n."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import BinaryIO, Callable

from ..console import Progress
from ..errors import GankitError

CSV_BYTES_PER_CELL = 12  # for the free-space check


def write(G, n: int, out: Path, seed: int, where: dict | None,
          atomic: Callable[[Path, int, Callable[[BinaryIO], object]], Path]) -> Path:
    """Draw n rows of table run G and write them to `out` (.csv or .parquet) through `atomic`
    (sampling.files' temporary-file-and-rename writer)."""
    suffix = out.suffix.lower()
    codec = G.table

    def rows(f_write: Callable) -> None:
        with Progress(n, f"sampling {n} rows from {G.where}", "row", announce=n >= 1_000_000) as bar:
            for x in G.batches(n, seed, where=where):
                f_write(x.numpy())
                bar.update(len(x))

    if suffix == ".csv":
        def write_csv(f: BinaryIO) -> None:
            text = io.TextIOWrapper(f, encoding="utf-8", newline="", write_through=True)
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(codec.names)
            rows(lambda codes: writer.writerows(codec.to_text(codes)))
            text.flush()
            text.detach()

        return atomic(out, n * len(codec.names) * CSV_BYTES_PER_CELL, write_csv)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise GankitError("--out .parquet needs pyarrow (pip install pyarrow); or write .csv") from None

    def write_parquet(f: BinaryIO) -> None:
        writer = None
        try:
            def put(codes):
                nonlocal writer
                table = pa.Table.from_pandas(codec.to_frame(codes), preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(f, table.schema)
                writer.write_table(table)

            rows(put)
        finally:
            if writer is not None:
                writer.close()

    return atomic(out, n * len(codec.names) * 8, write_parquet)


def checked_where(G, where) -> dict:
    """`--where` items as {column: value}, checked against the run's columns before anything is written."""
    from .table import condition_vector, parse_where

    where = parse_where(where)
    condition_vector(G, 1, where)
    return where
