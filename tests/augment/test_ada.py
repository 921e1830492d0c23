"""ADA's transforms (Karras et al. 2020) and the rule that moves p, against their definitions."""

import math

import pytest
import torch

from gankit.augment import Augment, Draws, ada


def test_p_zero_leaves_every_image_as_it_is():
    x = torch.rand(8, 3, 16, 16) * 2 - 1
    names = set(ada.TRANSFORMS)
    assert torch.equal(ada.colour(ada.geometric(x, names, 0.0, Draws(0, 1)), names, 0.0, Draws(0, 1)), x)


def test_xflip_and_rotate90_move_pixels_exactly():
    x = torch.rand(40, 3, 16, 16)
    y = ada.geometric(x, {"xflip"}, 1.0, Draws(0, 1))
    flipped = [torch.allclose(a, b.flip(2), atol=1e-5) for a, b in zip(y, x)]
    same = [torch.allclose(a, b, atol=1e-6) for a, b in zip(y, x)]
    assert all(f or s for f, s in zip(flipped, same)) and 10 < sum(flipped) < 30  # half of them, flipped
    y = ada.geometric(x, {"rotate90"}, 1.0, Draws(0, 2))
    quarter = [[torch.allclose(a, torch.rot90(b, k, (1, 2)), atol=1e-5) for k in range(4)] for a, b in zip(y, x)]
    assert all(any(q) for q in quarter) and all(sum(q[k] for q in quarter) > 3 for k in range(4))


def test_hue_and_saturation_leave_grey_alone_and_brightness_adds_one_number():
    grey = torch.rand(16, 1, 8, 8).expand(16, 3, 8, 8) * 2 - 1
    assert torch.allclose(ada.colour(grey, {"hue", "saturation"}, 1.0, Draws(0, 3)), grey, atol=1e-5)
    x = torch.rand(16, 3, 8, 8) * 2 - 1
    shift = ada.colour(x, {"brightness"}, 1.0, Draws(0, 4)) - x
    assert torch.allclose(shift, shift[:, :1, :1, :1].expand_as(shift), atol=1e-5)
    assert 0.1 < shift[:, 0, 0, 0].std() < 0.35  # N(0, 0.2)


def test_contrast_scales_about_zero_and_lumaflip_keeps_the_luma_axis():
    x = torch.rand(16, 3, 8, 8) * 2 - 1
    y = ada.colour(x, {"contrast"}, 1.0, Draws(0, 5))
    ratio = y / x
    assert torch.allclose(ratio, ratio[:, :1, :1, :1].expand_as(ratio), atol=1e-3)
    y = ada.colour(x, {"lumaflip"}, 1.0, Draws(0, 6))
    luma = lambda t: t.sum(0)  # noqa: E731  (one image: along (1, 1, 1))
    flipped = [torch.allclose(luma(a), -luma(b), atol=1e-4) for a, b in zip(y, x)]
    assert all(f or torch.allclose(a, b, atol=1e-6) for f, a, b in zip(flipped, y, x)) and any(flipped)


def test_grayscale_images_take_the_colour_transforms():
    x = torch.rand(4, 1, 8, 8) * 2 - 1
    y = ada.colour(x, set(ada.COLOUR), 1.0, Draws(0, 7))
    assert y.shape == x.shape and torch.isfinite(y).all() and not torch.allclose(x, y)


def test_the_whole_pipeline_is_differentiable():
    x = torch.rand(1, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    aug = Augment(list(ada.TRANSFORMS), Draws(0, 8), p=1.0)
    state = aug.draws.gen.get_state()

    def f(t):
        aug.draws.gen.set_state(state)
        return aug(t)

    assert torch.autograd.gradcheck(f, (x,), atol=1e-5)


def test_p_follows_the_sign_of_d_on_reals_towards_the_target():
    """ADA's rule on a known sequence of D outputs, against a slow loop written from the paper."""
    torch.manual_seed(0)
    aug = Augment(["ada"], Draws(0, 9), p=0.0, target=0.6, kimg=0.05, interval=2)
    batches = [torch.randn(10) + shift for shift in [2.0] * 12 + [-1.0] * 12 + [0.3] * 6]
    p, pending, seen = 0.0, [], []
    for step, scores in enumerate(batches, start=1):
        aug.observe(scores)
        aug.adjust(step)
        pending.append(scores)
        if step % 2 == 0:
            signs = torch.cat(pending).sign()
            rt = float(signs.mean())
            p = min(1.0, max(0.0, p + (1 if rt > 0.6 else -1 if rt < 0.6 else 0) * len(signs) / 50))
            pending = []
            assert aug.rt == pytest.approx(rt)
        assert aug.p == pytest.approx(p, abs=1e-12)
        seen.append(aug.p)
    assert max(seen) == pytest.approx(1.0) and seen[23] < seen[11]  # it rose while D was sure, then fell


def test_p_holds_still_when_the_target_is_zero():
    aug = Augment(["ada"], Draws(0, 10), p=0.3, target=0.0, interval=1)
    for step in range(1, 5):
        aug.observe(torch.ones(8))
        aug.adjust(step)
    assert aug.p == 0.3 and aug.log() == {"augment_p": 0.3}


def test_next_p_moves_at_most_one_over_ada_kimg_thousand_images():
    assert ada.next_p(0.5, 0.9, 0.6, 1000, 10) == pytest.approx(0.6)
    assert ada.next_p(0.5, 0.1, 0.6, 1000, 10) == pytest.approx(0.4)
    assert ada.next_p(0.0, 0.1, 0.6, 1000, 10) == 0.0 and ada.next_p(0.99, 1.0, 0.6, 1000, 1) == 1.0
    assert ada.next_p(0.5, 0.6, 0.6, 1000, 10) == 0.5
    assert math.isclose(ada.next_p(0.0, 1.0, 0.6, 500_000, 500), 1.0)  # StyleGAN2-ADA: 0 -> 1 in 500k images
