"""Fully connected nets: `mlp` (G and D) and `maxout` (a D of maxout units, Goodfellow et al. 2013)."""

from __future__ import annotations

import math

import torch
from torch import nn

from .layers import Dropout, Maxout, activation, init_uniform, output_for, pixel_logits
from .registry import register_net


class MLPGenerator(nn.Module):
    """z -> hidden layers -> one example; sigmoid output for images in [0,1], linear otherwise."""

    def __init__(self, z_dim: int, hidden: list[int], out_shape: tuple[int, ...], activation: str = "relu",
                 batch_norm: bool = False, output: str = "linear", init_scale: float = 0.0,
                 output_bias: torch.Tensor | None = None):
        super().__init__()
        self.out_shape = tuple(out_shape)
        out_dim = math.prod(self.out_shape)
        layers: list[nn.Module] = []
        width = z_dim
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(_activation(activation))
            width = h
        self.body = nn.Sequential(*layers)
        self.out = nn.Linear(width, out_dim)
        self.output = output
        if init_scale > 0:
            init_uniform(self, init_scale)
        if output_bias is not None:
            with torch.no_grad():
                self.out.bias.copy_(output_bias.reshape(-1))

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        y = self.out(self.body(z))
        if self.output == "sigmoid":
            y = torch.sigmoid(y)
        return y.view(-1, *self.out_shape)  # -1, not len(z): an exported graph keeps N free


class MLPDiscriminator(nn.Module):
    """example -> hidden layers (ReLU-family or maxout, optional dropout) -> one logit."""

    def __init__(self, in_shape: tuple[int, ...], hidden: list[int], activation: str = "relu",
                 dropout: float = 0.0, input_dropout: float = 0.0, maxout_pieces: int = 0,
                 init_scale: float = 0.0, max_norm: float = 0.0):
        super().__init__()
        self.max_norm = max_norm  # > 0: a constraint applied after every optimizer step
        layers: list[nn.Module] = [nn.Flatten()]
        if input_dropout > 0:
            layers.append(Dropout(input_dropout))
        width = math.prod(in_shape)
        for h in hidden:
            if maxout_pieces:
                layers.append(Maxout(width, h, maxout_pieces))
            else:
                layers += [nn.Linear(width, h), _activation(activation)]
            if dropout > 0:
                layers.append(Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        if init_scale > 0:
            init_uniform(self, init_scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


_activation = activation  # the constructors' argument of that name shadows the function


def _mlp_g(cfg, shape, kind, pixel_mean):
    return MLPGenerator(cfg.z_dim, cfg.g_hidden, shape, cfg.activation, cfg.batch_norm, output_for(kind),
                        cfg.init_scale_g, pixel_logits(pixel_mean) if kind == "image" else None)


def _mlp_d(cfg, shape, kind):
    return MLPDiscriminator(shape, cfg.d_hidden, cfg.activation, cfg.d_dropout, cfg.d_input_dropout, 0, cfg.init_scale_d)


def _maxout_d(cfg, shape, kind):
    return MLPDiscriminator(shape, cfg.d_hidden, cfg.activation, cfg.d_dropout, cfg.d_input_dropout,
                            cfg.maxout_pieces, cfg.init_scale_d)


register_net("mlp", generator=_mlp_g, discriminator=_mlp_d,
             summary="fully connected: model.g_hidden / model.d_hidden widths, model.activation")
register_net("maxout", discriminator=_maxout_d,
             summary="a discriminator of maxout units (model.maxout_pieces pieces each), model.d_hidden widths")
