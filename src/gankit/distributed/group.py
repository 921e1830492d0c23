"""Which process this is, the slice of every global batch that is its own, and how processes agree.

`train.batch_size` is the global minibatch: every rank draws the whole batch's data indices,
noise and dropout masks from the shared seed and keeps rows [rank·m, (rank+1)·m), m = B / P.
So P processes compute the update one process computes with batch B, up to float summation order:
DistributedDataParallel averages the gradients of the P slices (each a mean over its m rows), and
batch norm is synchronized (torch's SyncBatchNorm on CUDA, `GlobalBatchNorm` on the CPU), so its statistics are those of the global batch.

The processes are started by torchrun (or `gankit train --nproc P`, which calls it); this module
joins the process group torchrun's environment describes (RANK, LOCAL_RANK, WORLD_SIZE and the
rendezvous address): gloo for CPU tensors, and NCCL for CUDA tensors, each process on
cuda:LOCAL_RANK. Every collective here is called by every process in the same order; work that
can fail on one process only (a write by the main process, a measurement) runs inside
`Rank.together`, which turns a failure anywhere into the same error everywhere.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import os
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import nn

from ..errors import GankitError

# Long enough for the main process to fit a feature net for in-training evaluation while the
# others wait (the defaults are 10 minutes for NCCL and 30 for gloo).
TIMEOUT = datetime.timedelta(minutes=30)


class AgreedError(GankitError):
    """Raised on every process when one of them failed inside `Rank.together`. The process whose
    error it is reports it; the others stay silent (`silent`), so the user reads it once.

    Errors every process raises at the same point carry `agreed = True` (this class, and the
    reporting process's own error), so the command line can let all processes leave together."""

    silent = True
    agreed = True


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

    def device(self, device: torch.device) -> torch.device:
        """This process's device: its own GPU, cuda:LOCAL_RANK, when the run is on CUDA."""
        if device.type != "cuda" or not self.distributed:
            return device
        if self.local_rank >= torch.cuda.device_count():
            raise GankitError(f"process {self.rank} has LOCAL_RANK {self.local_rank}, but only "
                              f"{torch.cuda.device_count()} GPUs are visible (start at most one process per GPU "
                              f"with --nproc_per_node, or set device=cpu)")
        return torch.device("cuda", self.local_rank)

    def error(self, message: str) -> GankitError:
        """The error to raise for a failure every process meets at the same point (e.g. a loss
        averaged over processes became NaN): the main process reports it, the others exit quietly."""
        if not self.is_main:
            return AgreedError(message)
        error = GankitError(message)
        error.agreed = True
        return error

    # -- collectives: every process calls each of them, in the same order --
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

    def barrier(self) -> None:
        """Wait until every process got here."""
        if self.world_size > 1:
            import torch.distributed as dist

            dist.barrier()

    def take(self, rows: torch.Tensor) -> torch.Tensor:
        """This rank's slice of a tensor drawn for the global batch (rows first)."""
        if self.world_size == 1:
            return rows
        m = len(rows) // self.world_size
        return rows[self.rank * m:(self.rank + 1) * m]

    def share(self, n: int) -> slice:
        """This rank's part of n items split into P contiguous parts, the last ones possibly
        shorter (for work that need not be an even split, e.g. evaluation samples)."""
        per = -(-n // self.world_size)
        return slice(min(self.rank * per, n), min((self.rank + 1) * per, n))

    def gather_rows(self, part: torch.Tensor, n: int) -> torch.Tensor:
        """Every rank's `share(n)` rows of a CPU tensor, concatenated in rank order, on every rank."""
        if self.world_size == 1:
            return part
        import torch.distributed as dist

        per = -(-n // self.world_size)
        padded = torch.zeros((per, *part.shape[1:]), dtype=part.dtype)
        padded[:len(part)] = part
        parts = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(parts, padded)
        return torch.cat(parts)[:n]

    def broadcast_bytes(self, data: bytes | None, src: int = 0) -> bytes:
        """`data` from process `src`, on every process. Bytes, not pickled objects: what crosses
        between processes is parsed by the receiver (TOML, JSON, weights_only checkpoints)."""
        if self.world_size == 1:
            return data or b""
        import torch.distributed as dist

        size = torch.tensor([len(data) if self.rank == src else 0], dtype=torch.int64)
        dist.broadcast(size, src)
        if self.rank == src:
            buf = torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)
        else:
            buf = torch.empty(int(size.item()), dtype=torch.uint8)
        if len(buf):
            dist.broadcast(buf, src)
        return data if self.rank == src else buf.numpy().tobytes()

    @contextlib.contextmanager
    def together(self) -> Iterator[None]:
        """Run a block on every process, all of them leaving it together: if it raises on any,
        every process raises (the failing one its own error, the others an `AgreedError` with
        the same message), so none is left waiting in a collective for one that stopped. The
        block itself must call no collective. One small all-reduce when all went well."""
        if self.world_size == 1:
            yield
            return
        import torch.distributed as dist

        failure: Exception | None = None
        try:
            yield
        except Exception as e:  # noqa: BLE001 - reported below, on this process and all the others
            failure = e
        first = torch.tensor([self.rank if failure is not None else self.world_size], dtype=torch.int64)
        dist.all_reduce(first, op=dist.ReduceOp.MIN)
        src = int(first.item())
        if src == self.world_size:
            return
        text = None
        if self.rank == src:
            text = str(failure) if isinstance(failure, GankitError) else f"{type(failure).__name__}: {failure}"
        message = self.broadcast_bytes(text.encode() if text else None, src).decode()
        if self.rank == src:
            if isinstance(failure, GankitError):
                failure.agreed = True
            raise failure
        if not isinstance(failure, GankitError) and failure is not None:
            raise failure  # this process's own unexpected error keeps its traceback
        raise AgreedError(message if src == 0 else f"(process {src}) {message}")


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


# --- the process group ----------------------------------------------------------------------------

def from_environment() -> tuple[int, int, int]:
    """(rank, world size, local rank) as torchrun sets them; (0, 1, 0) outside torchrun."""
    try:
        return (int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")),
                int(os.environ.get("LOCAL_RANK", "0")))
    except ValueError:
        raise GankitError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (start processes with torchrun "
                          "or `gankit train --nproc P`)") from None


@contextlib.contextmanager
def process_group() -> Iterator[Rank]:
    """This process's `Rank` for the length of a run.

    Under torchrun (WORLD_SIZE > 1) it joins the process group torchrun's environment describes
    and leaves (destroys) it on the way out, also after an error. A caller that initialized
    torch.distributed itself keeps its group: the Rank describes it and it is left alone."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        yield Rank(dist.get_rank(), dist.get_world_size(), from_environment()[2])
        return
    rank, world, local = from_environment()
    if world <= 1:
        yield SINGLE
        return
    if not dist.is_available():
        raise GankitError("WORLD_SIZE > 1 but this torch was built without torch.distributed")
    cuda = torch.cuda.is_available()
    if cuda and local < torch.cuda.device_count():
        torch.cuda.set_device(local)  # NCCL's communicators and every CUDA collective use this GPU
    # gloo carries CPU tensors (the stop flag, agreements, evaluation samples of a CPU run);
    # NCCL carries CUDA tensors (gradients, statistics) when there are GPUs.
    backend = "cpu:gloo,cuda:nccl" if cuda and dist.is_nccl_available() else "gloo"
    try:
        dist.init_process_group(backend, rank=rank, world_size=world, timeout=TIMEOUT)
    except (ValueError, RuntimeError) as e:
        raise GankitError(f"cannot join the process group of {world} processes "
                          f"({str(e).splitlines()[0][:160]}); start them with torchrun or `gankit train --nproc P`") from None
    try:
        yield Rank(rank, world, local)
        dist.barrier()  # leave together: none tears the group down while another still uses it
    finally:
        gc.collect()  # DistributedDataParallel wrappers left in reference cycles hold the group: free them first
        dist.destroy_process_group()


# --- nets across processes ------------------------------------------------------------------------

def wrap(module: nn.Module, rank: Rank, device: torch.device) -> nn.Module:
    """What the loop calls: the net itself for one process; for several, the net with batch norm
    over the global batch (in place, same parameters) inside DistributedDataParallel, which
    averages gradients over processes during backward."""
    if not rank.distributed:
        return module
    from torch.nn.parallel import DistributedDataParallel

    convert_batch_norm(module, device)
    # Buffers need no broadcast: synchronized batch norm's running statistics come from the
    # global batch, so they are the same on every process (and one process's checkpoint holds them).
    return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None,
                                   forward_sync_buffers=False)


class _AllReduceSum(torch.autograd.Function):
    """Sum over processes, differentiable: the gradient of a sum is the sum of the gradients."""

    @staticmethod
    def forward(ctx, t: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        t = t.clone()
        dist.all_reduce(t)
        return t

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlobalBatchNorm(nn.modules.batchnorm._BatchNorm):
    """Batch norm whose training statistics are those of the global batch, on the CPU, where
    torch's SyncBatchNorm (used on CUDA) refuses to run: per-channel sums are all-reduced with a
    differentiable sum. The state-dict keys are BatchNorm's, so checkpoints load in one process."""

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {x.dim()}D input)")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        import torch.distributed as dist

        if not self.training or not (dist.is_available() and dist.is_initialized()):
            return super().forward(x)  # running statistics, or one process: plain batch norm
        self._check_input_dim(x)
        dims = [0, *range(2, x.dim())]
        shape = [1, -1] + [1] * (x.dim() - 2)
        dtype, x = x.dtype, x.float()  # statistics in fp32, also under bf16 autocast
        count = torch.tensor([x.numel() // x.shape[1]], dtype=x.dtype)
        sums = _AllReduceSum.apply(torch.cat([x.sum(dims), count]))
        n = sums[-1].detach()
        mean = sums[:-1] / n
        centred = x - mean.view(shape)
        var = _AllReduceSum.apply((centred * centred).sum(dims)) / n  # biased, as batch norm normalizes
        y = centred * torch.rsqrt(var + self.eps).view(shape)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        if self.track_running_stats:
            with torch.no_grad():
                self.num_batches_tracked.add_(1)
                factor = 1.0 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
                self.running_mean.lerp_(mean.detach(), factor)
                self.running_var.lerp_(var.detach() * n / max(float(n) - 1, 1.0), factor)  # unbiased, as torch keeps it
        return y.to(dtype)


def convert_batch_norm(module: nn.Module, device: torch.device) -> nn.Module:
    """Every BatchNorm*d inside `module` made to normalize over the global batch, sharing its
    parameters and buffers (so optimizers built on them stay valid): torch's SyncBatchNorm on
    CUDA, `GlobalBatchNorm` on the CPU. Returns the module."""
    if device.type != "cpu":
        return nn.SyncBatchNorm.convert_sync_batchnorm(module)
    for name, child in module.named_children():
        if type(child) in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d):
            sync = GlobalBatchNorm(child.num_features, child.eps, child.momentum, child.affine, child.track_running_stats)
            if child.affine:
                sync.weight, sync.bias = child.weight, child.bias
            if child.track_running_stats:
                sync.running_mean, sync.running_var = child.running_mean, child.running_var
                sync.num_batches_tracked = child.num_batches_tracked
            sync.train(child.training)
            setattr(module, name, sync)
        else:
            convert_batch_norm(child, device)
    return module
