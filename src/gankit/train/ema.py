"""An exponential moving average of G's weights (G_ema): the generator that samples are drawn from.

After every G step, each weight moves a fraction 1 - β towards G's: p_ema <- β p_ema + (1 - β) p
(stylegan2-ada's `p_ema.copy_(p.lerp(p_ema, beta))`); buffers such as batch norm's running
statistics are copied as they are. Averaging the last ~1/(1 - β) G steps smooths out the
oscillation of adversarial training, which on the 2-D mixtures is the jitter that puts samples
just outside their mode. The half-life is ln 0.5 / ln β G steps (β = 0.999: 693 steps).

Warm-up: after G step t the decay is min(β, (1 + t) / (10 + t)) (TensorFlow's
ExponentialMovingAverage with `num_updates`), so early on the average forgets G's random
initialisation in tens of steps instead of ~1/(1 - β). Without it a β = 0.999 average still holds
a quarter of the initial weights after 1,400 steps, and a short run's samples come out worse than
G's own (measured on Fashion-MNIST in 150 s: FD 1.48 against 0.57 for G). From t ≈ 10/(1 - β)
on, the decay is β.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    def __init__(self, G: nn.Module, decay: float):
        if not 0 <= decay < 1:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = decay
        self.net = copy.deepcopy(G).eval().requires_grad_(False)

    def decay_at(self, step: int | None) -> float:
        """The decay used after G step `step` (1, 2, ...); β itself when no step is given."""
        return self.decay if step is None else min(self.decay, (1 + step) / (10 + step))

    @torch.no_grad()
    def update(self, G: nn.Module, step: int | None = None) -> None:
        beta = self.decay_at(step)
        for p_ema, p in zip(self.net.parameters(), G.parameters()):
            p_ema.copy_(p.detach().lerp(p_ema, beta))
        for b_ema, b in zip(self.net.buffers(), G.buffers()):
            b_ema.copy_(b)

    def reset(self, G: nn.Module) -> None:
        """Start the average at G's current weights."""
        self.net.load_state_dict(G.state_dict())
