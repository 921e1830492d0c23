"""`make bench`'s process section: images/s of `gankit train --nproc P`, read from the run's own log."""

import pytest

from gankit import bench


@pytest.mark.slow
def test_processes_are_measured_from_the_runs_log():
    tiny = ["model.g_hidden=[16]", "model.d_hidden=[16]", "train.batch_size=64"]
    r = bench.measure_processes("ring8.toml", tiny, nproc=2, threads=1, steps=40, log_every=10)
    assert r["world_size"] == 2 and r["rows"] == 3 and r["images_per_s"] > 0


def test_the_process_table_compares_processes_with_threads_on_the_same_cores(monkeypatch):
    speeds = {(1, 1): 100.0, (1, 2): 150.0, (2, 1): 180.0}
    monkeypatch.setattr(bench, "measure_processes", lambda f, over, nproc, threads, steps: {
        "images_per_s": speeds[nproc, threads], "world_size": nproc, "rows": 5})
    lines = bench.process_benchmarks([1, 2], cases=[("ring8", "ring8.toml", [])])
    table = [[c.strip() for c in line.split("|")[2:5]] for line in lines if line.startswith("| ring8")]
    assert table == [["1 × 1", "100", "1.00×"], ["1 × 2", "150", "1.50×"], ["2 × 1", "180", "1.80×"]]
