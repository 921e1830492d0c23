"""Which process this is, and the slice of every global batch that is its own.

`train.batch_size` is the global minibatch: every rank draws the whole batch's data indices,
noise and dropout masks from the shared seed and keeps rows [rank·m, (rank+1)·m), m = B / P.
So P processes compute the update one process computes with batch B, up to float summation order.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .errors import GankitError


@dataclass(frozen=True)
class Rank:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Only the main process writes the run directory (logs, samples, checkpoints)."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def local_batch(self, global_batch: int) -> int:
        if global_batch % self.world_size:
            raise GankitError(f"config key train.batch_size ({global_batch}) must be divisible by the number of "
                              f"processes ({self.world_size}); it is the global batch, split evenly")
        return global_batch // self.world_size

    def average(self, t: torch.Tensor) -> torch.Tensor:
        """The mean of `t` over all processes (t itself when there is one)."""
        if self.world_size == 1:
            return t
        import torch.distributed as dist

        t = t.clone()
        dist.all_reduce(t)
        return t / self.world_size

    def maximum(self, t: torch.Tensor) -> torch.Tensor:
        """The elementwise maximum of `t` over all processes: how they agree on a decision."""
        if self.world_size == 1:
            return t
        import torch.distributed as dist

        t = t.clone()
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return t

    def take(self, rows: torch.Tensor) -> torch.Tensor:
        """This rank's slice of a tensor drawn for the global batch (rows first)."""
        if self.world_size == 1:
            return rows
        m = len(rows) // self.world_size
        return rows[self.rank * m:(self.rank + 1) * m]


SINGLE = Rank()


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """The plain net inside distributed or compiled wrappers, whose state-dict keys have no
    `module.` or `_orig_mod.` prefix."""
    while True:
        inner = getattr(module, "module", None) or getattr(module, "_orig_mod", None)
        if not isinstance(inner, torch.nn.Module):
            return module
        module = inner


def local(module: torch.nn.Module) -> torch.nn.Module:
    """The net without its DistributedDataParallel wrapper (a compiled net stays compiled when it
    was compiled inside the wrapper): what to call when no gradient is to be reduced."""
    from torch.nn.parallel import DistributedDataParallel as DDP

    if isinstance(module, DDP):
        return module.module
    if isinstance(getattr(module, "_orig_mod", None), DDP):
        return module._orig_mod.module
    return module
