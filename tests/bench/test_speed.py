"""`make bench`'s machinery (never its numbers): sections, the reference loops, a measurement."""

import os

import pytest

from gankit.bench import speed as bench


def test_a_run_replaces_only_the_sections_it_measured(tmp_path):
    out = tmp_path / "B.md"
    bench.write_sections(out, {"paper": ["## Paper", "old"], "modes": ["## Modes", "kept"]})
    bench.write_sections(out, {"paper": ["## Paper", "new"]})
    text = out.read_text()
    assert "new" in text and "old" not in text and "kept" in text
    assert text.index("## Paper") < text.index("## Modes")  # sections keep their order
    bench.write_sections(out, {"machine": ["## Machine"]})
    assert out.read_text().index("## Machine") < out.read_text().index("## Paper")


@pytest.mark.slow
@pytest.mark.parametrize("script", ["eager_paper.py", "eager_mlp.py", "eager_dcgan.py"])
def test_reference_loops_run_and_report_images_per_second(script):
    r = bench.run_reference(script, "--seconds", 0.05, "--warmup", 1, "--threads", 1, "--batch", 8)
    assert r["images_per_s"] > 0 and r["steps"] >= 1


def test_gankit_measurement_reports_flops_and_bytes():
    r = bench.measure_gankit("ring8-gan.toml", ["train.batch_size=16"], seconds=0.05)
    assert r["images_per_s"] > 0 and r["batch"] == 16 and r["precision"] == "fp32"
    assert r["flops_per_image"] > 0 and r["bytes_per_step"] > 0


@pytest.mark.slow
def test_processes_are_measured_from_the_runs_log():
    tiny = ["model.g_hidden=[16]", "model.d_hidden=[16]", "train.batch_size=64"]
    r = bench.measure_processes("ring8-gan.toml", tiny, nproc=2, threads=1, steps=40, log_every=10)
    assert r["world_size"] == 2 and r["rows"] == 3 and r["images_per_s"] > 0


def test_the_process_table_compares_processes_with_threads_on_the_same_cores(monkeypatch):
    speeds = {(1, 1): 100.0, (1, 2): 150.0, (2, 1): 180.0}
    monkeypatch.setattr(bench, "measure_processes", lambda f, over, nproc, threads, steps: {
        "images_per_s": speeds[nproc, threads], "world_size": nproc, "rows": 5})
    lines = bench.process_benchmarks([1, 2], cases=[("ring8", "ring8-gan.toml", [])])
    table = [[c.strip() for c in line.split("|")[2:5]] for line in lines if line.startswith("| ring8")]
    assert table == [["1 × 1", "100", "1.00×"], ["1 × 2", "150", "1.50×"], ["2 × 1", "180", "1.80×"]]


def test_bench_figures_are_written_with_the_legend_beside_the_axes(tmp_path, monkeypatch):
    from gankit.bench import speed as bench
    from gankit.sampling.pictures import pyplot

    monkeypatch.setattr(bench, "FIGURES", tmp_path / "figures")
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4], label="gankit")
    legend_box = []
    monkeypatch.setattr(fig, "savefig", lambda path, dpi: (legend_box.append(ax.get_legend().get_bbox_to_anchor()),
                                                          open(path, "wb").write(b"png")))
    bench._save_figure(plt, fig, ax, "x.png")
    assert (tmp_path / "figures" / "x.png").read_bytes() == b"png" and legend_box and legend_box[0].x0 > 0


