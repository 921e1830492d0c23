"""The nets' registry: a family of nets by name (`model.g`, `model.d`), with how to build its G and D.

A family module (mlp.py, conv.py, ...) registers itself with `register_net`; a third-party
package can add one through the entry-point group `gankit.nets` (an entry point whose object is a
`NetFamily`). The names are checked here, where the nets are built, and the error names the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import torch
from torch import nn

from ..errors import GankitError
from ..registry import Registry

if TYPE_CHECKING:  # annotations only: the nets read their own section of the config
    from ..config import ModelConfig

Shape = tuple[int, ...]
GeneratorFactory = Callable[["ModelConfig", Shape, str, "torch.Tensor | None"], nn.Module]
"""(model config, one example's shape, data kind "image"|"points", mean training image or None) -> G(z)."""
DiscriminatorFactory = Callable[["ModelConfig", Shape, str], nn.Module]
"""(model config, the shape D sees — `pack` examples stacked on the first axis, data kind) -> D(x)."""
ConditionalGeneratorFactory = Callable[["ModelConfig", Shape, str, "torch.Tensor | None", int], nn.Module]
"""As GeneratorFactory, with the number of classes last -> G(z, c)."""


@dataclass(frozen=True)
class NetFamily:
    """One family of nets. A family may offer only a generator or only a discriminator (maxout is a
    discriminator). `conditional_generator` builds a G(z, c) of the family's own; without one, a
    conditional run builds the family's G for z and the class's one-hot side by side
    (`conditional.ConditionalGenerator`). Any discriminator becomes D(x, c) by projection."""

    generator: GeneratorFactory | None = None
    discriminator: DiscriminatorFactory | None = None
    conditional_generator: ConditionalGeneratorFactory | None = None
    summary: str = ""


def _is_family(entry: object) -> str | None:
    if not isinstance(entry, NetFamily):
        return f"a net is registered as a gankit.nets.NetFamily, not {type(entry).__name__}"
    if entry.generator is None and entry.discriminator is None:
        return "a NetFamily needs a generator, a discriminator or both"
    return None


NETS: Registry[NetFamily] = Registry("net", group="gankit.nets", check=_is_family)


def register_net(name: str, *, generator: GeneratorFactory | None = None,
                 discriminator: DiscriminatorFactory | None = None,
                 conditional_generator: ConditionalGeneratorFactory | None = None, summary: str = "") -> NetFamily:
    """Register a family of nets under `name`; a name already taken is an error."""
    return NETS.register(name, NetFamily(generator, discriminator, conditional_generator, summary))


def family(name: str, role: str, key: str) -> NetFamily:
    """The family `name` that config `key` asks for, refusing one without that `role`
    ("generator" or "discriminator")."""
    fam = NETS.get(name, key)
    if getattr(fam, role) is None:
        offer = [n for n, f in NETS.items() if getattr(f, role) is not None]
        raise GankitError(f"config key {key}: the net {name!r} has no {role}; one of: {', '.join(offer)}")
    return fam


def generator_names() -> list[str]:
    return [n for n, fam in NETS.items() if fam.generator is not None]


def discriminator_names() -> list[str]:
    return [n for n, fam in NETS.items() if fam.discriminator is not None]
