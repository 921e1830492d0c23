"""bf16 stays within a stated tolerance of fp32; `auto` picks bf16 only on native bf16 hardware."""

import torch

from gankit import losses, nets
from gankit.config import ModelConfig
from gankit.train import precision

# The tolerance docs/guide.md states for precision = "bf16" on the paper's nets, one step's loss
# and gradients on the same batch: bf16 keeps 8 significant bits, so activations round at ~0.4%.
LOSS_RTOL = 2e-2
GRAD_COSINE = 0.99
GRAD_NORM_RTOL = 5e-2


def _loss_and_grads(prec, G, D, real, z):
    G.zero_grad(set_to_none=True)
    D.zero_grad(set_to_none=True)
    loss = losses.get("nonsaturating")
    with precision.autocast(prec, torch.device("cpu")):
        d_loss, _ = loss.discriminator(D, losses.Examples(real), losses.Examples(G(z).detach()))
    d_loss.backward()
    d_grads = [p.grad.clone() for p in D.parameters()]
    with precision.autocast(prec, torch.device("cpu")):
        g_loss, _ = loss.generator(D, losses.Examples(G(z)), losses.Examples(real))
    D.zero_grad(set_to_none=True)
    g_loss.backward()
    return d_loss.item(), g_loss.item(), d_grads, [p.grad.clone() for p in G.parameters()]


def test_bf16_loss_and_gradients_stay_within_the_stated_tolerance_of_fp32():
    torch.manual_seed(0)
    cfg = ModelConfig(g="paper-mnist", d="maxout", d_hidden=[240, 240], d_dropout=0.0)
    G = nets.build_generator(cfg, (1, 28, 28), "image", torch.rand(1, 28, 28) * 0.5 + 0.2)
    D = nets.build_discriminator(cfg, (1, 28, 28), "image")
    real, z = torch.rand(100, 1, 28, 28), torch.rand(100, 100) * 2 - 1
    ref = _loss_and_grads("fp32", G, D, real, z)
    low = _loss_and_grads("bf16", G, D, real, z)
    for a, b in zip(ref[:2], low[:2]):
        assert abs(a - b) <= LOSS_RTOL * abs(a)
    for ga, gb in zip(ref[2] + ref[3], low[2] + low[3]):
        if ga.norm() > 0:
            cos = torch.nn.functional.cosine_similarity(ga.flatten(), gb.flatten(), dim=0)
            assert cos >= GRAD_COSINE, cos
            assert abs(ga.norm() - gb.norm()) <= GRAD_NORM_RTOL * ga.norm()
    assert ref[0] != low[0]  # bf16 really ran: the rounding shows


def test_auto_picks_bf16_only_where_matmul_is_native(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(precision, "_cpu_capabilities", lambda: {"avx2": True})
    assert precision.resolve("auto", cpu)[0] == "fp32"
    monkeypatch.setattr(precision, "_cpu_capabilities", lambda: {"amx_bf16": True})
    name, why = precision.resolve("auto", cpu)
    assert name == "bf16" and "AMX" in why
    assert precision.resolve("fp32", cpu)[0] == "fp32" and precision.resolve("bf16", cpu)[0] == "bf16"
