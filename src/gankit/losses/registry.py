"""The losses' registry: `train.loss` names a factory that builds the loss from the run's
`train` section (a loss's weights are config keys) and a source of uniform draws.

Third-party packages add one through the entry-point group `gankit.losses`: an entry point whose
object is such a factory, `factory(train_config, uniform) -> GANLoss`.
"""

from __future__ import annotations

from typing import Any, Callable

from ..registry import Registry
from .base import GANLoss, Uniform

LossFactory = Callable[[Any, "Uniform | None"], GANLoss]  # (TrainConfig, Uniform | None) -> loss


def _is_factory(entry: object) -> str | None:
    return None if callable(entry) else f"a loss is registered as a factory (train_config, uniform) -> GANLoss, not {entry!r}"


LOSSES: Registry[LossFactory] = Registry("loss", group="gankit.losses", check=_is_factory)


def register_loss(name: str, factory: LossFactory) -> LossFactory:
    """Add a loss under `name`: `factory(train_config, uniform)` builds it for a run. A name
    registered twice is an error, never an overwrite."""
    return LOSSES.register(name, factory)


def get(name: str, train: Any = None, uniform: Uniform | None = None, key: str | None = None) -> GANLoss:
    """The loss `name`, built from a `TrainConfig` (its defaults when None)."""
    factory = LOSSES.get(name, key)
    if train is None:
        from ..config import TrainConfig

        train = TrainConfig(loss=name)
    return factory(train, uniform)


def build(train: Any, uniform: Uniform | None = None) -> GANLoss:
    """The loss a run's `train` section names, with its weights (and, for any factory's loss, how
    lazily R1/R2 apply: train.reg_every)."""
    loss = get(train.loss, train, uniform, key="train.loss")
    loss.reg_every = int(getattr(train, "reg_every", 1))
    return loss


def check_name(train: Any) -> None:
    """Refuse, before anything is loaded, a `train.loss` no registry knows (the error names the key)."""
    LOSSES.get(train.loss, "train.loss")


def names() -> list[str]:
    return LOSSES.names()
