"""Residual nets at any side from 16 to 512 (`resnet`): SNGAN's and BigGAN's blocks (Miyato et al.
2018, Brock et al. 2019), the nets to use with the hinge loss and spectral norm, or with RpGAN + R1
+ R2 (`train.loss = "rpgan"`, R3GAN's loss).

G: z (with a conditional G, its class's one-hot beside it) -> a linear layer to a 4×4 map -> one
up block per octave: BN, ReLU, ×2 nearest upsampling, 3×3 conv, BN, ReLU, 3×3 conv, plus a
shortcut (upsampling, and a 1×1 conv where the channels change) -> BN, ReLU, 3×3 conv to the
image. Batch norms are class-conditional in a conditional G (BigGAN). D: one down block per octave
(the first without a leading ReLU, SNGAN's "optimized" block): [ReLU,] 3×3 conv, ReLU, 3×3 conv,
2×2 average pooling, plus a shortcut (1×1 conv and pooling) -> ReLU, a sum over the 4×4 map, and
a linear logit (which the projection discriminator of a conditional run builds on). D has no
normalisation layer, so real and fake go through it in one pass and spectral norm, R1 and R2 see
one function of each image. Convolutions start Xavier-uniform (SNGAN's init): gain √2 inside
the residual branches, 1 on the shortcuts and the linear layers.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from .layers import Dropout
from .registry import register_net
from .scaled import ClassNorm, ImageOut, discriminator_factory, generator_factory, octaves, width_at, with_classes


def _conv(cin: int, cout: int, k: int, gain: float = math.sqrt(2)) -> nn.Conv2d:
    conv = nn.Conv2d(cin, cout, k, padding=k // 2)
    nn.init.xavier_uniform_(conv.weight, gain)
    nn.init.zeros_(conv.bias)
    return conv


class UpBlock(nn.Module):
    def __init__(self, cin: int, cout: int, num_classes: int):
        super().__init__()
        self.norm1, self.conv1 = ClassNorm(cin, num_classes), _conv(cin, cout, 3)
        self.norm2, self.conv2 = ClassNorm(cout, num_classes), _conv(cout, cout, 3)
        self.shortcut = _conv(cin, cout, 1, 1.0) if cin != cout else None

    def forward(self, h: torch.Tensor, c: torch.Tensor | None) -> torch.Tensor:
        y = F.interpolate(F.relu(self.norm1(h, c)), scale_factor=2.0, mode="nearest")
        y = self.conv2(F.relu(self.norm2(self.conv1(y), c)))
        s = F.interpolate(h, scale_factor=2.0, mode="nearest")
        return y + (self.shortcut(s) if self.shortcut is not None else s)


class DownBlock(nn.Module):
    def __init__(self, cin: int, cout: int, first: bool):
        super().__init__()
        self.first = first
        self.conv1, self.conv2 = _conv(cin, cout, 3), _conv(cout, cout, 3)
        self.shortcut = _conv(cin, cout, 1, 1.0) if cin != cout or first else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv2(F.relu(self.conv1(x if self.first else F.relu(x))))
        y = F.avg_pool2d(y, 2)
        if self.first:  # SNGAN's optimized block: pool, then the 1×1 conv (cheaper, the same function class)
            return y + self.shortcut(F.avg_pool2d(x, 2))
        s = self.shortcut(x) if self.shortcut is not None else x
        return y + F.avg_pool2d(s, 2)


class ResNetGenerator(nn.Module):
    def __init__(self, z_dim: int, shape: tuple[int, ...], base: int = 64, cap: int = 512, num_classes: int = 0,
                 output_bias: torch.Tensor | None = None):
        super().__init__()
        channels, side = shape[0], shape[1]
        self.num_classes, self.w4 = num_classes, width_at(4, side, base, cap)
        self.fc = nn.Linear(z_dim + num_classes, self.w4 * 16)
        nn.init.xavier_uniform_(self.fc.weight)
        nn.init.zeros_(self.fc.bias)
        self.blocks = nn.ModuleList()
        res = 4
        for _ in range(octaves(side)):
            self.blocks.append(UpBlock(width_at(res, side, base, cap), width_at(2 * res, side, base, cap), num_classes))
            res *= 2
        self.norm = ClassNorm(width_at(side, side, base, cap), num_classes)
        self.to_image = _conv(width_at(side, side, base, cap), channels, 3, 1.0)
        self.out = ImageOut(tuple(shape), output_bias)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = self.fc(with_classes(z, c, self.num_classes)).view(-1, self.w4, 4, 4)  # -1: a batch size ONNX keeps free
        for block in self.blocks:
            h = block(h, c)
        return self.out(self.to_image(F.relu(self.norm(h, c))))


class SumPool(nn.Module):
    """ReLU, then the sum over the spatial map (SNGAN's D head): one feature vector per image."""

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return F.relu(h).sum((2, 3))


class ResNetDiscriminator(nn.Module):
    def __init__(self, shape: tuple[int, ...], base: int = 64, cap: int = 512, dropout: float = 0.0):
        super().__init__()
        channels, side = shape[0], shape[1]
        blocks: list[nn.Module] = []
        cin, res = channels, side
        while res > 4:
            cout = width_at(res, side, base, cap)  # base at the image, doubling per octave into D
            blocks.append(DownBlock(cin, cout, first=not blocks))
            cin, res = cout, res // 2
        linear = nn.Linear(cin, 1)
        nn.init.xavier_uniform_(linear.weight)
        nn.init.zeros_(linear.bias)
        self.net = nn.Sequential(*blocks, SumPool(), Dropout(dropout), linear)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


_g = generator_factory("resnet", ResNetGenerator)
_d = discriminator_factory("resnet", lambda cfg, shape: ResNetDiscriminator(shape, cfg.base_width, cfg.max_width, cfg.d_dropout))
register_net("resnet", generator=_g, discriminator=_d, conditional_generator=_g,
             summary="SNGAN/BigGAN residual blocks for square sides 16-512 (hinge + spectral norm, or rpgan + R1 + R2); "
                     "model.base_width, model.max_width")
