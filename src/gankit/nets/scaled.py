"""What the nets that grow with the image share (`dcgan`, `resnet`, `light`): the side they accept,
their channels per resolution, a batch norm that may take the class, and G's output layer.

Each of these nets has one block per octave between 4×4 and the image's side (StyleGAN2-ADA's
`training/networks.py`, BigGAN, FastGAN), so a side of 16 to 512 that is a power of two gives a
net of log2(side / 4) blocks. Channels come from two keys: `model.base_width` is the number of
channels of the hidden layer nearest the image, and each octave towards 4×4 doubles it, up to
`model.max_width` (DCGAN at 64×64: 64, 128, 256, 512 is base 64, cap 512).
"""

from __future__ import annotations

import torch
from torch import nn

from ..errors import GankitError
from .layers import pixel_logits

SIDES = (16, 32, 64, 128, 256, 512)
FAMILIES = ("dcgan", "resnet", "light")  # the families built here (their modules register them)


def image_side(shape: tuple[int, ...], kind: str, which: str, family: str) -> int:
    """The square side of `shape`, refusing anything these nets cannot grow to, naming data.size."""
    if kind == "image" and len(shape) == 3 and shape[1] == shape[2] and shape[1] in SIDES:
        return shape[1]
    seen = "×".join(map(str, shape)) if kind == "image" else f"{kind} of shape {tuple(shape)}"
    raise GankitError(f"config key data.size: model.{which} = {family} needs square images whose side is a power of "
                      f"two from 16 to 512, not {seen}; set data.size to one of {', '.join(map(str, SIDES))} "
                      f"(for 28×28 images use model.{which} = conv)")


def check_folder_side(g: str, d: str, data_name: str, size: int) -> None:
    """Refuse a folder's `data.size` that these nets cannot grow to before the folder is decoded
    (a large folder takes minutes); other data sets' sides are checked when the nets are built."""
    if data_name.startswith("folder:"):
        for which, family in (("g", g), ("d", d)):
            if family in FAMILIES:
                image_side((3, size, size), "image", which, family)


def octaves(side: int) -> int:
    """Blocks between 4×4 and the side: log2(side / 4)."""
    return side.bit_length() - 3


def width_at(res: int, side: int, base: int, cap: int, top: int | None = None) -> int:
    """Channels at resolution `res`: `base` at the resolution `top` (the hidden layer nearest the
    image; the side itself unless given), doubled per octave below it, at most `cap`."""
    top = side if top is None else top
    return max(1, min(cap, base * (top // res)))


class ClassNorm(nn.Module):
    """Batch norm, or with classes class-conditional batch norm (de Vries et al. 2017; BigGAN's G):
    y = BN(h) · (1 + γ_c) + β_c with per-class γ_c, β_c that start at 0, so a conditional G starts
    as its unconditional self and the class shapes every block, not only G's input."""

    def __init__(self, channels: int, num_classes: int = 0):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels)
        self.num_classes = num_classes
        if num_classes:
            self.gain, self.shift = nn.Embedding(num_classes, channels), nn.Embedding(num_classes, channels)
            nn.init.zeros_(self.gain.weight)
            nn.init.zeros_(self.shift.weight)

    def forward(self, h: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        y = self.bn(h)
        if not self.num_classes:
            return y
        if c is None:
            raise GankitError("a conditional generator needs a class label for each example (pass c)")
        return y * (1 + self.gain(c)[:, :, None, None]) + self.shift(c)[:, :, None, None]


def with_classes(z: torch.Tensor, c: torch.Tensor | None, num_classes: int) -> torch.Tensor:
    """G's input: z, and for a conditional G the class's one-hot beside it (Mirza & Osindero 2014)."""
    if not num_classes:
        return z
    if c is None:
        raise GankitError("a conditional generator needs a class label for each example (pass c)")
    return torch.cat([z, nn.functional.one_hot(c, num_classes).to(z.dtype)], 1)


class ImageOut(nn.Module):
    """G's last step: a per-pixel bias that starts at the logit of the mean training image (so G
    starts at the average image, as gankit's other image nets do) and a sigmoid into [0, 1]."""

    def __init__(self, shape: tuple[int, ...], bias: torch.Tensor | None):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(shape) if bias is None else bias.reshape(shape).clone())

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(h + self.bias)


def dcgan_init(module: nn.Module) -> None:
    """Radford et al. (2016), section 4: weights N(0, 0.02), batch-norm gains N(1, 0.02)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def generator_factory(family: str, cls):
    """The registry's G factory for a family whose G is `cls(z_dim, shape, base, cap, num_classes, bias)`."""
    def build(cfg, shape, kind, pixel_mean, num_classes=0):
        image_side(shape, kind, "g", family)
        return cls(cfg.z_dim, shape, cfg.base_width, cfg.max_width, num_classes, pixel_logits(pixel_mean))
    return build


def discriminator_factory(family: str, make):
    """The registry's D factory for a family whose D is `make(cfg, shape)`, once the side is checked."""
    def build(cfg, shape, kind):
        image_side(shape, kind, "d", family)
        return make(cfg, shape)
    return build
