"""The DCGAN of Radford et al. (2016) at any side from 16 to 512 (`dcgan`), and its class-conditional G.

G: z as a 1×1 map -> a 4×4 transposed convolution -> log2(side / 4) stride-2 transposed
convolutions (4×4 kernels), each doubling the side and halving the channels towards the image,
with batch norm and ReLU between them; the last one makes the image (a sigmoid into [0, 1], from
a bias at the mean training image). D mirrors it: stride-2 4×4 convolutions with leaky ReLU (0.2),
doubling the channels into D, batch norm on all but the first (`model.d_batch_norm`), and a
linear logit over the 4×4 map (DCGAN's final 4×4 convolution, written as the linear layer it is,
so the projection discriminator and minibatch std fit it). Weights N(0, 0.02) as in the paper.
At 64×64 with `model.base_width = 64`, `model.max_width = 512` these are the nets of the PyTorch
DCGAN tutorial (ngf = ndf = 64).
"""

from __future__ import annotations

import torch
from torch import nn

from .layers import Dropout
from .registry import register_net
from .scaled import ClassNorm, ImageOut, dcgan_init, discriminator_factory, generator_factory, octaves, width_at, with_classes


class DCGANGenerator(nn.Module):
    def __init__(self, z_dim: int, shape: tuple[int, ...], base: int = 64, cap: int = 512, num_classes: int = 0,
                 output_bias: torch.Tensor | None = None):
        super().__init__()
        channels, side = shape[0], shape[1]
        self.num_classes = num_classes

        def width(res: int) -> int:
            return width_at(res, side, base, cap, top=side // 2)

        self.stem = nn.ConvTranspose2d(z_dim + num_classes, width(4), 4, 1, 0, bias=False)  # 1×1 -> 4×4
        self.norms = nn.ModuleList([ClassNorm(width(4), num_classes)])
        self.ups = nn.ModuleList()
        self.resolutions = [4]  # of the hidden maps
        for _ in range(octaves(side) - 1):  # 4 -> 8 -> ... -> side / 2
            res = self.resolutions[-1]
            self.ups.append(nn.ConvTranspose2d(width(res), width(2 * res), 4, 2, 1, bias=False))
            self.norms.append(ClassNorm(width(2 * res), num_classes))
            self.resolutions.append(2 * res)
        self.width = width
        self.to_image = nn.ConvTranspose2d(width(side // 2), channels, 4, 2, 1, bias=False)  # side / 2 -> side
        dcgan_init(self)
        self.out = ImageOut(tuple(shape), output_bias)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        x = with_classes(z, c, self.num_classes)
        h = torch.relu(self.norms[0](self.stem(x[:, :, None, None]), c))
        for up, norm in zip(self.ups, self.norms[1:]):
            h = torch.relu(norm(up(h), c))
        return self.out(self.to_image(h))


class DCGANDiscriminator(nn.Module):
    def __init__(self, shape: tuple[int, ...], base: int = 64, cap: int = 512, batch_norm: bool = True,
                 dropout: float = 0.0, first_bias: bool = False):
        super().__init__()
        channels, side = shape[0], shape[1]

        def width(res: int) -> int:
            return width_at(res, side, base, cap, top=side // 2)

        layers: list[nn.Module] = [nn.Conv2d(channels, width(side // 2), 4, 2, 1, bias=first_bias), nn.LeakyReLU(0.2)]
        res = side // 2
        while res > 4:
            layers.append(nn.Conv2d(width(res), width(res // 2), 4, 2, 1, bias=not batch_norm))
            layers += [nn.BatchNorm2d(width(res // 2))] if batch_norm else []
            layers.append(nn.LeakyReLU(0.2))
            res //= 2
        layers += [nn.Flatten(), Dropout(dropout), nn.Linear(width(4) * 16, 1)]
        self.net = nn.Sequential(*layers)
        dcgan_init(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


_g = generator_factory("dcgan", DCGANGenerator)
_d = discriminator_factory("dcgan", lambda cfg, shape: DCGANDiscriminator(shape, cfg.base_width, cfg.max_width,
                                                                          cfg.d_batch_norm, cfg.d_dropout))
register_net("dcgan", generator=_g, discriminator=_d, conditional_generator=_g,
             summary="DCGAN (Radford et al. 2016) for square sides 16-512: a block per octave, "
                     "model.base_width channels next to the image doubling to model.max_width")
