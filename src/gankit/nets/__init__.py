"""Generators and discriminators: a registry of families by name, one module per family.

A generator maps z ~ p_z to one example of the data's shape; a discriminator maps an example to
a *logit* (D(x) = sigmoid(logit)), so the losses can stay numerically stable.

- `registry.py`: `NETS`, `register_net`, `NetFamily` — `model.g` / `model.d` name a family;
- `layers.py`: activations, maxout, dropout whose masks are the run's noise, max-norm;
- `prior.py`: the noise prior p_z (`model.prior`);
- one module per family: `mlp.py` (mlp, maxout), `paper.py` (the paper's MNIST nets), `conv.py`;
  nets that grow with the image side (16-512): `dcgan.py`, `resnet.py`, `light.py`, sharing `scaled.py`;
  `table.py` (tables: residual nets, and any family's G(z, c) and D(x, c) for a table's layout);
- `conditional.py`: G(z, c) and the projection D(x, c) around any family;
- `remedies.py`: what wraps any D against mode collapse (minibatch std, packing, spectral norm).

`build_generator` and `build_discriminator` turn a run's model config into nets.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import torch
from torch import nn

from . import conv, dcgan, light, mlp, paper, resnet, scaled, table  # noqa: F401  (each registers its family)
from .conditional import ConditionalGenerator, ProjectionDiscriminator, check_num_classes
from .conv import ConditionalConvGenerator, ConvDiscriminator, ConvGenerator
from .dcgan import DCGANDiscriminator, DCGANGenerator
from .light import LightDiscriminator, LightGenerator
from .resnet import ResNetDiscriminator, ResNetGenerator
from .layers import ACTIVATIONS, Dropout, MaskSource, Maxout, apply_max_norm, dropout_layers, has_batch_norm, segmented
from .mlp import MLPDiscriminator, MLPGenerator
from .prior import PRIORS, SQRT3, sample_noise
from .registry import NETS, NetFamily, discriminator_names, family, generator_names, register_net
from .remedies import (
    MinibatchStd,
    Packed,
    add_minibatch_std,
    apply_spectral_norm,
    check_batch,
    check_batch_norm,
    stackable,
)

if TYPE_CHECKING:
    from ..config import ModelConfig


def check_names(cfg: ModelConfig) -> None:
    """Refuse, before anything is loaded, a model section whose names no registry knows; each
    error names its key (model.g, model.d, model.prior, model.activation)."""
    family(cfg.g, "generator", "model.g")
    family(cfg.d, "discriminator", "model.d")
    PRIORS.get(cfg.prior, "model.prior")
    ACTIVATIONS.get(cfg.activation, "model.activation")


def check_side(cfg: ModelConfig, data_name: str, size: int) -> None:
    """Refuse, before a folder is decoded, a `data.size` the nets that grow with the image cannot take."""
    scaled.check_folder_side(cfg.g, cfg.d, data_name, size)


def notes(cfg: ModelConfig) -> list[str]:
    """What a user should hear about a model config that is valid but rarely meant: warnings."""
    out = []
    if cfg.g == "mlp" and not cfg.g_hidden:
        out.append("model.g_hidden = []: G is one linear map of z, so it can only model an affine image of the "
                   "prior (a Gaussian, for model.prior = gaussian); give widths, e.g. [256, 256], for more")
    if cfg.d in ("mlp", "maxout") and not cfg.d_hidden:
        out.append("model.d_hidden = []: D is logistic regression on x, which can tell only linearly separable "
                   "data from samples; give widths, e.g. [256, 256], for more")
    return out


def build_generator(cfg: ModelConfig, shape: tuple[int, ...], kind: str,
                    pixel_mean: torch.Tensor | None = None, num_classes: int = 0, layout: dict | None = None) -> nn.Module:
    """G for one example shape; `pixel_mean` (images) sets the output bias where the net asks.
    With `model.conditional`, G(z, c) also takes the class, one of `num_classes`. A table
    (kind "table") gives its `layout`: G(z, c) then takes its conditional vector."""
    fam, shape = family(cfg.g, "generator", "model.g"), tuple(shape)
    if kind == "table":
        return table.build_generator(fam, cfg, shape, layout)
    if not cfg.conditional:
        return fam.generator(cfg, shape, kind, pixel_mean)
    check_num_classes(num_classes)
    if fam.conditional_generator is not None:
        return fam.conditional_generator(cfg, shape, kind, pixel_mean, num_classes)
    wider = dataclasses.replace(cfg, z_dim=cfg.z_dim + num_classes)  # z and the class's one-hot
    return ConditionalGenerator(fam.generator(wider, shape, kind, pixel_mean), num_classes)


def build_discriminator(cfg: ModelConfig, shape: tuple[int, ...], kind: str, num_classes: int = 0,
                        layout: dict | None = None) -> nn.Module:
    """D for one example shape, with the config's remedies: packing (D's input is `pack`
    examples), a minibatch-std feature, spectral normalization; with `model.conditional`, a
    projection discriminator D(x, c); for a table, D(x, c) of its conditional vector."""
    shape = tuple(shape)
    if kind == "table":
        return table.build_discriminator(family(cfg.d, "discriminator", "model.d"), cfg, shape, layout)
    pack = getattr(cfg, "pack", 1)
    D = family(cfg.d, "discriminator", "model.d").discriminator(cfg, (pack * shape[0], *shape[1:]), kind)
    if getattr(cfg, "minibatch_std", 0):
        D = add_minibatch_std(D, cfg.minibatch_std)
    if cfg.conditional:
        check_num_classes(num_classes)
        D = ProjectionDiscriminator(D, num_classes)
    if getattr(cfg, "spectral_norm", False):
        D = apply_spectral_norm(D)
    return Packed(D, pack) if pack > 1 else D


__all__ = [
    "NETS", "NetFamily", "register_net", "family", "generator_names", "discriminator_names", "check_names", "check_side",
    "build_generator", "build_discriminator", "sample_noise", "PRIORS", "SQRT3", "ACTIVATIONS",
    "MLPGenerator", "MLPDiscriminator", "ConvGenerator", "ConvDiscriminator", "ConditionalConvGenerator",
    "DCGANGenerator", "DCGANDiscriminator", "ResNetGenerator", "ResNetDiscriminator", "LightGenerator",
    "LightDiscriminator",
    "ConditionalGenerator", "ProjectionDiscriminator", "Maxout", "Dropout", "MaskSource", "dropout_layers",
    "segmented", "has_batch_norm", "stackable", "apply_max_norm", "MinibatchStd", "Packed", "add_minibatch_std",
    "apply_spectral_norm", "check_batch", "check_batch_norm", "notes",
]
