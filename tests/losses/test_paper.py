"""The paper's losses against its formulas, computed independently from probabilities."""

import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gankit import losses
from gankit.losses import discriminator_loss, generator_loss_minimax, generator_loss_nonsaturating

logits = st.lists(st.floats(-12, 12, allow_nan=False), min_size=1, max_size=20)


def _t(xs):
    return torch.tensor(xs, dtype=torch.float64, requires_grad=True)


@settings(max_examples=60, deadline=None)
@given(real=logits, fake=logits)
def test_discriminator_loss_is_minus_the_paper_objective(real, fake):
    r, f = _t(real), _t(fake)
    expected = -(sum(math.log(1 / (1 + math.exp(-l))) for l in real) / len(real)
                 + sum(math.log(1 - 1 / (1 + math.exp(-l))) for l in fake) / len(fake))
    assert math.isclose(discriminator_loss(r, f).item(), expected, rel_tol=1e-9, abs_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(fake=logits)
def test_generator_losses_match_formulas_and_gradients(fake):
    f = _t(fake)
    d = torch.sigmoid(f.detach())
    m = len(fake)
    mm = generator_loss_minimax(f)
    assert math.isclose(mm.item(), torch.log1p(-d).mean().item(), rel_tol=1e-9, abs_tol=1e-9)
    (g,) = torch.autograd.grad(mm, f)
    # d/dl (1/m) log(1 - sigmoid(l)) = -sigmoid(l)/m
    assert torch.allclose(g, -d / m, atol=1e-12)
    f2 = _t(fake)
    ns = generator_loss_nonsaturating(f2)
    assert math.isclose(ns.item(), -torch.log(d).mean().item(), rel_tol=1e-9, abs_tol=1e-9)
    (g2,) = torch.autograd.grad(ns, f2)
    # d/dl -(1/m) log sigmoid(l) = -(1 - sigmoid(l))/m
    assert torch.allclose(g2, -(1 - d) / m, atol=1e-12)


def test_minimax_gradient_vanishes_when_d_rejects_fakes_but_nonsaturating_does_not():
    # D(G(z)) = sigmoid(-30) ≈ 1e-13: the start of training, when D easily spots fakes.
    l = torch.full((10,), -30.0, dtype=torch.float64, requires_grad=True)
    (g_mm,) = torch.autograd.grad(generator_loss_minimax(l), l)
    l2 = l.detach().clone().requires_grad_(True)
    (g_ns,) = torch.autograd.grad(generator_loss_nonsaturating(l2), l2)
    assert g_mm.abs().max() < 1e-13
    assert torch.allclose(g_ns, torch.full_like(g_ns, -0.1), atol=1e-12)  # -1/m each


def test_losses_stay_finite_at_extreme_logits():
    l = torch.tensor([-1e4, 1e4], dtype=torch.float32)
    for v in (discriminator_loss(l, l), generator_loss_minimax(l), generator_loss_nonsaturating(l)):
        assert torch.isfinite(v)


def test_paper_loss_pair_sees_d_and_both_batches_and_reports_probabilities():
    D = torch.nn.Linear(2, 1)
    real = losses.Examples(torch.randn(8, 2))
    fake = losses.Examples(torch.randn(8, 2))
    loss = losses.get("minimax")
    value, stats = loss.discriminator(lambda x: D(x).squeeze(-1), real, fake)
    r, f = D(real.x).squeeze(-1), D(fake.x).squeeze(-1)
    assert torch.allclose(value, discriminator_loss(r, f))
    assert torch.allclose(stats["d_real"], torch.sigmoid(r).mean()) and torch.allclose(stats["d_fake"], torch.sigmoid(f).mean())
    g_value, _ = loss.generator(lambda x: D(x).squeeze(-1), fake, real)
    assert torch.allclose(g_value, generator_loss_minimax(f))
