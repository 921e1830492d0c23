"""columns.py: each column's type, inferred or declared, and the columns a table cannot support."""

from __future__ import annotations

import numpy as np
import pytest
from table_rows import people_rows, write

from gankit.data.table.columns import decimals, infer
from gankit.data.table.read import read_frame
from gankit.errors import GankitError


def types_of(path, declared=None):
    frame, d, _ = read_frame(path)
    return infer(frame, declared or {}, str(path), 2 if d.header else 1)


def test_inferred_types(people):
    assert types_of(people) == {"city": "categorical", "age": "integer", "height_cm": "continuous",
                                "smoker": "boolean", "grade": "categorical"}


def test_few_distinct_numbers_are_categories_and_booleans_any_case(tmp_path):
    rows = [[str(2007 + i % 3), f"{(i % 5) + 0.5}", ["Yes", "No"][i % 2], ["TRUE", "FALSE"][i % 2], str(i * 7 % 101)]
            for i in range(60)]
    p = write(tmp_path / "t.csv", rows, header=["year", "rating", "answer", "flag", "score"])
    assert types_of(p) == {"year": "categorical", "rating": "categorical", "answer": "boolean",
                           "flag": "boolean", "score": "integer"}


def test_declared_types_override(people):
    got = types_of(people, {"age": "categorical", "height_cm": "continuous", "grade": "ignore"})
    assert got == {"city": "categorical", "age": "categorical", "height_cm": "continuous", "smoker": "boolean"}
    assert types_of(people, {"smoker": "categorical"})["smoker"] == "categorical"


@pytest.mark.parametrize("declared, match", [
    ({"colour": "categorical"}, r"names 'colour', which .* does not have \(its columns: city, age"),
    ({"age": "number"}, "age = 'number' is not a column type; one of continuous, integer"),
    ({"city": "integer"}, r"column 'city' holds text \(.*'Paris'.*\), so it cannot be integer"),
    ({"height_cm": "integer"}, "not whole, so it cannot be integer"),
    ({"grade": "boolean"}, "not two yes/no values, so it cannot be boolean"),
])
def test_bad_declarations(people, declared, match):
    with pytest.raises(GankitError, match=match):
        types_of(people, declared)


@pytest.mark.parametrize("column, match", [
    (["", ""], "is blank in every row"),
    (["7", "7"], r"has the same value \('7'\) in every row"),
    (["id"], "looks like an identifier"),
    (["rownum"], "numbers the rows"),
])
def test_columns_a_table_cannot_support(tmp_path, column, match):
    rows = people_rows(40)
    if column == ["id"]:
        extra = [f"user-{i:04d}" for i in range(40)]
    elif column == ["rownum"]:
        extra = [str(i + 1) for i in range(40)]
    else:
        extra = [column[i % 2] if i % 3 else "" for i in range(40)] if column[0] else [""] * 40
    p = write(tmp_path / "t.csv", [r + [e] for r, e in zip(rows, extra)], header=["city", "age", "height_cm", "smoker",
                                                                                    "grade", "extra"])
    with pytest.raises(GankitError, match=match) as e:
        types_of(p)
    assert "'extra'" in str(e.value) and 'data.columns = { extra = "ignore" }' in str(e.value)
    assert types_of(p, {"extra": "ignore"})  # what the message says to do works


@pytest.mark.parametrize("cell, what", [("tall", "'tall' is not a number"), ("inf", "'inf' is not a finite number")])
def test_a_bad_cell_in_a_number_column_names_line_and_column(tmp_path, cell, what):
    p = tmp_path / "h.csv"
    p.write_text("height,weight\n170,60\n180,80\n" + f"165,{cell}\n" + "175,70\n172,71\n")
    with pytest.raises(GankitError) as e:
        types_of(p)
    assert f"h.csv line 4 column 'weight': {what}" in str(e.value)


def test_decimals_match_how_the_numbers_were_written():
    assert decimals(np.array([1.0, 2.0])) == 0
    assert decimals(np.array([39.1, 40.25])) == 2
    assert decimals(np.array([0.123456, 1.5])) == 6
    assert decimals(np.array([np.pi])) == -1
