"""The moving average of G's weights against its formula."""

import pytest
import torch

from gankit.train.ema import EMA


def test_ema_update_is_beta_old_plus_one_minus_beta_new_and_copies_buffers():
    G = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    ema = EMA(G, 0.9)
    w0 = G[0].weight.detach().clone()
    with torch.no_grad():
        G[0].weight.add_(1.0)  # a G step
    G.train()
    G(torch.randn(8, 2) + 5)  # moves batch norm's running statistics
    ema.update(G)
    assert torch.allclose(ema.net[0].weight, 0.9 * w0 + 0.1 * (w0 + 1.0), atol=1e-6)
    assert torch.equal(ema.net[1].running_mean, G[1].running_mean)
    assert torch.equal(ema.net[1].num_batches_tracked, G[1].num_batches_tracked)
    ema.update(G)  # a second update without a G step: another tenth of the remaining gap
    assert torch.allclose(ema.net[0].weight, 0.81 * w0 + 0.19 * (w0 + 1.0), atol=1e-6)
    assert not any(p.requires_grad for p in ema.net.parameters()) and not ema.net.training


def test_ema_decay_zero_follows_g_and_bad_decays_are_refused():
    G = torch.nn.Linear(2, 2)
    ema = EMA(G, 0.0)
    with torch.no_grad():
        G.weight.mul_(3)
    ema.update(G)
    assert torch.equal(ema.net.weight, G.weight)
    with pytest.raises(ValueError):
        EMA(G, 1.0)


def test_ema_warms_up_so_short_runs_forget_the_initial_weights():
    G = torch.nn.Linear(1, 1, bias=False)
    ema = EMA(G, 0.999)
    assert ema.decay_at(None) == 0.999 and ema.decay_at(1) == pytest.approx(2 / 11)
    assert ema.decay_at(100) == pytest.approx(101 / 110) and ema.decay_at(20000) == 0.999
    with torch.no_grad():
        G.weight.fill_(1.0)
    ema.net.weight.data.fill_(0.0)
    for t in range(1, 201):
        ema.update(G, t)
    # the initial 0 keeps weight prod_t beta_t = prod (1 + t) / (10 + t), tiny after 200 steps
    kept = 1.0
    for t in range(1, 201):
        kept *= (1 + t) / (10 + t)
    assert ema.net.weight.item() == pytest.approx(1 - kept, abs=1e-6) and kept < 1e-10
