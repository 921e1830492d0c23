"""`make bench`'s machinery (never its numbers): sections, the reference loops, a measurement."""

import pytest

from gankit import bench


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
    r = bench.measure_gankit("ring8.toml", ["train.batch_size=16"], seconds=0.05)
    assert r["images_per_s"] > 0 and r["batch"] == 16 and r["precision"] == "fp32"
    assert r["flops_per_image"] > 0 and r["bytes_per_step"] > 0
