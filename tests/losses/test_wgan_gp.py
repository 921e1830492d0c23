"""WGAN-GP's critic objective and gradient penalty against closed forms."""

import math

import pytest
import torch

from gankit import losses


def test_gradient_penalty_of_a_linear_critic_is_squared_norm_minus_one():
    # D(x) = w·x + b has gradient w everywhere: GP = (‖w‖ - 1)² = (5 - 1)² whatever ε is.
    w, b = torch.tensor([3.0, 4.0], dtype=torch.float64), 0.7
    D = lambda x: x @ w + b  # noqa: E731
    real = losses.Examples(torch.randn(6, 2, dtype=torch.float64))
    fake = losses.Examples(torch.randn(6, 2, dtype=torch.float64))
    loss = losses.get("wgan-gp")
    value, stats = loss.discriminator(D, real, fake)
    wasserstein = (real.x @ w).mean() - (fake.x @ w).mean()
    assert stats["gp"].item() == pytest.approx(16.0)
    assert stats["wasserstein"].item() == pytest.approx(wasserstein.item())
    assert stats["d_real"].item() == pytest.approx((real.x @ w + b).mean().item())
    assert value.item() == pytest.approx(-wasserstein.item() + 10 * 16.0)
    g, _ = loss.generator(D, fake, real)
    assert g.item() == pytest.approx(-(fake.x @ w + b).mean().item())


def test_gradient_penalty_interpolates_with_the_streams_epsilon():
    # D(x) = ½‖x‖² has gradient x: GP = mean (‖ε x + (1 - ε) x̃‖ - 1)² with the ε we hand it.
    eps = torch.tensor([0.0, 0.25, 1.0], dtype=torch.float64)
    real = losses.Examples(torch.tensor([[3.0, 0.0], [0.0, 2.0], [1.0, 1.0]], dtype=torch.float64))
    fake = losses.Examples(torch.tensor([[0.0, 0.5], [4.0, 0.0], [9.0, 9.0]], dtype=torch.float64))
    drawn = []

    def uniform(rows, like):
        drawn.append(rows)
        return eps

    loss = losses.get("wgan-gp", uniform=uniform)
    _, stats = loss.discriminator(lambda x: 0.5 * x.square().sum(1), real, fake)
    # x̂ = (0, 0.5), (3, 0.5), (1, 1): norms 0.5, √9.25, √2
    expected = ((0.5 - 1) ** 2 + (math.sqrt(9.25) - 1) ** 2 + (math.sqrt(2) - 1) ** 2) / 3
    assert drawn == [3] and stats["gp"].item() == pytest.approx(expected)
