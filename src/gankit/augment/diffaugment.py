"""DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"):
`translation`, `color` and `cutout`, applied to every image D sees, real and generated, in D's
and in G's objective, each image with its own random parameters. The operations are those of the
authors' `DiffAugment_pytorch.py`, on images in [-1, 1] as there (gankit's [0, 1] images are
mapped there and back, so a translation pads with, and a cutout leaves, mid-grey):

- color: brightness + U(-0.5, 0.5); saturation × U(0, 2) around each pixel's channel mean;
  contrast × U(0.5, 1.5) around the image's mean;
- translation: an integer shift of up to 1/8 of the side in x and in y, zero-padded;
- cutout: one square of half the side set to zero, its centre anywhere in the image.

Every operation is a differentiable function of the image (additions, products, gathers), so
G's gradient flows through them.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from .stream import Draws


def color(x: torch.Tensor, draws: Draws) -> torch.Tensor:
    n = len(x)
    x = x + (draws.uniform(n, 1, 1, 1, like=x) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (draws.uniform(n, 1, 1, 1, like=x) * 2) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (draws.uniform(n, 1, 1, 1, like=x) + 0.5) + mean


def translation(x: torch.Tensor, draws: Draws) -> torch.Tensor:
    n, _, h, w = x.shape
    sh, sw = h // 8, w // 8
    ty = draws.integers(n, -sh, sh + 1, 1, 1, like=x)
    tx = draws.integers(n, -sw, sw + 1, 1, 1, like=x)
    gb, gy, gx = torch.meshgrid(torch.arange(n, device=x.device), torch.arange(h, device=x.device),
                                torch.arange(w, device=x.device), indexing="ij")
    gy = torch.clamp(gy + ty + 1, 0, h + 1)
    gx = torch.clamp(gx + tx + 1, 0, w + 1)
    padded = F.pad(x, [1, 1, 1, 1])  # a border of zeros: where a shifted image has no pixel
    return padded.permute(0, 2, 3, 1)[gb, gy, gx].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, draws: Draws) -> torch.Tensor:
    n, _, h, w = x.shape
    ch, cw = h // 2, w // 2
    oy = draws.integers(n, 0, h + (1 - ch % 2), 1, 1, like=x)
    ox = draws.integers(n, 0, w + (1 - cw % 2), 1, 1, like=x)
    gb, gy, gx = torch.meshgrid(torch.arange(n, device=x.device), torch.arange(ch, device=x.device),
                                torch.arange(cw, device=x.device), indexing="ij")
    gy = torch.clamp(gy + oy - ch // 2, 0, h - 1)
    gx = torch.clamp(gx + ox - cw // 2, 0, w - 1)
    mask = torch.ones(n, h, w, dtype=x.dtype, device=x.device)
    mask[gb, gy, gx] = 0
    return x * mask.unsqueeze(1)


OPERATIONS = {"color": color, "translation": translation, "cutout": cutout}
