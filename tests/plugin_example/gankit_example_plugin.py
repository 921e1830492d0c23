"""A third-party package's additions to gankit: a net, a loss, a data set and a metric, each
found through an entry point (docs/architecture.md, "From another package").

`tests/test_registry.py` installs this module with the entry points of `entry_points.txt` into a
temporary folder, as pip would, and trains a run with all four.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gankit.data import Dataset, Probe, Source
from gankit.losses import GANLoss
from gankit.metrics import MetricInfo
from gankit.nets import NetFamily


class TinyGenerator(nn.Module):
    def __init__(self, z_dim: int, shape: tuple[int, ...]):
        super().__init__()
        self.shape = shape
        self.net = nn.Sequential(nn.Linear(z_dim, 32), nn.Tanh(), nn.Linear(32, math.prod(shape)))

    def forward(self, z, c=None):
        return self.net(z).view(-1, *self.shape)


class TinyDiscriminator(nn.Module):
    def __init__(self, shape: tuple[int, ...]):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(math.prod(shape), 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


TINY = NetFamily(generator=lambda cfg, shape, kind, pixel_mean: TinyGenerator(cfg.z_dim, shape),
                 discriminator=lambda cfg, shape, kind: TinyDiscriminator(shape),
                 summary="a one-hidden-layer G and D (gankit-example-plugin)")


class SoftplusHinge(GANLoss):
    """A smooth hinge: D descends E softplus(1 - D(x)) + E softplus(1 + D(G(z))), G descends -E D(G(z))."""

    name = "softplus-hinge"

    def d_loss(self, real_s, fake_s):
        return F.softplus(1 - real_s).mean() + F.softplus(1 + fake_s).mean()

    def g_loss(self, fake_s, real_s):
        return -fake_s.mean()


def make_loss(train, uniform):
    return SoftplusHinge(train.r1_gamma, train.r2_gamma)


def _spiral(n: int, gen: torch.Generator) -> torch.Tensor:
    t = torch.rand(n, generator=gen) * 3 * math.pi
    return torch.stack([t.cos() * t, t.sin() * t], 1) / 10 + 0.01 * torch.randn(n, 2, generator=gen)


def load_spiral(cfg) -> Dataset:
    gen = torch.Generator().manual_seed(7)
    n = cfg.n or 5000
    return Dataset(name="spiral", kind="points", train=_spiral(n, gen), val=_spiral(1000, gen),
                   test=_spiral(1000, gen), columns=["x", "y"], source="gankit-example-plugin")


SPIRAL = Source(load=load_spiral, probe=lambda cfg: Probe(True, "built in (gankit-example-plugin)",
                                                          f"{cfg.n or 5000} training points on a spiral, generated"))


def _radius(ctx) -> dict:
    return {"mean_radius": float(ctx.samples.norm(dim=1).mean())}


RADIUS = MetricInfo("radius", _radius, "mean distance of the samples from the origin",
                    {"mean_radius": "mean Euclidean norm of the samples (gankit-example-plugin)"})
