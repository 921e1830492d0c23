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

from .dcgan import DCGANDiscriminator, DCGANGenerator
from .registry import register_net
from .scaled import dcgan_init, discriminator_factory, generator_factory, with_classes


class SkipExcitation(nn.Module):
    """FastGAN's skip-layer excitation: channel gates for a high-resolution map from a low one."""

    def __init__(self, low: int, high: int):
        super().__init__()
        self.squeeze = nn.Conv2d(low, high, 4, bias=False)  # the 4×4 pooled map -> one vector
        self.excite = nn.Conv2d(high, high, 1, bias=False)

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        s = self.squeeze(F.adaptive_avg_pool2d(low, 4))
        return high * torch.sigmoid(self.excite(F.leaky_relu(s, 0.1)))


class LightGenerator(DCGANGenerator):
    """DCGAN's G with one skip-layer excitation per (r, 8r) pair of its hidden maps: 4 -> 32, 8 -> 64, ..."""

    def __init__(self, z_dim: int, shape: tuple[int, ...], base: int = 32, cap: int = 256, num_classes: int = 0,
                 output_bias: torch.Tensor | None = None):
        super().__init__(z_dim, shape, base, cap, num_classes, output_bias)
        self.pairs = [(i, i + 3) for i in range(len(self.resolutions) - 3)]
        self.excitations = nn.ModuleList(SkipExcitation(self.width(self.resolutions[i]), self.width(self.resolutions[j]))
                                         for i, j in self.pairs)
        dcgan_init(self.excitations)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = with_classes(z, c, self.num_classes)
        maps = [torch.relu(self.norms[0](self.stem(x[:, :, None, None]), c))]
        gates = {j: (i, sle) for (i, j), sle in zip(self.pairs, self.excitations)}
        for j, (up, norm) in enumerate(zip(self.ups, self.norms[1:]), start=1):
            h = torch.relu(norm(up(maps[-1]), c))
            if j in gates:
                i, sle = gates[j]
                h = sle(maps[i], h)
            maps.append(h)
        return self.out(self.to_image(maps[-1]))


class LightDiscriminator(DCGANDiscriminator):
    """DCGAN's D without batch norm (biases on every convolution instead)."""

    def __init__(self, shape: tuple[int, ...], base: int = 32, cap: int = 256, dropout: float = 0.0):
        super().__init__(shape, base, cap, batch_norm=False, dropout=dropout, first_bias=True)


_g = generator_factory("light", LightGenerator)
_d = discriminator_factory("light", lambda cfg, shape: LightDiscriminator(shape, cfg.base_width, cfg.max_width, cfg.d_dropout))
register_net("light", generator=_g, discriminator=_d, conditional_generator=_g,
             summary="a light net for CPUs, square sides 16-512: DCGAN's G with FastGAN's skip-layer excitation, "
                     "a D without batch norm; model.base_width, model.max_width")
