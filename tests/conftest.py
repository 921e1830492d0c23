"""Fixtures every test folder shares."""

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, worker_id, monkeypatch):
    # Feature nets and folder caches go to a per-session temporary cache, never the user's. The
    # workers of one `pytest -n` run share it (their temporary folders sit side by side), so a
    # feature net is trained once per run, not once per worker (gankit locks it while training).
    base = tmp_path_factory.getbasetemp()
    cache = (base.parent if worker_id != "master" else base) / "gankit-cache"
    monkeypatch.setenv("GANKIT_CACHE", str(cache))


@pytest.fixture
def registered(monkeypatch):
    """`registered(registry, name, entry)`: `entry` under `name` for this test only (a registry
    refuses a second registration of a name, so tests add theirs through this and leave no trace)."""
    def add(registry, name, entry):
        monkeypatch.setitem(registry._entries, name, entry)
        return entry

    return add


@pytest.fixture
def people(tmp_path):
    """A mixed table as people have it (tests/table_rows.py): a text category with a comma in one
    value, integers, one-decimal numbers, yes/no, blanks."""
    from table_rows import people_rows, write

    return write(tmp_path / "people.csv", people_rows())
