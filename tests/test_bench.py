"""`make bench`'s process section: images/s of `gankit train --nproc P`, read from the run's own log."""

import pytest

from gankit import bench


@pytest.mark.slow
def test_processes_are_measured_from_the_runs_log():
    tiny = ["model.g_hidden=[16]", "model.d_hidden=[16]", "train.batch_size=64"]
    r = bench.measure_processes("ring8.toml", tiny, nproc=2, threads=1, steps=40, log_every=10)
    assert r["world_size"] == 2 and r["rows"] == 3 and r["images_per_s"] > 0
    lines = bench.process_benchmarks([2], cases=[("ring8", "ring8.toml", tiny + ["train.steps=20"])])
    table = [line for line in lines if line.startswith("| ring8")]
    assert [line.split("|")[2].strip() for line in table] == ["1 × 1", "1 × 2", "2 × 1"]
    assert table[0].endswith("| 1.00× |")
