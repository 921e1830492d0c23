"""read.py: dialect, header and encoding, checked against pandas reading the file with them given."""

from __future__ import annotations

import pandas as pd
import pytest
from table_rows import HEADER, people_rows, write

from gankit.data.table.read import read_frame, sniff
from gankit.errors import GankitError


def expected(path, **kw):
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype=str, **kw)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_and_quoted_commas(tmp_path, delimiter):
    p = write(tmp_path / "t.csv", people_rows(40), delimiter=delimiter)
    frame, d, _ = read_frame(p)
    assert d.delimiter == delimiter and d.header and list(frame.columns) == HEADER
    want = expected(p, sep=delimiter)
    assert frame["city"].tolist() == want["city"].tolist()  # "Saint-Denis, Réunion" kept whole
    assert "Saint-Denis, Réunion" in set(frame["city"])
    assert frame["age"].tolist() == want["age"].astype(int).tolist()


def test_a_file_without_header(tmp_path):
    rows = [[str(i), f"{i * 1.5:.1f}", "x" if i % 2 else "y"] for i in range(30)]
    p = write(tmp_path / "h.csv", rows, header=None)
    frame, d, _ = read_frame(p)
    assert not d.header and list(frame.columns) == ["column1", "column2", "column3"] and len(frame) == 30
    assert frame["column2"].tolist() == [i * 1.5 for i in range(30)]
    # a header of text over text columns is still a header; "no" forces the first row into the data
    p2 = write(tmp_path / "t.csv", [["a", "b"], ["c", "d"], ["a", "d"]], header=["left", "right"])
    assert read_frame(p2)[1].header
    assert len(read_frame(p2, header="no")[0]) == 4


def test_latin1_and_explicit_encodings(tmp_path):
    rows = [["Zürich", "1"], ["Genève", "2"], ["Bâle", "3"]]
    p = write(tmp_path / "l.csv", rows, header=["ville", "n"], encoding="latin-1")
    frame, d, _ = read_frame(p)
    assert d.encoding == "latin-1" and frame["ville"].tolist() == ["Zürich", "Genève", "Bâle"]
    p8 = write(tmp_path / "u.csv", rows, header=["ville", "n"], encoding="utf-8-sig")  # a BOM, as spreadsheets write
    frame8, d8, _ = read_frame(p8)
    assert list(frame8.columns) == ["ville", "n"] and frame8["ville"].tolist() == ["Zürich", "Genève", "Bâle"]
    assert read_frame(p, encoding="cp1252")[0]["ville"].tolist() == ["Zürich", "Genève", "Bâle"]
    with pytest.raises(GankitError, match="unknown encoding 'klingon'"):
        sniff(p, encoding="klingon")


def test_blanks_and_boolean_spellings(tmp_path):
    p = tmp_path / "b.csv"
    p.write_text("a,flag\n1,true\n,false\nNA,true\n4,\n")
    frame, _, spell = read_frame(p)
    assert frame["a"].isna().tolist() == [False, True, True, False]
    assert spell == {"flag": {False: "false", True: "true"}}


@pytest.mark.parametrize("text, match", [
    ("", "is empty"),
    ("a,b\n1,2\n", "1 data row; need at least 2"),
    ("a,b\n1,2\n3,4,5\n6,7\n", "not a table of equal rows"),
    ("a,a\n1,2\n3,4\n", "column name 'a' appears twice"),
    ("a,,c\n1,2,3\n4,5,6\n", "column 2 has no name"),
])
def test_malformed_files(tmp_path, text, match):
    p = tmp_path / "f.csv"
    p.write_text(text)
    with pytest.raises(GankitError, match=match):
        read_frame(p)


def test_missing_file_and_column_selection(tmp_path):
    with pytest.raises(GankitError, match="cannot read CSV file"):
        read_frame(tmp_path / "none.csv")
    p = write(tmp_path / "t.csv", people_rows(10))
    assert list(read_frame(p, ["age", "city"])[0].columns) == ["age", "city"]
    with pytest.raises(GankitError, match=r"no column 'wieght' \(its columns: city, age, height_cm, smoker, grade\)"):
        read_frame(p, ["wieght"])
