"""A feature net learnt from an unlabelled image folder itself: contrastive learning (SimCLR; Chen
et al. 2020) on two random views of each image.

Each training step takes a batch of the folder's images, makes two augmented views of every image
(a random resized crop with a random horizontal flip, then colour jitter and sometimes grayscale,
SimCLR's CIFAR-10 recipe without its blur, so the features stay sensitive to blur), and trains the
net with a small projection head so that the two views of one image are each other's nearest
match among the 2×batch views (NT-Xent, the normalised-temperature cross-entropy). Nothing but
the folder is needed: no labels, no download.

The augmentations are written here on whole batches (one `affine_grid`/`grid_sample` for the
crops), drawn from a seeded generator of their own, so the trained net is the same on every run
and training never touches the caller's random state.
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..data.dataset import pixels

CROP_AREA = (0.2, 1.0)  # a crop keeps this share of the image's area (SimCLR: 0.08-1; small images need more)
ASPECT = (3 / 4, 4 / 3)
JITTER = 0.4  # brightness, contrast and saturation factors in 1 ± JITTER ...
JITTER_P = 0.8  # ... for this share of the views
GRAY_P = 0.2
TEMPERATURE = 0.2
PROJECTION = 64  # the projection head's output, on which the loss is computed (the features are below it)


def views(x: torch.Tensor, gen: torch.Generator, side: int) -> torch.Tensor:
    """One random view of each image of a batch (N×C×H×W floats in [0, 1]), side×side."""
    n, c = x.shape[:2]
    area = torch.empty(n).uniform_(*CROP_AREA, generator=gen)
    ratio = torch.empty(n).uniform_(math.log(ASPECT[0]), math.log(ASPECT[1]), generator=gen).exp()
    w, h = (area * ratio).sqrt().clamp(max=1), (area / ratio).sqrt().clamp(max=1)  # as shares of the side
    cx = (torch.rand(n, generator=gen) * 2 - 1) * (1 - w)
    cy = (torch.rand(n, generator=gen) * 2 - 1) * (1 - h)
    flip = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = w * flip, cx, h, cy
    theta = theta.to(x.device)
    grid = F.affine_grid(theta, [n, c, side, side], align_corners=False)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    jitter = (torch.rand(n, 1, 1, 1, generator=gen) < JITTER_P).float()
    factors = [1 + (torch.rand(n, 1, 1, 1, generator=gen) * 2 - 1) * JITTER * jitter for _ in range(3)]
    gray = (torch.rand(n, 1, 1, 1, generator=gen) < GRAY_P).float()
    brightness, contrast, saturation, gray = (t.to(x.device) for t in (*factors, gray))
    out = out * brightness
    mean = out.mean((1, 2, 3), keepdim=True)
    out = (out - mean) * contrast + mean
    if c == 3:
        luma = out.mean(1, keepdim=True)
        out = (out - luma) * saturation + luma
        out = out * (1 - gray) + out.mean(1, keepdim=True) * gray
    return out.clamp(0, 1)


def nt_xent(a: torch.Tensor, b: torch.Tensor, temperature: float = TEMPERATURE) -> torch.Tensor:
    """NT-Xent: each of the 2N projections must pick its partner (a[i] <-> b[i]) among the 2N - 1
    others, by cosine similarity over `temperature`; the mean cross-entropy of that choice."""
    z = F.normalize(torch.cat([a, b]), dim=1)
    sim = z @ z.T / temperature
    sim.fill_diagonal_(float("-inf"))  # a view is not its own partner
    n = len(a)
    partner = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(sim.device)
    return F.cross_entropy(sim, partner)


def train(net: nn.Module, images: torch.Tensor, steps: int, *, batch: int, lr: float, side: int, seed: int,
          device: torch.device, width: int, on_step: Callable[[float], None] | None = None) -> nn.Module:
    """Train `net` (whose `parts(x)` returns (features of what the image shows, ...)) on `images`
    (N×C×H×W, uint8 or floats; memory-mapped is fine: batches are gathered one at a time).
    `width` is the size of the first part; `on_step` hears each step's loss."""
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        head = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, PROJECTION)).to(device)
    params = list(net.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=lr / 10)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
    n, batch = len(images), min(batch, len(images))
    perm, at = torch.randperm(n, generator=gen), 0
    net.train()
    for _ in range(steps):
        if at + batch > n:  # a new epoch: a fresh permutation
            perm, at = torch.randperm(n, generator=gen), 0
        x = pixels(images[perm[at:at + batch].sort().values].to(device))
        at += batch
        a, b = views(x, gen, side), views(x, gen, side)
        loss = nt_xent(head(net.parts(a)[0]), head(net.parts(b)[0]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if on_step is not None:
            on_step(float(loss.detach()))
    return net.eval()
