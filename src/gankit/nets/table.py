"""Nets for tables (`model.g = model.d = "table"`), and what turns any family's nets into a
table's G(z, c) and D(x, c).

A table's rows are encoded by its column transformer (`gankit.data.table`); `layout` (plain
lists, kept in the checkpoint) says where each column sits in G's output:

- G's raw output goes through one activation per span: tanh for a number's offset, a Gumbel
  softmax (Jang et al. 2017; temperature `model.tau`) for each one-hot (a number's mode, a
  category, a blank). In training the softmax is soft, so gradients reach G; in eval mode it is
  the one-hot of the Gumbel-perturbed largest logit, a draw from the softmax.
- the conditional vector c (Xu et al. 2019, CTGAN; `model.cond_vector`) is the one-hots of the
  categorical columns a row is conditioned on, zeros elsewhere. G sees [z; c], D sees [x; c].
  G's output for a conditioned column *is* the condition, so every sample honours every
  condition by construction (CTGAN adds a cross-entropy term instead, which only makes it likely).
  Without c, G draws one categorical column's value from the data's frequencies (CTGAN's
  unconditional sampling): the data's joint distribution.
- D judges packs of `model.pack` rows with their conditions (PacGAN; CTGAN uses 10).

The `table` family: G is CTGAN's residual MLP (each block Linear-BatchNorm-ReLU, its output
concatenated to its input), D a residual MLP of LeakyReLU(0.2) layers with dropout
(`model.d_dropout`). Any other family (`mlp`) may be used instead and is measured against it.
"""

from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from ..errors import GankitError
from .layers import Dropout
from .registry import register_net
from .remedies import Packed, add_minibatch_std, apply_spectral_norm


def condition_width(layout: dict) -> int:
    return sum(w for _, w in layout.get("conditions", []))


def _check_layout(layout: dict | None) -> dict:
    if not layout or "spans" not in layout:
        raise GankitError("a table's nets need its layout (the column transformer's spans); "
                          "the checkpoint was not written by this gankit")
    return layout


def without_conditions(layout: dict) -> dict:
    return {**layout, "conditions": [], "counts": []}


class GumbelHead(nn.Module):
    """G's per-column output activations, all spans at once; its Gumbel noise is the run's (a
    MaskSource, attached by the training session, like dropout masks), or in eval mode from `gen`
    (sampling sets it from its seed), else torch's global RNG."""

    draws_noise = True

    def __init__(self, spans: list, tau: float):
        super().__init__()
        self.spans = [(int(w), str(a)) for w, a in spans]
        self.tau = float(tau)
        width = sum(w for w, _ in self.spans)
        seg, soft = [], []
        for k, (w, a) in enumerate(self.spans):
            seg += [k] * w
            soft += [a == "softmax"] * w
        # each output's span (a softmax is computed within its span), and which are one-hots
        self.register_buffer("segment", torch.tensor(seg, dtype=torch.long), persistent=False)
        self.register_buffer("soft", torch.tensor(soft, dtype=torch.bool), persistent=False)
        self.register_buffer("tanh", torch.tensor([a == "tanh" for w, a in self.spans for _ in range(w)]), persistent=False)
        self.n_soft, self.width = int(sum(soft)), width
        self.source = None
        self.gen: torch.Generator | None = None

    def uniform(self, shape, like: torch.Tensor) -> torch.Tensor:
        if self.training and self.source is not None:
            u = self.source.uniform(shape)
        else:
            u = torch.rand(shape, generator=self.gen)
        return u.to(device=like.device, dtype=like.dtype, non_blocking=True)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if not self.n_soft:
            return torch.where(self.tanh, torch.tanh(h), h)
        n, spans = len(h), len(self.spans)
        u = self.uniform((n, self.n_soft), h)
        gumbel = torch.zeros_like(h)
        gumbel[:, self.soft] = -torch.log((-torch.log(u.clamp_min(1e-20))).clamp_min(1e-20))  # Gumbel(0, 1)
        logits = (h + gumbel) / self.tau
        seg = self.segment.expand(n, -1)
        top = torch.full((n, spans), float("-inf"), dtype=h.dtype, device=h.device).scatter_reduce(
            1, seg, logits, "amax").gather(1, seg)
        if self.training:  # a softmax within each span: differentiable
            e = torch.exp(logits - top)
            one = torch.zeros(n, spans, dtype=h.dtype, device=h.device).index_add(1, self.segment, e).gather(1, seg)
            p = e / one
        else:  # the span's largest: a draw from its softmax (the Gumbel-max trick)
            p = (logits == top).to(h.dtype)
        return torch.where(self.soft, p, torch.where(self.tanh, torch.tanh(h), h))

    def extra_repr(self) -> str:
        return f"spans={len(self.spans)}, tau={self.tau}"


