"""Each loss against the paper's formula, computed independently from probabilities."""

import math

import pytest
import torch
from hypothesis import given, settings, strategies as st

from gankit import config, losses
from gankit.errors import GankitError
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


def test_losses_are_registered_pairs_and_a_duplicate_name_is_refused():
    assert {"minimax", "nonsaturating", "wgan-gp", "hinge", "lsgan", "rpgan"} <= set(losses.names())
    with pytest.raises(ValueError, match="already registered"):
        losses.register_loss("minimax", lambda t, u: losses.PaperLoss("minimax", losses.generator_loss_minimax, ""))
    with pytest.raises(GankitError, match="unknown loss 'nope'"):
        losses.get("nope")


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


def test_the_log_averages_each_statistic_over_all_k_discriminator_steps(tmp_path, monkeypatch):
    import json

    from gankit import config
    from gankit.train import train

    from conftest import CONFIGS

    class Counting(losses.PaperLoss):
        """The paper's loss, reporting how many D steps it has taken as its statistic."""

        def __init__(self):
            super().__init__("counting", generator_loss_nonsaturating, "")
            self.calls = 0

        def discriminator(self, D, real, fake):
            value, _ = super().discriminator(D, real, fake)
            self.calls += 1
            return losses.Objective(value, {"d_real": torch.tensor(float(self.calls)), "d_fake": torch.tensor(0.0)})

    monkeypatch.setitem(losses._LOSSES, "counting", lambda t, u: Counting())
    cfg = config.load(CONFIGS / "ring8-gan.toml", ["train.loss=counting", "train.k=3", "train.steps=2", "train.log_every=1",
                                               "train.sample_every=0", "model.g_hidden=[8]", "model.d_hidden=[8]"])
    train(cfg, tmp_path / "r", quiet=True)
    rows = [json.loads(line) for line in (tmp_path / "r" / "log.jsonl").read_text().splitlines()]
    assert [r["d_real"] for r in rows] == [2.0, 5.0]  # means of D steps 1..3 and 4..6, not the last of each


def test_one_pass_over_real_and_fake_computes_what_two_passes_compute():
    # The fast path (both batches stacked through D) against the plain one, dropout masks included.
    from gankit import nets
    from gankit.config import ModelConfig
    from gankit.streams import dropout_generator

    torch.manual_seed(0)
    D = nets.build_discriminator(ModelConfig(d="paper-mnist"), (1, 28, 28), "image")
    real, fake = losses.Examples(torch.rand(6, 1, 28, 28)), losses.Examples(torch.rand(6, 1, 28, 28))
    results = []
    for pair in (losses.scores_pair, lambda D, r, f: (losses.scores(D, r), losses.scores(D, f))):
        D.zero_grad()
        for i, layer in enumerate(nets.dropout_layers(D)):
            layer.source = nets.MaskSource(dropout_generator(0, i))
        r, f = pair(D, real, fake)
        discriminator_loss(r, f).backward()
        results.append([r.detach(), f.detach(), *[p.grad.clone() for p in D.parameters()]])
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(*results))
    assert not torch.equal(results[0][0], D.eval()(real.x))  # dropout was active in both


# --- the losses beyond the paper, each against its formula on a case computed by hand ---------------

def _identity_d(x):
    """A 'discriminator' whose score is its (1-D) input: the loss sees the numbers we choose."""
    return x


def _batch(*values):
    return losses.Examples(torch.tensor(values, dtype=torch.float64))


def _softplus(t):
    return math.log1p(math.exp(t))


def test_hinge_margins_by_hand():
    loss = losses.get("hinge")
    real, fake = _batch(2.0, 0.5, -1.0), _batch(-2.0, 0.0, 0.5)
    value, stats = loss.discriminator(_identity_d, real, fake)
    # real: max(0, 1 - s) = 0, 0.5, 2; fake: max(0, 1 + s) = 0, 1, 1.5 -> 2.5/3 + 2.5/3
    assert value.item() == pytest.approx(5 / 3)
    assert stats["d_real"].item() == pytest.approx(0.5) and stats["d_fake"].item() == pytest.approx(-0.5)
    g, _ = loss.generator(_identity_d, fake, real)
    assert g.item() == pytest.approx(0.5)  # -E D(G(z))
    # Scores beyond the margins cost D nothing.
    assert loss.discriminator(_identity_d, _batch(1.0, 3.0), _batch(-1.0, -7.0)).loss.item() == 0


