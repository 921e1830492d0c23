"""Building blocks every family of nets uses: activations by name, maxout units, dropout whose
masks are part of the run's noise, the paper's initialisation and max-norm constraint."""

from __future__ import annotations

import contextlib
from typing import Callable

import torch
from torch import nn

from ..distributed.group import SINGLE
from ..registry import Registry

ACTIVATIONS: Registry[Callable[[], nn.Module]] = Registry("activation")
ACTIVATIONS.register("relu", nn.ReLU)
ACTIVATIONS.register("leaky_relu", lambda: nn.LeakyReLU(0.2))
ACTIVATIONS.register("tanh", nn.Tanh)
ACTIVATIONS.register("elu", nn.ELU)


def activation(name: str) -> nn.Module:
    """A new activation layer of the kind `model.activation` names."""
    return ACTIVATIONS.get(name, "model.activation")()


MAXOUT_WITH_INDICES = True  # `make bench` turns it off to measure what max-with-indices buys


class Maxout(nn.Module):
    """Maxout units (Goodfellow et al., 2013): each output is the max over `pieces` linear pieces."""

    def __init__(self, in_features: int, units: int, pieces: int):
        super().__init__()
        self.units, self.pieces = units, pieces
        self.linear = nn.Linear(in_features, units * pieces)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.linear(x)
        # max with indices: its backward scatters into the winning piece, cheaper than amax's
        # (which splits the gradient among exact ties, a case of measure zero).
        y = y.view(*y.shape[:-1], self.units, self.pieces)
        return y.max(-1).values if MAXOUT_WITH_INDICES else y.amax(-1)


class MaskSource:
    """Where one dropout layer's masks come from during training: a CPU generator of its own,
    drawn for the global batch and sliced to this process's rows, exactly like z. So a checkpoint
    restores them, and one process and P processes drop the same units of the same examples.

    `segments` > 1 says the input is that many batches stacked (real and fake through D in one
    pass): each segment gets the mask it would get in a pass of its own, in the same order."""

    def __init__(self, gen: torch.Generator, rank=None):
        self.gen, self.rank, self.segments = gen, rank or SINGLE, 1

    def uniform(self, shape: torch.Size) -> torch.Tensor:
        """U[0, 1) draws of `shape` (this rank's rows of the global batch), on the CPU."""
        rows = shape[0] // self.segments * self.rank.world_size
        parts = [self.rank.take(torch.rand((rows, *shape[1:]), generator=self.gen)) for _ in range(self.segments)]
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def keep_mask(self, shape: torch.Size, keep: float, like: torch.Tensor) -> torch.Tensor:
        """A 0 or 1/keep tensor of `shape` (this rank's rows) on `like`'s device and dtype."""
        # In place on the uniform draws: u < keep as 0/1, scaled; no extra temporaries.
        return self.uniform(shape).lt_(keep).mul_(1.0 / keep).to(device=like.device, dtype=like.dtype, non_blocking=True)


class Dropout(nn.Module):
    """Dropout (Srivastava et al., 2014) whose masks are part of the run's noise: with a
    `MaskSource` attached (training sessions attach one per layer) they come from it, else from
    torch's RNG."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p
        self.source: MaskSource | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if self.source is None:
            return nn.functional.dropout(x, self.p, True)
        return x * self.source.keep_mask(x.shape, 1.0 - self.p, x)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def dropout_layers(*modules: nn.Module) -> list[nn.Module]:
    """Every gankit Dropout in the modules, and every other layer that draws the run's noise
    through a MaskSource (`draws_noise = True`, e.g. a table G's Gumbel softmax), in a fixed
    order (the order of their sources)."""
    return [m for module in modules for m in module.modules()
            if isinstance(m, Dropout) or getattr(m, "draws_noise", False)]


@contextlib.contextmanager
def segmented(module: nn.Module, n: int):
    """Inside, `module` is called on n batches stacked along rows (see MaskSource)."""
    sources = [d.source for d in dropout_layers(module) if d.source is not None]
    for src in sources:
        src.segments = n
    try:
        yield
    finally:
        for src in sources:
            src.segments = 1


def has_batch_norm(module: nn.Module) -> bool:
    """Batch statistics couple the examples of one pass, so such a net is never run on stacked batches."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


def apply_max_norm(module: nn.Module, limit: float) -> None:
    """Rescale each unit's incoming weight vector to norm <= limit (pylearn2's max_col_norm, which
    the paper's discriminator used to keep SGD at lr 0.1 stable)."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Linear):
                norms = m.weight.norm(dim=1, keepdim=True)
                m.weight.mul_(torch.clamp(limit / norms.clamp_min(1e-12), max=1.0))


def init_uniform(module: nn.Module, scale: float) -> None:
    """Weights U(-scale, scale), biases 0: the paper's initialization (pylearn2 irange)."""
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.uniform_(m.weight, -scale, scale)
            nn.init.zeros_(m.bias)


def output_for(kind: str) -> str:
    """G's output layer: a sigmoid for images in [0, 1], linear for points in data units."""
    return "sigmoid" if kind == "image" else "linear"


def pixel_logits(pixel_mean: torch.Tensor | None) -> torch.Tensor | None:
    """The logit of the mean training image: an output bias that starts G at the average image."""
    if pixel_mean is None:
        return None
    p = pixel_mean.clamp(1e-3, 1 - 1e-3)  # a pixel that is always 0 would give logit -inf
    return torch.log(p) - torch.log1p(-p)
