"""Training-by-sampling (Xu et al. 2019, CTGAN): the conditional vector and the real rows that
match it, so that rare categories are learnt.

For each row of a batch: a categorical or boolean column is chosen uniformly, one of its values
with probability proportional to log(1 + its count) (`log_frequency`; else to its count), and a
training row that has that value. The conditional vector reveals that row's value in the chosen
column and, with probability `extra` each, in every other categorical column — so G learns to
honour any set of conditions at once (`gankit sample --where a=x --where b=y`), not one column
only. The vector is the one-hots of the revealed columns side by side, zeros elsewhere.

Everything is drawn from a torch.Generator the caller owns, so the draws are reproducible and a
checkpoint restores them.
"""

from __future__ import annotations

import torch


class ConditionSampler:
    """Conditional vectors and the matching training rows, for the categorical columns whose
    codes are `values` (N×K long; a blank is the column's last index)."""

    def __init__(self, values: torch.Tensor, widths: list[int], log_frequency: bool = True, extra: float = 0.25):
        self.values = values.long()
        self.widths = torch.tensor(widths, dtype=torch.long)
        self.offsets = torch.cumsum(self.widths, 0) - self.widths
        self.dim = int(self.widths.sum())
        self.k = len(widths)
        self.extra = float(extra)
        n = len(values)
        w = max(widths)
        self.order = torch.empty(self.k * n, dtype=torch.long)  # rows sorted by value, column by column
        self.start = torch.zeros(self.k, w, dtype=torch.long)
        self.count = torch.zeros(self.k, w, dtype=torch.long)
        probs = torch.zeros(self.k, w, dtype=torch.float64)
        for j in range(self.k):
            col = self.values[:, j]
            self.order[j * n:(j + 1) * n] = torch.argsort(col, stable=True)
            counts = torch.bincount(col, minlength=widths[j])[:widths[j]]
            self.count[j, :widths[j]] = counts
            self.start[j, :widths[j]] = j * n + torch.cumsum(counts, 0) - counts
            f = torch.log1p(counts.double()) if log_frequency else counts.double()
            probs[j, :widths[j]] = f / f.sum()
        self.cdf = torch.cumsum(probs, 1)

    def draw(self, m: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """(m×dim conditional vectors, the m training rows they were read from)."""
        col = torch.randint(self.k, (m,), generator=gen)
        u = torch.rand(m, generator=gen, dtype=torch.float64)
        val = (self.cdf[col] < u[:, None]).sum(1).clamp(max=self.widths[col] - 1)
        pick = torch.rand(m, generator=gen, dtype=torch.float64)
        n_rows = self.count[col, val]
        row = self.order[self.start[col, val] + (pick * n_rows).long().clamp(max=n_rows - 1)]
        reveal = torch.rand(m, self.k, generator=gen) < self.extra
        reveal[torch.arange(m), col] = True
        return one_hots(self.values[row], reveal, self.offsets, self.dim), row


def one_hots(values: torch.Tensor, reveal: torch.Tensor, offsets: torch.Tensor, dim: int) -> torch.Tensor:
    """m×dim float vectors: for each revealed (row, column), a 1 at the column's offset + value."""
    m = len(values)
    cond = torch.zeros(m, dim)
    pos = offsets[None, :] + values
    rows = torch.arange(m)[:, None].expand_as(pos)
    cond[rows[reveal], pos[reveal]] = 1.0
    return cond