def test_least_squares_targets_are_a0_b1_c1():
    loss = losses.get("lsgan")
    assert loss.discriminator(_identity_d, _batch(1.0, 1.0), _batch(0.0, 0.0)).loss.item() == 0  # D at its targets
    assert loss.generator(_identity_d, _batch(1.0), _batch(0.0)).loss.item() == 0  # G's target c = 1
    value, _ = loss.discriminator(_identity_d, _batch(3.0, 0.0), _batch(2.0, -1.0))
    assert value.item() == pytest.approx(0.5 * (4 + 1) / 2 + 0.5 * (4 + 1) / 2)
    assert loss.generator(_identity_d, _batch(3.0, -1.0), _batch(0.0)).loss.item() == pytest.approx(0.5 * (4 + 4) / 2)


def test_relativistic_pairing_on_hand_values():
    loss = losses.get("rpgan")  # no penalties by default
    real, fake = _batch(1.0, 2.0), _batch(0.0, 3.0)
    value, stats = loss.discriminator(_identity_d, real, fake)
    # D: E softplus(D(G(z)) - D(x)) over the pairs (1, 0) and (2, 3)
    assert value.item() == pytest.approx((_softplus(-1) + _softplus(1)) / 2)
    g, _ = loss.generator(_identity_d, fake, real)  # G: E softplus(D(x) - D(G(z)))
    assert g.item() == pytest.approx((_softplus(1) + _softplus(-1)) / 2)
    assert stats["d_real"].item() == pytest.approx(1.5) and stats["d_fake"].item() == pytest.approx(1.5)
    # Pairing is elementwise: swapping which fake meets which real changes the loss.
    swapped, _ = loss.discriminator(_identity_d, real, _batch(3.0, 0.0))
    assert swapped.item() == pytest.approx((_softplus(2) + _softplus(-2)) / 2)


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


@pytest.mark.parametrize("name", ["minimax", "nonsaturating", "wgan-gp", "hinge", "lsgan", "rpgan"])
def test_every_loss_reports_d_real_and_d_fake_and_has_a_hint(name):
    loss = losses.get(name)
    D = torch.nn.Linear(2, 1)
    _, stats = loss.discriminator(lambda x: D(x).squeeze(-1), losses.Examples(torch.randn(4, 2)),
                                  losses.Examples(torch.randn(4, 2)))
    assert {"d_real", "d_fake"} <= stats.keys() and set(stats) == set(loss.stats)
    assert loss.hint and "optim" in loss.hint or "train." in loss.hint


@pytest.mark.parametrize("sets", [
    ["train.loss=minimax"], ["train.loss=wgan-gp", "train.k=2"], ["train.loss=hinge", "model.spectral_norm=true"],
    ["train.loss=lsgan"], ["train.loss=rpgan", "train.r1_gamma=0.1", "train.r2_gamma=0.1"],
    ["train.loss=nonsaturating", "train.r1_gamma=1"],
])
def test_each_loss_trains_end_to_end_and_logs_its_statistics(tmp_path, sets):
    import json

    from gankit.train import train

    from conftest import CONFIGS

    cfg = config.load(CONFIGS / "ring8-gan.toml", sets + ["train.steps=6", "train.log_every=3", "train.sample_every=0",
                                                      "train.batch_size=16", "model.g_hidden=[8]", "model.d_hidden=[8]"])
    train(cfg, tmp_path / "r", quiet=True)
    rows = [json.loads(line) for line in (tmp_path / "r" / "log.jsonl").read_text().splitlines()]
    expected = set(losses.build(cfg.train).stats)
    assert len(rows) == 2 and all(expected <= row.keys() for row in rows)
    assert all(math.isfinite(row[k]) for row in rows for k in expected | {"loss_d", "loss_g"})
