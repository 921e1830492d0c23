"""Penalties on D's gradients with respect to its inputs: R1, R2 (Mescheder et al. 2018) and
WGAN-GP's gradient penalty (Gulrajani et al. 2017).

Gradients are taken w.r.t. D's *inputs* with create_graph=True, so the penalty itself trains D,
and a distributed D (whose weight gradients are reduced in backward) needs nothing special.
"""

from __future__ import annotations

from typing import Callable

import torch

from .scores import Examples, differentiable, scores, wide


def input_gradients(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """∇ₓ Σ out, one row per output of D (a packed D sees several examples per output, so its
    input, and its gradient, is the whole pack)."""
    (grad,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return wide(grad).reshape(len(out), -1)


def zero_centred_penalty(out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """E ‖∇ₓ D(x)‖²: R1 when x is real data, R2 when x is generated (Mescheder et al. 2018, eq. 9;
    the loss adds γ/2 of it, like stylegan2-ada's `r1_gamma / 2`)."""
    return input_gradients(out, x).square().sum(1).mean()


def gradient_penalty(D: Callable, real: Examples, fake: Examples, eps: torch.Tensor) -> torch.Tensor:
    """E (‖∇D(x̂)‖₂ - 1)², x̂ = ε x + (1 - ε) G(z), one ε ~ U[0, 1] per example (Gulrajani et al.
    2017, Algorithm 1). Labels, when conditional, are the real examples'."""
    e = eps.reshape(-1, *([1] * (real.x.dim() - 1))).to(real.x.dtype)
    x_hat = differentiable(e * real.x.detach() + (1 - e) * fake.x)
    grad = input_gradients(wide(scores(D, Examples(x_hat, real.c))), x_hat)
    return (torch.linalg.vector_norm(grad, dim=1) - 1).square().mean()  # its gradient at 0 is 0, not NaN
