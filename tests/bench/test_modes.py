"""`gankit bench modes`: runs, cached results, tables beside the published rows, sections replaced in place."""

import json

import pytest

from gankit.bench import modes as bench_modes
from gankit.bench.modes import BEGIN, END, Method
from gankit.cli import main
from gankit.errors import GankitError

TINY = ("train.steps=4", "train.batch_size=16", "model.g_hidden=[8]", "model.d_hidden=[8]", "train.log_every=2")


@pytest.fixture
def tiny_methods(monkeypatch):
    methods = [Method("gan", "GAN", "ring8-gan.toml", TINY), Method("best", "shipped", "ring8-gan.toml", (*TINY, "train.ema=0.5"))]
    monkeypatch.setitem(bench_modes.METHODS, "ring8", methods)
    return methods


def test_bench_trains_each_method_per_seed_and_reuses_finished_runs(tmp_path, tiny_methods):
    logged = []
    results = bench_modes.bench(["ring8"], seeds=2, runs=tmp_path, log=logged.append)
    rows = results["ring8"]
    assert [m.key for m, _ in rows] == ["gan", "best"] and all(len(res) == 2 for _, res in rows)
    first = rows[0][1][0]
    assert {"modes", "hq_percent", "reverse_kl", "modes_total"} <= first.keys() and len(first["samples"]) == 2500
    assert len(logged) == 4 and (tmp_path / "ring8" / "gan" / "seed-1" / "result.json").is_file()
    again = bench_modes.bench(["ring8"], seeds=2, runs=tmp_path, log=logged.append)
    assert len(logged) == 4 and again["ring8"][0][1][0]["hq_percent"] == first["hq_percent"]  # nothing retrained

    lines = bench_modes.report(results, 2, "gankit bench modes --seeds 2", "a test CPU")
    text = "\n".join(lines)
    assert "| GAN |" in text and "`configs/ring8-gan.toml --set train.steps=4" in text
    assert "Not run for this table" not in text
    only_gan = bench_modes.report({"ring8": rows[:1]}, 2, "gankit bench modes --methods gan", "a test CPU")
    assert "Not run for this table: best (`gankit bench modes --data ring8 --methods best`" in "\n".join(only_gan)
    assert "*PacGAN2 (published: PacGAN, Table 1)* | | 7.9 ± 0.1 | 95.6 ± 2.0 | 0.07 ± 0.03" in text
    assert "| GAN | 2 |" in text and "Seeds still to run" not in text
    assert "**ring8** goal" in text and "seed 0:" in text
    png = bench_modes.figure("ring8", rows, tmp_path / "fig.png")
    assert png.stat().st_size > 1000


def test_replace_section_keeps_the_rest_of_the_file(tmp_path):
    f = tmp_path / "BENCHMARKS.md"
    f.write_text("# Benchmarks\n\n## Training speed\n\nrows\n")
    bench_modes.replace_section(f, ["## Mode collapse", "old table"])
    bench_modes.replace_section(f, ["## Mode collapse", "new table"])
    text = f.read_text()
    assert text.startswith("# Benchmarks\n\n## Training speed\n\nrows\n")
    assert text.count(BEGIN) == 1 and "new table" in text and "old table" not in text and text.rstrip().endswith(END)


def test_make_bench_keeps_the_mode_collapse_section(tmp_path):
    from gankit.bench.speed import write_sections

    f = tmp_path / "BENCHMARKS.md"
    write_sections(f, {"modes": ["## Mode collapse", "table"]})
    write_sections(f, {"paper": ["## Paper nets", "rows"]})  # what make bench does: its own sections only
    text = f.read_text()
    assert "## Mode collapse\ntable" in text and "## Paper nets\nrows" in text
    assert text.index("Paper nets") < text.index("Mode collapse")


