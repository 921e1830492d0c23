"""`Augment` inside the loss seam, `Mirror`, and the names `train.augment` takes."""

import pytest
import torch

from gankit import losses
from gankit.augment import Augment, Draws, Mirror, parse
from gankit.config import TrainConfig
from gankit.errors import GankitError
from gankit.losses import Examples


class Recorder(torch.nn.Module):
    """A discriminator that remembers what it was shown."""

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(1))
        self.seen = []

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return (x * self.w).flatten(1).mean(1)


def cut_square(x):
    """Whether each image has a cut-out square of mid-grey (DiffAugment's cutout, in [0, 1]): of
    half the side, 4×4 here, at least 2×2 of it inside the image."""
    return [int(g.sum()) >= 4 for g in (x == 0.5).all(1)]


@pytest.mark.parametrize("loss_name", ["hinge", "rpgan", "wgan-gp", "nonsaturating"])
def test_every_batch_d_sees_is_augmented_real_and_fake_in_both_objectives(loss_name):
    loss = losses.build(TrainConfig(loss=loss_name, r1_gamma=1.0))
    loss.augment = Augment(["cutout"], Draws(0, 1))
    D = Recorder()
    real, fake = Examples(torch.rand(4, 3, 8, 8)), Examples(torch.rand(4, 3, 8, 8))
    loss.discriminator(D, real, fake)
    loss.generator(D, fake, real)
    if loss_name == "wgan-gp":  # its penalty's interpolates lie between two augmented images, not on one
        del D.seen[1]
    shown = torch.cat(D.seen)
    assert len(shown) >= 12 and all(cut_square(shown))  # nothing reached D without the same transform
    assert not any(torch.equal(s, t) for s in shown for t in (*real.x, *fake.x))


def test_r1_is_the_gradient_with_respect_to_the_image_itself_through_the_transform():
    loss = losses.build(TrainConfig(loss="hinge", r1_gamma=2.0))
    loss.augment = Augment(["cutout"], Draws(0, 2))
    D = Recorder()
    real, fake = Examples(torch.rand(3, 1, 8, 8)), Examples(torch.rand(3, 1, 8, 8))
    _, stats = loss.discriminator(D, real, fake)
    # D(T(x)) = mean of T(x) = mean(mask · x): its gradient is mask / 64, so ‖∇‖² = (cells kept) / 64²
    kept = (D.seen[0][:3] != 0.5).flatten(1).sum(1).float()
    assert stats["r1"] == pytest.approx(float((kept / 64 ** 2).mean()), rel=1e-5)


def test_adaptive_p_sees_only_real_images():
    loss = losses.build(TrainConfig(loss="hinge"))
    loss.augment = Augment(["ada"], Draws(0, 3), interval=1, kimg=1.0)
    D = lambda x: torch.where(x.flatten(1).mean(1) > 0.5, 1.0, -1.0)  # noqa: E731  (real: bright, fake: dark)
    real, fake = Examples(torch.full((4, 3, 8, 8), 0.9)), Examples(torch.full((4, 3, 8, 8), 0.1))
    loss.discriminator(D, real, fake)
    loss.augment.adjust(1)
    assert loss.augment.rt == 1.0 and loss.augment.p == pytest.approx(4 / 1000)


def test_mirror_flips_about_half_of_the_real_images_left_to_right():
    x = torch.rand(200, 3, 4, 4)
    y = Mirror(Draws(0, 4))(x)
    flipped = torch.tensor([torch.equal(a, b.flip(2)) for a, b in zip(y, x)])
    assert all(f or torch.equal(a, b) for f, a, b in zip(flipped, y, x)) and 70 < int(flipped.sum()) < 130


def test_names_are_checked_and_ada_is_all_twelve():
    assert parse("translation, color,cutout") == ["translation", "color", "cutout"]
    assert len(parse("ada")) == 12 and parse("ada,xflip") == parse("ada")
    with pytest.raises(GankitError, match="config key train.augment: unknown augmentation 'flip'; one of: .*translation"):
        parse("translation,flip")


def test_state_mid_interval_resumes_the_same_p():
    a = Augment(["ada"], Draws(0, 5), interval=3, kimg=1.0)
    for step in (1, 2):
        a.observe(torch.tensor([2.0, 1.0, 0.5, 3.0, -1.0, 1.0]))
        a.adjust(step)
    b = Augment(["ada"], Draws(0, 5), interval=3, kimg=1.0)
    b.load_state(a.state())
    for aug in (a, b):
        aug.observe(torch.ones(6))
        aug.adjust(3)
    assert a.p == b.p and a.rt == b.rt == pytest.approx(14 / 18) and a.p == pytest.approx(18 / 1000)


@pytest.mark.parametrize("key_value,says", [("train.augment=translation", "config key train.augment augments images"),
                                            ("data.mirror=true", "config key data.mirror augments images"),
                                            ("train.augment=rotate45", "config key train.augment: unknown augmentation")])
def test_augmenting_what_is_not_an_image_or_by_an_unknown_name_is_one_line(tmp_path, capsys, key_value, says):
    from helpers import CONFIGS

    from gankit.cli import main

    assert main(["train", "--config", str(CONFIGS / "ring8-gan.toml"), "--set", key_value, "--set", "train.steps=1",
                 "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"gankit: error: {says}")
    assert not (tmp_path / "run" / "checkpoints").exists()
