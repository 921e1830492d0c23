"""Remedies for mode collapse that wrap any discriminator: minibatch standard deviation, packing
(PacGAN) and spectral normalization."""

from __future__ import annotations

import torch
from torch import nn

from ..errors import GankitError
from .layers import has_batch_norm


class MinibatchStd(nn.Module):
    """Minibatch standard deviation (Karras et al. 2018, section 3): one more feature per example,
    the standard deviation of every feature over its group of `group` consecutive examples,
    averaged over features. A collapsed G gives groups with little spread, which D can then see.
    Groups are consecutive rows, so they never straddle two processes' slices of a batch."""

    def __init__(self, group: int):
        super().__init__()
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, g = len(x), min(self.group, len(x))
        if n % g:
            raise GankitError(f"model.minibatch_std: a batch of {n} does not split into groups of {g} "
                              f"(choose a group size that divides train.batch_size / model.pack per process)")
        y = x.float().reshape(n // g, g, *x.shape[1:])
        std = (y.var(1, unbiased=False) + 1e-8).sqrt().flatten(1).mean(1)  # one value per group
        feature = std.repeat_interleave(g).to(x.dtype).reshape(n, 1, *([1] * (x.dim() - 2)))
        return torch.cat([x, feature.expand(n, 1, *x.shape[2:])], 1)

    def extra_repr(self) -> str:
        return f"group={self.group}"


class Packed(nn.Module):
    """PacGAN (Lin et al. 2018): D judges `pack` examples at once, concatenated along their first
    axis (features, or channels for images); consecutive rows form a pack, so real examples are
    packed with real ones and fakes with fakes. D returns one output per pack."""

    def __init__(self, inner: nn.Module, pack: int):
        super().__init__()
        self.inner, self.pack = inner, pack
        self.max_norm = getattr(inner, "max_norm", 0.0)  # the paper D's weight constraint still applies

    def forward(self, x: torch.Tensor, *cond) -> torch.Tensor:
        if cond:
            raise GankitError("model.pack does not pack class labels; use it with unconditional runs")
        n = len(x)
        if n % self.pack:
            raise GankitError(f"model.pack = {self.pack} needs batches divisible by it, got {n} examples "
                              f"(choose train.batch_size divisible by model.pack times the number of processes)")
        return self.inner(x.reshape(n // self.pack, self.pack * x.shape[1], *x.shape[2:]))

    def extra_repr(self) -> str:
        return f"pack={self.pack}"


def add_minibatch_std(D: nn.Module, group: int) -> nn.Module:
    """Insert a MinibatchStd feature before D's output layer. The new output weight on it starts
    at 0, so D starts as the same function it was built as."""
    net = getattr(D, "net", None)
    if not isinstance(net, nn.Sequential) or not isinstance(net[-1], nn.Linear):
        raise GankitError(f"model.minibatch_std needs a discriminator whose last layer is linear (mlp, maxout, conv), "
                          f"not {type(D).__name__}")
    last = net[-1]
    out = nn.Linear(last.in_features + 1, last.out_features)
    with torch.no_grad():
        out.weight.zero_()
        out.weight[:, :-1].copy_(last.weight)
        out.bias.copy_(last.bias)
    D.net = nn.Sequential(*net[:-1], MinibatchStd(group), out)
    return D


def apply_spectral_norm(module: nn.Module) -> nn.Module:
    """Spectral normalization (Miyato et al. 2018) of every linear and convolutional layer: each
    weight is divided by its largest singular value, estimated by one power iteration per forward
    pass in training mode. The iteration's vectors u and v are buffers of the state dict, so a
    checkpoint restores them and a resumed run continues bit for bit."""
    from torch.nn.utils.parametrizations import spectral_norm

    for m in list(module.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            spectral_norm(m)
    return module


def check_batch(cfg, local_batch: int) -> None:
    """Refuse, before training starts, a per-process batch that packs or groups unevenly."""
    pack, group = getattr(cfg, "pack", 1), getattr(cfg, "minibatch_std", 0)
    if local_batch % pack:
        raise GankitError(f"config key model.pack ({pack}) must divide the batch of each process ({local_batch})")
    packs = local_batch // pack
    if group and packs % min(group, packs):
        raise GankitError(f"config key model.minibatch_std ({group}) must divide the {packs} examples D sees "
                          f"per process (train.batch_size / model.pack / processes)")


def check_batch_norm(G: nn.Module, D: nn.Module, batch: int, pack: int = 1) -> None:
    """Refuse a batch too small for batch norm over features (BatchNorm1d needs two values per
    channel in training): G sees `batch` rows, D `batch // pack`."""
    for net, rows, who in ((G, batch, "G"), (D, batch // max(pack, 1), "D")):
        if rows < 2 and any(isinstance(m, nn.BatchNorm1d) for m in net.modules()):
            raise GankitError(f"config key train.batch_size ({batch}) is too small for the batch norm in {who}, which "
                              f"needs at least 2 examples per batch{' after packing' if who == 'D' and pack > 1 else ''}: "
                              f"raise train.batch_size{' or set model.batch_norm = false' if who == 'G' else ''}")


def stackable(module: nn.Module, n: int) -> bool:
    """Whether two batches of n rows can go through `module` stacked in one pass and give what two
    passes give: no batch norm, and every pack and minibatch-std group falls inside one batch
    (n divisible by their sizes multiplied: a sufficient condition)."""
    if has_batch_norm(module):
        return False
    rows = 1
    for m in module.modules():
        rows *= m.pack if isinstance(m, Packed) else m.group if isinstance(m, MinibatchStd) else 1
    return n % rows == 0
