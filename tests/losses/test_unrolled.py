"""Unrolled D (Metz et al. 2017): G's gradient through K differentiable updates of D."""

import copy

import pytest
import torch

from gankit import config, losses
from gankit.losses import Examples
from gankit.losses.unrolled import Unrolled, _optimizer_step
from gankit.nets import build_discriminator


class LinearD(torch.nn.Module):
    def __init__(self, w: float, b: float):
        super().__init__()
        self.lin = torch.nn.Linear(1, 1).double()
        with torch.no_grad():
            self.lin.weight.fill_(w)
            self.lin.bias.fill_(b)

    def forward(self, x):
        return self.lin(x).squeeze(-1)


def _unrolled_g_loss_by_hand(theta: float, r: float, w: float, b: float, lr: float, steps: int) -> float:
    """Least squares, one real example r and one fake θ, D(x) = w x + b, K plain SGD steps on D's loss
    ½(w r + b - 1)² + ½(w θ + b)²; G's loss ½(w θ + b - 1)² at the unrolled D."""
    for _ in range(steps):
        er, ef = w * r + b - 1, w * theta + b
        w, b = w - lr * (er * r + ef * theta), b - lr * (er + ef)
    return 0.5 * (w * theta + b - 1) ** 2


@pytest.mark.parametrize("steps", [1, 3])
def test_unrolled_gradient_matches_the_derivative_of_the_unrolled_objective(steps):
    theta0, r, w, b, lr = 0.3, 1.2, 0.8, -0.1, 0.5
    D = LinearD(w, b)
    opt = torch.optim.SGD(D.parameters(), lr=lr, momentum=0.0)
    theta = torch.tensor([theta0], dtype=torch.float64, requires_grad=True)
    loss = Unrolled(losses.get("lsgan"), steps, opt)
    value, _ = loss.generator(D, Examples(theta.reshape(1, 1)), Examples(torch.tensor([[r]], dtype=torch.float64)))
    assert value.item() == pytest.approx(_unrolled_g_loss_by_hand(theta0, r, w, b, lr, steps), rel=1e-12)
    (grad,) = torch.autograd.grad(value, theta)
    h = 1e-6
    numeric = (_unrolled_g_loss_by_hand(theta0 + h, r, w, b, lr, steps)
               - _unrolled_g_loss_by_hand(theta0 - h, r, w, b, lr, steps)) / (2 * h)
    assert grad.item() == pytest.approx(numeric, rel=1e-6)
    # Treating the unrolled D as fixed (no second term) gives a different gradient.
    w_k, b_k = w, b
    for _ in range(steps):
        er, ef = w_k * r + b_k - 1, w_k * theta0 + b_k
        w_k, b_k = w_k - lr * (er * r + ef * theta0), b_k - lr * (er + ef)
    assert abs(grad.item() - (w_k * theta0 + b_k - 1) * w_k) > 1e-3
    assert D.lin.weight.item() == w and D.lin.bias.item() == b  # the real D is untouched


def _g_grads(steps: int, d_cfg: config.ModelConfig):
    torch.manual_seed(0)
    G = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    D = build_discriminator(d_cfg, (2,), "points")
    opt_D = torch.optim.Adam(D.parameters(), lr=1e-2, betas=(0.5, 0.999))
    base = losses.get("nonsaturating")
    real, z = Examples(torch.randn(32, 2)), torch.randn(32, 2)
    for _ in range(3):  # give Adam some state to start the unrolling from
        opt_D.zero_grad()
        base.discriminator(D, real, Examples(G(z).detach())).loss.backward()
        opt_D.step()
    before = {k: v.clone() for k, v in D.state_dict().items()}
    D.requires_grad_(False)  # as in Algorithm 1's G step
    loss = Unrolled(base, steps, opt_D) if steps is not None else base
    G.zero_grad()
    loss.generator(D, Examples(G(z)), real).loss.backward()
    unchanged = all(torch.equal(v, D.state_dict()[k]) for k, v in before.items())
    return torch.cat([p.grad.flatten() for p in G.parameters()]), unchanged


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_unroll_zero_is_the_base_loss_and_unrolling_changes_gs_gradient(spectral_norm):
    cfg = config.ModelConfig(d_hidden=[16], spectral_norm=spectral_norm)
    plain, _ = _g_grads(None, cfg)
    assert torch.equal(_g_grads(0, cfg)[0], plain)
    unrolled, unchanged = _g_grads(5, cfg)
    assert torch.isfinite(unrolled).all() and (unrolled - plain).abs().max() > 1e-4
    assert unchanged  # the unrolled copy never touches the real D (weights, spectral norm's u and v)


def test_the_unrolled_adam_step_is_adams_step():
    torch.manual_seed(1)
    D = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1), torch.nn.Flatten(0))
    opt = torch.optim.Adam(D.parameters(), lr=0.05, betas=(0.5, 0.9), weight_decay=0.01)
    base = losses.get("hinge")
    real, fake = Examples(torch.randn(16, 2)), Examples(torch.randn(16, 2))
    for _ in range(2):
        opt.zero_grad()
        base.discriminator(D, real, fake).loss.backward()
        opt.step()
    params = {n: p.detach().clone().requires_grad_(True) for n, p in D.named_parameters()}
    loss = base.discriminator(lambda x: torch.func.functional_call(D, params, (x,)), real, fake).loss
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    stepped = _optimizer_step(opt, dict(D.named_parameters()))(params, grads)
    reference = copy.deepcopy(D)
    ref_opt = torch.optim.Adam(reference.parameters(), lr=0.05, betas=(0.5, 0.9), weight_decay=0.01)
    ref_opt.load_state_dict(opt.state_dict())
    ref_opt.zero_grad()
    base.discriminator(reference, real, fake).loss.backward()
    ref_opt.step()
    for n, p in reference.named_parameters():
        assert torch.allclose(stepped[n], p, atol=1e-6), n
