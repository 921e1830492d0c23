"""Conditional GANs end to end: labels into the loop, classes into the checkpoint, classes out."""

import json

import numpy as np
import pytest
import torch
from helpers import CONFIGS

from gankit import config, nets, sampling
from gankit.errors import GankitError
from gankit.metrics.runs import evaluate_run
from gankit.report.figures import make_figures
from gankit.sampling import classes as conditional
from gankit.train import Session, train

TINY = ["model.conditional=true", "train.steps=12", "train.batch_size=20", "train.log_every=4",
        "train.sample_every=6", "train.checkpoint_every=6", "model.g_hidden=[24]", "model.d_hidden=[24]",
        "model.z_dim=8", "threads=1"]


def tiny(*extra):
    return config.load(CONFIGS / "digits.toml", TINY + list(extra))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cond") / "run"
    train(tiny("train.keep_every=6"), out, quiet=True)
    return out


def test_data_without_labels_is_refused_naming_the_key(tmp_path):
    cfg = config.load(CONFIGS / "ring8-gan.toml", ["model.conditional=true", "model.pack=1", "train.steps=2"])
    with pytest.raises(GankitError, match=r"model.conditional = true needs class labels, but data set ring8 has none"):
        train(cfg, tmp_path / "r", quiet=True)
    assert not (tmp_path / "r").exists()  # refused before anything was written


def test_the_loop_sees_real_examples_with_their_own_labels_and_noise_with_uniform_classes(tmp_path):
    s = Session(tiny(), tmp_path, quiet=True)
    ds = s.dataset
    real = s.real_batch(50)
    for x, c in zip(real.x, real.c):
        same = (ds.train == x).flatten(1).all(1)  # the training rows holding exactly this image
        assert c.item() in ds.train_labels[same].tolist()
    z, c = s.noise(5000)
    assert z.shape == (5000, 8) and c.shape == (5000,)
    counts = torch.bincount(c, minlength=10)
    assert counts.min() > 400 and counts.max() < 600  # uniform over 10 classes: 500 ± 3 sd


def test_unconditional_sessions_draw_no_classes(tmp_path):
    s = Session(config.load(CONFIGS / "digits.toml", ["threads=1"]), tmp_path, quiet=True)
    assert s.num_classes == 0 and s.batches.labels is None and s.z_stream.num_classes == 0 and s.fixed_c is None
    assert not isinstance(s.raw_G, nets.ConditionalGenerator)


def test_checkpoint_holds_classes_and_loads_with_weights_only(run):
    state = torch.load(run / "checkpoints" / "latest.pt", weights_only=True)
    info = state["data"]
    assert info["num_classes"] == 10 and json.loads(info["class_names"]) == [str(k) for k in range(10)]
    assert any(k.startswith("embed") for k in state["D"])  # the projection discriminator's class vectors
    G = sampling.load_generator(run)
    assert G.conditional and G.num_classes == 10 and G.step == 12 and conditional.class_names(G.info)[3] == "3"
    z = torch.randn(10, 8)
    x = G(z, torch.arange(10))
    assert x.shape == (10, 1, 8, 8) and 0 <= x.min() and x.max() <= 1
    same_z = G(z[:1].repeat(10, 1), torch.arange(10))
    assert len({tuple(v.flatten().tolist()) for v in same_z}) == 10  # one z, ten classes, ten samples


def test_resume_of_a_conditional_run_is_exact(tmp_path):
    whole = train(tiny(), tmp_path / "whole", quiet=True)
    train(tiny("train.steps=6"), tmp_path / "half", quiet=True)
    resumed = train(None, resume=tmp_path / "half", overrides=["train.steps=12"], quiet=True)
    for a, b in ((whole.G, resumed.G), (whole.D, resumed.D)):
        sa, sb = a.state_dict(), b.state_dict()
        assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_draw_gives_balanced_classes_from_the_seed(run):
    G = sampling.load_generator(run)
    c = conditional.balanced(25, G.num_classes)
    assert c.tolist() == [k % 10 for k in range(25)]
    x = G.draw(25, seed=3, c=c)
    assert x.shape == (25, 1, 8, 8)
    assert np.array_equal(x, G.draw(25, seed=3, c=c))
    assert not np.array_equal(x, G.draw(25, seed=4, c=c))
    # the class changes the sample, the z stream does not depend on it
    assert not np.array_equal(x, G.draw(25, seed=3, c=(c + 1) % 10))
    with pytest.raises(GankitError, match="out of range"):
        G.draw(2, c=torch.tensor([0, 10]))


def test_sample_grids_have_one_row_per_class(run):
    from PIL import Image

    grid = Image.open(run / "samples" / "step-0000012.png")
    # 10 rows of 8×8 digits, upscaled ×3 by image_grid: 10 × (8 + 2) + 2 = 102 px before scaling.
    assert grid.height == 102 * 3
    assert grid.width > (8 * 10 + 2) * 3  # the 8 columns, plus a margin for the class names
    written = make_figures(run)
    assert {p.name for p in written} >= {"samples.png", "nearest.png", "walks.png"}  # saturation: too few step files
    assert Image.open(run / "figures" / "samples.png").size == grid.size


def test_evaluate_asks_for_balanced_classes(run):
    result = evaluate_run(run, "class_accuracy,classes", n=200)
    assert result["classes"] == "balanced" and 0 <= result["class_accuracy"] <= 1
    assert result["class_accuracy_min"] <= result["class_accuracy"]
    with pytest.raises(GankitError, match="class each sample was asked for"):
        np.save(run / "x.npy", np.zeros((4, 1, 8, 8), np.float32))
        evaluate_run(run, "class_accuracy", samples=run / "x.npy")


def test_in_training_fd_of_a_conditional_run(tmp_path):
    train(tiny("train.eval_every=6", "train.eval_n=50"), tmp_path / "r", quiet=True)
    rows = [json.loads(line) for line in (tmp_path / "r" / "log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "fd" in r] == [6, 12]
    assert (tmp_path / "r" / "checkpoints" / "best.pt").is_file()


def test_balanced_and_class_names():
    assert conditional.balanced(7, 3).tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert conditional.class_names({"num_classes": 2, "class_names": '["a/b", "c"]'}) == ["a/b", "c"]
    assert conditional.class_names({"num_classes": 3, "class_names": "[]"}) == ["0", "1", "2"]
    assert conditional.class_names({}) == []
