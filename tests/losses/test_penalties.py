"""R1 and R2 against closed forms on quadratic and linear critics."""


import pytest
import torch

from gankit import config, losses
from gankit.losses import discriminator_loss


def test_r1_on_a_quadratic_critic_and_its_gradient_trains_d():
    # D(x) = a‖x‖² + (paper logit): ∇ₓD = 2a x, so R1 = 4a² E‖x‖², and dR1/da = 8a E‖x‖².
    a = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)
    D = lambda x: a * x.square().sum(1)  # noqa: E731
    real = losses.Examples(torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64))
    fake = losses.Examples(torch.tensor([[0.5, 0.5], [2.0, 0.0]], dtype=torch.float64))
    gamma = 4.0
    train_cfg = config.TrainConfig(loss="nonsaturating", r1_gamma=gamma)
    loss = losses.build(train_cfg)
    value, stats = loss.discriminator(D, real, fake)
    sq = (5.0 + 1.0) / 2  # E‖x‖² over the real batch
    assert stats["r1"].item() == pytest.approx(4 * 0.09 * sq)
    base = discriminator_loss(D(real.x), D(fake.x))
    assert value.item() == pytest.approx(base.item() + gamma / 2 * 4 * 0.09 * sq)
    (grad_a,) = torch.autograd.grad(value, a)
    (grad_base,) = torch.autograd.grad(discriminator_loss(D(real.x), D(fake.x)), a)
    assert grad_a.item() == pytest.approx(grad_base.item() + gamma / 2 * 8 * 0.3 * sq)
    assert "r2" not in stats


def test_r2_penalises_the_generated_batch():
    a = 0.5
    D = lambda x: a * x.square().sum(1)  # noqa: E731
    real = losses.Examples(torch.tensor([[1.0, 0.0]], dtype=torch.float64))
    fake = losses.Examples(torch.tensor([[2.0, 1.0], [0.0, 3.0]], dtype=torch.float64))
    loss = losses.build(config.TrainConfig(loss="rpgan", r1_gamma=1.0, r2_gamma=1.0))
    _, stats = loss.discriminator(D, losses.Examples(real.x.repeat(2, 1)), fake)
    assert stats["r1"].item() == pytest.approx(4 * a * a * 1.0)
    assert stats["r2"].item() == pytest.approx(4 * a * a * (5.0 + 9.0) / 2)


def test_penalties_take_a_pack_as_one_input():
    # A packed D sees two examples per output: the penalty's gradient norm is over the whole pack.
    w = torch.tensor([1.0, 2.0, 2.0, 4.0], dtype=torch.float64)  # ‖w‖ = 5
    D = lambda x: x.reshape(len(x) // 2, 4) @ w  # noqa: E731
    real, fake = (losses.Examples(torch.randn(4, 2, dtype=torch.float64)) for _ in range(2))
    _, stats = losses.build(config.TrainConfig(loss="wgan-gp", r1_gamma=1.0)).discriminator(D, real, fake)
    assert stats["gp"].item() == pytest.approx(16.0) and stats["r1"].item() == pytest.approx(25.0)


def test_lazy_r1_penalises_every_nth_g_step_with_n_times_gamma():
    # train.reg_every = 4: the D objective carries 4γ/2 R1 at G steps 0, 4, 8 and no R1 between,
    # the same as γ/2 R1 on average; the plain loss is untouched in both.
    a = 0.3
    D = lambda x: a * x.square().sum(1)  # noqa: E731
    real = losses.Examples(torch.tensor([[1.0, 2.0], [0.0, -1.0]], dtype=torch.float64))
    fake = losses.Examples(torch.tensor([[0.5, 0.5], [2.0, 0.0]], dtype=torch.float64))
    loss = losses.build(config.TrainConfig(loss="nonsaturating", r1_gamma=2.0, reg_every=4))
    base = discriminator_loss(D(real.x), D(fake.x)).item()
    r1 = 4 * a * a * (5.0 + 1.0) / 2
    seen = []
    for step in range(9):
        loss.step = step
        value, stats = loss.discriminator(D, real, fake)
        seen.append("r1" in stats)
        assert value.item() == pytest.approx(base + (4 * 2.0 / 2 * r1 if step % 4 == 0 else 0.0))
    assert seen == [True, False, False, False, True, False, False, False, True]
    with pytest.raises(Exception, match="train.reg_every"):
        config.TrainConfig(reg_every=0).validate()