class TableGenerator(nn.Module):
    """G(z, c) for a table: `base` maps [z; c] to raw outputs, the head activates them, and the
    conditioned columns are set to their conditions."""

    def __init__(self, base: nn.Module, layout: dict, tau: float):
        super().__init__()
        self.base, self.layout = base, layout
        self.head = GumbelHead(layout["spans"], tau)
        self.slots = [(int(s), int(w)) for s, w in layout.get("conditions", [])]
        self.cond_dim = sum(w for _, w in self.slots)
        counts = [torch.tensor(c, dtype=torch.float64) for c in layout.get("counts", [])]
        self.freqs = [c / c.sum() for c in counts]
        # c -> its one-hots in G's output (place), and -> which outputs are conditioned (spread)
        width = self.head.width
        place = torch.zeros(self.cond_dim, width)
        spread = torch.zeros(self.cond_dim, width)
        offset = 0
        for s, w in self.slots:
            place[offset:offset + w, s:s + w] = torch.eye(w)
            spread[offset:offset + w, s:s + w] = 1.0
            offset += w
        self.register_buffer("place", place, persistent=False)
        self.register_buffer("spread", spread, persistent=False)

    def unconditional(self, n: int) -> torch.Tensor:
        """c for n unconditional samples: one categorical column each, uniformly, and its value
        with the data's frequencies (drawn like the head's noise)."""
        gen = self.head.gen if not self.training or self.head.source is None else self.head.source.gen
        col = torch.randint(len(self.slots), (n,), generator=gen)
        u = torch.rand(n, generator=gen, dtype=torch.float64)
        c = torch.zeros(n, self.cond_dim)
        offset = 0
        for k, (_, w) in enumerate(self.slots):
            cdf = torch.cumsum(self.freqs[k], 0)
            val = (cdf[None, :] < u[:, None]).sum(1).clamp(max=w - 1)
            rows = (col == k).nonzero().squeeze(1)
            c[rows, offset + val[rows]] = 1.0
            offset += w
        return c

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if not self.cond_dim:
            return self.head(self.base(z))
        if c is None:
            c = self.unconditional(len(z))
        c = c.to(z)
        x = self.head(self.base(torch.cat([z, c], 1)))
        return torch.where(c @ self.spread > 0, c @ self.place, x)  # a conditioned column is its condition


class TableDiscriminator(nn.Module):
    """D(x, c) for a table: the row beside its conditional vector, through `inner` (which may
    pack several rows)."""

    def __init__(self, inner: nn.Module, cond_dim: int):
        super().__init__()
        self.inner, self.cond_dim = inner, cond_dim
        self.max_norm = getattr(inner, "max_norm", 0.0)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        if self.cond_dim:
            if c is None:
                raise GankitError("a table discriminator with a conditional vector needs c")
            x = torch.cat([x, c.to(x.dtype)], 1)
        return self.inner(x)


def build_generator(fam, cfg, shape: tuple[int, ...], layout: dict | None) -> nn.Module:
    layout = _check_layout(layout)
    if not getattr(cfg, "cond_vector", True):
        layout = without_conditions(layout)
    if sum(w for w, _ in layout["spans"]) != math.prod(shape):
        raise GankitError(f"the table layout has {sum(w for w, _ in layout['spans'])} outputs, the data {math.prod(shape)}")
    wider = dataclasses.replace(cfg, z_dim=cfg.z_dim + condition_width(layout))
    return TableGenerator(fam.generator(wider, shape, "table", None), layout, getattr(cfg, "tau", 0.2))


def build_discriminator(fam, cfg, shape: tuple[int, ...], layout: dict | None) -> nn.Module:
    layout = _check_layout(layout)
    if not getattr(cfg, "cond_vector", True):
        layout = without_conditions(layout)
    cond = condition_width(layout)
    pack = getattr(cfg, "pack", 1)
    D = fam.discriminator(cfg, (pack * (math.prod(shape) + cond),), "table")
    if getattr(cfg, "minibatch_std", 0):
        D = add_minibatch_std(D, cfg.minibatch_std)
    if getattr(cfg, "spectral_norm", False):
        D = apply_spectral_norm(D)
    return TableDiscriminator(Packed(D, pack) if pack > 1 else D, cond)


# ----------------------------------------------------------------------------- the `table` family


class Residual(nn.Module):
    """[act(norm(W x + b)); x]: a block's output beside its input (CTGAN's residual layer)."""

    def __init__(self, i: int, o: int, norm: bool = True, leaky: bool = False, dropout: float = 0.0):
        super().__init__()
        self.fc = nn.Linear(i, o)
        self.norm = nn.BatchNorm1d(o) if norm else nn.Identity()
        self.act = nn.LeakyReLU(0.2) if leaky else nn.ReLU()
        self.drop = Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.drop(self.act(self.norm(self.fc(x)))), x], 1)


class ResidualGenerator(nn.Module):
    """[z; c] -> residual blocks (model.g_hidden) -> raw outputs (the head activates them)."""

    def __init__(self, z_dim: int, hidden: list[int], out_dim: int):
        super().__init__()
        blocks, width = [], z_dim
        for h in hidden:
            blocks.append(Residual(width, h))
            width += h
        self.body = nn.Sequential(*blocks)
        self.out = nn.Linear(width, out_dim)

    def forward(self, z: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.body(z))


class ResidualDiscriminator(nn.Module):
    """rows (packed) -> residual blocks of LeakyReLU(0.2) and dropout (model.d_hidden) -> one logit."""

    def __init__(self, in_dim: int, hidden: list[int], dropout: float):
        super().__init__()
        layers, width = [], in_dim
        for h in hidden:
            layers.append(Residual(width, h, norm=False, leaky=True, dropout=dropout))
            width += h
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)
        self.max_norm = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


def _table_g(cfg, shape, kind, pixel_mean):
    if kind != "table":
        raise GankitError(f"config key model.g: the table net is for tables (csv:PATH), not {kind} data")
    return ResidualGenerator(cfg.z_dim, cfg.g_hidden, math.prod(shape))


def _table_d(cfg, shape, kind):
    if kind != "table":
        raise GankitError(f"config key model.d: the table net is for tables (csv:PATH), not {kind} data")
    return ResidualDiscriminator(math.prod(shape), cfg.d_hidden, cfg.d_dropout)


register_net("table", generator=_table_g, discriminator=_table_d,
             summary="tables: residual MLP G (BatchNorm, ReLU) and D (LeakyReLU, dropout), model.g_hidden / model.d_hidden")
