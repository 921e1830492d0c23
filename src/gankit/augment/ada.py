"""Adaptive discriminator augmentation (ADA; Karras et al. 2020, "Training Generative Adversarial
Networks with Limited Data"): the transforms of StyleGAN2-ADA's default pipeline `bgc`, each
applied to an image with probability p, and the rule that moves p.

Transforms (names for `train.augment`; `ada` is all twelve, in this order), with the strengths
of StyleGAN2-ADA's `training/augment.py`:
- geometric, composed into one affine map per image and applied once with bilinear sampling and
  reflection at the border: `xflip`; `rotate90` (k·90°); `xint` (an integer translation of up to
  1/8 of the side); `scale` (isotropic, lognormal 2^N(0, 0.2)); `rotate` (uniform angle, with
  probability 1 - √(1 - p) before and again after `aniso`, as there); `aniso` (2^N(0, 0.2) along
  x, its inverse along y); `xfrac` (a translation of N(0, 0.125) of the side);
- colour, composed into one 4×4 colour matrix per image, on images in [-1, 1]: `brightness`
  (+N(0, 0.2)), `contrast` (× 2^N(0, 0.5)), `lumaflip` (a reflection of the luma axis),
  `hue` (a uniform rotation about the luma axis), `saturation` (× 2^N(0, 1) off the luma axis).
StyleGAN2-ADA upsamples ×2 with a wavelet filter around its geometric step to limit aliasing;
gankit samples bilinearly at the image's own resolution (cheaper on a CPU, slightly blurrier).

The rule (section 3 of the paper): every `train.ada_interval` G steps, r_t = E[sign D(x)] over
the real images D scored since the last update, and p += sign(r_t - target) · n / (ada_kimg ·
1000) for those n images, clamped to [0, 1]: p rises while D is too sure of the training
images and falls when it is not, so that from 0 to 1 takes `ada_kimg` thousand images at most.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from .stream import Draws

GEOMETRIC = ("xflip", "rotate90", "xint", "scale", "rotate", "aniso", "xfrac")
COLOUR = ("brightness", "contrast", "lumaflip", "hue", "saturation")
TRANSFORMS = GEOMETRIC + COLOUR


def _eye(n: int, size: int, like: torch.Tensor) -> torch.Tensor:
    return torch.eye(size, dtype=torch.float32, device=like.device).repeat(n, 1, 1)


def _scale2(sx: torch.Tensor, sy: torch.Tensor) -> torch.Tensor:
    m = _eye(len(sx), 3, sx)
    m[:, 0, 0], m[:, 1, 1] = sx, sy
    return m


def _rotate2(theta: torch.Tensor) -> torch.Tensor:
    m = _eye(len(theta), 3, theta)
    c, s = torch.cos(theta), torch.sin(theta)
    m[:, 0, 0], m[:, 0, 1], m[:, 1, 0], m[:, 1, 1] = c, -s, s, c
    return m


def _translate2(tx: torch.Tensor, ty: torch.Tensor) -> torch.Tensor:
    m = _eye(len(tx), 3, tx)
    m[:, 0, 2], m[:, 1, 2] = tx, ty
    return m


def _gate(draws: Draws, n: int, p: float, like: torch.Tensor) -> torch.Tensor:
    """1 where this image gets the transform (probability p), else 0."""
    return (draws.uniform(n, like=like) < p).float()


def geometric(x: torch.Tensor, names: set[str], p: float, draws: Draws) -> torch.Tensor:
    """The geometric transforms in `names`, each with probability p per image."""
    n, _, h, w = x.shape
    f = torch.zeros(n, device=x.device)  # a float32 template for the draws
    inv = _eye(n, 3, f)  # maps output coordinates ([-1, 1], x right, y down) to input coordinates
    moved = torch.zeros(n, dtype=torch.bool, device=x.device)

    def then(gate: torch.Tensor, m: torch.Tensor) -> None:
        nonlocal inv, moved
        inv = inv @ m
        moved = moved | (gate > 0)

    if "xflip" in names:
        g = _gate(draws, n, p, f) * torch.floor(draws.uniform(n, like=f) * 2)
        then(g, _scale2(1 - 2 * g, torch.ones_like(g)))
    if "rotate90" in names:
        g = _gate(draws, n, p, f)
        k = torch.floor(draws.uniform(n, like=f) * 4) * g
        then(k, _rotate2(-math.pi / 2 * k))
    if "xint" in names:
        g = _gate(draws, n, p, f)
        t = (draws.uniform(n, 2, like=f) * 2 - 1) * 0.125 * g[:, None]
        tx, ty = torch.round(t[:, 0] * w) / w * 2, torch.round(t[:, 1] * h) / h * 2
        then(g * ((tx != 0) | (ty != 0)).float(), _translate2(-tx, -ty))
    if "scale" in names:
        g = _gate(draws, n, p, f)
        s = torch.exp2(draws.normal(n, like=f) * 0.2 * g)
        then(g, _scale2(1 / s, 1 / s))
    p_rot = 1 - math.sqrt(max(1 - p, 0.0))
    for part in ("rotate", "aniso", "rotate"):
        if part not in names:
            continue
        if part == "rotate":
            g = _gate(draws, n, p_rot, f)
            theta = (draws.uniform(n, like=f) * 2 - 1) * math.pi * g
            then(g, _rotate2(-theta))
        else:
            g = _gate(draws, n, p, f)
            s = torch.exp2(draws.normal(n, like=f) * 0.2 * g)
            then(g, _scale2(1 / s, s))
    if "xfrac" in names:
        g = _gate(draws, n, p, f)
        t = draws.normal(n, 2, like=f) * 0.125 * g[:, None]
        then(g, _translate2(-t[:, 0] * 2, -t[:, 1] * 2))
    if not bool(moved.any()):
        return x
    grid = F.affine_grid(inv[:, :2, :].to(x.dtype), list(x.shape), align_corners=False)
    warped = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    return torch.where(moved[:, None, None, None], warped, x)


def colour(x: torch.Tensor, names: set[str], p: float, draws: Draws) -> torch.Tensor:
    """The colour transforms in `names`, each with probability p per image; x in [-1, 1]."""
    n, channels = len(x), x.shape[1]
    f = torch.zeros(n, device=x.device)
    m = _eye(n, 4, f)
    v = torch.tensor([1.0, 1.0, 1.0, 0.0], device=x.device) / math.sqrt(3)  # the luma axis
    vv = torch.outer(v, v)
    changed = torch.zeros(n, dtype=torch.bool, device=x.device)
    if "brightness" in names:
        g = _gate(draws, n, p, f)
        b = draws.normal(n, like=f) * 0.2 * g
        t = _eye(n, 4, f)
        t[:, :3, 3] = b[:, None]
        m, changed = t @ m, changed | (g > 0)
    if "contrast" in names:
        g = _gate(draws, n, p, f)
        c = torch.exp2(draws.normal(n, like=f) * 0.5 * g)
        s = _eye(n, 4, f)
        s[:, 0, 0] = s[:, 1, 1] = s[:, 2, 2] = c
        m, changed = s @ m, changed | (g > 0)
    if "lumaflip" in names:
        g = _gate(draws, n, p, f) * torch.floor(draws.uniform(n, like=f) * 2)
        m, changed = (_eye(n, 4, f) - 2 * vv * g[:, None, None]) @ m, changed | (g > 0)
    if "hue" in names:
        g = _gate(draws, n, p, f)
        theta = (draws.uniform(n, like=f) * 2 - 1) * math.pi * g
        m, changed = _rotate_about(v[:3], theta) @ m, changed | (g > 0)
    if "saturation" in names:
        g = _gate(draws, n, p, f)
        s = torch.exp2(draws.normal(n, like=f) * 1.0 * g)
        m, changed = (vv + (torch.eye(4, device=x.device) - vv) * s[:, None, None]) @ m, changed | (g > 0)
    if not bool(changed.any()):
        return x
    m = m.to(x.dtype)
    flat = x.reshape(n, channels, -1)
    if channels == 3:
        y = m[:, :3, :3] @ flat + m[:, :3, 3:]
    else:  # grayscale: the mean of the colour matrix's rows, as StyleGAN2-ADA does
        rows = m[:, :3, :].mean(dim=1, keepdim=True)
        y = flat * rows[:, :, :3].sum(dim=2, keepdim=True) + rows[:, :, 3:]
    return torch.where(changed[:, None, None], y, flat).reshape(x.shape)


def _rotate_about(axis: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """4×4 rotations by `theta` about the unit 3-vector `axis` (Rodrigues' formula)."""
    n = len(theta)
    k = torch.zeros(3, 3, device=theta.device)
    k[0, 1], k[0, 2], k[1, 0], k[1, 2], k[2, 0], k[2, 1] = -axis[2], axis[1], axis[2], -axis[0], -axis[1], axis[0]
    c, s = torch.cos(theta)[:, None, None], torch.sin(theta)[:, None, None]
    r = c * torch.eye(3, device=theta.device) + s * k + (1 - c) * torch.outer(axis, axis)
    m = _eye(n, 4, theta)
    m[:, :3, :3] = r
    return m


def next_p(p: float, signs_mean: float, target: float, images: int, kimg: float) -> float:
    """ADA's update of p after `images` real images whose D outputs had mean sign `signs_mean`."""
    step = math.copysign(1.0, signs_mean - target) if signs_mean != target else 0.0
    return min(1.0, max(0.0, p + step * images / (kimg * 1000)))
