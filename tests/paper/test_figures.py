"""The paper's figures from tiny real runs: files of the expected size, and the numbers behind them."""

import numpy as np
import pytest
import torch
from helpers import CONFIGS
from PIL import Image

from gankit import config as config_mod
from gankit.config import DataConfig
from gankit.data import load
from gankit.errors import GankitError
from gankit.paper.figures import (
    CAPTION_HEIGHT,
    HIGHLIGHT,
    Nets,
    figure1,
    figure2,
    figure3,
    gradient_norms,
    nearest_training,
    paper_figures,
    saturation,
    step_checkpoints,
)
from gankit.train import train

TINY = ["train.log_every=10", "train.sample_every=0", "model.g_hidden=[16]", "model.d_hidden=[16]"]


@pytest.fixture(scope="module")
def gauss_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig") / "gauss1d"
    cfg = config_mod.load(CONFIGS / "gauss1d.toml", TINY + ["train.steps=60", "train.keep_every=10",
                                                            "train.checkpoint_every=10"])
    train(cfg, out, quiet=True)
    return out


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig") / "digits"
    cfg = config_mod.load(CONFIGS / "digits.toml", TINY + ["train.steps=40", "train.keep_every=8",
                                                           "train.checkpoint_every=8", "threads=1"])
    train(cfg, out, quiet=True)
    return out


def png_size(path):
    assert path.stat().st_size > 1000
    with Image.open(path) as im:
        return im.size


def test_step_checkpoints_are_found_in_order(gauss_run):
    assert [s for s, _ in step_checkpoints(gauss_run)] == [10, 20, 30, 40, 50, 60]


def test_figure1_four_panels(gauss_run, tmp_path):
    assert png_size(figure1(gauss_run, tmp_path / "f1.png")) == (1600, 400)


def test_figure1_refuses_images(digits_run, tmp_path):
    with pytest.raises(GankitError, match="1-D"):
        figure1(digits_run, tmp_path / "f1.png")


def test_gradient_norms_match_a_direct_computation(digits_run):
    r = gradient_norms(digits_run, n=200)
    assert r["steps"] == [8, 16, 24, 32, 40]
    net = Nets(step_checkpoints(digits_run)[-1][1], digits_run)
    z = net.noise(200, 0)
    d = torch.sigmoid(net.D(net.G(z)))
    # The paper's two generator objectives, written out with plain logs.
    for name, loss in (("minimax", torch.log(1 - d).mean()), ("nonsaturating", -torch.log(d).mean())):
        grads = torch.autograd.grad(loss, list(net.G.parameters()), retain_graph=True)
        want = float(torch.sqrt(sum((g.double() ** 2).sum() for g in grads)))
        assert r[name][-1] == pytest.approx(want, rel=1e-4)
    assert r["d_fake"][-1] == pytest.approx(float(d.detach().mean()), rel=1e-5)


def test_saturation_figure(digits_run, gauss_run, tmp_path):
    assert png_size(saturation([digits_run, gauss_run], tmp_path / "s.png")) == (1100, 400)


def test_saturation_is_drawn_from_enough_checkpoints_to_be_a_curve(tmp_path):
    """Issue 25: it was drawn from the two kept checkpoints, a two-point line."""
    run = tmp_path / "two"
    train(config_mod.load(CONFIGS / "gauss1d.toml", TINY + ["train.steps=40", "train.keep_every=0",
                                                            "train.checkpoint_every=20"]), run, quiet=True)
    assert len(step_checkpoints(run)) == 2
    said = []
    assert "saturation.png" not in [p.name for p in paper_figures(run, log=said.append)]
    assert any(s.startswith("saturation figure skipped: it is drawn from the run's step checkpoints, and 2 are kept, "
                            "too few for a curve (at least 5") for s in said), said
    with pytest.raises(GankitError, match="kept 2 step checkpoints, too few for a curve"):
        gradient_norms(run)


def test_nearest_training_is_the_euclidean_argmin():
    rng = np.random.default_rng(0)
    train_x = torch.tensor(rng.random((300, 1, 4, 4)), dtype=torch.float32)
    s = torch.tensor(rng.random((7, 1, 4, 4)), dtype=torch.float32)
    want = [int(np.argmin(((train_x.numpy() - q.numpy()) ** 2).reshape(300, -1).sum(1))) for q in s]
    assert nearest_training(s, train_x, chunk=64).tolist() == want


def caption_height(path):
    """The title band's height: CAPTION_HEIGHT plus a line per wrapped legend line."""
    with Image.open(path) as im:
        return im.height - png_body_height[path.name]


png_body_height = {"nn.png": 2 * 68 + 6, "w.png": (3 * 10 + 2) * 7}


def test_figure2_pairs_samples_with_their_nearest_image(digits_run, tmp_path):
    path = figure2(digits_run, tmp_path / "nn.png", n=12, cols=6)
    # 8x8 digits at scale 7: cells of 2*56 + 3*3 + 10 px, two rows of 56 + 2*3 + 6 px, under the caption.
    band = caption_height(path)
    assert png_size(path)[0] == 6 * 131 + 10 and CAPTION_HEIGHT <= band <= CAPTION_HEIGHT + 14 * 3
    img = np.asarray(Image.open(path))[band:]
    assert (img == HIGHLIGHT).all(-1).sum() > 12 * 4 * 56  # every neighbour has its yellow frame
    # The first neighbour tile holds exactly the training image nearest the first sample.
    from gankit.sampling import sample

    x = torch.from_numpy(sample(digits_run, 12, seed=0))
    train_x = load(DataConfig(name="digits")).train
    nn0 = train_x[nearest_training(x[:1], train_x)[0], 0].numpy()
    x0, y0 = 10 + 56 + 3 + 3, 6 + 3
    tile = img[y0:y0 + 56:7, x0:x0 + 56:7, 0].astype(float) / 255
    np.testing.assert_allclose(tile, nn0, atol=1 / 255 + 1e-6)


def test_figure3_rows_of_walks(digits_run, tmp_path):
    path = figure3(digits_run, tmp_path / "w.png", rows=3, steps=5)
    assert png_size(path)[0] == (5 * 10 + 2) * 7 and caption_height(path) >= CAPTION_HEIGHT


@pytest.mark.parametrize("which", ["nearest", "walks"])
def test_nearest_and_walk_figures_have_a_title_and_legend(digits_run, tmp_path, which):
    """Issue 16: these figures had neither. The title and legend are drawn above the picture and
    kept in the PNG's Title/Description text."""
    path = (figure2(digits_run, tmp_path / "nn.png", n=12) if which == "nearest"
            else figure3(digits_run, tmp_path / "w.png", rows=3, steps=5))
    with Image.open(path) as im:
        assert "step 40" in im.info["Title"] and len(im.info["Description"]) > 40
        band = np.asarray(im.convert("L"))[:CAPTION_HEIGHT - 8]
    # Dark text in the band, on white (the pictures below start with their own white margin).
    assert (band < 100).sum() > 200 and (band == 255).mean() > 0.7


def test_paper_figures_by_kind(gauss_run, digits_run):
    assert sorted(p.name for p in paper_figures(gauss_run)) == ["figure1.png", "saturation.png"]
    assert sorted(p.name for p in paper_figures(digits_run)) == ["nearest.png", "saturation.png", "walks.png"]
