"""`make bench`'s "Your own images" section runs end to end with tiny budgets (its numbers are
measured by `python -m gankit.bench --sections images`, never here)."""

import math

import pytest
import torch
from helpers import write_image_folder

from gankit.bench import images


def test_the_box_blur_is_the_mean_of_the_5x5_neighbourhood_inside_the_image():
    x = torch.rand(2, 3, 9, 9)
    y = images.blurred(x)
    for i, j in ((4, 4), (0, 0), (0, 5), (8, 2)):  # a slow loop over the pixels of the window
        window = x[:, :, max(i - 2, 0):i + 3, max(j - 2, 0):j + 3]
        assert torch.allclose(y[:, :, i, j], window.mean((2, 3)))


@pytest.mark.slow
def test_the_section_runs_every_row_with_tiny_budgets(tmp_path, monkeypatch):
    import importlib

    features = importlib.import_module("gankit.metrics.features")  # the module (gankit.metrics.features is also a function)

    monkeypatch.setattr(images, "TUTORIAL_BATCH", 8)
    monkeypatch.setattr(features, "MIN_STEPS", 30)  # the folder's classifier: 600 steps at 64×64 would be most of the test
    folder = write_image_folder(tmp_path / "folder", 64, n=44)
    small = write_image_folder(tmp_path / "small", 64, n=40)  # the same first 40 images
    scored = []
    score = images._score
    monkeypatch.setattr(images, "_score", lambda x, ds, m, f="auto": scored.append(ds.name) or score(x, ds, m, f))
    # one 1 s mark (the rows' resume from mark to mark is tests/bench's speed sections'): every row trains,
    # samples and is scored, in the classifier features of the folder's classes
    lines = images.section_images([1], folder=folder, small=small, n=64, threads=1, speed_seconds=0)
    # every row, the small-data rows too, is scored against the whole folder (not the 40 it trained on)
    assert scored and set(scored) == {f"folder:{folder}"}
    text = "\n".join(lines)
    rows = {line.split("|")[1].strip(): line for line in lines if line.startswith("| ")}
    for label in ("DCGAN tutorial, ngf = ndf = 64", "DCGAN tutorial, ngf = ndf = 32", "fast-fashion-mnist.toml, data.size = 64",
                  "folder-64.toml", "folder-64.toml, 500 images", "folder-64.toml, 500 images, no augmentation"):
        cells = [c.strip() for c in rows[label].split("|")[2:-1]]
        fds = [float(c.split(" ")[0]) for c in cells[:1]]
        assert all(math.isfinite(f) and f >= 0 for f in fds) and int(cells[1]) >= 1, label
        assert "(" in cells[0]  # classes covered: the folder has class sub-folders
    assert "the folder's own images, 5×5 box blur" in rows
    # the goals, each judged (after the first and the last mark: here one mark, so three)
    assert text.count("**met**") + text.count("**not met**") == 3


def test_the_speed_table_compares_gankit_with_the_tutorial_and_the_machine(monkeypatch, tmp_path):
    from gankit.bench import child as children
    from gankit.train import precision

    seen = []

    def child(spec):
        if spec["kind"] == "machine":
            return {"peak_fp32": 100.0}
        seen.append(spec["overrides"])
        return {"images_per_s": 60.0, "steps_per_s": 0.5, "precision": "fp32", "flops_per_image": 1e9}

    monkeypatch.setattr(children, "run_child", child)
    monkeypatch.setattr(children, "run_reference", lambda *a: {"images_per_s": 30.0, "steps_per_s": 0.25})
    monkeypatch.setattr(precision, "native_bf16", lambda device: (False, "a test CPU"))
    lines = images.speed_lines(tmp_path, 1.0)
    rows = [[c.strip() for c in line.split("|")[1:-1]] for line in lines if line.startswith("| ") and "loop" not in line]
    assert rows[0][2:] == ["30", "0.25", "1.00", "30", "30%"]  # 30 images/s × 1 GFLOP of a 100 GFLOP/s peak
    assert any("torch.mm at the paper nets' shapes" in line and "pass 100%" in line for line in lines)  # what the peak is
    assert rows[1][2:] == ["60", "0.50", "2.00", "60", "60%"] and len(rows) == 5
    assert "channels_last=false" in seen[0] and "channels_last=true" in seen[1]  # the same nets, two layouts
    assert "compile=true" in seen[2] and "compile=true" not in seen[1]
    assert all("model.base_width=64" in o and "train.batch_size=128" in o for o in seen[:2])
    seen.clear()
    quick = images.speed_lines(tmp_path, 1.0, compiled=False)  # --quick: no compile row
    assert sum(line.startswith("| ") and "loop" not in line for line in quick) == 4
    assert not any("compile=true" in o for o in seen)


def test_every_tuning_variant_is_a_valid_change_of_the_shipped_config():
    from gankit import config
    from gankit.bench.child import ROOT

    base = config.load(ROOT / "configs" / images.FOLDER_CONFIG)
    for label, over in images.TUNING[1:]:
        changed = config.load(ROOT / "configs" / images.FOLDER_CONFIG, over)
        assert changed != base, label


