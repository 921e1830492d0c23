"""A light net for CPUs at any side from 16 to 512 (`light`): DCGAN's cheap transposed-convolution
G with FastGAN's skip-layer excitation (Liu et al. 2021), and a D without batch norm.

Where the time goes on a CPU is the layers at high resolution, so everything there is as cheap
as a conv GAN can be: G grows by stride-2 4×4 transposed convolutions (per output pixel 4·C_in·C_out
multiply-adds, against 9·C_in·C_out for upsampling and a 3×3 conv), and its last layer makes the
image from `model.base_width` channels at half the side. What the light net adds to DCGAN's G is
skip-layer excitation: the 4×4 map gates the channels of the map 8× larger (and 8×8 the one 64×
larger, ...): SLE(low, high) = high · σ(conv1×1(LeakyReLU(conv4×4(pool₄(low))))), a cheap path
by which the coarse layout steers fine layers, which FastGAN found to speed up training.
D: stride-2 4×4 convolutions with leaky ReLU and no batch norm (so real and fake go through it in
one pass, and spectral norm, R1 and R2 see one function of each image), channels doubling into D
up to `model.max_width`, a linear logit over the 4×4 map. BENCHMARKS.md ("Your own images")
measures it beside `dcgan` and `resnet`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from .layers import Dropout, pixel_logits
from .registry import register_net
from .scaled import ClassNorm, ImageOut, dcgan_init, image_side, octaves, width_at, with_classes


class SkipExcitation(nn.Module):
    """FastGAN's skip-layer excitation: channel gates for a high-resolution map from a low one."""

    def __init__(self, low: int, high: int):
        super().__init__()
        self.squeeze = nn.Conv2d(low, high, 4, bias=False)  # the 4×4 pooled map -> one vector
        self.excite = nn.Conv2d(high, high, 1, bias=False)

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        s = self.squeeze(F.adaptive_avg_pool2d(low, 4))
        return high * torch.sigmoid(self.excite(F.leaky_relu(s, 0.1)))


class LightGenerator(nn.Module):
    def __init__(self, z_dim: int, shape: tuple[int, ...], base: int = 32, cap: int = 256, num_classes: int = 0,
                 output_bias: torch.Tensor | None = None):
        super().__init__()
        channels, side = shape[0], shape[1]
        self.num_classes = num_classes

        def width(res: int) -> int:
            return width_at(res, side, base, cap, top=side // 2)

        self.stem = nn.ConvTranspose2d(z_dim + num_classes, width(4), 4, 1, 0, bias=False)
        self.norms = nn.ModuleList([ClassNorm(width(4), num_classes)])
        self.ups = nn.ModuleList()
        self.resolutions = [4]
        for _ in range(octaves(side) - 1):
            res = self.resolutions[-1]
            self.ups.append(nn.ConvTranspose2d(width(res), width(2 * res), 4, 2, 1, bias=False))
            self.norms.append(ClassNorm(width(2 * res), num_classes))
            self.resolutions.append(2 * res)
        # one excitation per (r, 8r) pair of hidden maps: 4 -> 32, 8 -> 64, ...
        self.pairs = [(i, i + 3) for i in range(len(self.resolutions) - 3)]
        self.excitations = nn.ModuleList(SkipExcitation(width(self.resolutions[i]), width(self.resolutions[j]))
                                         for i, j in self.pairs)
        self.to_image = nn.ConvTranspose2d(width(side // 2), channels, 4, 2, 1, bias=False)
        dcgan_init(self)
        self.out = ImageOut(tuple(shape), output_bias)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = with_classes(z, c, self.num_classes)
        maps = [torch.relu(self.norms[0](self.stem(x[:, :, None, None]), c))]
        gates = dict(zip((j for _, j in self.pairs), zip((i for i, _ in self.pairs), self.excitations)))
        for j, (up, norm) in enumerate(zip(self.ups, self.norms[1:]), start=1):
            h = torch.relu(norm(up(maps[-1]), c))
            if j in gates:
                i, sle = gates[j]
                h = sle(maps[i], h)
            maps.append(h)
        return self.out(self.to_image(maps[-1]))


class LightDiscriminator(nn.Module):
    def __init__(self, shape: tuple[int, ...], base: int = 32, cap: int = 256, dropout: float = 0.0):
        super().__init__()
        channels, side = shape[0], shape[1]

        def width(res: int) -> int:
            return width_at(res, side, base, cap, top=side // 2)

        layers: list[nn.Module] = []
        cin, res = channels, side
        while res > 4:
            layers += [nn.Conv2d(cin, width(res // 2), 4, 2, 1), nn.LeakyReLU(0.2)]
            cin, res = width(res // 2), res // 2
        layers += [nn.Flatten(), Dropout(dropout), nn.Linear(cin * 16, 1)]
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


def _g(cfg, shape, kind, pixel_mean, num_classes=0):
    image_side(shape, kind, "g", "light")
    return LightGenerator(cfg.z_dim, shape, cfg.base_width, cfg.max_width, num_classes, pixel_logits(pixel_mean))


def _d(cfg, shape, kind):
    image_side(shape, kind, "d", "light")
    return LightDiscriminator(shape, cfg.base_width, cfg.max_width, cfg.d_dropout)


register_net("light", generator=_g, discriminator=_d, conditional_generator=_g,
             summary="a light net for CPUs, square sides 16-512: DCGAN's G with FastGAN's skip-layer excitation, "
                     "a D without batch norm; model.base_width, model.max_width")
