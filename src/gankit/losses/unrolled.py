"""Unrolled GAN (Metz et al. 2017): G's objective sees D after K more updates of D.

The generator descends f_K(θ_G, θ_D) = f(θ_G, θ_D^K(θ_G, θ_D)), where θ_D^K is D after K steps
of its own optimizer on its own objective. Those steps are differentiable functions of G's
samples, so G's gradient has a second term: how D would respond to a change of G. A G that
collapses onto one mode gains little, because the unrolled D has already moved to reject it.
Only G's objective is unrolled; D itself still takes its ordinary k steps in Algorithm 1, and the
unrolled copy is thrown away.

As in the authors' reference notebook (poolio/unrolled_gan), every unrolled step uses the same
real and generated batch (the generator step's), and the updates are D's own optimizer's: Adam
starting from D's current moments and step count, or SGD with its momentum buffer, at D's current
learning rate. One difference keeps the Adam update differentiable where a moment is exactly 0:
the denominator is sqrt(v̂ + ε²) instead of sqrt(v̂) + ε (they differ by less than ε).

The parameters are swapped into D with `torch.func.functional_call`; D's buffers (spectral
norm's power-iteration vectors) are cloned, so the unrolled copy never changes the real D. With
several processes, each unrolls on its own slice of the batch.
"""

from __future__ import annotations

import contextlib
from typing import Callable

import torch
from torch.func import functional_call

from ..distributed.group import unwrap
from . import Examples, GANLoss, Objective

Params = dict[str, torch.Tensor]


class Unrolled(GANLoss):
    """A loss whose generator objective is evaluated at D unrolled by `steps` updates of `optimizer`
    (D's); the discriminator objective is the base loss's, unchanged. steps = 0 is the base loss."""

    def __init__(self, base: GANLoss, steps: int, optimizer: torch.optim.Optimizer):
        self.base, self.steps, self.optimizer = base, steps, optimizer
        self.name, self.stats = base.name, base.stats
        self.hint = base.hint + "; or lower train.unroll"

    @property
    def double_backward(self) -> str:
        # G's gradient goes through D's unrolled updates
        return " and ".join(w for w in (self.base.double_backward, "train.unroll" if self.steps > 0 else "") if w)

    def discriminator(self, D: Callable, real: Examples, fake: Examples) -> Objective:
        return self.base.discriminator(D, real, fake)

    def generator(self, D: Callable, fake: Examples, real: Examples) -> Objective:
        if self.steps == 0:
            return self.base.generator(D, fake, real)
        net = unwrap(D)
        originals = dict(net.named_parameters())
        params: Params = {n: p.detach().requires_grad_(True) for n, p in originals.items()}
        buffers: Params = {n: b.clone() for n, b in net.named_buffers()}
        step = _optimizer_step(self.optimizer, originals)
        quiet = self.base.augment.unobserved() if self.base.augment is not None else contextlib.nullcontext()
        with quiet:  # the unrolled copy's outputs are not D's own: they do not move ADA's p
            for _ in range(self.steps):
                loss, _ = self.base.discriminator(_with(net, params, buffers), real, fake)
                grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
                params = step(params, grads)
        return self.base.generator(_with(net, params, buffers), fake, real)


def _with(net: torch.nn.Module, params: Params, buffers: Params) -> Callable:
    """D as a function of the given parameters."""
    return lambda x, *c: functional_call(net, (params, buffers), (x, *c))


def _optimizer_step(opt: torch.optim.Optimizer, originals: Params) -> Callable[[Params, tuple], Params]:
    """A differentiable copy of one step of `opt` (Adam or SGD), starting from its current state."""
    group = {id(p): g for g in opt.param_groups for p in g["params"]}
    hyper = {n: group[id(p)] for n, p in originals.items() if id(p) in group}
    state = {n: opt.state.get(p, {}) for n, p in originals.items()}
    adam = isinstance(opt, torch.optim.Adam)
    m = {n: s.get("exp_avg") for n, s in state.items()}
    v = {n: s.get("exp_avg_sq") for n, s in state.items()}
    t = {n: float(s["step"]) if "step" in s else 0.0 for n, s in state.items()}
    buf = {n: s.get("momentum_buffer") for n, s in state.items()}

    def step(params: Params, grads: tuple) -> Params:
        new: Params = {}
        for (n, p), g in zip(params.items(), grads):
            h = hyper.get(n)
            if h is None:  # a parameter D's optimizer does not train
                new[n] = p
                continue
            if h["weight_decay"]:
                g = g + h["weight_decay"] * p
            if adam:
                b1, b2 = h["betas"]
                m[n] = (1 - b1) * g if m[n] is None else b1 * m[n] + (1 - b1) * g
                v[n] = (1 - b2) * g * g if v[n] is None else b2 * v[n] + (1 - b2) * g * g
                t[n] += 1
                m_hat, v_hat = m[n] / (1 - b1 ** t[n]), v[n] / (1 - b2 ** t[n])
                new[n] = p - h["lr"] * m_hat / torch.sqrt(v_hat + h["eps"] ** 2)
            else:
                mu = h["momentum"]
                if mu:
                    buf[n] = g if buf[n] is None else mu * buf[n] + (1 - h["dampening"]) * g
                    g = g + mu * buf[n] if h["nesterov"] else buf[n]
                new[n] = p - h["lr"] * g
        return new

    return step
