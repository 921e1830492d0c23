"""What the loop draws from, per process: real minibatches, noise, dropout masks.

Each stream draws for the *global* batch from the shared seed and keeps this rank's rows
(`distributed.Rank.take`), so the draws do not depend on how many processes share the work, and
each stream's whole state is a counter or a generator state that a checkpoint stores.
"""

from __future__ import annotations

import torch

from .. import nets
from ..data.dataset import pixels
from ..distributed.group import SINGLE, Rank
from ..errors import GankitError
from ..losses import Examples


def check_batch_fits(batch_size: int, n_train: int, name: str, resumed: bool = False) -> None:
    """Refuse a global batch larger than the training set: every minibatch would repeat examples
    (a batch of 8,500 from 64 examples is 133 epochs in one step)."""
    if batch_size > n_train:
        fix = ("a resumed run keeps its batch: restore its data, or start a new run" if resumed
               else f"lower train.batch_size to at most {n_train}")
        raise GankitError(f"config key train.batch_size ({batch_size}) is larger than {name}'s training set "
                          f"({n_train} examples): each minibatch would hold some examples twice or more; {fix}")


class Batches:
    """Real minibatches without replacement: epoch e is a permutation drawn from (seed, e), and
    the position is one running example count, so a checkpoint stores it as a single integer.

    Float examples are moved to `device` whole, once. uint8 images (a folder's memory-mapped
    cache) stay where they are: each batch is gathered there, moved, and turned into floats on
    the device, so memory holds one batch of floats, never the data set."""

    def __init__(self, examples: torch.Tensor, seed: int, position: int = 0,
                 labels: torch.Tensor | None = None, rank: Rank = SINGLE, device: torch.device | None = None):
        self.device = torch.device(device) if device is not None else examples.device
        if examples.dtype != torch.uint8:
            examples = examples.to(self.device)
            labels = labels.to(self.device) if labels is not None else None
        self.examples, self.labels, self.seed, self.position, self.rank = examples, labels, seed, position, rank
        self._epoch, self._perm = -1, None

    def _permutation(self, epoch: int) -> torch.Tensor:
        if epoch != self._epoch:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(len(self.examples), generator=gen).to(self.examples.device)
        return self._perm

    def indices(self, m: int) -> torch.Tensor:
        """The next m indices of the global stream (every rank draws all of them)."""
        n, parts = len(self.examples), []
        while m > 0:
            epoch, offset = divmod(self.position, n)
            take = min(m, n - offset)
            parts.append(self._permutation(epoch)[offset:offset + take])
            self.position += take
            m -= take
        return parts[0] if len(parts) == 1 else torch.cat(parts)

    def _on_device(self, x: torch.Tensor) -> torch.Tensor:
        return pixels(x.to(self.device, non_blocking=True))

    def next(self, m: int) -> torch.Tensor:
        """This rank's rows of the next global batch of m examples."""
        return self._on_device(self.examples[self.rank.take(self.indices(m))])

    def next_labelled(self, m: int) -> Examples:
        """Like `next`, with the examples' class labels when the stream has them."""
        idx = self.rank.take(self.indices(m))
        labels = None if self.labels is None else self.labels[idx].to(self.device, non_blocking=True)
        return Examples(self._on_device(self.examples[idx]), labels)

    @property
    def epoch(self) -> float:
        return self.position / len(self.examples)


class Noise:
    """z ~ p_z from its own generator on the CPU: the same z on every device and every process
    count, and a state to save. Conditional runs also draw each z's class, uniformly."""

    def __init__(self, prior: str, z_dim: int, seed: int, device: torch.device, rank: Rank = SINGLE,
                 num_classes: int = 0):
        self.prior, self.z_dim, self.device, self.rank, self.num_classes = prior, z_dim, device, rank, num_classes
        self.gen = torch.Generator().manual_seed(seed * 1_000_003 + 999_983)

    def __call__(self, m: int) -> torch.Tensor:
        """This rank's rows of m draws of z."""
        return self.rank.take(nets.sample_noise(self.prior, m, self.z_dim, self.gen)).to(self.device, non_blocking=True)

    def labelled(self, m: int) -> Examples:
        """This rank's rows of m draws of z, with a class for each when conditional."""
        z = nets.sample_noise(self.prior, m, self.z_dim, self.gen)
        c = torch.randint(self.num_classes, (m,), generator=self.gen) if self.num_classes else None
        z = self.rank.take(z).to(self.device, non_blocking=True)
        return Examples(z, None if c is None else self.rank.take(c).to(self.device, non_blocking=True))


class Uniform:
    """U[0, 1) draws for a loss (WGAN-GP's interpolation ε), from their own generator on the CPU:
    drawn for the global batch and sliced to this rank's rows, like z, so the draws do not depend
    on the process count and a checkpoint restores them (`gen`'s state)."""

    def __init__(self, seed: int, rank: Rank = SINGLE):
        self.rank = rank
        self.gen = torch.Generator().manual_seed(seed * 1_000_003 + 555_557)

    def __call__(self, rows: int, like: torch.Tensor) -> torch.Tensor:
        """This rank's `rows` draws (the global batch has rows x world_size), on `like`'s device."""
        u = torch.rand(rows * self.rank.world_size, generator=self.gen)
        return self.rank.take(u).to(like.device, non_blocking=True)


def dropout_generator(seed: int, layer: int) -> torch.Generator:
    """The generator of one dropout layer's masks (nets.MaskSource): one per layer, so the masks
    do not depend on whether D sees real and fake in one pass or two."""
    return torch.Generator().manual_seed(seed * 1_000_003 + 777_767 + 7_919 * layer)
