"""Fixtures of tests/data/table."""

from __future__ import annotations

import pytest
from table_rows import people_rows, write


@pytest.fixture
def people(tmp_path):
    return write(tmp_path / "people.csv", people_rows())