@pytest.mark.slow
def test_the_tuning_section_scores_each_variant(tmp_path):
    folder = write_image_folder(tmp_path / "folder", 64, n=40)
    # random features: a contrastive net trained on 40 images would take most of the test's time
    lines = images.section_tuning([1], folder=folder, n=32, variants=images.TUNING[4:5], features="random")
    rows = [line for line in lines if line.startswith("| ") and "variant" not in line]
    assert len(rows) == 1 and all(float(r.split("|")[2].split()[0]) >= 0 for r in rows)
    assert any(line.startswith("Feature net: `gankit-random-cnn") for line in lines)  # named, as every result is


def test_the_readme_and_guide_quote_the_measured_section():
    """README.md and docs/guide.md quote FDs of BENCHMARKS.md's "Your own images" run: each one they
    give is that table's, rounded to two decimals (rerun the bench: update both)."""
    import re

    from gankit.bench.child import ROOT

    text = (ROOT / "BENCHMARKS.md").read_text()
    section = text[text.index("<!-- bench:images -->"):text.index("<!-- /bench:images -->")]
    rows = {line.split("|")[1].strip(): [float(c.split()[0]) for c in line.split("|")[2:5]]
            for line in section.splitlines() if line.startswith("| ") and line.split("|")[2].strip()[:1].isdigit()
            and "(" in line.split("|")[2]}
    fast, folder = rows["fast-fashion-mnist.toml, data.size = 64"], rows["folder-64.toml"]
    small, noaug = rows["folder-64.toml, 500 images"][2], rows["folder-64.toml, 500 images, no augmentation"][2]
    two = lambda v: f"{v:.2f}"  # noqa: E731
    readme = (ROOT / "README.md").read_text()
    assert f"FD {two(small)} with,\n{two(noaug)} without" in readme
    assert f"FD {two(folder[2])} against {two(fast[2])} after 600 s" in readme
    guide = re.sub(r"\s+", " ", (ROOT / "docs" / "guide.md").read_text())
    assert f"FD {', '.join(map(two, folder))} after 150, 300, 600 s against {', '.join(map(two, fast))}" in guide
    assert f"reached FD {two(small)} with `folder-64`'s ADA and {two(noaug)} without it" in guide


def _row(fd, steps, d_real=None, d_fake=None, p=None, rt=None):
    r = {"fd": fd, "steps": steps, "classes": 10}
    if d_real is not None:
        r.update(d_real=d_real, d_fake=d_fake)
    if p is not None:
        r.update(augment_p=p, ada_rt=rt, ada_target=0.6)
    return r


def test_a_missed_goal_says_by_how_much_and_why_from_what_was_measured():
    marks = [150, 300, 600]
    fast = [_row(0.48, 1000), _row(0.41, 2000), _row(0.45, 4000)]
    # FD lowest at 150 s, then rising while D's gap between real and fake widens: D pulls away
    rising = [_row(0.57, 1500, 0.2, -0.3, 0.01, 0.55), _row(0.81, 3000, 1.0, -1.1, 0.02, 0.6),
              _row(1.09, 6000, 2.0, -2.1, 0.03, 0.61)]
    small = {"aug": [_row(0.7, 1)] * 3, "noaug": [_row(4.4, 1)] * 3}
    text = "\n".join(images.goals({"fast-fashion-mnist.toml, data.size = 64": fast, "folder-64.toml": rising},
                                  small, {"fd": 0.18}, marks))
    first = next(line for line in text.splitlines() if "after 150 s" in line)
    assert "**not met**" in first and "By how much: 0.33 above half of it" in first  # 0.57 - 0.48 / 2
    assert "its FD over the marks: 0.57, 0.81, 1.09" in first  # what came after 150 s is not why 150 s missed
    assert "in 150 s it made 1,500 G steps, the fast config 1,000" in first
    assert "0.50, 2.10, 4.10: D pulls away from G after 150 s" in first  # d_real - d_fake at each mark
    assert "ADA's p 0.010, r_t 0.55 against its target 0.6 at 150 s" in first
    blur = next(line for line in text.splitlines() if "blurred" in line)
    assert "**not met**" in blur and "at 600 s." in blur
    assert "Why: its FD is lowest after 150 s and rises after it (0.57, 0.81, 1.09): more training made it worse" in blur
    # still falling at every mark: short of time; a met goal has no why
    falling = [_row(0.2, 900), _row(0.15, 1800), _row(0.1, 3600)]
    why = images.why(falling, fast, marks, 2)
    assert why.startswith("its FD falls at every mark (0.2, 0.15, 0.1): it is still improving when the budget ends")
    assert "D's mean score" not in why and "ADA" not in why  # not logged by this run: not claimed
    text = "\n".join(images.goals({"fast-fashion-mnist.toml, data.size = 64": fast, "folder-64.toml": falling},
                                  small, {"fd": 0.18}, marks))
    assert text.count("**met**") == 4 and "Why" not in text and "By how much" not in text


def test_dynamics_reads_the_last_rows_of_the_game():
    log = [{"step": 1, "time": 0.1}] + [{"step": s, "d_real": float(s), "d_fake": -1.0, "augment_p": s / 100, "ada_rt": 0.5}
                                        for s in range(1, 11)]
    d = images.dynamics(log)
    assert d == {"d_real": 8.0, "d_fake": -1.0, "augment_p": 0.1, "ada_rt": 0.5}  # mean of steps 6..10
    assert images.dynamics([{"step": 1}]) == {}
