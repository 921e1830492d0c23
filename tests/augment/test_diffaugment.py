"""DiffAugment's translation, color and cutout (Zhao et al. 2020), against their definitions."""

import pytest
import torch

from gankit.augment import Draws, diffaugment


def replay(draws):
    """A second stream in the same state: the numbers the operation is about to draw."""
    twin = Draws(0, 0)
    twin.gen.set_state(draws.gen.get_state())
    return twin


def test_color_is_brightness_then_saturation_then_contrast():
    x = torch.rand(5, 3, 8, 8, dtype=torch.float64) * 2 - 1
    draws = Draws(1, 2)
    u = replay(draws)
    b, s, c = (u.uniform(5, 1, 1, 1, like=x) for _ in range(3))
    y = diffaugment.color(x, draws)
    expect = x + (b - 0.5)
    expect = (expect - expect.mean(1, keepdim=True)) * 2 * s + expect.mean(1, keepdim=True)
    expect = (expect - expect.mean((1, 2, 3), keepdim=True)) * (c + 0.5) + expect.mean((1, 2, 3), keepdim=True)
    assert torch.allclose(y, expect)


def test_translation_shifts_each_image_by_whole_pixels_and_pads_with_zero():
    x = torch.randn(6, 2, 16, 16)
    draws = Draws(3, 4)
    u = replay(draws)
    ty, tx = u.integers(6, -2, 3, 1, 1, like=x), u.integers(6, -2, 3, 1, 1, like=x)  # up to 16 // 8 pixels
    y = diffaugment.translation(x, draws)
    for i in range(6):  # a slow loop: output pixel (r, c) is input pixel (r + ty, c + tx), or 0 outside
        dy, dx = int(ty[i]), int(tx[i])
        expect = torch.zeros_like(x[i])
        for r in range(16):
            for c in range(16):
                if 0 <= r + dy < 16 and 0 <= c + dx < 16:
                    expect[:, r, c] = x[i, :, r + dy, c + dx]
        assert torch.equal(y[i], expect)


def test_cutout_zeroes_one_square_of_half_the_side_clipped_at_the_border():
    x = torch.ones(50, 1, 16, 16)
    y = diffaugment.cutout(x, Draws(5, 6))
    zeroed = (y == 0).squeeze(1)
    for mask in zeroed:  # one axis-aligned rectangle of at most 8×8, every zero inside it
        rows, cols = mask.any(1).nonzero().flatten(), mask.any(0).nonzero().flatten()
        assert len(rows) <= 8 and len(cols) <= 8
        assert mask.sum() == len(rows) * len(cols) == mask[rows.min():rows.max() + 1, cols.min():cols.max() + 1].sum()
    assert (zeroed.sum((1, 2)) == 64).float().mean() > 0.3  # most squares lie wholly inside


@pytest.mark.parametrize("name", ["color", "translation", "cutout"])
def test_every_operation_is_differentiable(name):
    op = diffaugment.OPERATIONS[name]
    x = torch.rand(3, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    draws = Draws(7, 8)
    state = draws.gen.get_state()

    def f(t):  # the same random parameters on every call, so gradcheck sees one function
        draws.gen.set_state(state)
        return op(t, draws)

    assert torch.autograd.gradcheck(f, (x,))
