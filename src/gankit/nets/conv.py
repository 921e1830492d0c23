"""Convolutional nets (`conv`): a small DCGAN-style G and D for images whose sides divide by 4
(28×28 Fashion-MNIST, 8×8 digits), and its class-conditional G."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import GankitError
from .conditional import require_classes
from .layers import Dropout, pixel_logits
from .registry import register_net


class ConvGenerator(nn.Module):
    """DCGAN-style (Radford et al., 2016): z -> 2w×(s/4)² -> upsample ×2 -> w×(s/2)² -> C×s²,
    batch norm and ReLU inside, sigmoid out. For square images whose side is divisible by 4."""

    def __init__(self, z_dim: int, out_shape: tuple[int, ...], width: int = 64,
                 output_bias: torch.Tensor | None = None):
        super().__init__()
        c, h, w = out_shape
        self.out_shape, self.s0 = tuple(out_shape), h // 4
        self.fc = nn.Sequential(nn.Linear(z_dim, 2 * width * self.s0 * self.s0), nn.BatchNorm1d(2 * width * self.s0 * self.s0), nn.ReLU())
        self.up = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, c, 4, stride=2, padding=1),
        )
        self.width = width
        self.out_bias = nn.Parameter(torch.zeros(out_shape) if output_bias is None else output_bias.reshape(out_shape).clone())

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        h = self.fc(z).view(-1, 2 * self.width, self.s0, self.s0)
        return torch.sigmoid(self.up(h) + self.out_bias)


class ConvDiscriminator(nn.Module):
    """Two stride-2 convolutions with leaky ReLU, then a linear logit (DCGAN's D, shortened)."""

    def __init__(self, in_shape: tuple[int, ...], width: int = 64, dropout: float = 0.0):
        super().__init__()
        c, h, w = in_shape
        self.net = nn.Sequential(
            nn.Conv2d(c, width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Flatten(), Dropout(dropout), nn.Linear(2 * width * (h // 4) * (w // 4), 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class ConditionalConvGenerator(ConvGenerator):
    """ConvGenerator(z, c): the class's one-hot beside z, and conditional batch norm (de Vries et
    al., 2017; the generator of Miyato & Koyama, 2018): after each batch norm, a per-class gain and
    shift, y = BN(h) · (1 + γ_c) + β_c, starting at γ_c = β_c = 0, so the class also shapes every
    layer's features, not only the first one's input."""

    def __init__(self, num_classes: int, z_dim: int, out_shape: tuple[int, ...], width: int = 64,
                 output_bias: torch.Tensor | None = None):
        super().__init__(z_dim + num_classes, out_shape, width, output_bias)
        self.num_classes = num_classes
        widths = (self.fc[1].num_features, self.up[1].num_features)
        self.gains = nn.ModuleList(nn.Embedding(num_classes, w) for w in widths)
        self.shifts = nn.ModuleList(nn.Embedding(num_classes, w) for w in widths)
        for e in (*self.gains, *self.shifts):
            nn.init.zeros_(e.weight)

    def _cbn(self, i: int, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shape = (len(c), -1) + (1,) * (h.ndim - 2)
        return h * (1 + self.gains[i](c).view(shape)) + self.shifts[i](c).view(shape)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        c = require_classes(c, "generator")
        h = self.fc[0](torch.cat([z, nn.functional.one_hot(c, self.num_classes).to(z.dtype)], 1))
        h = self.fc[2](self._cbn(0, self.fc[1](h), c)).view(len(z), 2 * self.width, self.s0, self.s0)
        h = self.up[2](self._cbn(1, self.up[1](self.up[0](h)), c))
        return torch.sigmoid(self.up[3](h) + self.out_bias)


def _require_conv_shape(shape, kind, which):
    if kind != "image" or len(shape) != 3 or shape[1] % 4 or shape[2] % 4:
        raise GankitError(f"model.{which} = conv needs images with sides divisible by 4, not shape {shape} "
                          f"(use model.{which} = mlp, or data.size divisible by 4)")


def _conv_g(cfg, shape, kind, pixel_mean):
    _require_conv_shape(shape, kind, "g")
    return ConvGenerator(cfg.z_dim, shape, cfg.conv_width, pixel_logits(pixel_mean))


def _conv_g_conditional(cfg, shape, kind, pixel_mean, num_classes):
    _require_conv_shape(shape, kind, "g")
    return ConditionalConvGenerator(num_classes, cfg.z_dim, shape, cfg.conv_width, pixel_logits(pixel_mean))


def _conv_d(cfg, shape, kind):
    _require_conv_shape(shape, kind, "d")
    return ConvDiscriminator(shape, cfg.conv_width, cfg.d_dropout)


register_net("conv", generator=_conv_g, discriminator=_conv_d, conditional_generator=_conv_g_conditional,
             summary="a small DCGAN-style conv G and D for images with sides divisible by 4 (model.conv_width)")