@pytest.mark.parametrize("native", [True, False])
def test_the_paper_table_gives_no_share_of_an_emulated_bf16_peak(monkeypatch, native):
    from gankit.train import precision

    speeds = {"fp32": 2000.0, "bf16": 3000.0 if native else 200.0}
    run = {"flops_per_image": 5e6, "bytes_per_step": 2e7, "batch": 100}
    monkeypatch.setattr(bench, "run_reference", lambda *a: dict(run, images_per_s=1500.0))
    monkeypatch.setattr(bench, "run_child", lambda spec: dict(run, images_per_s=speeds[spec["overrides"][-1][10:]]))
    monkeypatch.setattr(precision, "native_bf16", lambda device: (native, "a test CPU"))
    machine = {"peak_fp32": 100.0, "peak_bf16": 400.0 if native else 5.0, "bandwidth_gbs": 50.0}
    lines, _ = bench.section_paper(1.0, machine)
    rows = {tuple(c.strip() for c in line.split("|")[1:3]): [c.strip() for c in line.split("|")[3:-1]]
            for line in lines if line.startswith("| gankit")}
    assert rows["gankit", "fp32"][:4] == ["2000", "1.33", "10", "10%"]  # 2000 images/s x 5 MFLOP = 10 GFLOP/s of 100
    bf16 = rows["gankit", "bf16"]
    if native:
        assert bf16[3] == "4%" and bf16[5].endswith("%")  # 15 GFLOP/s of a 400 GFLOP/s peak
    else:
        assert bf16[3:] == ["—", "—", "—"] and any("emulated" in line for line in lines)


def _classes_folder(root, per_class=45, side=16):
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    for k, tint in enumerate([(1, 0.3, 0.3), (0.3, 1, 0.3), (0.3, 0.3, 1)]):
        (root / f"c{k}").mkdir(parents=True)
        for i in range(per_class):
            px = (rng.random((side, side, 3)) * np.array(tint) * 255).astype(np.uint8)
            Image.fromarray(px).save(root / f"c{k}" / f"{i}.png")
    return root


def test_the_folder_features_section_runs_on_tiny_settings(tmp_path, monkeypatch):
    import importlib

    from gankit.bench import folder as folder_bench

    features = importlib.import_module("gankit.metrics.features")
    monkeypatch.setattr(features, "CONTRASTIVE_STEPS", (3, 3))
    monkeypatch.setattr(features, "MIN_STEPS", 3)
    monkeypatch.setattr(features, "MIN_EPOCHS", 1)
    monkeypatch.setattr(folder_bench, "PSIS", (1.0, 0.5))
    by_class = _classes_folder(tmp_path / "by-class")
    flat = tmp_path / "flat"
    flat.mkdir()
    for p in sorted(by_class.rglob("*.png")):
        (flat / f"{p.parent.name}-{p.name}").symlink_to(p)
    lines = folder_bench.section_features(by_class, flat, seconds=2, n=60, out=tmp_path / "run")
    rows = {line.split("|")[1].strip(): line for line in lines if line.startswith("| ")}
    assert {"random", "contrastive", "classifier", "1", "0.5"} <= set(rows)
    assert all(len(rows[k].split("|")) == 9 for k in ("random", "contrastive", "classifier"))
    assert "gankit-contrastive-folder:" in "\n".join(lines)


def test_the_folder_scale_section_measures_the_training_process(tmp_path):
    from gankit.bench import folder as folder_bench

    lines = folder_bench.section_scale(n=120, side=16, steps=4, work=tmp_path)
    text = "\n".join(lines)
    assert "120 PNG files at 16x16" in text and "peak RssAnon" in text and "4 G steps" in text
    assert "1.5 GiB while training on it: **met**" in text  # a small folder's process: torch, tiny nets, one batch


def test_a_file_the_bench_did_not_write_is_refused_before_anything_is_measured(tmp_path, capsys, monkeypatch):
    """Only the bench's sections of --out are kept: a README given as --out was replaced by them."""
    mine = tmp_path / "README.md"
    mine.write_text("# My project\n\nNotes I keep.\n")
    with pytest.raises(bench.GankitError, match=r"README.md exists and was not written by gankit's bench"):
        bench.write_sections(mine, {"paper": ["## Paper", "rows"]})
    measured = []
    monkeypatch.setattr(bench, "section_machine", lambda *a: measured.append(a))
    with pytest.raises(bench.GankitError, match="was not written by gankit's bench"):
        bench.main(["--out", str(mine), "--sections", "machine"])
    assert not measured and mine.read_text() == "# My project\n\nNotes I keep.\n"
    empty = tmp_path / "new.md"
    empty.write_text("")
    bench.write_sections(empty, {"paper": ["## Paper", "rows"]})  # an empty file, or none, is the bench's to fill
    assert "<!-- bench:paper -->" in empty.read_text() and os.listdir(tmp_path) == ["README.md", "new.md"]
