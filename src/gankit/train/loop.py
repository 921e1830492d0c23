"""Algorithm 1 of Goodfellow et al. (2014): minibatch stochastic gradient training of GANs.

`fit` is the paper's loop and nothing else. Everything around it — data and noise streams,
precision, schedules, statistics, logging, samples, checkpoints, stopping — is set up by
`Session` (session.py) from small named pieces, so that distribution, new losses or precisions
slot in without touching the loop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ..losses.scores import Examples

if TYPE_CHECKING:
    from .session import Session


def fit(s: "Session") -> str:
    """Run Algorithm 1 from s.step to train.steps; returns why it stopped."""
    G, D, opt_G, opt_D, loss = s.G, s.D, s.opt_G, s.opt_D, s.loss
    m, k = s.config.train.batch_size, s.config.train.k
    for step in range(s.step, s.config.train.steps):
        if (reason := s.should_stop()):
            return reason
        s.schedule(step)
        # k steps of the discriminator: ascend (1/m) Σ [log D(x) + log(1 - D(G(z)))] ...
        for _ in range(k):
            real = s.real_batch(m)  # m examples from p_data (with their classes, if conditional)
            z, c = s.noise(m)  # m draws of z ~ p_z (and a class each, if conditional)
            with torch.no_grad(), s.precision():
                fake = Examples(G(z, c), c)
            with s.precision():
                loss_d, stats_d = loss.discriminator(D, real, fake)
            opt_D.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_D.step()
            s.record(loss_d=loss_d, **stats_d)
        # ... then one step of the generator on fresh noise, D held fixed.
        z, c = s.noise(m)
        with s.frozen(D) as D_fixed, s.precision():
            loss_g, stats_g = loss.generator(D_fixed, Examples(G(z, c), c), real)
        opt_G.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_G.step()
        s.after_step(step + 1, loss_g=loss_g, **stats_g)
    return "done"
