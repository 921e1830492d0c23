"""Samples of a table run: conditions (`--where col=value`), rows as the data was, and the
.csv/.parquet files they go to.

A table G draws its own randomness beyond z (the Gumbel noise that picks each category and each
number's mode, and the value of one column for unconditional rows) from the generator the
samples are drawn with (`seed_net`), so a seed gives the same rows bit for bit. Conditions go
in through the conditional vector: G's output for a conditioned column is the condition, so
every row honours every condition, and nothing is drawn and thrown away.
"""

from __future__ import annotations

import json
from typing import Any

import torch
from torch import nn

from ..data.table import TableCodec, one_hots
from ..errors import GankitError


def codec(info: dict) -> TableCodec | None:
    """A table run's column transformer, from its checkpoint's data info (None for other runs)."""
    return TableCodec.from_state(info["table"]) if info.get("kind") == "table" else None


def layout(info: dict) -> dict | None:
    t = codec(info)
    return t.layout() if t is not None else None


def parse_where(items: list[str] | dict | None) -> dict[str, str]:
    """`["sex=female", "island=Biscoe"]` (or a dict) -> {column: value}."""
    if not items:
        return {}
    if isinstance(items, dict):
        return {str(k): str(v) for k, v in items.items()}
    out = {}
    for item in items:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise GankitError(f"--where takes COLUMN=VALUE, got {item!r} (e.g. --where sex=female)")
        if column.strip() in out:
            raise GankitError(f"--where names column {column.strip()!r} twice; give one value per column")
        out[column.strip()] = value
    return out


def condition_vector(G: Any, n: int, where: dict[str, str] | None) -> torch.Tensor | None:
    """The conditional vector of n rows that honour `where` (None: G draws unconditional rows)."""
    if not where:
        return None
    if G.table is None:
        raise GankitError(f"--where: {G.where} is not a table run (csv:PATH); --where conditions a table's columns")
    pairs = G.table.condition(where)
    net_slots = getattr(_table_net(G.net), "slots", [])
    if not net_slots:
        raise GankitError(f"--where: {G.where} was trained without the conditional vector (model.cond_vector = false), "
                          "so its G cannot be asked for a value; train with model.cond_vector = true")
    widths = torch.tensor([w for _, w in net_slots])
    values = torch.zeros(n, len(widths), dtype=torch.long)
    reveal = torch.zeros(n, len(widths), dtype=torch.bool)
    for k, v in pairs:
        values[:, k], reveal[:, k] = v, True
    return one_hots(values, reveal, torch.cumsum(widths, 0) - widths, int(widths.sum()))


def _table_net(net: nn.Module):
    from ..nets.table import TableGenerator

    return next((m for m in net.modules() if isinstance(m, TableGenerator)), None)


def seed_net(net: nn.Module, gen: torch.Generator | None) -> None:
    """Let a table G draw its own noise from `gen` (no-op for other nets)."""
    from ..nets.table import GumbelHead

    for m in net.modules():
        if isinstance(m, GumbelHead):
            m.gen = gen


def describe(where: dict[str, str]) -> str:
    return json.dumps(where) if where else ""
