"""Reading a CSV file as people have them: pandas reads it, after its dialect (delimiter, quoting),
header and encoding are settled here, so a problem is one line that names the file and what to do.

- delimiter and quoting: Python's csv.Sniffer on the first 64 KB (`,` `;` tab `|`), else `,`;
- header: `data.header` "auto" takes the first row as column names unless every cell of it is a
  number or csv.Sniffer says the file has none; "yes"/"no" decide it. Without a header the
  columns are called column1, column2, ...;
- encoding: `data.encoding` (any name Python knows), else UTF-8 (a byte-order mark allowed), and
  Latin-1 where the file is not UTF-8;
- blanks: an empty cell, or one of BLANKS, is a blank (pandas' own markers, less "None", which is
  a word in real categories).
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from pathlib import Path

from ...errors import GankitError

SNIFF_BYTES = 1 << 16
BLANKS = ["", "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "#N/A", "<NA>", "#NA"]
HEADERS = ("auto", "yes", "no")


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    quotechar: str
    header: bool
    encoding: str


def _encoding(path: Path, wanted: str) -> str:
    if wanted:
        try:
            codecs.lookup(wanted)
        except LookupError:
            raise GankitError(f"config key data.encoding: unknown encoding {wanted!r} (e.g. utf-8, latin-1, cp1252)") from None
        return wanted
    try:
        with open(path, encoding="utf-8-sig") as f:
            while f.read(1 << 20):
                pass
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "latin-1"  # every byte is a character: the usual encoding of old spreadsheets' CSVs


def is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def sniff(path: Path, header: str = "auto", encoding: str = "") -> Dialect:
    """The file's delimiter, quote character, whether it has a header row, and its encoding."""
    if header not in HEADERS:
        raise GankitError(f"config key data.header must be one of {', '.join(HEADERS)}, got {header!r}")
    try:
        enc = _encoding(path, encoding)
        with open(path, encoding=enc, newline="") as f:
            sample = f.read(SNIFF_BYTES)
    except OSError as e:
        raise GankitError(f"cannot read CSV file {path}: {e.strerror or e} (give csv:PATH to an existing file)") from None
    except UnicodeDecodeError as e:
        raise GankitError(f"{path} is not {encoding} text ({e.reason}); set data.encoding to the file's encoding") from None
    if not sample.strip():
        raise GankitError(f"{path} is empty; a CSV needs rows of values (a header row of column names first)")
    lines = [ln for ln in sample.splitlines() if ln.strip()]
    try:
        d = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=",;\t|")
        delimiter, quotechar = d.delimiter, d.quotechar or '"'
    except csv.Error:
        delimiter, quotechar = ",", '"'
    if delimiter not in ",;\t|":
        delimiter = ","
    if header == "auto":
        first = next(csv.reader([lines[0]], delimiter=delimiter, quotechar=quotechar))
        if all(is_number(c.strip()) for c in first if c.strip()):
            has = False
        else:
            try:
                has = csv.Sniffer().has_header("\n".join(lines[:50]))
            except csv.Error:
                has = True
            # The sniffer says "no header" for a file of text columns only; such a first row is
            # still names when none of them appears again below it.
            if not has:
                rest = {c.strip() for ln in lines[1:50] for c in next(csv.reader([ln], delimiter=delimiter,
                                                                                   quotechar=quotechar))}
                has = not any(c.strip() in rest for c in first)
    else:
        has = header == "yes"
    return Dialect(delimiter, quotechar, has, enc)


def read_frame(path: Path, selected: list[str] | None = None, header: str = "auto", encoding: str = ""):
    """The CSV as a pandas DataFrame of its own columns (numbers parsed, text kept, blanks NaN),
    the dialect it was read with, and how it spells booleans ({column: {False: .., True: ..}})."""
    import pandas as pd

    d = sniff(path, header, encoding)
    with open(path, encoding=d.encoding, newline="") as f:
        first = next((row for row in csv.reader(f, delimiter=d.delimiter, quotechar=d.quotechar) if row), [])
    if d.header:
        names = [h.strip() for h in first]
        if any(not h for h in names):
            raise GankitError(f"{path} line 1: column {names.index('') + 1} has no name (name every column, "
                              "or set data.header = \"no\" if the file has no header row)")
        dupes = sorted({h for h in names if names.count(h) > 1})
        if dupes:
            raise GankitError(f"{path} line 1: column name {', '.join(map(repr, dupes))} appears twice (rename one)")
    else:
        names = [f"column{j + 1}" for j in range(len(first))]
    try:
        frame = pd.read_csv(path, sep=d.delimiter, quotechar=d.quotechar, header=0 if d.header else None,
                            names=names, encoding=d.encoding, na_values=BLANKS, keep_default_na=False,
                            skipinitialspace=True, skip_blank_lines=True, low_memory=False,
                            on_bad_lines="error", engine="c")
    except pd.errors.ParserError as e:
        raise GankitError(f"{path} is not a table of equal rows: {_first_line(e)} (fix the file)") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise GankitError(f"{path} could not be read as CSV ({_first_line(e)}); set data.encoding or fix the file") from None
    if selected is not None:
        unknown = [c for c in selected if c not in frame.columns]
        if unknown:
            raise GankitError(f"{path} has no column {', '.join(map(repr, unknown))} (its columns: {', '.join(names)})")
        frame = frame[selected]
    if len(frame) < 2:
        raise GankitError(f"{path} has {len(frame)} data row{'s' * (len(frame) != 1)}; need at least 2")
    return frame, d, _bool_spellings(path, d, list(frame.columns), names, frame)


def _bool_spellings(path: Path, d: Dialect, used: list[str], names: list[str], frame) -> dict[str, dict[bool, str]]:
    """How the file spells the values pandas read as True/False (true, TRUE, True), per column,
    from its first rows, so samples are written the same way."""
    cols = [c for c in used if frame[c].dtype == bool or (frame[c].dtype == object and frame[c].map(type).eq(bool).any())]
    if not cols:
        return {}
    out: dict[str, dict[bool, str]] = {c: {} for c in cols}
    with open(path, encoding=d.encoding, newline="") as f:
        reader = csv.reader(f, delimiter=d.delimiter, quotechar=d.quotechar)
        if d.header:
            next(reader, None)
        for i, row in enumerate(reader):
            if i >= 5000 or all(len(v) == 2 for v in out.values()):
                break
            for c in cols:
                j = names.index(c)
                cell = row[j].strip() if j < len(row) else ""
                if cell.lower() in ("true", "false"):
                    out[c].setdefault(cell.lower() == "true", cell)
    return {c: {False: v.get(False, "False"), True: v.get(True, "True")} for c, v in out.items()}


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    msg = text[-1] if text else type(e).__name__
    return msg.replace("Error tokenizing data. C error: ", "").strip()[:200]

