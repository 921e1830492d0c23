"""The streams of a table run: real rows and noise with CTGAN's conditional vector.

`TableBatches` draws each real batch by training-by-sampling (`gankit.data.table.sampler`): a
condition per row and a training row that meets it, returned as Examples(rows, conditions).
`TableNoise` draws z and, from the same distribution, the conditions G is asked for. Like the
plain streams, both draw for the global batch and keep this rank's rows; the real rows' draws
come from (seed, position), so the checkpoint's example count restores them, and the noise's
from its generator, which the checkpoint stores.
"""

from __future__ import annotations

import torch

from .. import nets
from ..config import Config
from ..data.table import ConditionSampler
from ..distributed.group import SINGLE, Rank
from ..losses import Examples
from .streams import Batches, Noise


class TableBatches(Batches):
    """Real rows by training-by-sampling, with the conditional vector each was drawn for."""

    def __init__(self, examples: torch.Tensor, sampler: ConditionSampler, seed: int, rank: Rank = SINGLE):
        super().__init__(examples, seed, rank=rank)
        self.sampler = sampler

    def next_labelled(self, m: int) -> Examples:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + 271_829 + 7 * self.position)
        cond, rows = self.sampler.draw(m, gen)
        self.position += m
        dev = self.examples.device
        return Examples(self.examples[self.rank.take(rows).to(dev)], self.rank.take(cond).to(dev, non_blocking=True))

    def next(self, m: int) -> torch.Tensor:
        return self.next_labelled(m).x


class TableNoise(Noise):
    """z ~ p_z and the conditions G is asked for, drawn as the real rows' are."""

    def __init__(self, prior: str, z_dim: int, seed: int, device: torch.device, sampler: ConditionSampler,
                 rank: Rank = SINGLE):
        super().__init__(prior, z_dim, seed, device, rank=rank)
        self.sampler = sampler

    def labelled(self, m: int) -> Examples:
        z = nets.sample_noise(self.prior, m, self.z_dim, self.gen)
        cond, _ = self.sampler.draw(m, self.gen)
        return Examples(self.rank.take(z).to(self.device, non_blocking=True),
                        self.rank.take(cond).to(self.device, non_blocking=True))


def build(dataset, config: Config, device: torch.device, rank: Rank = SINGLE) -> tuple[Batches, Noise]:
    """The streams of a table run: with the conditional vector when the table has categorical
    columns and model.cond_vector is on, else the plain ones."""
    cfg, codec = config.model, dataset.table.codec
    train = dataset.train.to(device)
    if not (cfg.cond_vector and codec.discrete):
        return (Batches(train, config.seed, rank=rank), Noise(cfg.prior, cfg.z_dim, config.seed, device, rank=rank))
    widths = [codec.columns[j].width for j in codec.discrete]
    codes = torch.from_numpy(dataset.table.codes["train"][:, codec.discrete])
    values = torch.where(torch.isnan(codes), torch.tensor(widths, dtype=codes.dtype) - 1, codes).long()
    sampler = ConditionSampler(values, widths, config.train.log_frequency, config.train.condition_extra)
    return (TableBatches(train, sampler, config.seed, rank),
            TableNoise(cfg.prior, cfg.z_dim, config.seed, device, sampler, rank))
