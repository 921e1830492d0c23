"""Where augmentation draws its randomness: a CPU generator of its own, drawn for the global batch
and sliced to this process's rows (like z, dropout masks and WGAN-GP's ε in
`gankit.train.streams`), so one process and P processes augment the same examples the same way,
and a checkpoint that stores the generator's state resumes the same augmentations."""

from __future__ import annotations

import torch

from ..distributed.group import SINGLE, Rank


class Draws:
    """Random numbers for `rows` examples of this process, drawn for rows × world_size."""

    def __init__(self, seed: int, offset: int, rank: Rank = SINGLE):
        self.rank = rank
        self.gen = torch.Generator().manual_seed(seed * 1_000_003 + offset)

    def _global(self, rows: int, shape: tuple[int, ...]) -> tuple[int, ...]:
        return (rows * self.rank.world_size, *shape)

    def uniform(self, rows: int, *shape: int, like: torch.Tensor) -> torch.Tensor:
        """U[0, 1), one row per example, on `like`'s device and dtype."""
        u = self.rank.take(torch.rand(self._global(rows, shape), generator=self.gen))
        return u.to(device=like.device, dtype=like.dtype)

    def normal(self, rows: int, *shape: int, like: torch.Tensor) -> torch.Tensor:
        """N(0, 1), one row per example, on `like`'s device and dtype."""
        n = self.rank.take(torch.randn(self._global(rows, shape), generator=self.gen))
        return n.to(device=like.device, dtype=like.dtype)

    def integers(self, rows: int, low: int, high: int, *shape: int, like: torch.Tensor) -> torch.Tensor:
        """Integers uniform in [low, high), one row per example, int64 on `like`'s device."""
        k = self.rank.take(torch.randint(low, high, self._global(rows, shape), generator=self.gen))
        return k.to(like.device)