def test_cli_bench_modes_prints_tables_and_refuses_unknown_methods(tmp_path, tiny_methods, capsys):
    assert main(["bench", "modes", "--data", "ring8", "--seeds", "1", "--runs", str(tmp_path), "--no-write"]) == 0
    out = capsys.readouterr().out
    assert "## Mode collapse" in out and "| shipped |" in out
    assert main(["bench", "modes", "--methods", "nope", "--no-write"]) == 2
    assert "unknown method 'nope'" in capsys.readouterr().err
    assert main(["bench", "modes", "--data", "ring9", "--no-write"]) == 2
    result = json.loads((tmp_path / "ring8" / "best" / "seed-0" / "result.json").read_text())
    assert result["seed"] == 0



def test_a_run_stopped_early_is_an_error_and_never_a_cached_result(tmp_path, monkeypatch):
    # A SIGTERM (or a time limit) ends training early; its samples must not stand in the table.
    short = Method("gan", "GAN", "ring8-gan.toml", (*TINY, "train.steps=100000", "train.time_limit=0.5"))
    monkeypatch.setitem(bench_modes.METHODS, "ring8", [short])
    with pytest.raises(GankitError, match=r"ring8 gan seed 0 was time_limit at step \d+ of 100000"):
        bench_modes.bench(["ring8"], seeds=1, runs=tmp_path, log=lambda msg: None)
    assert not (tmp_path / "ring8" / "gan" / "seed-0" / "result.json").exists()


def test_jobs_train_runs_in_parallel_processes_with_the_same_results(tmp_path, tiny_methods):
    logged = []
    parallel = bench_modes.bench(["ring8"], seeds=2, runs=tmp_path / "par", log=logged.append, jobs=2)
    serial = bench_modes.bench(["ring8"], seeds=2, runs=tmp_path / "ser", log=lambda msg: None)
    assert len(logged) == 4 and any(line.startswith("ring8 best seed 1: ") for line in logged)
    for (m, par), (_, ser) in zip(parallel["ring8"], serial["ring8"]):
        assert [r["seed"] for r in par] == [0, 1]  # in seed order, whichever finished first
        assert [r["samples"] for r in par] == [r["samples"] for r in ser]  # a run is its config, wherever it ran
    with pytest.raises(GankitError, match="--jobs must be >= 1"):
        bench_modes.bench(["ring8"], seeds=1, runs=tmp_path, jobs=0)


def test_finished_only_tables_what_has_run_and_says_what_has_not(tmp_path, tiny_methods):
    bench_modes.bench(["ring8"], methods=["gan"], seeds=2, runs=tmp_path, log=lambda msg: None)
    bench_modes.bench(["ring8"], methods=["best"], seeds=1, runs=tmp_path, log=lambda msg: None)
    (tmp_path / "ring8" / "best" / "seed-1").mkdir(parents=True)  # a run cut off before its result
    results = bench_modes.bench(["ring8"], seeds=3, runs=tmp_path, finished_only=True,
                                log=lambda msg: pytest.fail("--finished-only trained"))
    assert [(m.key, [r["seed"] for r in res]) for m, res in results["ring8"]] == [("gan", [0, 1]), ("best", [0])]
    text = "\n".join(bench_modes.report(results, 3, "gankit bench modes --finished-only", "a test CPU"))
    assert "| GAN | 2 |" in text and "| shipped | 1 |" in text
    assert "Seeds still to run: gan (2 of 3), best (1 of 3)" in text
    goal = next(line for line in text.splitlines() if line.startswith("- **ring8** goal"))
    assert "seeds run so far (2 of the 3 seeds not run yet) (seed 0: " in goal  # tiny nets: met on 0 of 1
    assert main(["bench", "modes", "--finished-only", "--no-write"]) == 2  # it needs --runs


def test_a_result_file_cut_off_mid_write_is_trained_again(tmp_path, tiny_methods):
    bench_modes.bench(["ring8"], methods=["gan"], seeds=1, runs=tmp_path, log=lambda msg: None)
    result = tmp_path / "ring8" / "gan" / "seed-0" / "result.json"
    whole = result.read_text()
    result.write_text(whole[:100])
    assert bench_modes.finished(tiny_methods[0], 0, result.parent) is None
    logged = []
    bench_modes.bench(["ring8"], methods=["gan"], seeds=1, runs=tmp_path, log=logged.append)
    assert len(logged) == 1 and json.loads(result.read_text())["samples"] == json.loads(whole)["samples"]
